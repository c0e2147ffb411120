"""Raw VRRP sockets (IP protocol 112), IPv4 and IPv6, non-blocking, for an asyncio loop.

Thin on purpose: these classes open and configure the sockets the way keepalived does (see the
keepalived inventory, section 3.13) and move bytes.  They decide nothing: the codec
(``vrrp/packet.py``) builds and parses the messages, the runtime decides what to send and what a
received packet means.

IPv4: one socket with ``IP_HDRINCL``: the caller hands over a whole IP packet
(``packet.build_ipv4_packet``), and receives whole IP packets (header included, so the TTL and
the destination are in the bytes).  IPv6: the kernel builds the header; it computes and checks the
VRRP checksum (``IPV6_CHECKSUM`` at offset 6), hop limit 255, traffic class 0xC0; the hop limit
and destination of received packets come as ancillary data.

Both sockets are bound to their interface (``SO_BINDTODEVICE``), do not loop their multicast
back, and join the VRRP group on the interface unless ``group`` is None (unicast only).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

IPPROTO_VRRP = 112
VRRP_GROUP_V4 = ipaddress.IPv4Address("224.0.0.18")
VRRP_GROUP_V6 = ipaddress.IPv6Address("ff02::12")
# keepalived's VRRP traffic class / TOS (internetwork control)
TCLASS_VRRP = 0xC0
VRRP_HOP_LIMIT = 255
_RECV_SIZE = 65535
_ANC_SIZE = socket.CMSG_SPACE(struct.calcsize("16sI")) + socket.CMSG_SPACE(struct.calcsize("i"))

# Linux values Python does not always export.
_IPV6_RECVHOPLIMIT = getattr(socket, "IPV6_RECVHOPLIMIT", 51)
_IPV6_HOPLIMIT = getattr(socket, "IPV6_HOPLIMIT", 52)
_IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
_IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)
_IPV6_CHECKSUM = getattr(socket, "IPV6_CHECKSUM", 7)
_IPV6_TCLASS = getattr(socket, "IPV6_TCLASS", 67)
_SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


@dataclass(frozen=True, slots=True)
class ReceivedV4:
    """A whole IPv4 packet as the kernel delivered it (header included)."""

    packet: bytes
    ifindex: int


@dataclass(frozen=True, slots=True)
class ReceivedV6:
    """A VRRP message received over IPv6 (the kernel removed the header and checked the checksum)."""

    payload: bytes
    src: ipaddress.IPv6Address
    dst: ipaddress.IPv6Address | None
    hop_limit: int
    ifindex: int


def _bind_device(sock: socket.socket, ifname: str) -> None:
    sock.setsockopt(socket.SOL_SOCKET, _SO_BINDTODEVICE, ifname.encode() + b"\0")


class _RawSocket:
    """Common part: the socket, its interface, an asyncio reader."""

    def __init__(self, sock: socket.socket, ifname: str) -> None:
        self.sock = sock
        self.ifname = ifname
        self.ifindex = socket.if_nametoindex(ifname)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_readable: Callable[[], None] | None = None
        self._watched = False
        self.send_errors = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def attach(self, loop: asyncio.AbstractEventLoop, on_readable: Callable[[], None]) -> None:
        """Call ``on_readable`` from ``loop`` whenever packets wait (it should drain with recv())."""
        self._loop = loop
        self._on_readable = on_readable
        loop.add_reader(self.sock.fileno(), on_readable)
        self._watched = True

    def watch(self, on: bool) -> None:
        """Stop (or start again) calling ``on_readable``: the owner reads the socket on its own
        schedule meanwhile (runtime/rx_batch.py)."""
        if self._loop is None or self._on_readable is None or on == self._watched:
            return
        if on:
            self._loop.add_reader(self.sock.fileno(), self._on_readable)
        else:
            self._loop.remove_reader(self.sock.fileno())
        self._watched = on

    def receive_buffer(self) -> int:
        """The socket's receive buffer in bytes, as the kernel counts it (SO_RCVBUF)."""
        return int(self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))

    def stamp_arrivals(self) -> None:
        """Have the kernel's receive time (SO_TIMESTAMPNS) come with every datagram read by recvmsg."""
        self.sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)

    def close(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self.sock.fileno())
            self._loop = None
        self.sock.close()


class VrrpSocketV4(_RawSocket):
    """IPv4 raw socket for protocol 112 (or 51 for AH), IP_HDRINCL, bound to ``ifname``."""

    def __init__(
        self,
        ifname: str,
        *,
        group: ipaddress.IPv4Address | None = VRRP_GROUP_V4,
        protocol: int = IPPROTO_VRRP,
        rcvbuf: int | None = None,
    ) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, protocol)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
            _bind_device(sock, ifname)
            super().__init__(sock, ifname)
            mreqn = struct.pack("4s4si", (group or VRRP_GROUP_V4).packed, b"\0" * 4, self.ifindex)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, VRRP_HOP_LIMIT)
            if group is not None:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
            if rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        except BaseException:
            sock.close()
            raise
        self.group = group

    def send(self, packet: bytes, dst: ipaddress.IPv4Address) -> bool:
        """Send a whole IPv4 packet (its header says the destination too); False if not sent."""
        try:
            self.sock.sendto(packet, (str(dst), 0))
        except OSError:
            self.send_errors += 1
            return False
        return True

    def recv(self) -> ReceivedV4 | None:
        """The next queued packet, or None when nothing waits."""
        try:
            data = self.sock.recv(_RECV_SIZE)  # the header says the source: no address to format
        except (BlockingIOError, InterruptedError):
            return None
        return ReceivedV4(data, self.ifindex)


def _pktinfo(src: ipaddress.IPv6Address, ifindex: int) -> tuple[int, int, bytes]:
    return (socket.IPPROTO_IPV6, _IPV6_PKTINFO, struct.pack("16sI", src.packed, ifindex))


class VrrpSocketV6(_RawSocket):
    """IPv6 raw socket for protocol 112 bound to ``ifname``; the kernel does the checksum."""

    def __init__(
        self,
        ifname: str,
        *,
        group: ipaddress.IPv6Address | None = VRRP_GROUP_V6,
        unicast_hops: int = VRRP_HOP_LIMIT,
        rcvbuf: int | None = None,
    ) -> None:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_VRRP)
        try:
            sock.setblocking(False)
            _bind_device(sock, ifname)
            super().__init__(sock, ifname)
            sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_CHECKSUM, 6)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, self.ifindex)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, VRRP_HOP_LIMIT)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, unicast_hops)
            sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_TCLASS, TCLASS_VRRP)
            sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVHOPLIMIT, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVPKTINFO, 1)
            if group is not None:
                mreq = struct.pack("16sI", group.packed, self.ifindex)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
            if rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        except BaseException:
            sock.close()
            raise
        self.group = group

    def send(self, payload: bytes, *, src: ipaddress.IPv6Address, dst: ipaddress.IPv6Address) -> bool:
        """Send a VRRP message from ``src`` (normally the link-local address) to ``dst``."""
        try:
            self.sock.sendmsg([payload], [_pktinfo(src, self.ifindex)], 0, (str(dst), 0, 0, self.ifindex))
        except OSError:
            self.send_errors += 1
            return False
        return True

    def recv(self) -> ReceivedV6 | None:
        """The next queued message with its source, destination and hop limit, or None."""
        try:
            data, ancdata, _flags, addr = self.sock.recvmsg(_RECV_SIZE, _ANC_SIZE)
        except (BlockingIOError, InterruptedError):
            return None
        hop_limit = -1
        dst: ipaddress.IPv6Address | None = None
        ifindex = self.ifindex
        for level, kind, value in ancdata:
            if level != socket.IPPROTO_IPV6:
                continue
            if kind == _IPV6_HOPLIMIT and len(value) >= 4:
                hop_limit = struct.unpack("i", value[:4])[0]
            elif kind == _IPV6_PKTINFO and len(value) >= 20:
                raw, ifindex = struct.unpack("16sI", value[:20])
                dst = ipaddress.IPv6Address(raw)
        src = ipaddress.IPv6Address(str(addr[0]).split("%", 1)[0])
        return ReceivedV6(data, src, dst, hop_limit, ifindex)


def drain(sock: VrrpSocketV4 | VrrpSocketV6, limit: int = 256) -> list[ReceivedV4 | ReceivedV6]:
    """Everything queued on ``sock`` now (at most ``limit`` packets, so one wake-up stays short)."""
    got: list[ReceivedV4 | ReceivedV6] = []
    while len(got) < limit:
        item = sock.recv()
        if item is None:
            break
        got.append(item)
    return got
