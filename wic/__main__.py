"""`python -m wic ...` is the same as `wic ...`."""

import sys

from wic.cli import main

sys.exit(main())
