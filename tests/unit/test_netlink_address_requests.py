"""The raw RTM_NEWADDR / RTM_DELADDR requests of adapters/addresses.py against pyroute2's encoding.

pyroute2's IPBatch compiles a request without sending it; the reference arguments below are
what NetlinkAddresses passed to ``IPRoute.addr`` before it encoded these two requests itself.
Attribute order is free in netlink, so the attributes are compared as a sorted list of their
bytes; header (but sequence number and port), ifaddrmsg and attribute bytes must be equal.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import threading
from typing import Any

import pytest
from pyroute2 import IPBatch
from pyroute2.netlink.exceptions import NetlinkError

from keepalived_py.adapters import netlink_acks
from keepalived_py.adapters.addresses import (
    IFA_F_HOMEADDRESS,
    IFA_F_MANAGETEMPADDR,
    IFA_F_MCAUTOJOIN,
    IFA_F_NODAD,
    IFA_F_NOPREFIXROUTE,
    NetlinkAddresses,
    _complaint,
    encode_address_request,
)
from keepalived_py.adapters.netlink_acks import AckedRequests, parse_ack
from keepalived_py.config.model.ip import INFINITY_LIFE_TIME, IpAddress


def reference_args(ip: IpAddress, index: int, *, add: bool) -> dict[str, Any]:
    """The keyword arguments the pyroute2 version gave ``IPRoute.addr("add" / "del", ...)``."""
    kw: dict[str, Any] = {"index": index, "address": ip.address, "prefixlen": ip.prefix_len}
    if ip.family == 4:
        if ip.broadcast:
            kw["broadcast"] = ip.broadcast
        if ip.label:
            kw["label"] = ip.label
    kw["scope"] = ip.scope
    if ip.peer:
        kw["local"] = ip.address
        kw["address"] = ip.peer
    flags = 0
    if ip.family == 6:
        flags |= IFA_F_NODAD
        flags |= IFA_F_HOMEADDRESS if ip.home else 0
        flags |= IFA_F_MANAGETEMPADDR if ip.mngtmpaddr else 0
    flags |= IFA_F_NOPREFIXROUTE if ip.noprefixroute else 0
    flags |= IFA_F_MCAUTOJOIN if ip.autojoin else 0
    if flags:
        kw["IFA_FLAGS"] = flags
    if ip.family == 6 and ip.preferred_lft is not None and ip.preferred_lft != INFINITY_LIFE_TIME:
        kw["IFA_CACHEINFO"] = {"ifa_preferred": ip.preferred_lft, "ifa_valid": INFINITY_LIFE_TIME}
    if not add:
        kw = {k: v for k, v in kw.items() if k in ("index", "address", "prefixlen", "local")}
    return kw


def split(message: bytes) -> tuple[bytes, bytes, list[bytes]]:
    """(header without sequence number and port, ifaddrmsg, sorted attributes); checks lengths."""
    (length,) = struct.unpack_from("=I", message)
    assert length == len(message)
    attrs = []
    offset = 24
    while offset < len(message):
        (alen,) = struct.unpack_from("=H", message, offset)
        assert alen >= 4
        padded = (alen + 3) & ~3
        attrs.append(message[offset : offset + padded])
        offset += padded
    assert offset == len(message)
    return message[:8], message[16:24], sorted(attrs)


@pytest.fixture(scope="module")
def batch() -> Any:
    ipb = IPBatch()
    yield ipb
    ipb.close()


def pyroute2_bytes(batch: Any, ip: IpAddress, index: int, *, add: bool) -> bytes:
    batch.reset()
    batch.addr("add" if add else "del", **reference_args(ip, index, add=add))
    return bytes(batch.batch)


FORMS = [
    IpAddress("192.0.2.100", 32, 4),
    IpAddress("192.0.2.100", 24, 4, broadcast="192.0.2.255", label="eth0:vip", scope=253),
    IpAddress("192.0.2.101", 24, 4, label="eth0:1234567890", scope=200, noprefixroute=True),
    IpAddress("192.0.2.102", 32, 4, peer="192.0.2.1", autojoin=True),
    IpAddress("2001:db8::100", 128, 6),
    IpAddress("2001:0db8:0:0::65", 64, 6, home=True, mngtmpaddr=True, noprefixroute=True),
    IpAddress("2001:db8::66", 64, 6, preferred_lft=0, autojoin=True),
    IpAddress("2001:db8::67", 64, 6, preferred_lft=3600),
    IpAddress("2001:db8::68", 64, 6, preferred_lft=INFINITY_LIFE_TIME),
    IpAddress("2001:db8::69", 128, 6, peer="2001:db8::1"),
]


@pytest.mark.parametrize("add", [True, False], ids=["add", "del"])
@pytest.mark.parametrize("ip", FORMS, ids=[f"{ip.address}-{i}" for i, ip in enumerate(FORMS)])
def test_same_request_as_pyroute2(batch: Any, ip: IpAddress, add: bool) -> None:
    ours = encode_address_request(ip, 7, add=add)
    theirs = pyroute2_bytes(batch, ip, 7, add=add)
    assert split(ours) == split(theirs)
    assert ours[8:16] == bytes(8)  # sequence number patched at send, port filled by the kernel


def test_request_fields() -> None:
    ip = IpAddress("192.0.2.100", 24, 4, broadcast="192.0.2.255", label="eth0:1", scope=253)
    add = encode_address_request(ip, 3, add=True)
    length, kind, flags, _seq, _port = struct.unpack_from("=IHHII", add)
    assert (length, kind, flags) == (len(add), 20, 0x1 | 0x4 | 0x200 | 0x400)
    assert struct.unpack_from("=BBBBI", add, 16) == (socket.AF_INET, 24, 0, 253, 3)
    remove = encode_address_request(ip, 3, add=False)
    assert struct.unpack_from("=HH", remove, 4) == (21, 0x1 | 0x4)
    assert struct.unpack_from("=BBBBI", remove, 16) == (socket.AF_INET, 24, 0, 0, 3)
    assert b"eth0:1" not in remove and b"eth0:1\0" in add


def ack(seq: int, error: int, kind: int = 2) -> bytes:
    """An NLMSG_ERROR as the kernel sends it (error, then the request's header)."""
    body = struct.pack("=i", -error) + struct.pack("=IHHII", 40, 20, 0x605, seq, 0)
    return struct.pack("=IHHII", 16 + len(body), kind, 0x100, seq, 4242) + body


def test_parse_ack() -> None:
    assert parse_ack(ack(5, 0), 5) == 0
    assert parse_ack(ack(5, errno.EEXIST), 5) == errno.EEXIST
    assert parse_ack(ack(5, errno.EADDRNOTAVAIL), 5) == errno.EADDRNOTAVAIL
    # a late ack of an earlier request, then ours, in one read
    assert parse_ack(ack(4, errno.EPERM) + ack(5, 0), 5) == 0
    assert parse_ack(ack(4, errno.EPERM), 5) is None
    # not an error message, truncated, or nonsense lengths: no answer
    assert parse_ack(ack(5, 0, kind=3), 5) is None
    assert parse_ack(ack(5, errno.EEXIST)[:18], 5) is None
    assert parse_ack(b"", 5) is None
    assert parse_ack(struct.pack("=IHHII", 4, 2, 0, 5, 0) + bytes(20), 5) is None
    assert parse_ack(struct.pack("=IHHII", 16, 2, 0, 5, 0), 5) is None


def test_complaint_as_pyroute2_printed_it() -> None:
    for code in (errno.EPERM, errno.EINVAL, errno.ENODEV, errno.EADDRNOTAVAIL):
        assert _complaint(code) == str(NetlinkError(code)) == str((code, os.strerror(code)))


def test_ifindex_as_libc() -> None:
    nl = NetlinkAddresses()
    try:
        for index, name in socket.if_nameindex():
            assert nl.ifindex(name) == index == socket.if_nametoindex(name)
        for name in ("nosuch0", "x" * 15, "x" * 16, "", "a\0b", "\u00e9th0"):
            assert nl.ifindex(name) is None
    finally:
        nl.close()
    assert nl.ifindex("lo") is None  # closed


class FakeKernel:
    """The far end of a datagram socket pair standing in for rtnetlink (``nl``'s socket swapped)."""

    def __init__(self, nl: NetlinkAddresses) -> None:
        ours, self.sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        nl._raw.close()
        nl._raw = AckedRequests(ours)
        self.requests: list[bytes] = []

    def answer(self, code: int) -> None:
        request = self.sock.recv(65536)
        self.requests.append(request)
        (seq,) = struct.unpack_from("=I", request, 8)
        self.sock.send(ack(seq, code))

    def answering(self, code: int) -> threading.Thread:
        """A thread that answers the next request (daemon: a failing test does not hang on it)."""
        thread = threading.Thread(target=self.answer, args=(code,), daemon=True)
        thread.start()
        return thread


def test_address_calls_against_a_fake_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netlink_acks, "ACK_TIMEOUT", 0.05)
    monkeypatch.setattr(NetlinkAddresses, "ifindex", lambda self, name: 7 if name == "eth0" else None)
    nl = NetlinkAddresses()
    kernel = FakeKernel(nl)
    vip = IpAddress("192.0.2.100", 24, 4, label="eth0:1")
    try:
        for code, added, removed in (
            (0, None, None),
            (errno.EEXIST, None, _complaint(errno.EEXIST)),
            (errno.EADDRNOTAVAIL, _complaint(errno.EADDRNOTAVAIL), None),
            (errno.ENOENT, _complaint(errno.ENOENT), None),
            (errno.EPERM, "(1, 'Operation not permitted')", "(1, 'Operation not permitted')"),
        ):
            for call, want in ((nl.add_address, added), (nl.remove_address, removed)):
                responder = kernel.answering(code)
                assert call(vip, "eth0") == want, (code, call)
                responder.join(timeout=5)
        # requests are the encoded ones with increasing sequence numbers
        seqs = [struct.unpack_from("=I", r, 8)[0] for r in kernel.requests]
        assert seqs == list(range(1, 11))
        first = encode_address_request(vip, 7, add=True)
        assert kernel.requests[0][:8] + kernel.requests[0][12:] == first[:8] + first[12:]
        # a late ack of an earlier request is skipped; no answer at all is a timeout
        kernel.sock.send(ack(4, errno.EPERM))
        responder = kernel.answering(0)
        assert nl.add_address(vip, "eth0") is None
        responder.join(timeout=5)
        assert nl.add_address(vip, "eth0") == _complaint(errno.ETIMEDOUT)
        assert nl.add_address(IpAddress("192.0.2.1", 32, 4, dev="eth9"), "eth0") == "no interface eth9"
        assert nl.remove_address(IpAddress("192.0.2.1", 32, 4, dev="eth9"), "eth0") is None
    finally:
        nl.close()
        kernel.sock.close()
