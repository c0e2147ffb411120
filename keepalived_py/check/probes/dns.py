"""DNS_CHECK: the query keepalived sends and how it reads the answer (check_dns.c), plus a small
decoder of queries and encoder of answers (used by test responders).

keepalived asks one question (type from its table, class IN, RD set, a random id) and only looks
at the header of what comes back: a datagram shorter than 8 bytes, with another id, or that is
not a response (QR clear) is ignored (it keeps waiting until the timeout); a response with an
RCODE other than 0 fails ("read error occurred. (rcode = N)"); anything else succeeds: the
answer section is not examined.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

DNS_TYPES: dict[str, int] = {
    "A": 1,
    "NS": 2,
    "CNAME": 5,
    "SOA": 6,
    "MX": 15,
    "TXT": 16,
    "AAAA": 28,
    "RRSIG": 46,
    "DNSKEY": 48,
}
DNS_BUFFER_SIZE = 768
CLASS_IN = 1
# keepalived compares the reply length with sizeof a pointer, not of the 12-byte header
MIN_REPLY = 8


class DnsDecodeError(ValueError):
    """A malformed message."""


def type_code(name: str) -> int:
    """keepalived's dns_type_lookup (case-insensitive); 0 when unknown."""
    return DNS_TYPES.get(name.upper(), 0)


def type_name(code: int) -> str:
    for name, value in DNS_TYPES.items():
        if value == code:
            return name
    return "(unknown)"


def encode_qname(name: str) -> bytes:
    """The QNAME as keepalived builds it: labels split at dots; "." is the root (one 0 byte)."""
    raw = name.encode("utf-8", "surrogateescape")
    out = bytearray()
    if raw:
        for label in raw[:-1].split(b".") if raw.endswith(b".") else raw.split(b"."):
            out.append(len(label) & 0xFF)
            out += label
    if raw != b".":
        out.append(0)
    return bytes(out)


def build_query(name: str, qtype: int, ident: int) -> bytes:
    """The datagram keepalived sends (dns_make_query)."""
    header = struct.pack("!HHHHHH", ident & 0xFFFF, 0x0100, 1, 0, 0, 0)
    return (header + encode_qname(name) + struct.pack("!HH", qtype, CLASS_IN))[:DNS_BUFFER_SIZE]


@dataclass(frozen=True, slots=True)
class ReplyVerdict:
    """``ignore``: keep waiting; else ``error`` None is success."""

    ignore: bool = False
    error: str | None = None


def judge_reply(ident: int, data: bytes) -> ReplyVerdict:
    """dns_recv_thread on one received datagram."""
    if len(data) < MIN_REPLY:
        return ReplyVerdict(ignore=True)
    rid, flags = struct.unpack_from("!HH", data)
    if rid != ident & 0xFFFF or not flags & 0x8000:
        return ReplyVerdict(ignore=True)
    rcode = flags & 0x000F
    if rcode:
        return ReplyVerdict(error=f"read error occurred. (rcode = {rcode})")
    return ReplyVerdict()


@dataclass(frozen=True, slots=True)
class Question:
    ident: int
    flags: int
    name: str
    qtype: int
    qclass: int
    raw_question: bytes


def decode_query(data: bytes) -> Question:
    """The first question of a message (no compression in questions); DnsDecodeError else."""
    if len(data) < 12:
        raise DnsDecodeError("short header")
    ident, flags, qdcount = struct.unpack_from("!HHH", data)
    if qdcount < 1:
        raise DnsDecodeError("no question")
    i = 12
    labels: list[str] = []
    while True:
        if i >= len(data):
            raise DnsDecodeError("truncated name")
        n = data[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0:
            raise DnsDecodeError("compressed or extended label in question")
        if i + n > len(data):
            raise DnsDecodeError("truncated label")
        labels.append(data[i : i + n].decode("latin-1"))
        i += n
    if i + 4 > len(data):
        raise DnsDecodeError("truncated question")
    qtype, qclass = struct.unpack_from("!HH", data, i)
    return Question(ident, flags, ".".join(labels), qtype, qclass, data[12 : i + 4])


def build_response(question: Question, *, rcode: int = 0, answers: int = 0, rdata: bytes = b"") -> bytes:
    """A response to ``question``: ``answers`` copies of one record (name by pointer) with ``rdata``."""
    flags = 0x8000 | (question.flags & 0x0100) | 0x0080 | (rcode & 0x0F)
    out = struct.pack("!HHHHHH", question.ident, flags, 1, answers, 0, 0) + question.raw_question
    for _ in range(answers):
        out += struct.pack("!HHHIH", 0xC00C, question.qtype, question.qclass, 60, len(rdata)) + rdata
    return out
