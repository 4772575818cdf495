"""Run the command-line interface: ``python -m sknml``."""

import sys

from sknml._cli import main

# Guarded, so that importing the module (the API reference, an import check) does
# not run the command line.
if __name__ == "__main__":
    sys.exit(main())
