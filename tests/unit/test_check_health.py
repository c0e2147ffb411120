"""Checker retry counting, real-server state and quorum (keepalived's ipwrapper rules), pure."""

from __future__ import annotations

from ipaddress import IPv4Address

from keepalived_py.check.health import (
    BOOTSTRAP_DELAY_US,
    CheckerCore,
    CheckerTiming,
    Outcome,
    PoolLog,
    PoolState,
    QuorumChanged,
    ServerChanged,
    Verdict,
)
from keepalived_py.check.ipvs_desired import desired_table
from keepalived_py.check.ipvs_diff import apply, diff
from keepalived_py.check.ipvs_model import DestKey, IpvsTable
from keepalived_py.config.model.lvs import LvsSection, SockAddr
from tests.configtest import parse_text

S = 1_000_000
TIMING = CheckerTiming(delay_loop_us=6 * S, retry=2, delay_before_retry_us=1 * S, warmup_us=4 * S)


def test_first_attempt_after_bootstrap_and_warmup_share() -> None:
    core = CheckerCore(TIMING, alpha=False)
    core.start(100, 0.5)
    assert core.due == 100 + BOOTSTRAP_DELAY_US + 2 * S
    core.start(100, 7.0)  # a share outside [0, 1) is clamped
    assert core.due == 100 + BOOTSTRAP_DELAY_US + 4 * S


def test_first_failure_counts_at_once_then_retries_are_spaced() -> None:
    core = CheckerCore(TIMING, alpha=False)
    # at start the retries are spent: the first failure is a DOWN verdict
    assert core.result(False, 0) == Outcome(Verdict.DOWN, after_retries=False)
    assert core.due == 6 * S
    # later an up verdict at once
    assert core.result(True, 6 * S) == Outcome(Verdict.UP)
    # then a failure needs `retry` more failures, spaced by delay_before_retry
    assert core.result(False, 12 * S) == Outcome(None)
    assert core.due == 13 * S
    assert core.result(False, 13 * S) == Outcome(None)
    assert core.due == 14 * S
    assert core.result(False, 14 * S) == Outcome(Verdict.DOWN, after_retries=True)
    assert core.due == 20 * S
    # repeated failures while down say nothing new
    assert core.result(False, 20 * S) == Outcome(None)


def test_a_success_during_retries_resets_them() -> None:
    core = CheckerCore(TIMING, alpha=False)
    core.result(True, 0)
    assert core.result(True, 0) == Outcome(None)  # already up
    core.result(False, 6 * S)
    assert core.retry_it == 1
    assert core.result(True, 7 * S) == Outcome(None)
    assert core.retry_it == 0
    assert core.due == 13 * S


def test_alpha_checker_reports_its_first_success() -> None:
    core = CheckerCore(CheckerTiming(delay_loop_us=S, retry=0), alpha=True)
    assert core.result(True, 0) == Outcome(Verdict.UP)


def _lvs(extra: str = "", rs2: str = "") -> LvsSection:
    text = f"""
virtual_server 192.0.2.100 80 {{
    lb_kind NAT
    protocol TCP
    {extra}
    real_server 198.51.100.1 8080 {{
        weight 3
        TCP_CHECK {{ connect_timeout 1 }}
    }}
    real_server 198.51.100.2 8081 {{
        weight 2
        {rs2}
        TCP_CHECK {{ connect_timeout 1 }}
        TCP_CHECK {{ connect_port 22 }}
    }}
}}
"""
    result = parse_text(text)
    assert result.config is not None
    return result.config.lvs


RS1 = SockAddr(IPv4Address("198.51.100.1"), 8080)
RS2 = SockAddr(IPv4Address("198.51.100.2"), 8081)


def test_server_is_down_while_any_checker_fails() -> None:
    pool = PoolState(_lvs().virtual_servers[0])
    # keepalived's quorum state is set before any real server is alive: the start gains it
    assert pool.start() == [
        PoolLog("Gained quorum 1+0=1 <= 5 for VS [192.0.2.100]:tcp:80"),
        QuorumChanged(True, True, 1, 5),
    ]
    events = pool.checker_verdict(RS2, 0, Verdict.DOWN)
    assert ServerChanged(RS2, False) in events
    assert PoolLog("Removing service [198.51.100.2]:tcp:8081 from VS [192.0.2.100]:tcp:80") in events
    # the second checker failing too changes nothing more
    assert pool.checker_verdict(RS2, 1, Verdict.DOWN) == []
    # one recovers: still down
    assert pool.checker_verdict(RS2, 0, Verdict.UP) == []
    assert not pool.servers[RS2].alive
    # both: up again
    assert ServerChanged(RS2, True) in pool.checker_verdict(RS2, 1, Verdict.UP)
    assert pool.servers[RS2].alive


def test_first_verdict_that_confirms_the_state_notifies_a_failure_only() -> None:
    pool = PoolState(_lvs().virtual_servers[0])
    # non-alpha: first UP verdict confirms, silently
    assert pool.checker_verdict(RS1, 0, Verdict.UP) == []
    alpha_pool = PoolState(_lvs("alpha").virtual_servers[0])
    assert not alpha_pool.servers[RS1].alive
    # alpha: the first verdict is always told (here a failure confirming the down state)
    assert alpha_pool.checker_verdict(RS1, 0, Verdict.DOWN) == [ServerChanged(RS1, False)]


def test_quorum_with_hysteresis_and_sorry_server_drive_the_table() -> None:
    lvs = _lvs("quorum 4\n    hysteresis 1\n    sorry_server 203.0.113.9 80", "inhibit_on_failure")
    vs = lvs.virtual_servers[0]
    pool = PoolState(vs)
    assert not pool.quorum_up  # decided before any real server is alive, as keepalived
    # 5 >= 4 + 1: gained at start; the sorry server was never in, so nothing to remove
    assert pool.start() == [
        PoolLog("Gained quorum 4+1=5 <= 5 for VS [192.0.2.100]:tcp:80"),
        QuorumChanged(True, True, 5, 5),
    ]
    table = desired_table(lvs, {0: pool.health()})
    kernel = apply(IpvsTable(), diff(IpvsTable(), table))

    def step(server: SockAddr, index: int, verdict: Verdict) -> list[object]:
        nonlocal kernel
        events: list[object] = list(pool.checker_verdict(server, index, verdict))
        want = desired_table(lvs, {0: pool.health()})
        kernel = apply(kernel, diff(kernel, want))
        assert kernel == want
        return events

    # rs2 (weight 2) fails: 3 >= 4 - 1, the quorum holds (hysteresis)
    events = step(RS2, 0, Verdict.DOWN)
    assert not any(isinstance(e, QuorumChanged) for e in events)
    (svc,) = kernel.services.values()
    assert svc.dests[DestKey(RS2.ip, 8081)].weight == 0  # inhibited
    # rs1 fails too: quorum lost, sorry server in
    events = step(RS1, 0, Verdict.DOWN)
    assert QuorumChanged(False, False, 3, 0) in events
    assert PoolLog("Adding sorry server [203.0.113.9]:tcp:80 to VS [192.0.2.100]:tcp:80") in events
    (svc,) = kernel.services.values()
    assert set(svc.dests) == {DestKey(IPv4Address("203.0.113.9"), 80), DestKey(RS2.ip, 8081)}
    # rs1 back: 3 < 4 + 1, still down
    events = step(RS1, 0, Verdict.UP)
    assert not any(isinstance(e, QuorumChanged) for e in events)
    assert DestKey(RS1.ip, 8080) not in next(iter(kernel.services.values())).dests
    # rs2 back: 5 >= 5, quorum gained, sorry server out, pool back
    events = step(RS2, 0, Verdict.UP)
    assert QuorumChanged(True, False, 5, 5) in events
    (svc,) = kernel.services.values()
    assert set(svc.dests) == {DestKey(RS1.ip, 8080), DestKey(RS2.ip, 8081)}
    assert svc.dests[DestKey(RS2.ip, 8081)].weight == 2


def test_weight_change_can_lose_the_quorum() -> None:
    lvs = _lvs("quorum 5")
    pool = PoolState(lvs.virtual_servers[0])
    assert QuorumChanged(True, True, 5, 5) in pool.start()
    assert pool.set_weight(RS1, 3) == []
    events = pool.set_weight(RS1, 1)
    assert QuorumChanged(False, False, 5, 3) in events
