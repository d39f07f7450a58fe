"""The local stack: the one table of Bourse's processes (``services``), the instance this
process works on (``instance``: BOURSE_STACK dev or e2e), the configs rendered from it
(``render``), its probes, journals, reset and rolling restart, the command line of
scripts/stack.py (``cli``) and the container manifests (``manifests``).

The names below are what the tests and benchmarks use, in one place. BOURSE_STACK is read
once, when ``bourse.stack.instance`` is first imported.
"""

from bourse.stack.instance import (
    API_BASE,
    GATEWAY,
    GATEWAY_PORT,
    HOST,
    INSTANCE,
    LOG_DIR,
    ROOT,
    SHARDS,
    VAR,
    Instance,
    database_url,
)
from bourse.stack.probes import check, http_get, process_states, supervisor
from bourse.stack.processes import cpu_seconds
from bourse.stack.services import BY_NAME, SERVICES, Service

__all__ = [
    "API_BASE",
    "BY_NAME",
    "GATEWAY",
    "GATEWAY_PORT",
    "HOST",
    "INSTANCE",
    "LOG_DIR",
    "ROOT",
    "SERVICES",
    "SHARDS",
    "VAR",
    "Instance",
    "Service",
    "check",
    "cpu_seconds",
    "database_url",
    "http_get",
    "process_states",
    "supervisor",
]
