"""How a run ends: the order of a run reached a final state."""

from dataclasses import dataclass
from typing import Literal

from bourse.contracts.orders import OUTCOME_STATUSES

Outcome = Literal["succeeded", "failed"]


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    reason: str | None


def run_result(status: str, reject_reason: str | None) -> RunResult | None:
    """None while the order is still open; a filled order succeeded; rejected, canceled
    or expired failed, with the order's reject reason (or its status) as the reason."""
    if status not in OUTCOME_STATUSES:
        return None
    if status == "filled":
        return RunResult("succeeded", None)
    return RunResult("failed", reject_reason or status)
