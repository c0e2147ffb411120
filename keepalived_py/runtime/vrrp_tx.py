"""The send fast path of an instance: its advert's bytes built once, only the IPv4 ident patched.

A master sends the same advert every interval: the same VRRP message (``packet.encode``) and the
same IPv4 header (``packet.build_ipv4_packet``) except for keepalived's identification counter,
which changes the header checksum.  ``AdvertBytes`` keeps the message and a header template per
(advert, source, destination) and patches the identification and the checksum (RFC 1624
incremental update), giving byte for byte what the codec builds.
"""

from __future__ import annotations

import struct

from keepalived_py.vrrp import packet

_WORD = struct.Struct("!H")
_LIMIT = 8


def _fold(total: int) -> int:
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


class AdvertBytes:
    """Remembered encodings of the last few adverts of one instance."""

    def __init__(self) -> None:
        self._messages: dict[tuple[packet.Advertisement, packet.IPAddress, packet.IPAddress], bytes] = {}
        # (message, src, dst, ttl) -> the header's bytes around the identification and the
        # checksum (the tail ends with the message), and the header's sum without the identification
        self._headers: dict[
            tuple[bytes, packet.IPv4Address, packet.IPv4Address, int], tuple[bytes, bytes, bytes, int]
        ] = {}
        self._last_message: tuple[packet.Advertisement, packet.IPAddress, packet.IPAddress, bytes] | None = (
            None
        )
        self._last_header: (
            tuple[bytes, packet.IPv4Address, packet.IPv4Address, int, tuple[bytes, bytes, bytes, int]] | None
        ) = None

    def message(self, adv: packet.Advertisement, *, src: packet.IPAddress, dst: packet.IPAddress) -> bytes:
        """``packet.encode(adv, src=src, dst=dst)``."""
        last = self._last_message
        if last is not None and last[0] is adv and last[1] is src and last[2] is dst:
            return last[3]  # the same objects as last time: no hashing at all
        key = (adv, src, dst)
        found = self._messages.get(key)
        if found is None:
            if len(self._messages) >= _LIMIT:
                self._messages.clear()
            found = self._messages[key] = packet.encode(adv, src=src, dst=dst)
        self._last_message = (adv, src, dst, found)
        return found

    def ipv4(
        self,
        msg: bytes,
        *,
        src: packet.IPv4Address,
        dst: packet.IPv4Address,
        ttl: int,
        ident: int,
    ) -> bytes:
        """``packet.build_ipv4_packet(msg, src=src, dst=dst, ttl=ttl, ident=ident)``."""
        if not 0 <= ident <= 0xFFFF:
            raise ValueError(f"ident must be in 0..65535, not {ident}")
        last = self._last_header
        if last is not None and last[0] is msg and last[1] is src and last[2] is dst and last[3] == ttl:
            found = last[4]
        else:
            found = self._header(msg, src, dst, ttl)
            self._last_header = (msg, src, dst, ttl, found)
        head, middle, tail, partial = found
        checksum = ~_fold(partial + ident) & 0xFFFF
        return head + _WORD.pack(ident) + middle + _WORD.pack(checksum) + tail

    def _header(
        self, msg: bytes, src: packet.IPv4Address, dst: packet.IPv4Address, ttl: int
    ) -> tuple[bytes, bytes, bytes, int]:
        key = (msg, src, dst, ttl)
        found = self._headers.get(key)
        if found is None:
            template = packet.build_ipv4_packet(msg, src=src, dst=dst, ttl=ttl, ident=0)
            # the folded sum of every header word but the identification (0 in the template)
            partial = ~struct.unpack_from("!H", template, 10)[0] & 0xFFFF
            if len(self._headers) >= _LIMIT:
                self._headers.clear()
            found = self._headers[key] = (template[:4], template[6:10], template[12:], partial)
        return found
