"""``python -m pipelines``: run job ``nightly`` once (see :mod:`pipelines.cli`)."""

import sys

from pipelines.cli import main

sys.exit(main())
