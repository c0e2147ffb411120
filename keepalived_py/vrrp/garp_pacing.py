"""When each gratuitous ARP / unsolicited NA goes out, as keepalived 2.2.7 spaces them (pure).

An instance's core asks for ``repeat`` rounds of gratuitous frames (``SendGratuitous``); keepalived
sends a round as one frame per VIP then per eVIP, ``repeat`` times over (vrrp.c
``vrrp_send_link_update``).  Without pacing they all leave at once.  With pacing -- the global
``vrrp_garp_interval`` / ``vrrp_gna_interval``, or a ``garp_group`` for the interface, which then
replaces the global values for it -- each interface keeps, per kind (ARP for IPv4, NA for IPv6),
the earliest time its next frame may leave (vrrp_arp.c / vrrp_ndisc.c, vrrp_scheduler.c
``vrrp_arp_thread``):

* a frame is sent at once if that interface's kind has not sent yet or its time has come; sending
  moves the time to now + interval;
* otherwise the address is marked pending.  The mark is a flag, not a count: however many rounds
  asked for it, a pending address is sent once more, which is why keepalived sends fewer frames
  than ``garp_master_repeat`` asks for when an interval is set (measured on the wire against
  keepalived 2.2.7: repeat 3 with two VIPs at 0.2 s gives .100 .100 .101, not 6 frames);
* queueing arms one timer for all interfaces at now + interval (if that is earlier than the one
  armed); when it fires, the instances are walked in configuration order, each one's VIPs then
  eVIPs, and every pending address whose interface's time has come is sent, the others wait for
  the earliest interface time;
* an instance that is no longer MASTER with its addresses set sends nothing more; leaving MASTER
  clears its pending marks (``vrrp_remove_delayed_arp``).

``GarpPacer`` keeps that state for the whole VRRP process (intervals are per interface, shared by
every instance sending on it) and tells the runtime what to send; it never sends anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from keepalived_py.vrrp.params import IpAddr
from keepalived_py.vrrp.timers import to_seconds, to_us


@dataclass(frozen=True, slots=True)
class Pacing:
    """The intervals of one interface (microseconds); None: that kind is not paced there."""

    garp_interval_us: int | None = None
    gna_interval_us: int | None = None

    def interval(self, address: IpAddr) -> int | None:
        return self.garp_interval_us if address.version == 4 else self.gna_interval_us


@dataclass(frozen=True, slots=True)
class Step:
    """One frame of a link update, in keepalived's order.

    ``announce``: the first round's frame for this address (keepalived then logs
    "Sending/queueing ..." with -D); ``send``: it leaves now (else it was queued).
    """

    address: IpAddr
    ifname: str
    announce: bool
    send: bool


@dataclass(frozen=True, slots=True)
class Due:
    """A queued frame whose time has come."""

    owner: str
    address: IpAddr
    ifname: str


Item = tuple[IpAddr, str]


def pacing_table(
    groups: Iterable[tuple[int | None, int | None, Iterable[str]]],
    *,
    global_garp_us: int,
    global_gna_us: int,
    interfaces: Iterable[str],
) -> dict[str, Pacing]:
    """Per-interface pacing from the garp_groups and the global intervals.

    ``groups``: (garp_interval, gna_interval, interfaces) of each garp_group; ``interfaces``: those
    the VRRP instances and their addresses use, which get the global intervals when no group
    names them (keepalived's set_default_garp_delay, done only if a global interval is set).
    """
    table: dict[str, Pacing] = {}
    for garp, gna, names in groups:
        for name in names:
            table.setdefault(name, Pacing(garp or None, gna or None))
    if global_garp_us or global_gna_us:
        default = Pacing(global_garp_us or None, global_gna_us or None)
        for name in interfaces:
            table.setdefault(name, default)
    return table


class GarpPacer:
    """Gratuitous ARP / NA pacing of one VRRP process; see the module docstring.

    Times in and out are monotonic seconds; inside, integer microseconds.
    """

    def __init__(self, pacing: Mapping[str, Pacing] | None = None) -> None:
        self.pacing = dict(pacing or {})
        # (interface, IP version) -> earliest time the next frame of that kind may leave
        self._next: dict[tuple[str, int], int] = {}
        # instance -> its addresses in keepalived's order (VIPs, then eVIPs), as last asked
        self._order: dict[str, list[Item]] = {}
        self._pending: dict[str, set[Item]] = {}
        # keepalived's vrrp->garp_pending / gna_pending: the instance has something queued
        self._owner_pending: set[str] = set()
        self._timer: int | None = None
        # a VMAC -> its base interface: frames leave on the VMAC, paced as the base interface
        self._base: dict[str, str] = {}

    def set_base(self, ifname: str, base: str) -> None:
        """Frames sent on ``ifname`` (a VMAC) are paced with those of ``base`` (keepalived's
        IF_BASE_IFP: the pacing belongs to the physical interface)."""
        if ifname == base:
            self._base.pop(ifname, None)
        else:
            self._base[ifname] = base

    def base(self, ifname: str) -> str:
        return self._base.get(ifname, ifname)

    def register(self, owner: str) -> None:
        """Fix the instance's place in the walk order (configuration order)."""
        self._order.setdefault(owner, [])
        self._pending.setdefault(owner, set())

    def get_timer(self) -> float | None:
        return None if self._timer is None else to_seconds(self._timer)

    def link_update(self, owner: str, items: Sequence[Item], repeat: int, now: float) -> list[Step]:
        """``repeat`` rounds over ``items`` (address, interface): what leaves now, what waits."""
        t = to_us(now)
        self.register(owner)
        if items:
            self._order[owner] = list(items)
        steps: list[Step] = []
        for round_ in range(repeat):
            for address, ifname in items:
                interval = self._interval(address, ifname)
                key = (self.base(ifname), address.version)
                due_at = self._next.get(key)
                if interval is None or due_at is None or t >= due_at:
                    steps.append(Step(address, ifname, round_ == 0, True))
                    if interval is not None:
                        self._next[key] = t + interval
                else:
                    steps.append(Step(address, ifname, round_ == 0, False))
                    self._queue(owner, (address, ifname), t + interval)
        return steps

    def sent_immediately(self, address: IpAddr, ifname: str, now: float) -> None:
        """A frame sent outside any link update (our unicast source after FAULT): it still
        restarts the interface's clock, as keepalived's *_immediate senders do."""
        interval = self._interval(address, ifname)
        if interval is not None:
            self._next[(self.base(ifname), address.version)] = to_us(now) + interval

    def cancel(self, owner: str) -> None:
        """The instance left MASTER: forget what it had queued."""
        if owner in self._pending:
            self._pending[owner].clear()
        self._owner_pending.discard(owner)

    def handle_timer(self, now: float, active: Callable[[str], bool]) -> list[Due]:
        """The pacing timer fired: the frames to send now, in keepalived's order.

        ``active(owner)``: the instance is MASTER with its addresses set.
        """
        t = to_us(now)
        if self._timer is None or t < self._timer:
            return []
        out: list[Due] = []
        earliest: int | None = None
        for owner, items in self._order.items():
            if owner not in self._owner_pending:
                continue
            self._owner_pending.discard(owner)
            if not active(owner):
                continue
            pending = self._pending[owner]
            for item in items:
                if item not in pending:
                    continue
                address, ifname = item
                interval = self._interval(address, ifname)
                if interval is None:
                    pending.discard(item)
                    continue
                key = (self.base(ifname), address.version)
                due_at = self._next.get(key, 0)
                if t >= due_at:
                    out.append(Due(owner, address, ifname))
                    pending.discard(item)
                    self._next[key] = t + interval
                else:
                    self._owner_pending.add(owner)
                    earliest = due_at if earliest is None else min(earliest, due_at)
        self._timer = earliest
        return out

    def _interval(self, address: IpAddr, ifname: str) -> int | None:
        found = self.pacing.get(self.base(ifname))
        return None if found is None else found.interval(address)

    def _queue(self, owner: str, item: Item, candidate: int) -> None:
        self._pending[owner].add(item)
        self._owner_pending.add(owner)
        if self._timer is None or candidate < self._timer:
            self._timer = candidate
