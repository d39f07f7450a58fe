from bourse.auto.db import metadata
from bourse.common.idempotency import metadata as idempotency_metadata
from bourse.common.migrations import run_env
from bourse.messaging.tables import metadata as messaging_metadata

run_env([metadata, messaging_metadata, idempotency_metadata])
