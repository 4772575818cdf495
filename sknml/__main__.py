"""Run the command-line interface: ``python -m sknml``."""

import sys

from sknml._cli import main

sys.exit(main())
