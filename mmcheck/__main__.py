"""`python -m mmcheck`: the mmcheck command."""

import sys

from mmcheck.cli import main

sys.exit(main())
