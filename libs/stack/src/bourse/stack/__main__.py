import sys

from bourse.stack.cli import main

sys.exit(main())
