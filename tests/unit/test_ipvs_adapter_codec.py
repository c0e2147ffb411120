"""adapters/ipvs.py without a kernel: what goes on the wire, how it reads back, keepalived's words.

The round trip through the kernel is tested in the VM (tests/ipvs/in_vm); these pin the byte
layouts pyroute2's own IPVS classes get wrong (IPv4 netmask bytes, IPv6 prefix length, the GUE
tunnel port in network order) and run on any machine.
"""

from __future__ import annotations

import errno
import logging
import os
import struct
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import pytest

from keepalived_py.adapters import ipvs
from keepalived_py.check.ipvs_diff import AddDest, AddService, DelDest, DelService, EditDest, EditService
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
FWM6 = ServiceKey(AF_INET6, 0, IPv6Address(0), 0, 42)


def _roundtrip(msg: Any) -> Any:
    msg.encode()
    back = ipvs._IpvsMsg(msg.data)
    back.decode()
    return back


def _raw_attrs(data: bytes, offset: int) -> dict[int, bytes]:
    """type -> payload of the netlink attributes in ``data`` from ``offset``."""
    out = {}
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        out[kind & 0x3FFF] = data[offset + 4 : offset + length]
        offset += (length + 3) & ~3
    return out


@pytest.mark.parametrize(
    ("key", "attrs"),
    [
        (V4, ServiceAttrs("wrr", flags=0x1, timeout=300, netmask=0xFFFFFF00)),
        (V6, ServiceAttrs("rr", netmask=128)),
        (FWM6, ServiceAttrs("sh", flags=0x19, timeout=60, netmask=64, pe_name="sip")),
        (ServiceKey(AF_INET, IPPROTO_SCTP, ip_address("192.0.2.1"), 3868), ServiceAttrs()),
    ],
)
def test_service_reads_back_as_written(key: ServiceKey, attrs: ServiceAttrs) -> None:
    msg = _roundtrip(ipvs._message(ipvs.CMD_NEW_SERVICE, ipvs._service_attrs(key, attrs), None))
    assert ipvs._decode_service(msg.get_attr("IPVS_CMD_ATTR_SERVICE")) == (key, attrs)


def test_hashed_flag_is_not_part_of_the_table() -> None:
    attrs = ipvs._service_attrs(V4, ServiceAttrs("wlc", flags=0x1 | ipvs.SVC_F_HASHED, timeout=5))
    msg = _roundtrip(ipvs._message(ipvs.CMD_GET_SERVICE, attrs, None))
    assert ipvs._decode_service(msg.get_attr("IPVS_CMD_ATTR_SERVICE"))[1].flags == 0x1


def test_netmask_on_the_wire() -> None:
    """IPv4: the mask's bytes in order (a __be32); IPv6: the prefix length as a native u32."""
    for key, netmask, wire in [(V4, 0xFFFFFF00, b"\xff\xff\xff\x00"), (FWM6, 64, struct.pack("=I", 64))]:
        msg = ipvs._message(
            ipvs.CMD_NEW_SERVICE, ipvs._service_attrs(key, ServiceAttrs(netmask=netmask)), None
        )
        msg.encode()
        service = _raw_attrs(msg.data, 20)[1]  # IPVS_CMD_ATTR_SERVICE after nlmsghdr + genlmsghdr
        assert _raw_attrs(service, 0)[9] == wire  # IPVS_SVC_ATTR_NETMASK


def test_dest_reads_back_and_tunnel_port_is_network_order() -> None:
    dest = DestKey(ip_address("198.51.100.9"), 0)
    attrs = DestAttrs(
        Forwarding.TUNNEL,
        weight=7,
        u_threshold=10,
        l_threshold=2,
        tun_type=TunnelType.GUE,
        tun_port=6080,
        tun_flags=TunnelFlag.REMCSUM,
    )
    msg = ipvs._message(ipvs.CMD_NEW_DEST, ipvs._service_key_attrs(FWM6), ipvs._dest_attrs(dest, attrs))
    back = _roundtrip(msg)
    assert ipvs._decode_dest(AF_INET6, back.get_attr("IPVS_CMD_ATTR_DEST")) == (dest, attrs)
    raw_dest = _raw_attrs(msg.data, 20)[2]
    assert _raw_attrs(raw_dest, 0)[14] == (6080).to_bytes(2, "big")  # IPVS_DEST_ATTR_TUN_PORT
    assert _raw_attrs(raw_dest, 0)[11] == struct.pack("=H", AF_INET)  # a v4 dest in a v6 service


def test_error_lines_are_keepalived_s() -> None:
    d = DestKey(ip_address("198.51.100.1"), 8080)
    fwm = ServiceKey(AF_INET, 0, IPv4Address(0), 0, 7)
    cases = [
        (AddService(V4, ServiceAttrs("x")), errno.ENOENT, "ADD(1154) error: Scheduler or persistence"),
        (EditService(fwm, ServiceAttrs()), errno.ESRCH, "EDIT(1155) error: No such service(3) (Fwm 7)"),
        (
            DelService(
                FWM6,
            ),
            errno.EPERM,
            "DEL(1156) error: Permission denied (you must be root)(1) (Fwm 42 inet6)",
        ),
        (AddDest(V4, d, DestAttrs()), errno.EEXIST, "ADDDEST(1159) error: Destination already exists(17)"),
        (EditDest(V6, d, DestAttrs()), errno.ENOENT, "EDITDEST(1161) error: No such destination(2)"),
        (DelDest(V4, d), errno.EBUSY, "DELDEST(1160) error: Device or resource busy(16)"),
    ]
    for op, code, words in cases:
        assert words in ipvs.error_line(op, code)
    assert ipvs.error_line(DelDest(V4, d), errno.ENOENT).endswith("(192.0.2.10:tcp:80 -> 198.51.100.1:8080)")
    assert ipvs.error_line(AddDest(V6, d, DestAttrs()), 1).endswith(
        "(2001:db8::1:udp:53 -> 198.51.100.1:8080)"
    )


def test_opening_says_what_keepalived_says(caplog: pytest.LogCaptureFixture) -> None:
    """Without IPVS in the kernel (the CI host): keepalived's line, nothing logged by pyroute2."""
    if os.path.exists("/proc/net/ip_vs"):
        with ipvs.IpvsAdapter() as adapter:
            adapter.read()
        return
    with pytest.raises(ipvs.IpvsError) as info:
        ipvs.IpvsAdapter()
    assert str(info.value) == "IPVS: Can't initialize ipvs: No such file or directory"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
