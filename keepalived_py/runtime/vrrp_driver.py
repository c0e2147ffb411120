"""The asyncio driver of one VRRP instance: feed the pure core, execute its actions, one timer.

The driver makes no protocol decision (DESIGN.md, example 2): every input goes to the core with
``now=loop.time()``, then ``drain()``'s actions are executed in order through the adapters and
the single timer is re-armed from ``get_timer()``.  What it knows is how to carry an action out:
which socket and destination an advert goes to, which configured address (prefix, device,
label...) a VIP of the core stands for, on which interface a GARP goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from keepalived_py.adapters.addresses import NetlinkAddresses
from keepalived_py.adapters.garp import GarpSender
from keepalived_py.adapters.vip_filter import InstanceFilter
from keepalived_py.adapters.vrrp_socket import VrrpSocketV4, VrrpSocketV6
from keepalived_py.config.model.ip import IpAddress, Route, Rule
from keepalived_py.runtime.gratuitous import Gratuitous
from keepalived_py.runtime.vrrp_rx import AdvertMemo
from keepalived_py.runtime.vrrp_timers import LoopTimers
from keepalived_py.runtime.vrrp_tx import AdvertBytes
from keepalived_py.vrrp import packet
from keepalived_py.vrrp.checksum_compat import SWITCH_MESSAGE, ChecksumMode, UnicastChecksum
from keepalived_py.vrrp.instance import (
    Action,
    AddAddresses,
    Log,
    Notify,
    RemoveAddresses,
    SendAdvert,
    SendGratuitous,
    StateChanged,
    VrrpCore,
)
from keepalived_py.vrrp.params import IpAddr
from keepalived_py.vrrp.state import State

log = logging.getLogger(__name__)

# seconds before a timer whose handling raised is tried again
RETRY_AFTER_ERROR = 1.0


@dataclass
class AdvertPath:
    """Where and how this instance's adverts go: one socket, a source, destinations."""

    sock: VrrpSocketV4 | VrrpSocketV6
    src: IpAddr
    # The multicast group, or the unicast peers.
    destinations: tuple[IpAddr, ...]
    ttl: int = 255
    # IPsec AH (VRRPv2/IPv4): the key (auth_pass) and keepalived's one sequence counter per
    # instance, which both the adverts we send and the ones we accept move forward.
    ah_key: bytes | None = None
    unicast: bool = False
    ah_seq: int = 0
    # VRRPv3/IPv4: keepalived's old unicast checksum compatibility (checksum_compat.py).
    checksum: UnicastChecksum | None = None
    _ident: int = field(default=0, repr=False)
    # the codec's bytes for the adverts last sent, only the identification patched (vrrp_tx.py)
    _bytes: AdvertBytes = field(default_factory=AdvertBytes, repr=False, compare=False)

    def next_ident(self) -> int:
        """keepalived's IPv4 identification counter: increments, never 0."""
        self._ident = self._ident % 0xFFFF + 1
        return self._ident

    def send(self, adv: packet.Advertisement) -> int:
        """Send ``adv`` to every destination; returns how many were sent.

        One round (same identification, same AH sequence number) goes to every destination.
        """
        sent = 0
        ident = self.next_ident() if isinstance(self.sock, VrrpSocketV4) else 0
        if self.ah_key is not None:
            self.ah_seq = self.ah_seq + 1 if self.ah_seq < 0xFFFFFFFF else 1
        for dst in self.destinations:
            pseudo_dst = dst if self.checksum is None else self.checksum.pseudo_dst(dst, version=adv.version)
            msg = self._bytes.message(adv, src=self.src, dst=pseudo_dst)
            if isinstance(self.sock, VrrpSocketV4):
                assert isinstance(self.src, ipaddress.IPv4Address) and isinstance(dst, ipaddress.IPv4Address)
                ttl = 255 if dst.is_multicast else self.ttl
                if self.ah_key is not None:
                    data = packet.ah_wrap(
                        msg,
                        src=self.src,
                        dst=dst,
                        key=self.ah_key,
                        seq=self.ah_seq,
                        ident=ident,
                        ttl=ttl,
                        unicast=self.unicast,
                    )
                else:
                    data = self._bytes.ipv4(msg, src=self.src, dst=dst, ttl=ttl, ident=ident)
                sent += self.sock.send(data, dst)
            else:
                assert isinstance(self.src, ipaddress.IPv6Address) and isinstance(dst, ipaddress.IPv6Address)
                sent += self.sock.send(msg, src=self.src, dst=dst)
        return sent


class VrrpDriver:
    """Runs one ``VrrpCore`` in an asyncio loop."""

    def __init__(
        self,
        core: VrrpCore,
        *,
        loop: asyncio.AbstractEventLoop,
        path: AdvertPath,
        ifname: str,
        netlink: NetlinkAddresses,
        garp: GarpSender,
        addresses: Iterable[IpAddress] = (),
        routes: Iterable[Route] = (),
        rules: Iterable[Rule] = (),
        detail: bool = False,
        on_notify: Callable[[VrrpDriver, Notify], None] | None = None,
        gratuitous: Gratuitous | None = None,
    ) -> None:
        self.core = core
        self.loop = loop
        self.path = path
        self.ifname = ifname
        # where the VIPs and gratuitous ARPs go: the instance's VMAC with use_vmac
        self.vip_ifname = ifname
        self.netlink = netlink
        self.garp = garp
        self.detail = detail
        self.on_notify = on_notify
        # A vrrp_sync_group follows its members: after each input (advert, timer, fault,
        # priority) it is told the state the instance was in before (runtime/vrrp_sync.py).
        self.on_input: Callable[[VrrpDriver, State], None] | None = None
        # Told after the instance changed state or priority: its listener decides whether its
        # socket may be read late (runtime/rx_batch.py).
        self.on_change: Callable[[], None] | None = None
        # GARP/NA pacing is per interface for the whole process: the daemon passes its one.
        if gratuitous is None:
            forwarding = netlink.ipv6_forwarding if netlink is not None else None
            gratuitous = Gratuitous(loop, garp, ipv6_forwarding=forwarding, detail=detail)
        self.gratuitous = gratuitous
        gratuitous.register(core.name, lambda: core.state is State.MASTER and core.vipset)
        # The configured entry (prefix, dev, label...) behind each address the core names.
        self._config: dict[IpAddr, IpAddress] = {}
        for entry in addresses:
            self._config.setdefault(ipaddress.ip_address(entry.address.split("%", 1)[0]), entry)
        # virtual_routes / virtual_rules go with the addresses (AddAddresses says "all of them").
        self.routes = tuple(routes)
        self.rules = tuple(rules)
        # the core's one deadline, in the loop's shared timer queue (runtime/vrrp_timers.py)
        self._timers = LoopTimers.for_loop(loop)
        self._slot = self._timers.slot(self._on_timer)
        # the adverts last decoded for this instance (runtime/vrrp_rx.py)
        self._adverts = AdvertMemo(limit=4)
        self.history: list[StateChanged] = []
        # wall-clock time of the last state change, for the data and JSON dumps
        self.last_transition = time.time()
        # -V / --dont-release-vrrp: leave the addresses in place when stopping.
        self.keep_addresses = False
        # accept mode's nftables drop rules, for an instance that needs them (runtime/vrrp_firewall.py)
        self.firewall: InstanceFilter | None = None
        self._stopping = False
        self._failed = False

    @property
    def name(self) -> str:
        return self.core.name

    # -- inputs ----------------------------------------------------------------------------

    def start(self) -> None:
        self.core.start(self.loop.time())
        self._run()

    def receive(
        self,
        adv: packet.Advertisement,
        *,
        src: IpAddr,
        ttl: int | None,
        multicast: bool,
        now: float | None = None,
    ) -> None:
        """``now``: when the advert arrived, if it was read later (runtime/rx_batch.py)."""
        if now is None:
            now = self.loop.time()
        core = self.core
        if not self._failed and core.receive_repeat(adv, src, ttl, multicast, now):
            # a backup hearing its master again: no action, its one deadline moved (_run, spelt out)
            self._timers.set(self._slot, core.get_timer(), precise=True)
            if self.on_input is not None:
                self.on_input(self, State.BACKUP)
            return
        prev = core.state
        try:  # _guard() spelt out: this runs for every advert received
            self.core.receive(adv, src=src, ttl=ttl, now=now, multicast=multicast)
        except Exception:
            log.exception("(%s) internal error in the VRRP core (%s)", self.name, "receive")
            self._failed = True
        self._run()
        self._input_done(prev)

    def decode(self, data: bytes, *, src: IpAddr, dst: IpAddr, family: int) -> packet.Advertisement:
        """Decode an advert for this instance (its checksum rule); raises packet.DecodeError."""
        try:
            checksum = self.path.checksum
            if checksum is None or (checksum.mode is ChecksumMode.NONE and not checksum.unicast):
                # the plain codec (no checksum switch can happen): a master repeats the same bytes
                return self._adverts.decode(data, src=src, dst=dst, family=family)
            adv, switched = checksum.decode(data, src=src, dst=dst, family=family)
        except packet.DecodeError as exc:
            if exc.reason is packet.DecodeReason.CHECKSUM and family == packet.AF_INET:
                # keepalived: "Invalid VRRPv2 checksum" / "Invalid VRRPv3 checksum" (IPv6: the kernel's)
                log.info("(%s) %s", self.name, exc)
            raise
        if switched:
            log.info("(%s) %s", self.name, SWITCH_MESSAGE)
        return adv

    def rx_error(self, counter: str) -> None:
        self.core.note_rx_error(counter)

    def set_fault(self, fault: bool) -> None:
        self._timers.flush_reads()
        prev = self.core.state
        self.core.set_fault(fault, self.loop.time())
        self._run()
        self._input_done(prev)

    def address_deleted(self) -> None:
        """One of our addresses was deleted by someone else while we are master."""
        self._timers.flush_reads()
        prev = self.core.state
        self.core.address_deleted(self.loop.time())
        self._run()
        self._input_done(prev)

    def set_priority(self, total: int) -> None:
        """The tracked total priority changed (the core clamps it, owners ignore it)."""
        self._timers.flush_reads()
        prev = self.core.state
        with self._guard("priority"):
            self.core.set_effective_priority(total, self.loop.time())
        self._run()
        self._input_done(prev)
        if self.on_change is not None:
            self.on_change()  # the skew time changed with the priority

    def flush(self) -> None:
        """Carry out what the core holds after an order from the instance's sync group."""
        self._run()

    def _input_done(self, prev: State) -> None:
        if self.on_input is not None:
            self.on_input(self, prev)

    def retire(self) -> None:
        """Reload: this driver hands its instance over to a new one (resume); it does nothing more."""
        self._cancel()
        self.core.drain()

    def resume(self, previous: VrrpCore) -> None:
        """Reload: carry on from ``previous`` (VrrpCore.resume); an instance that cannot (it was
        in FAULT, or is in FAULT now) is left in INIT for the caller to start."""
        prev = self.core.state
        self.core.resume(previous, self.loop.time())
        self._run()
        if self.core.state is not prev:
            self._input_done(prev)

    def delete(self, *, notify_deleted: bool) -> None:
        """Reload: the instance is gone from the configuration.  As keepalived: a master sends
        priority 0 and removes its addresses; the notification is DELETED with notify_deleted,
        else FAULT (its old way), and none for an instance already in FAULT without it."""
        was_fault = self.core.state is State.FAULT
        priority = self.core.effective_priority
        self._stopping = True
        self.core.shutdown(self.loop.time())
        for action in self.core.drain():
            if isinstance(action, Notify):
                continue
            try:
                self._execute(action)
            except Exception:  # an adapter failure must not stop the reload
                log.exception("(%s) error carrying out %s", self.name, type(action).__name__)
        self._cancel()
        if self.on_notify is not None and (notify_deleted or not was_fault):
            self.on_notify(self, Notify("DELETED" if notify_deleted else "FAULT", priority))

    def shutdown(self) -> None:
        self._stopping = True
        self.core.shutdown(self.loop.time())
        self._run()
        self._cancel()

    def _on_timer(self) -> None:
        due = self.core.get_timer()
        if due is not None and due > self.loop.time():
            self._arm()  # the core's deadline moved later without passing through _arm
            return
        prev = self.core.state
        with self._guard("timer"):
            self.core.handle_timer(self.loop.time())
        self._run()
        self._input_done(prev)

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """A bug in the core is logged; the instance keeps running (its timer is re-armed)."""
        try:
            yield
        except Exception:
            log.exception("(%s) internal error in the VRRP core (%s)", self.name, what)
            self._failed = True

    # -- outputs ---------------------------------------------------------------------------

    def _run(self) -> None:
        changed = False
        for action in self.core.drain():
            if type(action) is StateChanged:
                changed = True
            try:
                self._execute(action)
            except Exception:  # an adapter failure must not stop the instance
                log.exception("(%s) error carrying out %s", self.name, type(action).__name__)
        self._arm()
        if changed and self.on_change is not None:
            self.on_change()

    def _cancel(self) -> None:
        self._timers.set(self._slot, None)

    def _arm(self) -> None:
        deadline = self.core.get_timer()
        if self._failed:
            # A deadline the core could not process would fire again at once, forever.
            self._failed = False
            if deadline is not None and deadline <= self.loop.time():
                deadline = self.loop.time() + RETRY_AFTER_ERROR
        # A later deadline (a backup hearing its master, every advert) is only stored: the
        # queue refreshes its entry when that reaches the top (vrrp/timer_queue.py).  A backup's
        # one deadline is a takeover: run on time, not up to 1 ms late (runtime/vrrp_timers.py).
        self._timers.set(self._slot, deadline, precise=self.core.state is State.BACKUP)

    def _execute(self, action: Action) -> None:
        if isinstance(action, SendAdvert):
            self.path.send(action.adv)
        elif isinstance(action, Log):
            if self.detail or not action.detail:
                log.info("%s", action.message)
        elif isinstance(action, StateChanged):
            self.history.append(action)
            self.last_transition = time.time()
        elif isinstance(action, AddAddresses):
            # keepalived's order: drop rules, VIPs, eVIPs, routes, rules; removal in the reverse order
            if self.firewall is not None:
                self.firewall.add()
            self._addresses(action.vips, add=True, kind="")
            self._addresses(action.evips, add=True, kind="E-")
            self._routes_rules(add=True)
        elif isinstance(action, RemoveAddresses):
            self.gratuitous.cancel(self.name)  # keepalived's vrrp_remove_delayed_arp
            if self._stopping and self.keep_addresses:
                return
            self._routes_rules(add=False)
            self._addresses(action.vips, add=False, kind="")
            self._addresses(action.evips, add=False, kind="E-")
            if self.firewall is not None:
                self.firewall.remove()
        elif isinstance(action, SendGratuitous):
            self._gratuitous(action)
        elif isinstance(action, Notify) and self.on_notify is not None:
            self.on_notify(self, action)

    def entry(self, address: IpAddr) -> IpAddress:
        found = self._config.get(address)
        if found is None:
            found = IpAddress(str(address), 32 if address.version == 4 else 128, address.version)
        return found

    def _addresses(self, addresses: tuple[IpAddr, ...], *, add: bool, kind: str) -> None:
        if not addresses:
            return
        if self.detail:
            log.info("(%s) %s %sVIPs.", self.name, "setting" if add else "removing", kind)
        for address in addresses:
            entry = self.entry(address)
            if add:
                error = self.netlink.add_address(entry, self.vip_ifname)
            else:
                error = self.netlink.remove_address(entry, self.vip_ifname)
            if error:
                log.info(
                    "(%s) cannot %s %s on %s: %s",
                    self.name,
                    "add" if add else "remove",
                    address,
                    entry.dev or self.vip_ifname,
                    error,
                )

    def _routes_rules(self, *, add: bool) -> None:
        rules = self.rules if add else tuple(reversed(self.rules))
        routes = self.routes if add else tuple(reversed(self.routes))
        if not add:
            for rule in rules:
                self._report("rule", rule, self.netlink.remove_rule(rule), add)
        for route in routes:
            error = self.netlink.add_route(route) if add else self.netlink.remove_route(route)
            self._report("route", route, error, add)
        if add:
            for rule in rules:
                self._report("rule", rule, self.netlink.add_rule(rule), add)

    def _report(self, what: str, item: object, error: str | None, add: bool) -> None:
        if error:
            log.info(
                "(%s) cannot %s virtual %s %s: %s", self.name, "add" if add else "remove", what, item, error
            )

    def _gratuitous(self, action: SendGratuitous) -> None:
        items = [(address, self.entry(address).dev or self.vip_ifname) for address in action.addresses]
        if self.vip_ifname != self.ifname:
            # our VMAC: its frames are paced as the base interface's (keepalived's IF_BASE_IFP)
            self.gratuitous.set_base(self.vip_ifname, self.ifname)
        if action.reason == "unicast-source":
            # our own address, on the base interface
            for address in action.addresses:
                self.gratuitous.immediate(self.name, address, self.entry(address).dev or self.ifname)
            return
        # keepalived's rounds: every VIP then every eVIP, ``repeat`` times, paced per interface
        self.gratuitous.link_update(self.name, items, action.repeat)


def family_of(address: IpAddr) -> int:
    return socket.AF_INET if address.version == 4 else socket.AF_INET6
