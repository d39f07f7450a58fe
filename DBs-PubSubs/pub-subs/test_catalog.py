"""catalog.md is what catalog.py renders from bourse.contracts today."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def _catalog() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bourse_pubsub_catalog", HERE / "catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_catalog_md_is_up_to_date() -> None:
    catalog = _catalog()
    assert (HERE / "catalog.md").read_text() == catalog.render(), (
        "DBs-PubSubs/pub-subs/catalog.md is stale: "
        "run uv run python DBs-PubSubs/pub-subs/catalog.py and commit it"
    )


def test_every_message_type_is_in_the_catalog() -> None:
    from bourse.contracts import CATALOG  # noqa: PLC0415

    text = (HERE / "catalog.md").read_text()
    for message_type, spec in CATALOG.items():
        assert f"| `{message_type}` | {spec.version} | `{spec.exchange}` |" in text
