"""A simulated LAN for VRRP cores (aioquic/h11 style: wire cores together, jump the clock).

Every advert a core emits is encoded with the real codec (``packet.encode`` + the IPv4 header
keepalived builds), carried to every other running node on the same segment, parsed and decoded
there, and handed to that node's core with the TTL read from the header.  Time is integer
microseconds; nothing sleeps.  Packet loss is a predicate on (sender, receiver, time).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address

from keepalived_py.vrrp import packet
from keepalived_py.vrrp.instance import SendAdvert, StateChanged, VrrpCore
from keepalived_py.vrrp.params import InstanceParams
from keepalived_py.vrrp.state import State
from keepalived_py.vrrp.timers import to_us

MCAST4 = IPv4Address("224.0.0.18")
MCAST6 = IPv6Address("ff02::12")

LossFn = Callable[[str, str, int], bool]


@dataclass
class Node:
    name: str
    params: InstanceParams
    core: VrrpCore | None = None
    segment: int = 0

    @property
    def address(self) -> IPv4Address | IPv6Address:
        assert self.params.source_address is not None
        return self.params.source_address

    @property
    def state(self) -> State | None:
        return self.core.state if self.core is not None else None

    @property
    def running(self) -> bool:
        return self.core is not None and self.core.state is not State.STOP


@dataclass(order=True)
class _Delivery:
    time: int
    seq: int
    receiver: str = field(compare=False)
    sender: str = field(compare=False)
    data: bytes = field(compare=False)


@dataclass(frozen=True)
class Transition:
    time: int
    node: str
    old: State
    new: State


class Lan:
    def __init__(self, *, loss: LossFn | None = None, latency_us: int = 0) -> None:
        self.now = 0
        self.nodes: dict[str, Node] = {}
        self.loss = loss
        self.latency_us = latency_us
        self.history: list[Transition] = []
        self.sent: list[tuple[int, str, int]] = []  # (time, sender, priority) of every advert on the wire
        self._queue: list[_Delivery] = []
        self._seq = itertools.count()
        self._ident = itertools.count(1)
        # Called after each input a running node's core was given (advert, timer, fault change),
        # with the node's state before it: what a sync group needs to follow its members.
        self.after_input: Callable[[Node, State], None] | None = None

    # -- topology ----------------------------------------------------------------------------

    def add(self, name: str, params: InstanceParams) -> Node:
        node = Node(name, params)
        self.nodes[name] = node
        return node

    def start(self, name: str) -> None:
        """Start (or restart, as a fresh process would) the node's instance now."""
        node = self.nodes[name]
        node.core = VrrpCore(node.params)
        node.core.start(self.now / 1e6)
        self._flush(node)

    def start_core(self, name: str, core: VrrpCore) -> None:
        """Start the node with a core built by the caller (e.g. a member of a sync group)."""
        node = self.nodes[name]
        node.core = core
        core.start(self.now / 1e6)
        self._flush(node)

    def flush(self, name: str) -> None:
        """Carry out what the node's core has queued (e.g. after an order from its group)."""
        self._flush(self.nodes[name])

    def set_fault(self, name: str, fault: bool) -> None:
        node = self.nodes[name]
        assert node.core is not None
        prev = node.core.state
        node.core.set_fault(fault, self.now / 1e6)
        self._flush(node)
        self._input_done(node, prev)

    def _input_done(self, node: Node, prev: State) -> None:
        if self.after_input is not None and node.core is not None:
            self.after_input(node, prev)

    def stop(self, name: str) -> None:
        """Orderly shutdown: a master sends its priority-0 advert."""
        node = self.nodes[name]
        assert node.core is not None
        node.core.shutdown(self.now / 1e6)
        self._flush(node)

    def crash(self, name: str) -> None:
        """The node disappears without a word."""
        node = self.nodes[name]
        node.core = None

    def partition(self, *groups: tuple[str, ...]) -> None:
        for i, group in enumerate(groups, 1):
            for name in group:
                self.nodes[name].segment = i

    def heal(self) -> None:
        for node in self.nodes.values():
            node.segment = 0

    # -- observation --------------------------------------------------------------------------

    def masters(self) -> list[str]:
        return sorted(n.name for n in self.nodes.values() if n.state is State.MASTER)

    def states(self) -> dict[str, State | None]:
        return {n.name: n.state for n in self.nodes.values()}

    def transitions(self, name: str | None = None) -> list[tuple[int, str, str, str]]:
        return [
            (t.time, t.node, t.old.value, t.new.value) for t in self.history if name is None or t.node == name
        ]

    # -- running ------------------------------------------------------------------------------

    def _next_timer(self) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        for node in self.nodes.values():
            if node.core is None:
                continue
            t = node.core.get_timer()
            if t is None:
                continue
            cand = (to_us(t), node.name)
            if best is None or cand < best:
                best = cand
        return best

    def run_until(self, t_end_us: int) -> None:
        """Process every delivery and timer up to and including ``t_end_us``."""
        while True:
            timer = self._next_timer()
            delivery = self._queue[0].time if self._queue else None
            candidates = [t for t in (delivery, timer[0] if timer else None) if t is not None]
            if not candidates or min(candidates) > t_end_us:
                break
            self.now = min(candidates)
            if delivery is not None and delivery == self.now:
                self._deliver(heapq.heappop(self._queue))
            else:
                assert timer is not None
                node = self.nodes[timer[1]]
                assert node.core is not None
                prev = node.core.state
                node.core.handle_timer(self.now / 1e6)
                self._flush(node)
                self._input_done(node, prev)
        self.now = max(self.now, t_end_us)

    def run_for(self, us: int) -> None:
        self.run_until(self.now + us)

    def _flush(self, node: Node) -> None:
        if node.core is None:
            return
        for action in node.core.drain():
            if isinstance(action, StateChanged):
                self.history.append(Transition(self.now, node.name, action.old, action.new))
            elif isinstance(action, SendAdvert):
                self._transmit(node, action.adv)

    def _transmit(self, node: Node, adv: packet.Advertisement) -> None:
        self.sent.append((self.now, node.name, adv.priority))
        src = node.address
        if isinstance(src, IPv4Address):
            vrrp = packet.encode(adv, src=src, dst=MCAST4)
            data = packet.build_ipv4_packet(vrrp, src=src, dst=MCAST4, ident=next(self._ident) & 0xFFFF or 1)
        else:
            data = packet.encode(adv, src=src, dst=MCAST6)
        for other in self.nodes.values():
            if other is node or not other.running or other.segment != node.segment:
                continue
            if self.loss is not None and self.loss(node.name, other.name, self.now):
                continue
            heapq.heappush(
                self._queue,
                _Delivery(self.now + self.latency_us, next(self._seq), other.name, node.name, data),
            )

    def _deliver(self, d: _Delivery) -> None:
        node = self.nodes[d.receiver]
        if not node.running or node.core is None:
            return
        src = self.nodes[d.sender].address
        if isinstance(src, IPv4Address):
            ip = packet.parse_ipv4_packet(d.data)
            adv = packet.decode(ip.payload, src=ip.src, dst=ip.dst, family=packet.AF_INET)
            ttl = ip.ttl
            source: IPv4Address | IPv6Address = ip.src
        else:
            adv = packet.decode(d.data, src=src, dst=MCAST6, family=packet.AF_INET6)
            ttl, source = 255, src
        prev = node.core.state
        node.core.receive(adv, src=source, ttl=ttl, now=self.now / 1e6, multicast=True)
        self._flush(node)
        self._input_done(node, prev)
