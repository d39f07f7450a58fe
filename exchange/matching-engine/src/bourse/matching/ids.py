"""The set of order ids a book has seen, compact when ids arrive in sequence.

Every id presented to ``new`` is used up forever. Ids usually come from a counter, so the
set keeps one contiguous run ``[lo, hi)`` plus a plain set for the ids outside it; a
million sequential ids then cost two integers instead of a million set entries.
"""

from typing import Any


class UsedIds:
    __slots__ = ("hi", "lo", "sparse")

    def __init__(self) -> None:
        self.lo = 0
        self.hi = 0  # the run [lo, hi) is empty while lo == hi
        self.sparse: set[int] = set()

    def __contains__(self, oid: int) -> bool:
        return self.lo <= oid < self.hi or oid in self.sparse

    def add(self, oid: int) -> bool:
        """Record ``oid``; False when it was already used.

        Invariant: ``hi`` is never in ``sparse`` (``_absorb`` keeps it so), hence an id
        equal to ``hi`` is always new. On a fresh set the run is [0, 0), which is right too.
        """
        if oid == self.hi:
            self.hi = oid + 1
            if self.sparse:
                self._absorb()
            return True
        if oid in self:
            return False
        if self.lo == self.hi:
            self.lo, self.hi = oid, oid + 1
            self._absorb()
        else:
            self.sparse.add(oid)
        return True

    def _absorb(self) -> None:
        sparse, hi = self.sparse, self.hi
        while hi in sparse:
            sparse.remove(hi)
            hi += 1
        self.hi = hi

    def __len__(self) -> int:
        return self.hi - self.lo + len(self.sparse)

    def to_state(self) -> dict[str, Any]:
        return {"lo": self.lo, "hi": self.hi, "sparse": sorted(self.sparse)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "UsedIds":
        ids = cls()
        ids.lo, ids.hi, ids.sparse = state["lo"], state["hi"], set(state["sparse"])
        return ids
