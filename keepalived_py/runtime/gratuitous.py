"""Gratuitous ARP / unsolicited NA for all instances of the VRRP process: pacing + sending.

The decisions (which frame leaves when) are ``vrrp/garp_pacing.py``'s; the frames are
``adapters/garp.py``'s.  This module feeds the pacer with ``loop.time()``, sends what it says,
logs keepalived's -D lines, and keeps the pacer's one timer armed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable, Mapping, Sequence

from keepalived_py.adapters.garp import GarpSender
from keepalived_py.vrrp.garp_pacing import GarpPacer, Pacing
from keepalived_py.vrrp.params import IpAddr

log = logging.getLogger(__name__)


class Gratuitous:
    """One per VRRP process (pacing is per interface, shared by the instances on it)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sender: GarpSender,
        *,
        pacing: Mapping[str, Pacing] | None = None,
        ipv6_forwarding: Callable[[str], bool] | None = None,
        noarp: Callable[[str], bool] | None = None,
        detail: bool = False,
    ) -> None:
        self.loop = loop
        self.sender = sender
        self.pacer = GarpPacer(pacing)
        self.detail = detail
        self._forwarding = ipv6_forwarding
        self._noarp = noarp
        self._active: dict[str, Callable[[], bool]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._deadline: float | None = None

    def register(self, owner: str, active: Callable[[], bool]) -> None:
        """An instance, in configuration order; ``active``: MASTER with its addresses set."""
        self._active[owner] = active
        self.pacer.register(owner)

    def set_base(self, ifname: str, base: str) -> None:
        """``ifname`` is a VMAC on ``base``: paced, and checked for NOARP, as ``base``."""
        self.pacer.set_base(ifname, base)

    def link_update(self, owner: str, items: Sequence[tuple[IpAddr, str]], repeat: int) -> None:
        """keepalived's vrrp_send_link_update for ``items`` (address, interface) of ``owner``."""
        for step in self.pacer.link_update(owner, items, repeat, self.loop.time()):
            if step.announce and self.detail:
                what = "gratuitous ARPs" if step.address.version == 4 else "Unsolicited Neighbour Adverts"
                log.info("(%s) Sending/queueing %s on %s for %s", owner, what, step.ifname, step.address)
            if step.send:
                self._send(step.ifname, step.address)
        self._arm()

    def immediate(self, owner: str, address: IpAddr, ifname: str) -> None:
        """Our own unicast source address after leaving FAULT (keepalived's try_up_instance)."""
        if self.detail:
            log.info(
                "%s: sending gratuitous %s for %s", owner, "ARP" if address.version == 4 else "NA", address
            )
        self.pacer.sent_immediately(address, ifname, self.loop.time())
        self._send(ifname, address)

    def cancel(self, owner: str) -> None:
        self.pacer.cancel(owner)

    def _is_active(self, owner: str) -> bool:
        found = self._active.get(owner)
        return found is not None and found()

    def _on_timer(self) -> None:
        self._timer = None
        self._deadline = None
        for due in self.pacer.handle_timer(self.loop.time(), self._is_active):
            self._send(due.ifname, due.address)
        self._arm()

    def _arm(self) -> None:
        deadline = self.pacer.get_timer()
        if deadline == self._deadline and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._deadline = deadline
        if deadline is not None:
            self._timer = self.loop.call_at(deadline, self._on_timer)

    def _send(self, ifname: str, address: IpAddr) -> None:
        if self._noarp is not None and self._noarp(self.pacer.base(ifname)):
            return  # keepalived: "If the interface doesn't support ARP, don't try sending"
        if self.detail:
            what = "gratuitous ARP" if address.version == 4 else "unsolicited Neighbour Advert"
            log.info("Sending %s on %s for %s", what, ifname, address)
        if isinstance(address, ipaddress.IPv4Address):
            ok = self.sender.send_garp(ifname, address)
        else:
            router = self._forwarding(ifname) if self._forwarding is not None else False
            ok = self.sender.send_na(ifname, address, router=router)
        if not ok:
            what = "gratuitous ARP" if address.version == 4 else "ndisc unsolicited neighbour advert"
            log.info("Error sending %s on %s for %s", what, ifname, address)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._deadline = None
