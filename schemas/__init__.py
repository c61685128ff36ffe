"""Pandera models, one per persisted table, named after it.

Each model is the single place where a table's Dutch description and its columns'
descriptions live: the warehouse applies them as ``COMMENT ON`` after every rebuild,
and the asset checks validate the table against the model.
"""
