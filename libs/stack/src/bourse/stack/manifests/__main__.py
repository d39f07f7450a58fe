import sys

from bourse.stack.manifests.cli import main

sys.exit(main())
