"""Addresses and links through netlink: add/remove VIPs, read link state, routes and rules.

Thin: the runtime says which address to add or remove on which interface; this module turns
that into one netlink request and reports what the kernel answered.  "Already there" on add and
"not there" on remove count as done (keepalived does not fail on them either).

Calls are synchronous; a netlink request to the local kernel takes well under a millisecond.
Adding and removing VIPs is on the failover path, so those two requests are encoded here
(``encode_address_request``, cached per address and interface) and sent on a plain rtnetlink
socket from the caller's thread: the kernel handles an address request inside ``send`` and
the ack is queued when it returns.  The rest (link and address dumps, routes, rules) goes
through pyroute2: its synchronous IPRoute runs an event loop of its own, which cannot run
inside the daemon's asyncio loop, so that socket lives in one worker thread and each call
waits for its answer there (a thread hop and pyroute2's machinery, ~0.8 ms a request).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import ipaddress
import os
import socket
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from keepalived_py.adapters.netlink_acks import NLMSGHDR, AckedRequests, attr, patch_seq
from keepalived_py.config.model.ip import INFINITY_LIFE_TIME, RTPROT_KEEPALIVED, IpAddress, Route, Rule

# IFA_F_* flags (linux/if_addr.h)
IFA_F_NODAD = 0x02
IFA_F_HOMEADDRESS = 0x10
IFA_F_PERMANENT = 0x80
IFA_F_MANAGETEMPADDR = 0x100
IFA_F_NOPREFIXROUTE = 0x200
IFA_F_MCAUTOJOIN = 0x400
IFF_UP = 0x1
IFF_RUNNING = 0x40
IFF_NOARP = 0x80
T = TypeVar("T")

# netlink / rtnetlink numbers (linux/netlink.h, linux/rtnetlink.h, linux/if_addr.h)
_NETLINK_ROUTE = 0
RTM_NEWADDR = 20
RTM_DELADDR = 21
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_LABEL = 3
IFA_BROADCAST = 4
IFA_CACHEINFO = 6
IFA_FLAGS = 8
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefix length, flags, scope, ifindex
_REQUEST_CACHE_SIZE = 4096
_SIOCGIFINDEX = 0x8933  # linux/sockios.h
_IFNAMSIZ = 16
_IFREQ_INDEX = struct.Struct("=16si20x")  # struct ifreq: name, ifr_ifindex, rest of the union


def encode_address_request(ip: IpAddress, index: int, *, add: bool) -> bytes:
    """RTM_NEWADDR (create, exclusive) or RTM_DELADDR for ``ip`` on ``index``, with an ack asked for.

    Sequence number and port are 0 (the sender patches the sequence number).  The attributes
    are those ``ip addr add`` sends: IFA_LOCAL is the address itself (IFA_ADDRESS is the peer
    when there is one; IPv6 without a peer needs only IFA_ADDRESS), broadcast and label are
    IPv4 only, flags beyond ifa_flags' 8 bits go in IFA_FLAGS (ifa_flags stays 0), and an
    IPv6 preferred lifetime comes as IFA_CACHEINFO with an infinite valid lifetime.  A
    removal carries the addresses and prefix length only, which is what the kernel matches.
    """
    family = socket.AF_INET if ip.family == 4 else socket.AF_INET6
    local = socket.inet_pton(family, ip.address)
    attrs = [attr(IFA_ADDRESS, socket.inet_pton(family, ip.peer) if ip.peer else local)]
    if ip.peer or ip.family == 4:
        attrs.append(attr(IFA_LOCAL, local))
    if add:
        if ip.family == 4 and ip.broadcast:
            attrs.append(attr(IFA_BROADCAST, socket.inet_pton(family, ip.broadcast)))
        if ip.family == 4 and ip.label:
            attrs.append(attr(IFA_LABEL, ip.label.encode() + b"\0"))
        flags = 0
        if ip.family == 6:
            # keepalived adds every IPv6 VIP without DAD: usable at once, and a split brain
            # cannot leave it "dadfailed" forever (vrrp_ipaddress.c).
            flags |= IFA_F_NODAD
            flags |= IFA_F_HOMEADDRESS if ip.home else 0
            flags |= IFA_F_MANAGETEMPADDR if ip.mngtmpaddr else 0
        flags |= IFA_F_NOPREFIXROUTE if ip.noprefixroute else 0
        flags |= IFA_F_MCAUTOJOIN if ip.autojoin else 0
        if flags:
            attrs.append(attr(IFA_FLAGS, struct.pack("=I", flags)))
        if ip.family == 6 and ip.preferred_lft is not None and ip.preferred_lft != INFINITY_LIFE_TIME:
            # preferred_lft 0 marks the VIP deprecated (never chosen as a source address)
            cacheinfo = struct.pack("=IIII", ip.preferred_lft, INFINITY_LIFE_TIME, 0, 0)
            attrs.append(attr(IFA_CACHEINFO, cacheinfo))
    body = _IFADDRMSG.pack(family, ip.prefix_len, 0, ip.scope if add else 0, index) + b"".join(attrs)
    if add:
        kind, flags = RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    else:
        kind, flags = RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), kind, flags, 0, 0) + body


def _complaint(code: int) -> str:
    """The kernel's errno as pyroute2's NetlinkError printed it: ``(17, 'File exists')``."""
    return str((code, os.strerror(code)))


_RULE_ACTIONS = {
    "table": "FR_ACT_TO_TBL",
    "goto": "FR_ACT_GOTO",
    "nop": "FR_ACT_NOP",
    "blackhole": "FR_ACT_BLACKHOLE",
    "unreachable": "FR_ACT_UNREACHABLE",
    "prohibit": "FR_ACT_PROHIBIT",
}


@dataclass(frozen=True, slots=True)
class LinkState:
    ifindex: int
    name: str
    up: bool  # administratively up (IFF_UP)
    running: bool  # carrier (IFF_RUNNING)
    noarp: bool
    mac: bytes
    mtu: int


class NetlinkAddresses:
    """One IPRoute socket (in its worker thread) and one raw rtnetlink socket for VIPs."""

    def __init__(self) -> None:
        self._raw = AckedRequests.open(_NETLINK_ROUTE)
        self._requests: dict[tuple[IpAddress, int, bool], bytearray] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netlink")
        self._ipr: Any = self._call(IPRoute)

    def _call(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return self._pool.submit(fn, *args, **kw).result()

    def _nl(self, method: str, *args: Any, **kw: Any) -> Any:
        """One IPRoute request, made in the netlink thread."""
        return self._call(getattr(self._ipr, method), *args, **kw)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._ipr.close)
        self._pool.shutdown(wait=True)
        self._raw.close()

    def ifindex(self, ifname: str) -> int | None:
        """The interface's index now (never cached: an interface may be deleted and made again).

        SIOCGIFINDEX on the socket already open: libc's if_nametoindex opens and closes a
        socket around the same ioctl, ~40 us when the daemon wakes up for a failover.
        """
        name = os.fsencode(ifname)
        if not name or len(name) >= _IFNAMSIZ or b"\0" in name:
            return None
        try:
            answer = fcntl.ioctl(self._raw.fileno(), _SIOCGIFINDEX, _IFREQ_INDEX.pack(name, 0))
        except (OSError, ValueError):  # no such interface; ValueError: closed
            return None
        index: int = _IFREQ_INDEX.unpack(answer)[1]
        return index

    def link(self, ifname: str) -> LinkState | None:
        index = self.ifindex(ifname)
        if index is None:
            return None
        try:
            msg = self._nl("get_links", index)[0]
        except (NetlinkError, IndexError):
            return None
        flags = int(msg["flags"])
        mac = msg.get("IFLA_ADDRESS") or "00:00:00:00:00:00"
        return LinkState(
            ifindex=index,
            name=str(msg.get("IFLA_IFNAME") or ifname),
            up=bool(flags & IFF_UP),
            running=bool(flags & IFF_RUNNING),
            noarp=bool(flags & IFF_NOARP),
            mac=bytes.fromhex(str(mac).replace(":", "")),
            mtu=int(msg.get("IFLA_MTU") or 0),
        )

    def addresses(self, ifname: str, family: int | None = None) -> list[tuple[str, int]]:
        """(address, prefix length) on ``ifname`` in the kernel's order (primary first)."""
        index = self.ifindex(ifname)
        if index is None:
            return []
        kw: dict[str, Any] = {"index": index}
        if family is not None:
            kw["family"] = socket.AF_INET if family == 4 else socket.AF_INET6
        try:
            msgs = self._nl("get_addr", **kw)
        except NetlinkError:
            return []
        return [(str(m.get("IFA_ADDRESS")), int(m["prefixlen"])) for m in msgs if m.get("IFA_ADDRESS")]

    def primary_ipv4(self, ifname: str) -> ipaddress.IPv4Address | None:
        for addr, _plen in self.addresses(ifname, 4):
            return ipaddress.IPv4Address(addr)
        return None

    def link_local_ipv6(self, ifname: str) -> ipaddress.IPv6Address | None:
        for addr, _plen in self.addresses(ifname, 6):
            a = ipaddress.IPv6Address(addr)
            if a.is_link_local:
                return a
        return None

    def has_address(self, ifname: str, address: str) -> bool:
        want = ipaddress.ip_address(address)
        return any(ipaddress.ip_address(a) == want for a, _ in self.addresses(ifname))

    def _address_request(self, ip: IpAddress, ifname: str, *, add: bool) -> bytearray | None:
        """The encoded request for ``ip`` (sequence number to be patched), None without interface."""
        index = self.ifindex(ip.dev or ifname)
        if index is None:
            return None
        key = (ip, index, add)
        request = self._requests.get(key)
        if request is None:
            if len(self._requests) >= _REQUEST_CACHE_SIZE:
                self._requests.clear()
            request = self._requests[key] = bytearray(encode_address_request(ip, index, add=add))
        return request

    def _address_call(self, request: bytearray) -> int:
        """Send one address request on the raw socket, in the caller's thread; the kernel's errno
        (ETIMEDOUT when it never answered)."""
        try:
            return self._raw.call(lambda seq: patch_seq(request, seq))
        except OSError as exc:
            return exc.errno or errno.EIO

    def add_address(self, ip: IpAddress, ifname: str) -> str | None:
        """Add ``ip`` (on ``ip.dev`` or ``ifname``); None when done, else the kernel's complaint."""
        request = self._address_request(ip, ifname, add=True)
        if request is None:
            return f"no interface {ip.dev or ifname}"
        code = self._address_call(request)
        return None if code in (0, errno.EEXIST) else _complaint(code)

    def remove_address(self, ip: IpAddress, ifname: str) -> str | None:
        """Remove ``ip``; None when done (or when it was not there), else the kernel's complaint."""
        request = self._address_request(ip, ifname, add=False)
        if request is None:
            return None
        code = self._address_call(request)
        return None if code in (0, errno.EADDRNOTAVAIL, errno.ENODEV, errno.ENOENT) else _complaint(code)

    # -- routes and rules (virtual_routes / virtual_rules) ---------------------------------

    def _route_args(self, route: Route, *, delete: bool) -> dict[str, Any] | str:
        kw: dict[str, Any] = {"family": socket.AF_INET if route.family == 4 else socket.AF_INET6}
        if route.dst.address is not None:
            kw["dst"] = f"{route.dst.address}/{route.dst.prefix_len}"
        else:
            kw["dst_len"] = 0
        kw["table"] = route.table
        kw["proto"] = route.protocol if route.protocol is not None else RTPROT_KEEPALIVED
        if not delete or route.type != 1:
            kw["type"] = route.type
        if route.scope is not None:
            kw["scope"] = route.scope
        if route.via:
            kw["gateway"] = route.via
        if route.pref_src:
            kw["prefsrc"] = route.pref_src
        if route.src is not None and route.src.address is not None:
            kw["src"], kw["src_len"] = route.src.address, route.src.prefix_len
        if route.dev:
            index = self.ifindex(route.dev)
            if index is None:
                return f"no interface {route.dev}"
            kw["oif"] = index
        if route.metric is not None:
            kw["priority"] = route.metric
        if route.tos is not None:
            kw["tos"] = route.tos
        if route.onlink:
            kw["flags"] = 4  # RTNH_F_ONLINK
        if route.realms is not None:
            kw["flow"] = route.realms
        if route.metrics:
            kw["metrics"] = {f"RTAX_{name.upper()}": value for name, value in route.metrics}
        if route.nexthops:
            hops = []
            for hop in route.nexthops:
                h: dict[str, Any] = {}
                if hop.via:
                    h["gateway"] = hop.via
                if hop.dev:
                    index = self.ifindex(hop.dev)
                    if index is None:
                        return f"no interface {hop.dev}"
                    h["oif"] = index
                if hop.weight is not None:
                    h["hops"] = hop.weight - 1
                if hop.onlink:
                    h["flags"] = 4
                hops.append(h)
            kw["multipath"] = hops
        return kw

    def add_route(self, route: Route) -> str | None:
        """Add a virtual route; None when done (also when it was there), else the complaint."""
        kw = self._route_args(route, delete=False)
        if isinstance(kw, str):
            return kw
        command = "append" if route.mode == "append" else "add"
        try:
            self._nl("route", command, **kw)
        except NetlinkError as exc:
            return None if exc.code == errno.EEXIST else f"{exc}"
        return None

    def remove_route(self, route: Route) -> str | None:
        kw = self._route_args(route, delete=True)
        if isinstance(kw, str):
            return None
        try:
            self._nl("route", "del", **kw)
        except NetlinkError as exc:
            return None if exc.code in (errno.ESRCH, errno.ENOENT, errno.ENODEV) else f"{exc}"
        return None

    def _rule_args(self, rule: Rule) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "family": socket.AF_INET if rule.family == 4 else socket.AF_INET6,
            "action": _RULE_ACTIONS.get(rule.action, "FR_ACT_TO_TBL"),
        }
        if rule.priority:
            kw["priority"] = rule.priority
        if rule.table is not None:
            kw["table"] = rule.table
        if rule.goto_target is not None:
            kw["goto"] = rule.goto_target
        for prefix, name in ((rule.from_addr, "src"), (rule.to_addr, "dst")):
            if prefix is not None:
                if prefix.address is not None:
                    kw[name] = prefix.address
                kw[f"{name}_len"] = prefix.prefix_len
        if rule.invert:
            kw["flags"] = 2  # FIB_RULE_INVERT
        for name in ("tos", "fwmark", "fwmask", "realms"):
            value = getattr(rule, name)
            if value is not None:
                kw["flow" if name == "realms" else name] = value
        if rule.suppress_prefix_len is not None:
            kw["suppress_prefixlen"] = rule.suppress_prefix_len
        if rule.suppress_group is not None:
            kw["suppress_ifgroup"] = rule.suppress_group
        if rule.iif:
            kw["iifname"] = rule.iif
        if rule.oif:
            kw["oifname"] = rule.oif
        if rule.l3mdev:
            kw["l3mdev"] = 1
        if rule.protocol is not None:
            kw["protocol"] = rule.protocol
        if rule.ip_proto is not None:
            kw["ip_proto"] = rule.ip_proto
        return kw

    def add_rule(self, rule: Rule) -> str | None:
        try:
            self._nl("rule", "add", **self._rule_args(rule))
        except NetlinkError as exc:
            return None if exc.code == errno.EEXIST else f"{exc}"
        return None

    def remove_rule(self, rule: Rule) -> str | None:
        try:
            self._nl("rule", "del", **self._rule_args(rule))
        except NetlinkError as exc:
            return None if exc.code in (errno.ENOENT, errno.ESRCH) else f"{exc}"
        return None

    def ipv6_forwarding(self, ifname: str) -> bool:
        """Whether IPv6 forwarding is on for ``ifname`` (sets the Router flag of unsolicited NAs)."""
        try:
            with open(f"/proc/sys/net/ipv6/conf/{ifname}/forwarding", encoding="ascii") as f:
                return f.read().strip() == "1"
        except OSError:
            return False


# rtnetlink multicast groups (linux/rtnetlink.h, the legacy bit masks)
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100


class LinkWatch:
    """A netlink socket subscribed to link and address changes, read from the asyncio loop.

    It does not parse the messages: each wake-up means "something changed", and the caller
    reads the current state through ``NetlinkAddresses`` (one source of truth, no event replay).
    """

    def __init__(self, groups: int = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_ROUTE)
        try:
            self.sock.setblocking(False)
            self.sock.bind((0, groups))
        except BaseException:
            self.sock.close()
            raise
        self._loop: Any = None

    def attach(self, loop: Any, on_change: Callable[[], None]) -> None:
        def readable() -> None:
            if self.drain():
                on_change()

        self._loop = loop
        loop.add_reader(self.sock.fileno(), readable)

    def drain(self) -> int:
        """Discard what is queued; returns how many messages there were."""
        count = 0
        while True:
            try:
                self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return count
            except OSError:  # ENOBUFS: events were lost, which still means "changed"
                return count + 1
            count += 1

    def close(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self.sock.fileno())
            self._loop = None
        self.sock.close()
