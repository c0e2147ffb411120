"""Reload: a core built from the new configuration carries on from the old one (VrrpCore.resume)."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address

from keepalived_py.vrrp.instance import AddAddresses, SendAdvert, StateChanged, VrrpCore
from keepalived_py.vrrp.state import State
from tests.unit.test_vrrp_core import T0, master, params, sent, started, state_of

EXTRA = IPv4Address("192.0.2.101")


def test_a_master_stays_master_and_adds_its_new_addresses() -> None:
    old = master()
    old.counters = dataclasses.replace(old.counters, advert_sent=7)
    old_next = old.get_timer()
    assert old_next is not None
    new = VrrpCore(dataclasses.replace(params(), priority=120, vips=(*params().vips, EXTRA)))
    now = old_next - 0.03  # the reload lands 30 ms before the old instance's next advert
    new.resume(old, now)
    actions = new.drain()
    assert state_of(new) is State.MASTER and new.vipset
    assert not any(isinstance(a, StateChanged) for a in actions)
    (add,) = [a for a in actions if isinstance(a, AddAddresses)]
    assert EXTRA in add.vips
    assert new.counters.advert_sent == 7
    # the next advert keeps its time (no gap), with the new priority
    deadline = new.get_timer()
    assert deadline is not None and abs(deadline - old_next) < 1e-6
    new.handle_timer(deadline)
    assert sent(new.drain()) == [120]


def test_a_backup_stays_backup_with_a_fresh_master_down_timer() -> None:
    old = started()
    assert state_of(old) is State.BACKUP
    new = VrrpCore(params())
    now = T0 + 2
    new.resume(old, now)
    assert state_of(new) is State.BACKUP
    assert new.drain() == []
    deadline = new.get_timer()
    assert deadline is not None and deadline > now + 3
    new.handle_timer(deadline)
    actions = new.drain()
    assert state_of(new) is State.MASTER
    assert any(isinstance(a, SendAdvert) for a in actions)


def test_an_old_fault_is_not_carried_over() -> None:
    old = started()
    old.set_fault(True, T0 + 1)
    old.drain()
    new = VrrpCore(params())
    new.resume(old, T0 + 2)
    assert state_of(new) is State.INIT  # the caller starts it as at start-up
