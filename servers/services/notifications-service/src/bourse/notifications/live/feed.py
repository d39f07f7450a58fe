"""What the NOTIFY of a stored notification says (:data:`bourse.notifications.store.CHANNEL`,
sent by the storing transaction at its commit), and who hears it: the instance's LISTEN
connection (bourse.common.listen) hands each one to the hub and the webhook worker."""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from uuid import UUID

from bourse.common.listen import Listener
from bourse.notifications.store import CHANNEL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    """A notification just committed (by any instance)."""

    id: UUID
    user_id: UUID
    webhook: bool = False  # a webhook delivery was queued with it


OnStored = Callable[[Stored], None]


def parse(payload: str) -> Stored | None:
    try:
        fields = json.loads(payload)
        return Stored(UUID(fields["id"]), UUID(fields["user_id"]), fields.get("webhook") is True)
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed %s payload: %r", CHANNEL, payload[:200])
        return None


def on_stored(listener: Listener, handler: OnStored) -> None:
    """Call ``handler`` with each notification stored (register before the listener runs)."""
    listener.on_channel(CHANNEL, partial(_notified, handler))


def _notified(handler: OnStored, payload: str) -> None:
    stored = parse(payload)
    if stored is not None:
        handler(stored)
