"""adapters/ipvs.py's own netlink requests (encode_op) and acknowledgement parsing (parse_ack).

The per-change commands bypass pyroute2; these pin that the bytes are the ones pyroute2's
message class (``_IpvsMsg``, itself pinned against the kernel's layouts in
test_ipvs_adapter_codec.py and against the kernel in tests/ipvs/in_vm) would send, and that the
kernel's answers are read as it writes them, refusals worded as keepalived words them.
"""

from __future__ import annotations

import errno
import socket
import struct
import threading
from collections import Counter
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any, cast

import pytest
from pyroute2.netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST

from keepalived_py.adapters import ipvs, netlink_acks
from keepalived_py.adapters.netlink_acks import AckedRequests
from keepalived_py.check.ipvs_diff import AddDest, AddService, DelDest, DelService, EditDest, EditService, Op
from keepalived_py.check.ipvs_model import (
    AF_INET,
    AF_INET6,
    IPPROTO_SCTP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    DestAttrs,
    DestKey,
    Forwarding,
    ServiceAttrs,
    ServiceKey,
    TunnelFlag,
    TunnelType,
)

V4 = ServiceKey(AF_INET, IPPROTO_TCP, ip_address("192.0.2.10"), 80)
V6 = ServiceKey(AF_INET6, IPPROTO_UDP, ip_address("2001:db8::1"), 53)
FWM4 = ServiceKey(AF_INET, 0, IPv4Address(0), 0, 7)
FWM6 = ServiceKey(AF_INET6, 0, IPv6Address(0), 0, 42)
SCTP = ServiceKey(AF_INET, IPPROTO_SCTP, ip_address("192.0.2.1"), 3868)
D4 = DestKey(ip_address("198.51.100.9"), 8080)
D6 = DestKey(ip_address("2001:db8::9"), 0)
GUE = DestAttrs(
    Forwarding.TUNNEL,
    weight=7,
    u_threshold=10,
    l_threshold=2,
    tun_type=TunnelType.GUE,
    tun_port=6080,
    tun_flags=TunnelFlag.REMCSUM,
)
FAMILY = 0x1E
REQ = NLM_F_REQUEST | NLM_F_ACK
CREATE = REQ | NLM_F_CREATE | NLM_F_EXCL


def _pyroute2_bytes(op: Op, seq: int) -> bytes:
    """What the adapter sent through pyroute2 before: the reference encoding."""
    if isinstance(op, AddService | EditService):
        cmd = ipvs.CMD_NEW_SERVICE if isinstance(op, AddService) else ipvs.CMD_SET_SERVICE
        msg = ipvs._message(cmd, ipvs._service_attrs(op.key, op.attrs), None)
    elif isinstance(op, DelService):
        msg = ipvs._message(ipvs.CMD_DEL_SERVICE, ipvs._service_key_attrs(op.key), None)
    else:
        cmd = {AddDest: ipvs.CMD_NEW_DEST, EditDest: ipvs.CMD_SET_DEST, DelDest: ipvs.CMD_DEL_DEST}[type(op)]
        attrs = None if isinstance(op, DelDest) else op.attrs
        msg = ipvs._message(cmd, ipvs._service_key_attrs(op.service), ipvs._dest_attrs(op.dest, attrs))
    msg["header"]["type"] = FAMILY
    msg["header"]["flags"] = CREATE if isinstance(op, AddService | AddDest) else REQ
    msg["header"]["sequence_number"] = seq
    msg.encode()
    return bytes(msg.data)


OPS: list[Op] = [
    AddService(V4, ServiceAttrs("wrr", flags=0x1, timeout=300, netmask=0xFFFFFF00)),
    AddService(V6, ServiceAttrs("rr", netmask=128)),
    AddService(FWM6, ServiceAttrs("sh", flags=0x19, timeout=60, netmask=64, pe_name="sip")),
    EditService(FWM4, ServiceAttrs("wlc", netmask=0xFFFFFFFF)),
    EditService(SCTP, ServiceAttrs()),
    DelService(V4),
    DelService(FWM6),
    AddDest(V4, D4, DestAttrs(Forwarding.DROUTE, weight=3)),
    AddDest(FWM6, D4, GUE),
    AddDest(V6, D6, DestAttrs()),
    EditDest(V4, D4, DestAttrs(weight=0)),
    EditDest(FWM4, D4, GUE),
    DelDest(V4, D4),
    DelDest(V6, D6),
]


@pytest.mark.parametrize("op", OPS, ids=lambda op: type(op).__name__)
def test_requests_are_the_bytes_pyroute2_sent(op: Op) -> None:
    for seq in (1, 0xFFFFFFFF):
        assert ipvs.encode_op(op, FAMILY, seq) == _pyroute2_bytes(op, seq)


def _answer(seq: int, error: int, quoted: bytes = b"") -> bytes:
    """An NLMSG_ERROR as the kernel writes it: nlmsghdr, nlmsgerr.error, the request's header."""
    body = struct.pack("=i", error) + (quoted or struct.pack("=IHHII", 20, FAMILY, REQ, seq, 0))
    size = 16 + len(body)
    return struct.pack("=IHHII", size, netlink_acks.NLMSG_ERROR, 0, seq, 1234) + body + bytes(-size % 4)


def test_ack_and_refusal() -> None:
    assert netlink_acks.parse_ack(_answer(5, 0), 5) == 0
    assert netlink_acks.parse_ack(_answer(6, -errno.EEXIST), 6) == errno.EEXIST
    request = ipvs.encode_op(OPS[8], FAMILY, 9)  # an error answer quotes the whole request
    assert netlink_acks.parse_ack(_answer(9, -errno.ESRCH, request), 9) == errno.ESRCH


def test_answers_to_other_requests_are_skipped() -> None:
    late = _answer(3, -errno.ENOENT, ipvs.encode_op(OPS[0], FAMILY, 3))
    assert netlink_acks.parse_ack(late, 4) is None
    assert netlink_acks.parse_ack(late + _answer(4, -errno.EPERM), 4) == errno.EPERM
    other_type = struct.pack("=IHHII", 20, FAMILY, 0, 4, 0) + bytes(4)
    assert netlink_acks.parse_ack(other_type + _answer(4, 0), 4) == 0


@pytest.mark.parametrize("data", [b"", bytes(15), _answer(7, 0)[:18], struct.pack("=IHHII", 0, 2, 0, 7, 0)])
def test_short_or_broken_data_is_no_answer(data: bytes) -> None:
    assert netlink_acks.parse_ack(data, 7) is None


class _Kernel:
    """Stands for the netlink socket: answers each request with the next errno of ``codes``."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = codes
        self.requests: list[bytes] = []

    def send(self, data: bytes) -> int:
        self.requests.append(data)
        return len(data)

    def recv(self, size: int, flags: int = 0) -> bytes:
        seq = struct.unpack_from("=I", self.requests[-1], 8)[0]
        stale = _answer(seq - 1, -errno.EINVAL)  # a late answer to a request given up on
        return stale + _answer(seq, -self.codes.pop(0))


def _adapter(kernel: _Kernel) -> Any:
    adapter: Any = object.__new__(ipvs.IpvsAdapter)
    adapter.sent = Counter()
    adapter._lock = threading.Lock()
    adapter._family = FAMILY
    adapter._nl = AckedRequests(cast(socket.socket, kernel))
    return adapter


def test_apply_reports_refusals_with_keepalived_words() -> None:
    kernel = _Kernel([0, errno.EEXIST, errno.ENOENT, errno.ENOENT, 0, errno.ESRCH])
    ops: list[Op] = [
        AddService(V4, ServiceAttrs("rr")),
        AddDest(V4, D4, DestAttrs()),  # already there: done
        DelDest(V4, D4),  # not there: done
        EditDest(V4, D4, DestAttrs(weight=2)),  # not there: becomes an add
        DelService(FWM4),
    ]
    with pytest.raises(ipvs.IpvsError) as info:
        _adapter(kernel).apply(ops)
    assert info.value.lines == ["IPVS cmd IP_VS_SO_SET_DEL(1156) error: No such service(3) (Fwm 7)"]
    assert info.value.errnos == [errno.ESRCH]
    assert kernel.requests[4] == ipvs.encode_op(AddDest(V4, D4, DestAttrs(weight=2)), FAMILY, 5)
    assert [struct.unpack_from("=I", r, 8)[0] for r in kernel.requests] == [1, 2, 3, 4, 5, 6]


def test_apply_all_done() -> None:
    adapter = _adapter(_Kernel([0, 0]))
    adapter.apply([AddService(V6, ServiceAttrs("rr")), AddDest(V6, D6, DestAttrs())])
    assert adapter.sent == {"ADD": 1, "ADDDEST": 1}


def test_answer_read_from_a_real_socket_and_silence_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ack is read without waiting when it is there; no answer at all ends in TimeoutError
    (an OSError: the checker process logs it and reads the table again) instead of a hang."""
    ours, kernel = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with ours, kernel:
        adapter = _adapter(_Kernel([]))
        adapter._nl = AckedRequests(ours)
        kernel.send(_answer(1, -errno.ESRCH))
        assert adapter._command(DelService(V4)) == errno.ESRCH
        monkeypatch.setattr(netlink_acks, "ACK_TIMEOUT", 0.01)
        with pytest.raises(TimeoutError):
            adapter._command(DelService(V4))
