"""The checker process's engine and loop with fake checkers and an in-memory IPVS (no root)."""

from __future__ import annotations

import asyncio
import logging
from ipaddress import IPv4Address
from typing import Any

import pytest

from keepalived_py.check import ipvs_diff
from keepalived_py.check.health import CheckerTiming
from keepalived_py.check.ipvs_model import (
    AF_INET,
    IPPROTO_TCP,
    DestAttrs,
    DestKey,
    IpvsTable,
    Service,
    ServiceAttrs,
    ServiceKey,
)
from keepalived_py.check.rules import AttemptOutcome, TcpRule
from keepalived_py.config.model import Config
from keepalived_py.config.model.lvs import RealServer, VirtualServer, trio
from keepalived_py.runtime.check_process import (
    CheckDaemon,
    CheckEngine,
    DueHeap,
    MemoryIpvs,
    Recorder,
    fifo_rs_line,
    fifo_vs_line,
)
from tests.configtest import parse_text

S = 1_000_000
VIP = IPv4Address("192.0.2.10")
SVC = ServiceKey(AF_INET, IPPROTO_TCP, VIP, 80)


class FakeChecker:
    """A TCP_CHECK whose server is up or down as the test says (keepalived's tcp_epilog rule)."""

    KIND = "TCP_CHECK"

    def __init__(self, vs: VirtualServer, rs: RealServer, index: int, model: Any) -> None:
        self.index = index
        self.server_up = True
        self.now = 0
        self.rule = TcpRule(
            CheckerTiming(delay_loop_us=2 * S, retry=model.retry or 1, delay_before_retry_us=S),
            alpha=vs.alpha if rs.alpha is None else rs.alpha,
            name=trio(rs.address, vs.protocol),
        )

    @property
    def due(self) -> int | None:
        return self.rule.due

    @property
    def is_up(self) -> bool:
        return self.rule.is_up

    def start(self, now: int, warmup_fraction: float) -> None:
        self.rule.start(now, warmup_fraction)

    def skip(self, now: int) -> AttemptOutcome:
        return self.rule.skip(now)

    async def attempt(self) -> AttemptOutcome:
        return self.rule.result(self.server_up, self.now)


def config(text: str) -> Config:
    result = parse_text(text)
    assert result.config is not None, [d.message for d in result.diags.items]
    return result.config


CONF = """
virtual_server 192.0.2.10 80 {
    delay_loop 2
    lb_algo rr
    lb_kind NAT
    protocol TCP
    %(extra)s
    real_server 198.51.100.1 8080 {
        notify_up "/bin/up 1"
        notify_down "/bin/down 1"
        TCP_CHECK {
            connect_timeout 1
            retry 2
        }
    }
    real_server 198.51.100.2 8080 {
        weight 3
        TCP_CHECK {
            connect_timeout 1
            retry 2
        }
    }
}
"""


class Harness:
    def __init__(self, text: str, *, backend: MemoryIpvs | None = None, dont_release: bool = False) -> None:
        self.config = config(text)
        self.backend = backend or MemoryIpvs()
        self.notes = Recorder()
        self.checkers: dict[str, FakeChecker] = {}

        def factory(vs: VirtualServer, rs: RealServer, index: int, model: Any) -> FakeChecker:
            c = FakeChecker(vs, rs, index, model)
            self.checkers[str(rs.address.ip)] = c
            return c

        self.engine = CheckEngine(
            self.config,
            self.backend,
            self.notes,
            factory=factory,
            dont_release=dont_release,
            warmup=lambda: 0.0,
        )
        self.now = 0

    def start(self) -> None:
        self.engine.prepare()
        self.engine.start(self.now)

    def run_until(self, until: int) -> None:
        """Jump the clock from due time to due time, running each due attempt."""
        while True:
            due = self.engine.heap.next_due()
            if due is None or due > until:
                break
            self.now = due
            for slot in self.engine.due_slots(due):
                checker = slot.checker
                assert isinstance(checker, FakeChecker)
                checker.now = due
                was_up = checker.is_up
                outcome = asyncio.run(checker.attempt())
                self.engine.handle(slot, outcome, was_up)
            self.engine.sync()
        self.now = until

    def dests(self, key: ServiceKey = SVC) -> dict[str, int]:
        svc = self.backend.table.services.get(key)
        return {} if svc is None else {str(d.address): a.weight for d, a in svc.dests.items()}


def test_due_heap_orders_and_pops_due() -> None:
    heap = DueHeap()
    for due, item in ((5, "c"), (1, "a"), (3, "b"), (3, "b2")):
        heap.push(due, item)
    assert heap.next_due() == 1
    assert heap.pop_due(3) == ["a", "b", "b2"]
    assert heap.pop_due(4) == []
    assert len(heap) == 1 and heap.next_due() == 5


def test_start_installs_the_table_and_activates_checkers(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(CONF % {"extra": ""})
    with caplog.at_level(logging.INFO):
        h.start()
    assert h.dests() == {"198.51.100.1": 1, "198.51.100.2": 3}
    assert h.backend.table.services[SVC].attrs.scheduler == "rr"
    assert (
        "Activating healthchecker for service [198.51.100.1]:tcp:8080 for VS [192.0.2.10]:tcp:80"
        in caplog.messages
    )
    # the first attempt is one second after start (no warmup here)
    assert h.engine.heap.next_due() == S
    # keepalived's quorum starts down (set before any real server is alive): gained at start
    assert "Gained quorum 1+0=1 <= 4 for VS [192.0.2.10]:tcp:80" in caplog.messages
    assert h.notes.events == [
        ("fifo", "VS [192.0.2.10]:tcp:80 UP\n"),
        ("mail_quorum", "[192.0.2.10]:tcp:80", True, 4, True, False),
    ]


def test_reconcile_leaves_right_entries_and_foreign_services_alone() -> None:
    nat = DestAttrs(weight=1)
    foreign = ServiceKey(AF_INET, IPPROTO_TCP, IPv4Address("203.0.113.5"), 443)
    kernel = IpvsTable(
        {
            SVC: Service(
                ServiceAttrs(scheduler="rr"),
                {
                    DestKey(IPv4Address("198.51.100.1"), 8080): nat,
                    DestKey(IPv4Address("198.51.100.2"), 8080): DestAttrs(weight=7),
                    DestKey(IPv4Address("198.51.100.9"), 8080): nat,
                },
            ),
            foreign: Service(ServiceAttrs(), {DestKey(IPv4Address("203.0.113.6"), 443): nat}),
        }
    )
    h = Harness(CONF % {"extra": ""}, backend=MemoryIpvs(table=kernel))
    h.start()
    (batch,) = h.backend.batches
    assert batch == [
        ipvs_diff.EditDest(SVC, DestKey(IPv4Address("198.51.100.2"), 8080), DestAttrs(weight=3)),
        ipvs_diff.DelDest(SVC, DestKey(IPv4Address("198.51.100.9"), 8080)),
    ]
    assert foreign in h.backend.table.services
    assert h.dests() == {"198.51.100.1": 1, "198.51.100.2": 3}


def test_failure_removes_after_retries_and_recovery_adds_back(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(CONF % {"extra": ""})
    h.start()
    h.notes.events.clear()  # the quorum gained at start
    h.run_until(1 * S)  # first attempts: both up, no change
    assert h.notes.events == []
    h.checkers["198.51.100.1"].server_up = False
    with caplog.at_level(logging.INFO):
        h.run_until(3 * S)  # the first failure (at 3 s) is retried twice, 1 s apart
        assert h.dests() == {"198.51.100.1": 1, "198.51.100.2": 3}
        h.run_until(5 * S)
    assert h.dests() == {"198.51.100.2": 3}
    assert "TCP_CHECK on service [198.51.100.1]:tcp:8080 failed after 2 retries." in caplog.messages
    assert "Removing service [198.51.100.1]:tcp:8080 from VS [192.0.2.10]:tcp:80" in caplog.messages
    assert ("script", ("/bin/down", "1"), False) in h.notes.events
    assert ("fifo", "RS [198.51.100.1]:tcp:8080 [192.0.2.10]:tcp:80 DOWN\n") in h.notes.events
    assert ("mail_rs", "[198.51.100.1]:tcp:8080", "TCP_CHECK", False, True, False) in h.notes.events
    h.notes.events.clear()
    h.checkers["198.51.100.1"].server_up = True
    h.run_until(8 * S)
    assert h.dests() == {"198.51.100.1": 1, "198.51.100.2": 3}
    # the pool's notify script and FIFO line, then the checker's mail (keepalived's checkers
    # mail once update_svr_checker_state has run the notifications)
    assert h.notes.events == [
        ("script", ("/bin/up", "1"), False),
        ("fifo", "RS [198.51.100.1]:tcp:8080 [192.0.2.10]:tcp:80 UP\n"),
        ("mail_rs", "[198.51.100.1]:tcp:8080", "TCP_CHECK", True, False, True),
    ]


def test_sorry_server_when_all_fail_and_back() -> None:
    extra = """quorum_up "/bin/qup"
    quorum_down "/bin/qdown"
    sorry_server 203.0.113.50 8080"""
    h = Harness(CONF % {"extra": extra})
    h.start()
    for c in h.checkers.values():
        c.server_up = False
    h.run_until(5 * S)
    assert h.dests() == {"203.0.113.50": 1}
    assert ("script", ("/bin/qdown",), False) in h.notes.events
    assert ("fifo", "VS [192.0.2.10]:tcp:80 DOWN\n") in h.notes.events
    for c in h.checkers.values():
        c.server_up = True
    h.run_until(8 * S)
    assert h.dests() == {"198.51.100.1": 1, "198.51.100.2": 3}
    assert ("script", ("/bin/qup",), False) in h.notes.events
    assert ("fifo", "VS [192.0.2.10]:tcp:80 UP\n") in h.notes.events


def test_inhibit_on_failure_keeps_weight_zero() -> None:
    h = Harness(CONF % {"extra": "inhibit_on_failure"})
    h.start()
    h.checkers["198.51.100.2"].server_up = False
    h.run_until(5 * S)
    assert h.dests() == {"198.51.100.1": 1, "198.51.100.2": 0}


def test_stop_removes_our_services_with_omega_notifications(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(CONF % {"extra": "omega\n    quorum_down /bin/qdown"})
    h.start()
    with caplog.at_level(logging.INFO):
        ops = h.engine.stop()
    assert ops == [ipvs_diff.DelService(SVC)]
    assert h.backend.table == IpvsTable()
    assert "Shutting down service [198.51.100.1]:tcp:8080 from VS [192.0.2.10]:tcp:80" in caplog.messages
    assert ("script", ("/bin/down", "1"), True) in h.notes.events
    assert ("script", ("/bin/qdown",), True) in h.notes.events
    assert ("fifo", "VS [192.0.2.10]:tcp:80 DOWN\n") in h.notes.events


def test_stop_without_omega_is_silent_and_dont_release_keeps_table() -> None:
    h = Harness(CONF % {"extra": ""})
    h.start()
    h.notes.events.clear()
    h.engine.stop()
    assert h.notes.events == [] and h.backend.table == IpvsTable()
    kept = Harness(CONF % {"extra": ""}, dont_release=True)
    kept.start()
    assert kept.engine.stop() == []
    assert kept.dests() == {"198.51.100.1": 1, "198.51.100.2": 3}


def test_refused_command_rereads_the_kernel(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(CONF % {"extra": ""})
    h.start()
    h.backend.table = IpvsTable()  # someone ran ipvsadm -C behind our back
    h.checkers["198.51.100.2"].server_up = False
    with caplog.at_level(logging.INFO):
        h.run_until(5 * S)
    assert any(m.startswith("IPVS cmd IP_VS_SO_SET_") for m in caplog.messages)
    # the next change is computed against what the kernel really has
    h.checkers["198.51.100.2"].server_up = True
    h.run_until(8 * S)
    assert h.dests() == {"198.51.100.1": 1, "198.51.100.2": 3}


def test_fifo_lines() -> None:
    vs = config(CONF % {"extra": ""}).lvs.virtual_servers[0]
    rs = vs.real_servers[0]
    assert fifo_rs_line(vs, rs.address, True) == b"RS [198.51.100.1]:tcp:8080 [192.0.2.10]:tcp:80 UP\n"
    assert fifo_vs_line(vs, False) == b"VS [192.0.2.10]:tcp:80 DOWN\n"


def test_thousand_checkers_share_one_heap() -> None:
    servers = "\n".join(
        f"real_server 198.51.100.{i % 250 + 1} {8000 + i} {{\n TCP_CHECK {{\n connect_timeout 1\n }}\n}}"
        for i in range(1000)
    )
    h = Harness(f"virtual_server 192.0.2.10 80 {{\n protocol TCP\n delay_loop 2\n{servers}\n}}")
    h.start()
    assert len(h.engine.heap) == 1000
    h.run_until(1 * S)
    assert len(h.engine.heap) == 1000 and h.engine.heap.next_due() == 3 * S
    assert len(h.backend.table.services[SVC].dests) == 1000


def test_daemon_loop_runs_checks_and_stops() -> None:
    """CheckDaemon on a real loop: attempts run as tasks, the table follows, SIGTERM's path cleans up."""
    cfg = config(CONF % {"extra": ""})
    backend = MemoryIpvs()
    notes = Recorder()
    made: list[FakeChecker] = []

    class Quick(FakeChecker):
        def __init__(self, *a: Any) -> None:
            super().__init__(*a)
            self.rule.timing = CheckerTiming(delay_loop_us=20_000, retry=0, delay_before_retry_us=10_000)
            self.rule.core.timing = self.rule.timing
            made.append(self)

        def start(self, now: int, warmup_fraction: float) -> None:
            super().start(now, warmup_fraction)
            self.rule.core.due = self.rule.due = now

        async def attempt(self) -> AttemptOutcome:
            await asyncio.sleep(0)
            self.now = int(asyncio.get_running_loop().time() * S)
            return self.rule.result(self.server_up, self.now)

    class Opts:
        dont_release_ipvs = False
        umask = None
        ready_fd = None

    async def main() -> int:
        loop = asyncio.get_running_loop()
        daemon = CheckDaemon(cfg, Opts(), loop, backend=lambda: backend, notes=notes, factory=Quick)
        task = loop.create_task(daemon.run())

        async def until(pred: Any) -> None:
            for _ in range(500):
                if pred():
                    return
                await asyncio.sleep(0.01)
            raise AssertionError("timed out")

        def dests() -> set[str]:
            svc = backend.table.services.get(SVC)
            return set() if svc is None else {str(d.address) for d in svc.dests}

        await until(lambda: dests() == {"198.51.100.1", "198.51.100.2"})
        made[0].server_up = False
        await until(lambda: dests() == {"198.51.100.2"})
        made[0].server_up = True
        await until(lambda: dests() == {"198.51.100.1", "198.51.100.2"})
        daemon.stop_event.set()
        return await task

    # signal handlers need the main thread's loop
    assert asyncio.run(main()) == 0
    assert backend.table == IpvsTable()
    assert ("terminate",) in notes.events


def test_lvs_flush_at_start_and_full_flush_at_stop() -> None:
    foreign = ServiceKey(AF_INET, IPPROTO_TCP, IPv4Address("203.0.113.5"), 443)
    kernel = IpvsTable({foreign: Service(ServiceAttrs(), {})})
    text = "global_defs {\n lvs_flush\n lvs_flush_on_stop\n}\n" + CONF % {"extra": ""}
    h = Harness(text, backend=MemoryIpvs(table=kernel))
    h.start()
    assert set(h.backend.table.services) == {SVC}
    h.backend.table = IpvsTable({**h.backend.table.services, foreign: Service(ServiceAttrs(), {})})
    assert h.engine.stop() == []
    assert h.backend.table == IpvsTable()


def test_rs_init_notifies_at_start() -> None:
    h = Harness("global_defs {\n rs_init_notifies\n}\n" + CONF % {"extra": ""})
    h.start()
    assert h.notes.events == [
        ("script", ("/bin/up", "1"), False),
        ("fifo", "RS [198.51.100.1]:tcp:8080 [192.0.2.10]:tcp:80 UP\n"),
        ("fifo", "RS [198.51.100.2]:tcp:8080 [192.0.2.10]:tcp:80 UP\n"),
        # then the quorum gained at start
        ("fifo", "VS [192.0.2.10]:tcp:80 UP\n"),
        ("mail_quorum", "[192.0.2.10]:tcp:80", True, 4, True, False),
    ]


def test_group_and_fwmark_services_follow_health() -> None:
    text = """
virtual_server_group web {
    192.0.2.40-41 80
    fwmark 9
}
virtual_server group web {
    delay_loop 2
    lb_kind DR
    protocol TCP
    real_server 198.51.100.1 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server fwmark 7 {
    delay_loop 2
    lb_kind DR
    real_server 198.51.100.2 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
"""
    h = Harness(text)
    h.start()
    keys = sorted(h.backend.table.services)
    assert len(keys) == 4 and {k.fwmark for k in keys} == {0, 7, 9}
    h.checkers["198.51.100.1"].server_up = False
    h.run_until(5 * S)
    for key in keys:
        want = {} if key.fwmark != 7 else {"198.51.100.2": 1}
        assert h.dests(key) == want, key


def test_memory_table_survives_the_process(tmp_path: Any) -> None:
    from keepalived_py.check.ipvs_desired import desired_table
    from keepalived_py.runtime.check_process import load_table, table_from_json, table_to_json

    text = """
virtual_server_group web {
    192.0.2.40-41 80
    fwmark 9
}
virtual_server group web {
    lb_kind TUN
    protocol TCP
    persistence_timeout 60
    real_server 198.51.100.32 80 {
        weight 3
        lvs_method TUN type gue port 6080 csum
    }
}
virtual_server fwmark 8 {
    ip_family inet6
    lb_algo sh
    sh-port
    lb_kind DR
    persistence_timeout 120
    persistence_granularity 64
    real_server 2001:db8:2::1 {
        uthreshold 9
    }
}
"""
    table = desired_table(config(text).lvs)
    assert table_from_json(table_to_json(table)) == table
    path = str(tmp_path / "ipvs.jsonl")
    first = MemoryIpvs(path)
    first.apply(ipvs_diff.diff(first.read(), table))
    assert load_table(path) == table
    assert MemoryIpvs(path).read() == table


def test_reload_with_the_same_config_keeps_state_and_checkers(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(CONF % {"extra": ""})
    h.start()
    h.checkers["198.51.100.2"].server_up = False
    h.run_until(5 * S)
    assert h.dests() == {"198.51.100.1": 1}
    before = dict(h.checkers)
    h.notes.events.clear()
    sent = len(h.backend.batches)
    with caplog.at_level(logging.INFO):
        h.engine.reload(config(CONF % {"extra": ""}), h.now)
    assert h.engine.sync() == [] and len(h.backend.batches) == sent
    assert h.notes.events == []
    assert [s.checker for s in h.engine.slots] == list(before.values())
    assert (
        caplog.messages.count(
            "Activating healthchecker for service [198.51.100.1]:tcp:8080 for VS [192.0.2.10]:tcp:80"
        )
        == 1
    )
    # the down server is still down, and comes back as before
    h.checkers["198.51.100.2"].server_up = True
    h.run_until(9 * S)
    assert h.dests() == {"198.51.100.1": 1, "198.51.100.2": 3}


def test_reload_removes_and_adds_servers_and_services(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(CONF % {"extra": ""})
    h.start()
    h.run_until(2 * S)
    text = (
        (CONF % {"extra": ""}).replace("198.51.100.1 8080", "198.51.100.7 8080")
        + """
virtual_server 192.0.2.11 443 {
    protocol TCP
    real_server 198.51.100.3 443 {
        weight 2
    }
}
"""
    )
    h.notes.events.clear()
    with caplog.at_level(logging.INFO):
        h.engine.reload(config(text), h.now)
        ops = h.engine.sync()
    assert "service [198.51.100.1]:tcp:8080 no longer exist" in caplog.messages
    assert "Removing service [198.51.100.1]:tcp:8080 from VS [192.0.2.10]:tcp:80" in caplog.messages
    assert ("script", ("/bin/down", "1"), False) in h.notes.events
    new_svc = ServiceKey(AF_INET, IPPROTO_TCP, IPv4Address("192.0.2.11"), 443)
    assert ipvs_diff.AddService(new_svc, ServiceAttrs()) in ops
    assert h.dests() == {"198.51.100.7": 1, "198.51.100.2": 3}
    assert h.dests(new_svc) == {"198.51.100.3": 2}
    # both go away, a third comes
    third = text.split("virtual_server 192.0.2.11")[0].replace("192.0.2.10 80", "192.0.2.12 80")
    with caplog.at_level(logging.INFO):
        h.engine.reload(config(third), h.now)
        h.engine.sync()
    assert set(h.backend.table.services) == {ServiceKey(AF_INET, IPPROTO_TCP, IPv4Address("192.0.2.12"), 80)}
    assert "Removing Virtual Server [192.0.2.10]:tcp:80" in caplog.messages
    assert "Removing Virtual Server [192.0.2.11]:tcp:443" in caplog.messages


def test_file_check_weights_and_fault(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    state = tmp_path / "rs1"
    state.write_text("0\n")
    text = f"""
track_file rs1_file {{
    file {state}
    weight 0
}}
virtual_server 192.0.2.10 80 {{
    protocol TCP
    real_server 198.51.100.1 8080 {{
        weight 10
        FILE_CHECK {{
            track_file rs1_file
        }}
    }}
    real_server 198.51.100.2 8080 {{
        weight 10
        FILE_CHECK {{
            track_file rs1_file
            weight 2
        }}
    }}
}}
"""
    h = Harness(text)
    with caplog.at_level(logging.INFO):
        h.start()
    assert not any("Activating healthchecker" in m for m in caplog.messages)
    assert h.dests() == {"198.51.100.1": 10, "198.51.100.2": 10}
    # weight 0: a non-zero value is a fault; weight 2: the value times 2 moves the weight
    state.write_text("3\n")
    with caplog.at_level(logging.INFO):
        h.engine.files_changed(detail=True)
    h.engine.sync()
    assert h.dests() == {"198.51.100.2": 16}
    assert "([198.51.100.1]:tcp:8080): tracked file rs1_file now FAULT state" in caplog.messages
    assert (
        "Changing weight from 10 to 16 for active service [198.51.100.2]:tcp:8080 of VS [192.0.2.10]:tcp:80"
        in (caplog.messages)
    )
    assert ("fifo", "RS [198.51.100.1]:tcp:8080 [192.0.2.10]:tcp:80 DOWN\n") in h.notes.events
    state.write_text("0\n")
    h.engine.files_changed()
    h.engine.sync()
    assert h.dests() == {"198.51.100.1": 10, "198.51.100.2": 10}
    # a fault at start: never added
    state.write_text("1\n")
    again = Harness(text)
    again.start()
    assert again.dests() == {"198.51.100.2": 12}


def test_unloadable_ssl_files_stop_the_checker_process(caplog: pytest.LogCaptureFixture) -> None:
    """keepalived: init_ssl_ctx fails -> "SSL error : Cant load ..." and the FATAL exit."""
    text = """
SSL {
    certificate /nonexistent/cert.pem
}
virtual_server 192.0.2.10 443 {
    protocol TCP
    real_server 198.51.100.1 443 {
        SSL_GET {
            url {
                path /
            }
        }
    }
}
"""
    cfg = config(text)

    class Opts:
        dont_release_ipvs = False
        umask = None
        ready_fd = None

    async def main() -> int:
        daemon = CheckDaemon(cfg, Opts(), asyncio.get_running_loop(), backend=MemoryIpvs, notes=Recorder())
        return await daemon.run()

    with caplog.at_level(logging.INFO):
        assert asyncio.run(main()) == 1
    assert "SSL error : Cant load certificate file..." in caplog.messages


RANDOM_CONF = """
virtual_server_group g {
    192.0.2.40-41 80
    fwmark 9
}
virtual_server group g {
    lb_kind DR
    protocol TCP
    quorum 3
    hysteresis 1
    sorry_server 203.0.113.9 80
    sorry_server_inhibit
%(servers)s
}
virtual_server 192.0.2.10 80 {
    protocol TCP
    inhibit_on_failure
    quorum 2
    sorry_server 203.0.113.8 80
%(servers)s
}
virtual_server 192.0.2.11 80 {
    protocol TCP
%(servers)s
}
"""


@pytest.mark.parametrize("seed", range(8))
def test_incremental_table_always_equals_the_full_computation(seed: int) -> None:
    import random as rnd

    from keepalived_py.check.ipvs_desired import desired_table

    servers = "\n".join(
        f"    real_server 198.51.100.{n} {8000 + n} {{\n        weight {n % 3 + 1}\n"
        f"        TCP_CHECK {{\n            connect_timeout 1\n            retry 1\n        }}\n    }}"
        for n in range(1, 7)
    )
    h = Harness(RANDOM_CONF % {"servers": servers})
    h.start()
    incremental = []
    inner = h.engine._incremental_ops

    def counted(i: int, addresses: Any) -> Any:
        found = inner(i, addresses)
        incremental.append(found is not None)
        return found

    h.engine._incremental_ops = counted  # type: ignore[method-assign]
    r = rnd.Random(seed)
    checkers = [slot.checker for slot in h.engine.slots]
    for step in range(40):
        for c in r.sample(checkers, 4):
            assert isinstance(c, FakeChecker)
            c.server_up = not c.server_up
        if step % 5 == 0:
            i = r.randrange(len(h.engine.pools))
            rs = r.choice(h.engine.pools[i].vs.real_servers)
            h.engine._weight(i, rs, r.randrange(0, 5))
        h.run_until((2 + step) * S)
        h.engine.sync()
        want = desired_table(h.config.lvs, {i: p.health() for i, p in enumerate(h.engine.pools)})
        assert h.backend.table == want, (seed, step)
    assert sum(incremental) > 10


def test_a_broken_ipvs_socket_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(MemoryIpvs):
        fail = False

        def apply(self, ops: Any) -> None:
            if self.fail:
                raise OSError(9, "Bad file descriptor")
            super().apply(ops)

    backend = Broken()
    h = Harness(CONF % {"extra": ""}, backend=backend)
    h.start()
    backend.fail = True
    h.checkers["198.51.100.2"].server_up = False
    with caplog.at_level(logging.INFO):
        h.run_until(5 * S)
    assert "IPVS: [Errno 9] Bad file descriptor" in caplog.messages
    backend.fail = False
    h.checkers["198.51.100.2"].server_up = True
    h.checkers["198.51.100.1"].server_up = False
    h.run_until(9 * S)
    assert h.dests() == {"198.51.100.2": 3}


def test_ha_suspend_runs_checkers_only_while_the_address_is_local(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(CONF % {"extra": "ha_suspend"})
    h.engine.set_addresses([IPv4Address("127.0.0.1")])
    with caplog.at_level(logging.INFO):
        h.start()
    assert (
        "Deactivating healthchecker for service [198.51.100.1]:tcp:8080 for VS [192.0.2.10]:tcp:80"
        in caplog.messages
    )
    h.checkers["198.51.100.1"].server_up = False
    h.run_until(6 * S)
    assert h.dests() == {"198.51.100.1": 1, "198.51.100.2": 3}  # suspended: no verdict
    with caplog.at_level(logging.INFO):
        h.engine.address_changed(VIP, True)
    assert (
        "Activating healthchecker for service [198.51.100.1]:tcp:8080 for VS [192.0.2.10]:tcp:80"
        in caplog.messages
    )
    h.run_until(12 * S)
    assert h.dests() == {"198.51.100.2": 3}
    with caplog.at_level(logging.INFO):
        h.engine.address_changed(VIP, False)
    assert (
        "Suspending healthchecker for service [198.51.100.2]:tcp:8080 for VS [192.0.2.10]:tcp:80"
        in caplog.messages
    )
