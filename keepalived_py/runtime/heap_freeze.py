"""Keep the objects built at start-up out of the cyclic garbage collector's way (``gc.freeze``).

Why: a child keeps its configuration model and what it built from it (the checkers of 1,000 real
servers, or 1,000 VRRP instances: some 70,000 objects) for its whole life, and each of Python's
full collections walks all of them: 35-45 ms on the development machine at 1,000 real servers,
during which the event loop stands still (a check due then starts late: the removals found 10-40
ms over issue #5's bound, an advert due then leaves late).  Frozen objects are skipped by every
collection; reference counting frees them as before.  Cyclic garbage among them would never be
collected, so each call first unfreezes and collects: after start-up and after each reload.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what is garbage now and freeze everything that is left (start-up, reload)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
