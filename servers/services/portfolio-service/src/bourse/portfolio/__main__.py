import sys

from bourse.common.cli import run_service_cli
from bourse.portfolio.config import Settings
from bourse.portfolio.main import MIGRATIONS, create_app

sys.exit(run_service_cli(Settings, create_app, MIGRATIONS))  # type: ignore[arg-type]
