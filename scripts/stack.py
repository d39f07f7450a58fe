"""The local stack's command line (list, render, ports, running, wait, check, urls,
rollout, var, vhost, journals, reset, exec): bourse.stack.cli, in libs/stack."""

import sys

from bourse.stack.cli import main

if __name__ == "__main__":
    sys.exit(main())
