"""The listener drops an IPv6 advert of the wrong cast before the core sees it, as keepalived does.

An IPv6 socket receives multicast and unicast adverts alike; keepalived discards a multicast
one on a unicast instance (and the reverse) before any check, logging it with -D only, so it
neither counts an error nor re-arms the master's advert timer.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, cast

import pytest

from keepalived_py.adapters.vrrp_socket import ReceivedV6
from keepalived_py.runtime.vrrp_driver import AdvertPath, VrrpDriver
from keepalived_py.runtime.vrrp_process import Listener
from keepalived_py.vrrp import packet
from keepalived_py.vrrp.instance import VrrpCore
from keepalived_py.vrrp.params import InstanceParams, PeerParams
from keepalived_py.vrrp.state import State

ME = ipaddress.IPv6Address("fe80::2")
PEER = ipaddress.IPv6Address("fe80::1")
GROUP = ipaddress.IPv6Address("ff02::12")
VIP = ipaddress.IPv6Address("2001:db8::100")


class Loop:
    now = 10.0

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, cb: Any) -> Any:
        class Handle:
            def cancel(self) -> None:
                pass

        return Handle()


def _driver(*, unicast: bool, detail: bool) -> VrrpDriver:
    params = InstanceParams(
        name="VI_6",
        vrid=51,
        version=3,
        family=6,
        advert_int_us=1_000_000,
        vips=(VIP,),
        source_address=ME,
        unicast=unicast,
        unicast_peers=(PeerParams(PEER),) if unicast else (),
    )
    path = AdvertPath(cast(Any, None), ME, (PEER,) if unicast else (GROUP,), unicast=unicast)
    driver = VrrpDriver(
        VrrpCore(params),
        loop=cast(Any, Loop()),
        path=path,
        ifname="eth0",
        netlink=cast(Any, None),
        garp=cast(Any, None),
        detail=detail,
    )
    driver.core.start(10.0)
    driver.core.drain()
    return driver


def _advert(dst: ipaddress.IPv6Address) -> ReceivedV6:
    adv = packet.Advertisement(version=3, vrid=51, priority=200, adver_int=100, addresses=(VIP,))
    return ReceivedV6(packet.encode(adv, src=PEER, dst=dst), PEER, dst, 255, 2)


@pytest.mark.parametrize(
    ("unicast", "dst", "words"),
    [(True, GROUP, "multicast packet on unicast"), (False, ME, "unicast packet on multicast")],
)
def test_wrong_cast_is_discarded(
    caplog: pytest.LogCaptureFixture, unicast: bool, dst: ipaddress.IPv6Address, words: str
) -> None:
    driver = _driver(unicast=unicast, detail=True)
    timer = driver.core.get_timer()
    listener = Listener(cast(Any, None), 10, drivers=[driver])
    with caplog.at_level(logging.INFO):
        listener._dispatch(_advert(dst))
    assert f"(VI_6) discarding {words} instance" in caplog.messages
    assert driver.core.counters.advert_rcvd == 0 and driver.core.counters.addr_list_err == 0
    assert driver.core.get_timer() == timer and driver.core.state is State.BACKUP


def test_wrong_cast_silent_without_detail_and_right_cast_goes_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver = _driver(unicast=True, detail=False)
    listener = Listener(cast(Any, None), 10, drivers=[driver])
    with caplog.at_level(logging.INFO):
        listener._dispatch(_advert(GROUP))
    assert not caplog.messages
    listener._dispatch(_advert(ME))
    assert driver.core.counters.advert_rcvd == 1
