"""The CPU a benchmark charges to a program, read from /proc."""

import os
import subprocess
import sys

from bourse.stack.processes import cpu_seconds_of

BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"


def test_a_reaped_child_counts_for_its_parent_only_when_asked() -> None:
    me = os.getpid()
    own, with_reaped = cpu_seconds_of(me), cpu_seconds_of(me, reaped=True)
    subprocess.run([sys.executable, "-c", BURN], check=True)  # ends and is waited for
    own_growth = cpu_seconds_of(me) - own
    reaped_growth = cpu_seconds_of(me, reaped=True) - with_reaped
    assert reaped_growth - own_growth >= 0.25  # the child's 0.3 s, at clock-tick resolution
    assert own_growth < 0.25
