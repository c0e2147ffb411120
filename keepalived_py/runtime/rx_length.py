"""keepalived's length verdicts on a received VRRP packet, for the listener's log and counters.

keepalived looks at a datagram in two steps.  Its dispatcher first wants at least a whole VRRP
header (8 bytes) after the IPv4 header (and the AH header, for protocol 51): a shorter packet is
logged (``IPv4 VRRP packet too short - N bytes``) and dropped *without* counting, before the VRID
is even known.  Then, per instance, the packet length must be exactly what the header announces
(IP header, AH, VRRP header, addresses, the v2 authentication field): otherwise
``(VI) vrrp packet too short|long, length N and expect M`` and ``packet_len_err``.
"""

from __future__ import annotations

import socket

VRRP_HEADER_LEN = 8
AUTH_LEN = 8  # VRRPv2's authentication data (IPv4)


def too_short(family: int, packet_len: int, vrrp_len: int, *, ah: bool = False) -> str | None:
    """The dispatcher's message for a packet without a whole VRRP header, else None.

    ``packet_len``: what recvmsg returned (IPv4: with the IP header); ``vrrp_len``: the bytes
    after the IP (and AH) header.
    """
    if vrrp_len >= VRRP_HEADER_LEN:
        return None
    if family == socket.AF_INET6:
        return f"IPv6 VRRP packet too short - {packet_len} bytes"
    if ah:
        return f"IPv4 VRRP packet with AH too short - {packet_len} bytes"
    return f"IPv4 VRRP packet too short - {packet_len} bytes"


def expected_length(family: int, header_len: int, vrrp: bytes) -> int:
    """What the packet should measure by its own VRRP header (``header_len``: IPv4 and AH headers
    before the VRRP message; 0 for IPv6, whose socket gives the message alone)."""
    length = header_len + VRRP_HEADER_LEN
    if family == socket.AF_INET:
        if vrrp[0] >> 4 == 2:
            length += AUTH_LEN
        return length + 4 * vrrp[3]
    return length + 16 * vrrp[3]


def length_mismatch(name: str, family: int, packet_len: int, header_len: int, vrrp: bytes) -> str | None:
    """keepalived's ``vrrp packet too short/long`` line, or None when the length is the expected one."""
    if len(vrrp) < VRRP_HEADER_LEN:
        return None
    expect = expected_length(family, header_len, vrrp)
    if packet_len == expect:
        return None
    how = "long" if packet_len > expect else "short"
    return f"({name}) vrrp packet too {how}, length {packet_len} and expect {expect}"


AH_LEN = 24  # the AH header keepalived sends and expects (RFC 2402, 96-bit ICV)
VRRP_TTL = 255


def ah_precheck(
    name: str,
    *,
    packet_len: int,
    ip_header_len: int,
    vrrp: bytes,
    ttl: int,
    unicast: bool,
    version: int,
) -> tuple[str, str] | None:
    """What keepalived checks on an AH-protected advert *before* its ICV, in its order: the
    length, the TTL (multicast), the version, the auth type field (must say AH).  Returns (counter,
    log line) for the first failure, None when the ICV is next to be checked."""
    if len(vrrp) < VRRP_HEADER_LEN:
        return "packet_len_err", f"({name}) vrrp packet too short, length {packet_len} and expect more"
    want = ip_header_len + AH_LEN + VRRP_HEADER_LEN + (AUTH_LEN if vrrp[0] >> 4 == 2 else 0) + 4 * vrrp[3]
    if packet_len != want:
        how = "long" if packet_len > want else "short"
        return "packet_len_err", f"({name}) vrrp packet too {how}, length {packet_len} and expect {want}"
    if not unicast and ttl != VRRP_TTL:
        return "ip_ttl_err", f"({name}) invalid TTL/HL. Received {ttl} and expect {VRRP_TTL}"
    if vrrp[0] >> 4 != version:
        return "vers_err", f"({name}) wrong version. Received {vrrp[0] >> 4} and expect {version}"
    if version == 2:
        auth_type = vrrp[4]
        if auth_type not in (0, 1, 2):
            return "invalid_authtype", f"({name}) Invalid auth type: {auth_type}"
        if auth_type != 2:
            return "authtype_mismatch", f"({name}) received a {auth_type} auth, expecting 2!"
    return None
