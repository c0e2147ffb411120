"""Address events from rtnetlink messages (RTM_NEWADDR / RTM_DELADDR), parsed without pyroute2.

The link watch reads the route netlink multicast groups to learn that something changed.  Two
things need more than "something changed": ``-a`` (keepalived logs every address added or
removed: "Netlink reflector reports IP ... added to / removed from ..."), and noticing that one
of our VIPs was deleted by hand while we are master (keepalived then leaves MASTER and comes
back after the skew time, re-adding it).  The messages are small and fixed in layout, so a
struct-based reader is cheaper than building pyroute2 objects for every event.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RTM_NEWADDR = 20
RTM_DELADDR = 21
IFA_ADDRESS = 1
IFA_LOCAL = 2
_NLMSG = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
_RTA = struct.Struct("=HH")


@dataclass(frozen=True, slots=True)
class AddressEvent:
    added: bool
    ifindex: int
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    prefixlen: int


def _align(n: int) -> int:
    return (n + 3) & ~3


def parse_address_events(data: bytes) -> list[AddressEvent]:
    """The address events in one netlink datagram; anything else (links, garbage) is skipped."""
    events: list[AddressEvent] = []
    offset = 0
    while offset + _NLMSG.size <= len(data):
        length, mtype, _flags, _seq, _pid = _NLMSG.unpack_from(data, offset)
        if length < _NLMSG.size or offset + length > len(data):
            break
        if mtype in (RTM_NEWADDR, RTM_DELADDR) and length >= _NLMSG.size + _IFADDRMSG.size:
            body = offset + _NLMSG.size
            family, prefixlen, _f, _scope, index = _IFADDRMSG.unpack_from(data, body)
            found = _address(data, body + _IFADDRMSG.size, offset + length, family)
            if found is not None:
                events.append(AddressEvent(mtype == RTM_NEWADDR, index, found, prefixlen))
        offset += _align(length)
    return events


def _address(
    data: bytes, start: int, end: int, family: int
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """IFA_LOCAL (the address itself, on point-to-point links too), else IFA_ADDRESS."""
    size = 4 if family == socket.AF_INET else 16 if family == socket.AF_INET6 else 0
    if not size:
        return None
    found: dict[int, bytes] = {}
    pos = start
    while pos + _RTA.size <= end:
        rta_len, rta_type = _RTA.unpack_from(data, pos)
        if rta_len < _RTA.size or pos + rta_len > end:
            break
        if rta_type in (IFA_ADDRESS, IFA_LOCAL) and rta_len - _RTA.size == size:
            found[rta_type] = data[pos + _RTA.size : pos + rta_len]
        pos += _align(rta_len)
    raw = found.get(IFA_LOCAL) or found.get(IFA_ADDRESS)
    if raw is None:
        return None
    return ipaddress.IPv4Address(raw) if size == 4 else ipaddress.IPv6Address(raw)


RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100


class AddressWatch:
    """A route netlink socket subscribed to address changes, read from the asyncio loop."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 0)
        try:
            self.sock.setblocking(False)
            self.sock.bind((0, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR))
        except BaseException:
            self.sock.close()
            raise
        self._loop: Any = None

    def attach(self, loop: Any, on_events: Callable[[list[AddressEvent]], None]) -> None:
        def readable() -> None:
            events: list[AddressEvent] = []
            while True:
                try:
                    data = self.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # ENOBUFS: events were lost; the callers re-check the kernel anyway
                    continue
                events.extend(parse_address_events(data))
            if events:
                on_events(events)

        self._loop = loop
        loop.add_reader(self.sock.fileno(), readable)

    def close(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self.sock.fileno())
            self._loop = None
        self.sock.close()
