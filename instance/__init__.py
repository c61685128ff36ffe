"""Plug-ins of the Dagster instance, named in ``dagster.yaml``: light imports only."""
