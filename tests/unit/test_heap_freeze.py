"""runtime/heap_freeze.py: garbage is collected first, what is left is frozen, a second call
(a reload) starts again from nothing frozen."""

from __future__ import annotations

import gc
import weakref

from keepalived_py.runtime import heap_freeze


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_settle_collects_cycles_then_freezes_the_rest() -> None:
    try:
        cycle = Node()
        cycle.other = Node()
        cycle.other.other = cycle
        gone = weakref.ref(cycle)
        kept = Node()
        kept.other = Node()
        kept.other.other = kept  # still referenced: frozen, not collected
        del cycle
        heap_freeze.settle()
        assert gone() is None
        frozen = gc.get_freeze_count()
        assert frozen > 0 and gc.is_tracked(kept)
        assert kept.other is not None and kept.other.other is kept
        # a reload: the old frozen set is unfrozen, its garbage collected, the rest frozen again
        old = weakref.ref(kept)
        del kept
        heap_freeze.settle()
        assert old() is None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
