"""keepalived's respawn back-off (lib/scheduler.c calc_restart_delay), as a pure function."""

from __future__ import annotations

from keepalived_py.runtime.supervisor import restart_delay


def test_a_child_that_ran_a_minute_restarts_at_once() -> None:
    assert restart_delay(60.0, 16) == (0, 0)
    assert restart_delay(3600.0, 0) == (0, 0)


def test_quick_deaths_back_off_doubling_up_to_a_minute() -> None:
    delays = []
    previous = 0
    for _ in range(9):
        now, previous = restart_delay(1.0, previous)
        delays.append(now)
    assert delays == [0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_pid_paths_as_keepalived_names_them() -> None:
    from keepalived_py.runtime.namespace import pid_paths, syslog_ident

    plain = pid_paths(main=None, vrrp=None, checkers=None, namespace=None, instance=None, use_pid_dir=False)
    assert (plain.main, plain.vrrp, plain.checkers, plain.directory) == (
        "/run/keepalived.pid",
        "/run/vrrp.pid",
        "/run/checkers.pid",
        None,
    )
    in_dir = pid_paths(main=None, vrrp=None, checkers=None, namespace=None, instance=None, use_pid_dir=True)
    assert (in_dir.main, in_dir.vrrp) == ("/run/keepalived/keepalived.pid", "/run/keepalived/vrrp.pid")
    ns = pid_paths(
        main=None, vrrp="/tmp/v.pid", checkers=None, namespace="blue", instance="i1", use_pid_dir=False
    )
    assert ns.main == "/run/keepalived/blue/keepalived_i1.pid"
    assert ns.vrrp == "/tmp/v.pid"  # given on the command line
    assert ns.checkers == "/run/keepalived/blue/checkers_i1.pid"
    assert ns.directory == "/run/keepalived/blue"
    assert syslog_ident("Keepalived_vrrp", namespace="blue", instance="i1") == "Keepalived_vrrp_blue_i1"
    assert syslog_ident("Keepalived", namespace=None, instance=None) == "Keepalived"


def test_dump_file_names_carry_namespace_and_instance() -> None:
    from keepalived_py.runtime.namespace import dump_file_name

    assert dump_file_name("keepalived.data", namespace=None, instance=None) == "keepalived.data"
    assert dump_file_name("keepalived.data", namespace="blue", instance=None) == "keepalived.blue.data"
    assert dump_file_name("keepalived_parent.data", namespace="blue", instance="i1") == (
        "keepalived_parent.blue_i1.data"
    )
    assert dump_file_name("keepalived.data", namespace=None, instance="i1") == "keepalived.i1.data"
