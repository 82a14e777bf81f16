import sys

from spec.matrix.cli import main

sys.exit(main())
