"""The deterministic demo-data generator: ``python -m nazorg.demo [RAW_DIR]``.

Every demo export in ``raw/`` is made here from one synthetic population
(:mod:`nazorg.demo.population`). A test regenerates the data and fails when the
committed files drifted from the generator.
"""
