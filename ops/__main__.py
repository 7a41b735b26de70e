"""`python -m ops ...` is `wic ...` without the benchmarks (`python -m wic` has them too)."""

import sys

from ops.cli import main

sys.exit(main())
