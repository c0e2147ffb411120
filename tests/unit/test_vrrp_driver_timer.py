"""The driver's one timer when the core's deadline keeps moving later (a backup hearing its master).

The armed handle is not cancelled for every advert: it fires at its old time, sees the core's
deadline moved, re-arms without calling the core, and the core is called at its own deadline,
so the transitions happen exactly when they did with a handle rescheduled per advert.
"""

from __future__ import annotations

import ipaddress

from keepalived_py.vrrp import packet
from keepalived_py.vrrp.state import State
from tests.unit.test_vrrp_driver import _driver

MASTER = ipaddress.IPv4Address("192.0.2.2")
VIP = ipaddress.IPv4Address("192.0.2.100")
DOWN = 3 + (256 - 100) / 256  # master down interval of priority 100, v2, 1 s


def test_backup_keeps_one_handle_and_takes_over_at_the_protocol_deadline() -> None:
    driver, loop, events = _driver()
    calls: list[float] = []
    real = driver.core.handle_timer

    def spy(now: float) -> None:
        calls.append(now)
        real(now)

    driver.core.handle_timer = spy  # type: ignore[method-assign]
    driver.start()
    first = loop.armed()[0]
    adv = packet.Advertisement(2, 51, 200, 1, (VIP,))
    for _ in range(3):  # the master's adverts, one a second
        loop.now += 1.0
        driver.receive(adv, src=MASTER, ttl=255, multicast=True)
    assert loop.armed() == [first] and not first.cancelled  # no handle per advert
    last_advert = loop.now
    loop.fire()  # the old handle: re-arms for the moved deadline, the core is not called
    assert calls == [] and driver.core.state is State.BACKUP
    (again,) = loop.armed()
    assert again.when == last_advert + DOWN
    loop.fire()  # the master is silent: master down interval after its last advert
    assert calls == [last_advert + DOWN]
    assert driver.core.state is State.MASTER
    assert events[0] == ("advert", "224.0.0.18", 255, 100)


def test_an_earlier_deadline_still_replaces_the_armed_handle() -> None:
    driver, loop, _events = _driver()
    driver.start()
    first = loop.armed()[0]
    loop.now += 1.0
    driver.receive(packet.Advertisement(2, 51, 0, 1, (VIP,)), src=MASTER, ttl=255, multicast=True)
    # priority 0: take over after the skew time, earlier than the armed master down timer
    assert first.cancelled
    (armed,) = loop.armed()
    assert armed.when == loop.now + (256 - 100) / 256
    loop.fire()
    assert driver.core.state is State.MASTER
