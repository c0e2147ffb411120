"""PING_CHECK: ICMP / ICMPv6 echo requests as keepalived builds them and the reply check
(check_ping.c).

The request is an 8-byte echo header (id 0: a ping socket puts its own; a sequence number
shared by all checkers) followed by 128 bytes of "keepalived check - ".  keepalived reads one
datagram of up to 136 bytes: shorter than the header is "Error, got short ICMP packet", a type
other than echo reply is "Got ICMP packet with type 0x..", both failures.  On a raw socket (our
fallback when ping sockets are not allowed) every ICMP message of the host arrives, so
``reply_for_us`` keeps only the echo reply with our id and sequence from the target.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from keepalived_py.check.probes.udp import ICMP_BUFSIZE, filler

ICMP_ECHO = 8
ICMP_ECHOREPLY = 0
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129
HEADER = 8


class IcmpDecodeError(ValueError):
    """Not an ICMP message we can read."""


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build_echo(*, v6: bool, seq: int, ident: int = 0) -> bytes:
    """An echo request; the IPv4 checksum filled in (the kernel fills the ICMPv6 one)."""
    kind = ICMP6_ECHO_REQUEST if v6 else ICMP_ECHO
    body = filler(ICMP_BUFSIZE)
    head = struct.pack("!BBHHH", kind, 0, 0, ident & 0xFFFF, seq & 0xFFFF)
    if v6:
        return head + body
    csum = checksum(head + body)
    return struct.pack("!BBHHH", kind, 0, csum, ident & 0xFFFF, seq & 0xFFFF) + body


@dataclass(frozen=True, slots=True)
class EchoCheck:
    """keepalived's recv_it verdict: ``ok`` or the log line of the failure."""

    ok: bool
    log: str | None = None


def judge_reply(data: bytes, *, v6: bool) -> EchoCheck:
    """recv_it / recv6_it on one datagram from a ping socket (no IP header)."""
    word = "ICMPv6" if v6 else "ICMP"
    if len(data) < HEADER:
        return EchoCheck(False, f"Error, got short {word} packet, {len(data)} bytes")
    want = ICMP6_ECHO_REPLY if v6 else ICMP_ECHOREPLY
    if data[0] != want:
        return EchoCheck(False, f"Got {word} packet with type {data[0]:#x}")
    return EchoCheck(True)


def strip_ipv4_header(packet: bytes) -> bytes:
    """The ICMP message of a raw IPv4 packet."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        raise IcmpDecodeError("not an IPv4 packet")
    ihl = (packet[0] & 0x0F) * 4
    if ihl < 20 or len(packet) < ihl:
        raise IcmpDecodeError("bad IPv4 header length")
    return packet[ihl:]


def reply_for_us(message: bytes, *, v6: bool, ident: int, seq: int) -> bool:
    """An echo reply carrying our id and sequence (raw-socket filtering)."""
    if len(message) < HEADER:
        return False
    kind = message[0]
    rid = int.from_bytes(message[4:6], "big")
    rseq = int.from_bytes(message[6:8], "big")
    want = ICMP6_ECHO_REPLY if v6 else ICMP_ECHOREPLY
    return kind == want and rid == ident & 0xFFFF and rseq == seq & 0xFFFF
