"""The container and Kubernetes manifests generated from the service table (write, check):
bourse.stack.manifests, in libs/stack."""

import sys

from bourse.stack.manifests.cli import main

if __name__ == "__main__":
    sys.exit(main())
