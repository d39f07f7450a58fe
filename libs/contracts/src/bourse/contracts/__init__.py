"""Versioned event and command schemas shared by every service, and where they travel.

A message is an :class:`Envelope` around one payload model. Each payload model names its
``TYPE`` (the envelope's ``type``) and ``VERSION``; :data:`CATALOG` maps types to models.
"""

from bourse.contracts.envelope import Envelope, new_message_id
from bourse.contracts.registry import CATALOG, EventSpec, payload_model

__all__ = ["CATALOG", "Envelope", "EventSpec", "new_message_id", "payload_model"]
