"""A VIP deleted behind the master's back (keepalived's set_vrrp_backup), on the pure core."""

from __future__ import annotations

from keepalived_py.vrrp.instance import AddAddresses, RemoveAddresses, StateChanged
from keepalived_py.vrrp.state import Reason, State
from keepalived_py.vrrp.timers import skew_time_us
from tests.unit.test_vrrp_core import T0, kinds, master, sent, state_of


def test_master_steps_down_and_comes_back_after_the_skew_time() -> None:
    core = master()
    now = T0 + 10
    core.address_deleted(now)
    actions = core.drain()
    assert state_of(core) is State.BACKUP
    assert StateChanged(State.MASTER, State.BACKUP, Reason.ADDRESS_DELETED) in actions
    assert 0 in sent(actions)  # priority 0: a backup may take over at once
    assert any(isinstance(a, RemoveAddresses) for a in actions)
    deadline = core.get_timer()
    assert deadline is not None
    assert abs((deadline - now) * 1_000_000 - skew_time_us(2, 100, 1_000_000)) < 2
    core.handle_timer(deadline)
    actions = core.drain()
    assert state_of(core) is State.MASTER
    assert "AddAddresses" in kinds(actions)
    assert any(isinstance(a, AddAddresses) for a in actions)


def test_only_a_master_reacts() -> None:
    from tests.unit.test_vrrp_core import started

    core = started()
    core.address_deleted(T0 + 1)
    assert core.drain() == []
    assert state_of(core) is State.BACKUP
