"""The national-scale benchmark (``make bench``): beside the product, never imported by it.

``bench.run`` generates the data and measures the runs, ``bench.floor`` is the
orchestration floor (the same job doing nothing), ``bench.baseline`` the naive pandas +
openpyxl pipeline it is compared with.
"""
