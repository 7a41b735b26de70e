"""`python -m ops ...` is the same as `wic ...`."""

import sys

from ops.cli import main

sys.exit(main())
