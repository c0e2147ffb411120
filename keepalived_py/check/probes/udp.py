"""UDP_CHECK: what keepalived sends and how it judges the reply (check_udp.c, layer4.c).

Without ``payload`` keepalived sends 32 bytes of "keepalived check - " repeated.  It then waits
``connect_timeout`` for a datagram: silence is a success unless ``require_reply`` is set; an ICMP
destination unreachable (seen through IP_RECVERR) or a receive error is a failure.  A reply is
only compared when ``require_reply`` gave data: its length must lie within min/max_reply_length
(it is read into max_reply_length + 1 bytes) and its first min(len, reply length) bytes must
equal the data except where the mask (the X nibbles) is set.
"""

from __future__ import annotations

from collections.abc import Iterable

UDP_BUFSIZE = 32
ICMP_BUFSIZE = 128
_FILLER = b"keepalived check - "

# sock_extended_err origins and ICMP types (linux/errqueue.h, icmp.h, icmpv6.h)
SO_EE_ORIGIN_ICMP = 2
SO_EE_ORIGIN_ICMP6 = 3
ICMP_DEST_UNREACH = 3
ICMPV6_DEST_UNREACH = 1


def filler(size: int) -> bytes:
    """keepalived's set_buf: "keepalived check - " repeated over ``size`` bytes."""
    return (_FILLER * (size // len(_FILLER) + 1))[:size]


def request_payload(payload: bytes | None) -> bytes:
    return payload if payload else filler(UDP_BUFSIZE)


def recv_size(require_reply: bool, max_reply_length: int) -> int:
    return max_reply_length + 1 if require_reply else 1


def reply_mismatch(
    data: bytes, reply_data: bytes, reply_mask: bytes | None, min_length: int, max_length: int
) -> bool:
    """keepalived's check_udp_reply: True when the reply does not match."""
    if len(data) < min_length or len(data) > max_length:
        return True
    for i in range(min(len(data), len(reply_data))):
        mask = reply_mask[i] if reply_mask is not None and i < len(reply_mask) else 0
        if (data[i] ^ reply_data[i]) & ~mask & 0xFF:
            return True
    return False


def reply_ok(data: bytes, *, reply_data: bytes | None, reply_mask: bytes | None, min_length: int,
             max_length: int) -> bool:  # fmt: skip
    """A received datagram means success (only compared when reply data was configured)."""
    if reply_data is None:
        return True
    return not reply_mismatch(data, reply_data, reply_mask, min_length, max_length)


def errqueue_failure(entries: Iterable[tuple[int, int]]) -> bool:
    """udp_socket_error over the (ee_origin, ee_type) of the error queue: an ICMP destination
    unreachable is a failure, anything else (or nothing) is not."""
    for origin, icmp_type in entries:
        if origin == SO_EE_ORIGIN_ICMP and icmp_type == ICMP_DEST_UNREACH:
            return True
        if origin == SO_EE_ORIGIN_ICMP6 and icmp_type == ICMPV6_DEST_UNREACH:
            return True
    return False


def parse_extended_err(cmsg_data: bytes) -> tuple[int, int] | None:
    """(ee_origin, ee_type) of a struct sock_extended_err, None when too short."""
    if len(cmsg_data) < 6:
        return None
    return cmsg_data[4], cmsg_data[5]
