"""``python -m fastgd``: see :mod:`fastgd.cli`."""
import sys

from .cli import main

sys.exit(main())
