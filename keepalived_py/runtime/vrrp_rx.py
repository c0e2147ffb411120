"""The receive fast path of a listener: cheap IPv4 header split, adverts decoded once, VRID index.

With hundreds of instances on one interface the per-packet cost of the receive path is what a
backup spends its CPU on (``benchmarks/scale.py``).  Three things make it cheap without changing
what is accepted or refused:

* ``split_ipv4``: the common datagram (no options, nothing after ``total_length``) is split with
  one ``struct`` call and the source / destination objects are reused; anything else goes through
  ``packet.parse_ipv4_packet``.  Same checks (version, header length, total length, header
  checksum), same ``DecodeError``.
* ``AdvertMemo``: a master sends the same advert bytes every interval, so a decoded
  ``Advertisement`` (immutable) is kept by (source, destination, bytes) and handed out again.
  Only successful decodes are kept; the memo is emptied when it reaches its limit, so garbage
  from the network cannot make it grow.
* ``VridIndex``: the drivers of a listener by VRID, instead of a scan of all of them per packet.
* ``VridIndex.receive_v4``: an IPv4 datagram equal to one already handled (the same master sends
  the same bytes every interval; only the identification and the header checksum change) goes
  straight to the drivers with the adverts they decoded last time.  Learned only from datagrams
  every driver decoded with the plain codec (no checksum-compatibility switch, no AH, no error, no
  log line), forgotten with the index (drivers added, reload); the header checksum is still
  verified (incrementally, from the sum of the unchanged words).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

from keepalived_py.vrrp import packet

_HEADER = struct.Struct("!BBHHHBBH4s4s")
_IDENT_CSUM = struct.Struct("!4xH4xH")
_WORDS = struct.Struct("!10H")
MEMO_LIMIT = 4096


READ_LIMIT = 256
_RECV_SIZE = 65535


_STAMP = struct.Struct("@qq")
_STAMP_SPACE = socket.CMSG_SPACE(_STAMP.size)


def read_v4_stamped(sock: socket.socket, limit: int = READ_LIMIT) -> list[tuple[bytes, int | None]]:
    """``read_v4`` with each datagram's kernel receive time (``SO_TIMESTAMPNS`` on, wall clock
    in ns; None if the kernel gave none)."""
    got: list[tuple[bytes, int | None]] = []
    recvmsg = sock.recvmsg
    append = got.append
    unpack = _STAMP.unpack_from
    try:
        while len(got) < limit:
            data, ancillary, _flags, _address = recvmsg(_RECV_SIZE, _STAMP_SPACE)
            stamp = None
            for _level, _type, raw in ancillary:
                if len(raw) >= _STAMP.size:
                    seconds, nanoseconds = unpack(raw)
                    stamp = seconds * 1_000_000_000 + nanoseconds
            append((data, stamp))
    except (BlockingIOError, InterruptedError):
        pass
    return got


def read_v4(sock: socket.socket, limit: int = READ_LIMIT) -> list[bytes]:
    """The datagrams queued on a non-blocking IPv4 raw socket now, at most ``limit``
    (``adapters/vrrp_socket.drain`` without an object per datagram)."""
    got: list[bytes] = []
    recv = sock.recv
    append = got.append
    try:
        while len(got) < limit:
            append(recv(_RECV_SIZE))
    except (BlockingIOError, InterruptedError):
        pass
    return got


class _IPv4Cache:
    """IPv4Address objects by their 4 bytes (a listener sees a handful of addresses)."""

    def __init__(self, limit: int = MEMO_LIMIT) -> None:
        self._known: dict[bytes, ipaddress.IPv4Address] = {}
        self._limit = limit

    def get(self, raw: bytes) -> ipaddress.IPv4Address:
        found = self._known.get(raw)
        if found is None:
            if len(self._known) >= self._limit:
                self._known.clear()
            found = self._known[raw] = ipaddress.IPv4Address(raw)
        return found


class Splitter:
    """``split_ipv4`` with its address cache."""

    def __init__(self) -> None:
        self._addresses = _IPv4Cache()

    def split_ipv4(self, data: bytes) -> packet.IPv4Packet:
        """What ``packet.parse_ipv4_packet(data)`` returns (or raises), computed faster."""
        if len(data) < packet.IPV4_HEADER_LEN or data[0] != 0x45:
            return packet.parse_ipv4_packet(data)
        vihl, tos, total, ident, frag, ttl, proto, csum, src, dst = _HEADER.unpack_from(data)
        if total != len(data):
            return packet.parse_ipv4_packet(data)
        folded = sum(_WORDS.unpack_from(data))
        while folded >> 16:
            folded = (folded & 0xFFFF) + (folded >> 16)
        if folded != 0xFFFF:
            return packet.parse_ipv4_packet(data)  # raises the same DecodeError
        del vihl
        return packet.IPv4Packet(
            tos=tos,
            total_length=total,
            ident=ident,
            flags_fragment=frag,
            ttl=ttl,
            protocol=proto,
            checksum=csum,
            src=self._addresses.get(src),
            dst=self._addresses.get(dst),
            options=b"",
            payload=data[packet.IPV4_HEADER_LEN :],
        )


class AdvertMemo:
    """``packet.decode`` results by (source, destination, message bytes, checksum mode)."""

    def __init__(self, limit: int = MEMO_LIMIT) -> None:
        self._known: dict[tuple[bytes, bool], packet.Advertisement] = {}
        self._limit = limit

    def decode(
        self,
        data: bytes,
        *,
        src: packet.IPAddress,
        dst: packet.IPAddress,
        family: int,
        v3_checksum_as_v2: bool = False,
        addresses: bytes | None = None,
    ) -> packet.Advertisement:
        """``packet.decode`` with the same arguments; a DecodeError is raised every time.

        ``addresses``: ``src.packed + dst.packed`` when the caller has them at hand (bytes 12-20
        of an IPv4 header), to save computing them.
        """
        if addresses is None:
            addresses = src.packed + dst.packed
        key = (addresses + bytes(data), v3_checksum_as_v2)
        found = self._known.get(key)
        if found is None:
            found = packet.decode(data, src=src, dst=dst, family=family, v3_checksum_as_v2=v3_checksum_as_v2)
            if len(self._known) >= self._limit:
                self._known.clear()
            self._known[key] = found
        return found


class _Params(Protocol):
    @property
    def vrid(self) -> int: ...

    @property
    def unicast(self) -> bool: ...


class _Core(Protocol):
    @property
    def params(self) -> _Params: ...


class _Driver(Protocol):
    @property
    def core(self) -> _Core: ...

    def receive(
        self,
        adv: packet.Advertisement,
        *,
        src: packet.IPAddress,
        ttl: int | None,
        multicast: bool,
        now: float | None = None,
    ) -> None: ...


D = TypeVar("D", bound=_Driver)
_Pairs = tuple[tuple[D, packet.Advertisement], ...]


class VridIndex(Generic[D]):
    """A listener's drivers by VRID, rebuilt whenever its list of drivers changes length
    (drivers are only ever added, when the daemon builds its instances)."""

    def __init__(self, limit: int = MEMO_LIMIT) -> None:
        self._by_vrid: dict[int, list[D]] = {}
        self._size = -1
        # datagram bytes from the source address on -> (bytes 0-3, bytes 6-9, the header's sum
        # without the identification and the checksum, (driver, advert) pairs, source, TTL, multicast)
        self._seen: dict[bytes, tuple[bytes, bytes, int, _Pairs[D], packet.IPv4Address, int, bool]] = {}
        self._limit = limit

    def get(self, drivers: Sequence[D], vrid: int) -> list[D]:
        if len(drivers) != self._size:
            self._by_vrid = {}
            self._seen = {}
            for driver in drivers:
                self._by_vrid.setdefault(driver.core.params.vrid, []).append(driver)
            self._size = len(drivers)
        return self._by_vrid.get(vrid, [])

    def receive_v4(self, drivers: Sequence[D], data: bytes, now: float | None = None) -> bool:
        """Hand a datagram seen before to its drivers; False (nothing done) if it is new.

        ``now``: when it arrived, if it was read later (runtime/rx_batch.py)."""
        found = self._seen.get(data[12:])
        if found is None or len(drivers) != self._size:
            return False
        head, middle, partial, pairs, src, ttl, multicast = found
        if data[:4] != head or data[6:10] != middle:
            return False
        ident, checksum = _IDENT_CSUM.unpack_from(data)
        total = partial + ident + checksum
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        if total != 0xFFFF:
            return False  # the codec's path refuses it as before
        for driver, adv in pairs:
            driver.receive(adv, src=src, ttl=ttl, multicast=multicast, now=now)
        return True

    def learn_v4(
        self,
        data: bytes,
        pairs: Sequence[tuple[D, packet.Advertisement]],
        ip: packet.IPv4Packet,
        multicast: bool,
    ) -> None:
        """What the codec's path did with ``data`` (a plain IPv4 VRRP datagram, every driver's
        decode a success without a log line), for ``receive_v4``."""
        if not pairs or ip.options or len(data) < packet.IPV4_HEADER_LEN:
            return
        words = _WORDS.unpack_from(data)
        partial = sum(words) - words[2] - words[5]
        if len(self._seen) >= self._limit:
            self._seen.clear()
        self._seen[data[12:]] = (data[:4], data[6:10], partial, tuple(pairs), ip.src, ip.ttl, multicast)
