"""``python -m bench``: see bench/harness.py."""

import sys

from .harness import main

sys.exit(main())
