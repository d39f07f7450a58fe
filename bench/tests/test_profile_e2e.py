"""The profile's attribution: each sample to the library of its innermost frame, database
time to the Bourse function that made the call (py-spy's raw format, full file names)."""

from collections import Counter
from pathlib import Path

from bourse.bench.profile_e2e import NO_CALLER, analyse, layer_of, own_code

SITE = "/work/.venv/lib/python3.11/site-packages"
HANDLER = "on_risk_accepted (/work/servers/order/src/bourse/order/handlers.py:270)"
EXECUTE = f"AsyncSession.execute ({SITE}/sqlalchemy/ext/asyncio/session.py:449)"
BIND = f"PreparedStatement.__bind_execute ({SITE}/asyncpg/prepared_stmt.py:257)"
PUBLISH = f"Channel.basic_publish ({SITE}/aiormq/channel.py:556)"
LOOP = "Runner.run (/usr/lib/python3.11/asyncio/runners.py:118)"


def test_a_frame_belongs_to_the_library_its_file_is_in() -> None:
    assert layer_of(EXECUTE) == "sqlalchemy"
    assert layer_of(BIND) == "asyncpg"
    assert layer_of(PUBLISH) == "amqp"
    assert layer_of(LOOP) == "event-loop"
    assert layer_of(HANDLER) == "bourse"
    assert layer_of("<module> (<frozen runpy>:198)") == "other"


def test_own_code_is_named_by_function_and_module() -> None:
    assert own_code(HANDLER) == "on_risk_accepted (order/handlers.py)"
    assert own_code(EXECUTE) is None


def test_samples_are_charged_to_the_innermost_layer_and_the_calling_function(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "order.txt"
    raw.write_text(
        f"{LOOP};{HANDLER};{EXECUTE};{BIND} 7\n"  # a statement the handler runs
        f"{LOOP};{HANDLER};{PUBLISH} 2\n"
        f"{LOOP};{BIND} 1\n"  # the driver reading a result: nobody's call
    )
    by_layer, db_callers = analyse(raw)
    assert by_layer == Counter({"asyncpg": 8, "amqp": 2})
    assert db_callers == Counter({"on_risk_accepted (order/handlers.py)": 7, NO_CALLER: 1})
