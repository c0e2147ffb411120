"""RTM_NEWADDR / RTM_DELADDR parsing (adapters/netlink_events.py) against pyroute2's encoder."""

from __future__ import annotations

import ipaddress
import socket

from hypothesis import given
from hypothesis import strategies as st
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg

from keepalived_py.adapters.netlink_events import (
    RTM_DELADDR,
    RTM_NEWADDR,
    AddressEvent,
    parse_address_events,
)


def _msg(
    mtype: int, family: int, index: int, address: str, prefixlen: int, local: str | None = None
) -> bytes:
    msg = ifaddrmsg()
    msg["header"]["type"] = mtype
    msg["family"] = family
    msg["prefixlen"] = prefixlen
    msg["index"] = index
    attrs = [("IFA_ADDRESS", address)]
    if local is not None:
        attrs.append(("IFA_LOCAL", local))
    attrs.append(("IFA_LABEL", "eth0"))
    msg["attrs"] = attrs
    msg.encode()
    return bytes(msg.data)


def test_new_and_deleted_addresses_in_one_datagram() -> None:
    data = _msg(RTM_NEWADDR, socket.AF_INET, 3, "192.0.2.100", 24, local="192.0.2.100") + _msg(
        RTM_DELADDR, socket.AF_INET6, 4, "2001:db8::100", 64
    )
    assert parse_address_events(data) == [
        AddressEvent(True, 3, ipaddress.IPv4Address("192.0.2.100"), 24),
        AddressEvent(False, 4, ipaddress.IPv6Address("2001:db8::100"), 64),
    ]


def test_point_to_point_local_address_wins() -> None:
    data = _msg(RTM_NEWADDR, socket.AF_INET, 2, "198.51.100.9", 32, local="192.0.2.7")
    assert parse_address_events(data)[0].address == ipaddress.IPv4Address("192.0.2.7")


def test_other_messages_are_skipped() -> None:
    other = bytearray(_msg(RTM_NEWADDR, socket.AF_INET, 2, "192.0.2.1", 24))
    other[4:6] = (16).to_bytes(2, "little")  # RTM_NEWLINK
    assert parse_address_events(bytes(other)) == []


@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data: bytes) -> None:
    for event in parse_address_events(data):
        assert isinstance(event, AddressEvent)
