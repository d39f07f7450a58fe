import sys

from bourse.auto.config import Settings
from bourse.auto.main import MIGRATIONS, create_app
from bourse.common.cli import run_service_cli

sys.exit(run_service_cli(Settings, create_app, MIGRATIONS))  # type: ignore[arg-type]
