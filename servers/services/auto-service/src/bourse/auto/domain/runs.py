"""How a run ends: the order of a run reached a final state."""

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["succeeded", "failed"]
FINAL_STATUSES = ("filled", "rejected", "canceled", "expired")


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    reason: str | None


def run_result(status: str, reject_reason: str | None) -> RunResult | None:
    """None while the order is still open; a filled order succeeded; rejected, canceled
    or expired failed, with the order's reject reason (or its status) as the reason."""
    if status not in FINAL_STATUSES:
        return None
    if status == "filled":
        return RunResult("succeeded", None)
    return RunResult("failed", reject_reason or status)
