"""GARP / unsolicited NA frames (adapters/garp.py): layout and checksum, no root needed."""

from __future__ import annotations

import ipaddress
import struct

from keepalived_py.adapters.garp import garp_frame, na_frame
from keepalived_py.vrrp.packet import internet_checksum

MAC = bytes.fromhex("020000000001")


def test_garp_frame_is_a_broadcast_arp_request_for_the_vip() -> None:
    frame = garp_frame(MAC, ipaddress.IPv4Address("192.0.2.100"))
    assert len(frame) == 42
    assert frame[:6] == b"\xff" * 6 and frame[6:12] == MAC and frame[12:14] == b"\x08\x06"
    hrd, pro, hln, pln, op = struct.unpack_from("!HHBBH", frame, 14)
    assert (hrd, pro, hln, pln, op) == (1, 0x0800, 6, 4, 1)
    assert frame[22:28] == MAC and frame[28:32] == bytes([192, 0, 2, 100])
    assert frame[32:38] == b"\xff" * 6 and frame[38:42] == bytes([192, 0, 2, 100])


def test_na_frame_checksum_and_flags() -> None:
    vip = ipaddress.IPv6Address("2001:db8::64")
    frame = na_frame(MAC, vip, router=True)
    assert frame[:6] == bytes.fromhex("333300000001") and frame[12:14] == b"\x86\xdd"
    ip6 = frame[14:54]
    assert ip6[6] == 58 and ip6[7] == 255 and ip6[8:24] == vip.packed
    assert ip6[24:40] == ipaddress.IPv6Address("ff02::1").packed
    icmp = frame[54:]
    assert len(icmp) == struct.unpack_from("!H", ip6, 4)[0] == 32
    pseudo = ip6[8:40] + struct.pack("!I3xB", len(icmp), 58)
    assert internet_checksum(pseudo + icmp) == 0
    assert icmp[0] == 136 and struct.unpack_from("!I", icmp, 4)[0] == 0xA0000000
    assert icmp[8:24] == vip.packed and icmp[24:26] == b"\x02\x01" and icmp[26:] == MAC
