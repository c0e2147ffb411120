"""global_defs and the top-level flags: keywords, ranges, defaults and keepalived's messages.

The expected messages and exit statuses were taken from keepalived 2.2.7 ``-t`` (Debian build)
run in a network namespace on the same one-line configs.
"""

from __future__ import annotations

import pytest

from keepalived_py.config.errors import Severity
from keepalived_py.config.model.global_defs import GlobalDefs, ProcessTuning
from keepalived_py.config.schema import root_table
from keepalived_py.config.schema.global_defs import global_defs_table
from tests.configtest import messages, parse_text


def gd(body: str, top: str = "") -> tuple[GlobalDefs, list[str], int]:
    r = parse_text(f"{top}global_defs {{\n{body}\n}}\n")
    assert r.config is not None
    return (
        r.config.global_defs,
        [d.message for d in r.diags.items if d.severity],
        (r.diags.test_exit_code()),
    )


def test_defaults() -> None:
    g = GlobalDefs()
    assert g.router_id is None  # the host name, resolved at run time
    assert g.smtp_connect_timeout == 30_000_000
    assert g.vrrp_version == 2
    assert g.vrrp_mcast_group4 == "224.0.0.18" and g.vrrp_mcast_group6 == "ff02::12"
    assert g.vrrp_garp_master_delay == 5_000_000 and g.vrrp_garp_master_repeat == 5
    assert g.vrrp_garp_master_refresh_repeat == 1 and g.vrrp_down_timer_adverts == 3
    assert g.vrrp_garp_lower_prio_delay is None and g.vrrp_garp_lower_prio_repeat is None
    assert g.min_auto_priority_delay == 1_000_000 and g.max_auto_priority == 0
    assert g.vrrp_rx_bufs_multiplier == 3
    assert g.vrrp_process == ProcessTuning() and g.vrrp_process.rlimit_rttime == 10000
    assert not g.script_security and g.smtp_alert is None


def test_every_keepalived_keyword_is_known() -> None:
    names = {k.name for k in global_defs_table()}
    for name in (
        "router_id",
        "notification_email",
        "smtp_server",
        "vrrp_garp_extra_if",
        "vrrp_vmac_garp_intvl",
        "nftables_ipvs_start_fwmark",
        "process_monitor_rcv_bufs_force",
        "enable_snmp_keepalived",
        "enable_snmp_rfc",
        "lvs_flush_onstop",
        "vrrp_rlimit_rtime",
        "include_check",
        "random_seed",
        "tmp_config_directory",
        "data_use_instance",
        "vmac_addr_prefix",
        "vrrp_iptables",
    ):
        assert name in names
    assert "vrrp_ipsets" not in names  # Debian's build has no libipset
    top = {k.name for k in root_table()}
    assert {"global_defs", "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets"} <= top
    assert {"use_pid_dir", "instance", "child_wait_time", "linkbeat_use_polling"} <= top


def test_values_are_typed() -> None:
    g, msgs, rc = gd(
        "router_id R1\nnotification_email {\n a@example.com b@example.com\n}\n"
        "notification_email_from k@example.com\nsmtp_server 192.0.2.5 2525\nsmtp_connect_timeout 5\n"
        "vrrp_version 3\nvrrp_strict\nvrrp_garp_interval 0.001\nvrrp_mcast_group4 224.0.0.19\n"
        "nftables\nlvs_timeouts tcp 10 udp 20\nvrrp_priority -5\nvrrp_cpu_affinity 1 0\n"
        "enable_script_security\nscript_user root\numask IRUSR|IWGRP\nrandom_seed 42\n"
        "lvs_sync_daemon eth0 inst VI_1 id 5\nvrrp_min_garp\nvrrp_garp_master_repeat 7"
    )
    assert (msgs, rc) == ([], 0)
    assert g.router_id == "R1"
    assert g.notification_email == ("a@example.com", "b@example.com")
    assert g.email_from == "k@example.com"
    assert g.smtp_server is not None and (g.smtp_server.host, g.smtp_server.port) == ("192.0.2.5", 2525)
    assert g.smtp_connect_timeout == 5_000_000
    assert g.vrrp_version == 3 and g.vrrp_strict and g.vrrp_garp_interval == 1000
    assert g.vrrp_mcast_group4 == "224.0.0.19"
    assert g.nftables == "keepalived" and g.nftables_priority == -1
    assert (g.lvs_timeouts.tcp, g.lvs_timeouts.udp, g.lvs_timeouts.tcp_fin) == (10, 20, None)
    assert g.vrrp_process.priority == -5 and g.vrrp_process.cpu_affinity == (0, 1)
    assert g.script_security and g.script_user == "root"
    assert g.umask == 0o420 and g.random_seed == 42
    assert g.lvs_sync_daemon is not None and g.lvs_sync_daemon.sync_id == 5
    # vrrp_min_garp only changes what is still at its default, and later keywords win.
    assert g.vrrp_garp_master_delay == 0 and g.vrrp_garp_master_repeat == 7


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("router_id", ["routerid name missing - ignoring"]),
        ("notification_email_from", ["emailfrom missing - ignoring"]),
        (
            "smtp_server 192.0.2.5 99999",
            [
                "number '99999' outside range [1, 65535]",
                "number '99999' outside range [1, 65535]",
                "Invalid smtp server 192.0.2.5 99999",
            ],
        ),
        ("smtp_server 192.0.2.5/24", ["Invalid smtp server 192.0.2.5/24 25"]),
        ("smtp_connect_timeout 0", ["smtp_conect_timeout must be greater than 0, setting to 1"]),
        (
            "smtp_connect_timeout 5000",
            [
                "number '5000' outside range [0, 4294]",
                "smtp_connect_timeout '5000' must be in [0, 4294] - ignoring",
            ],
        ),
        ("smtp_alert maybe", ["Invalid value 'maybe' for global smtp_alert specified"]),
        (
            "max_auto_priority 100",
            [
                "number '100' outside range [-1, 99]",
                "max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring",
            ],
        ),
        ("vrrp_mcast_group4 192.0.2.1", ["vrrp_mcast_group4 [192.0.2.1] is not multicast. Skipping"]),
        ("vrrp_mcast_group4 ff02::12", ["vrrp_mcast_group4 [ff02::12] is not IPv4. Skipping"]),
        ("vrrp_mcast_group6 ff05::12", ["vrrp_mcast_group6 [ff05::12] should be link-local multicast."]),
        ("vrrp_garp_master_repeat 0", ["vrrp_garp_master_repeat must be greater than 0, setting to 1"]),
        (
            "vrrp_garp_interval 0.0000001",
            [
                "number '0.0000001' has too many decimal places",
                "number '0.0000001' outside range [0.000001, 4294.967295]",
                "vrrp_garp_interval '0.0000001' is invalid",
            ],
        ),
        (
            "vrrp_vmac_garp_intvl 10",
            ['Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"'],
        ),
        ("vrrp_garp_extra_if all", ["vrrp_garp_extra_if specified without time - ignoring"]),
        ("vrrp_version 4", ["number '4' outside range [2, 3]", "VRRP Error: Version must be either 2 or 3"]),
        (
            "vrrp_iptables",
            [
                "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and "
                "'vrrp_ipsets' with 'nftables' config option"
            ],
        ),
        ("nftables_priority x", ["invalid number 'x'", "invalid nftables chain priority 'x'"]),
        ("vrrp_priority", ["No vrrp process priority specified"]),
        (
            "vrrp_rt_priority 0",
            ["vrrp process real-time priority 0 less than minimum 1 - setting to minimum"],
        ),
        ("vrrp_cpu_affinity x", ["invalid number 'x'", "Invalid cpu_id:0 specified for vrrp process"]),
        ("notify_fifo", ["No notify_fifo name specified"]),
        ("snmp_socket a b", ["Too many parameters specified for snmp_socket - ignoring"]),
        ("script_user", ["No script username specified"]),
        (
            "lvs_timeouts tcp 10 udp x foo",
            [
                "invalid number 'x'",
                "Invalid lvs_timeout udp (x) - ignoring",
                "Unknown option foo specified for lvs_timeouts",
            ],
        ),
        (
            "lvs_sync_daemon eth0 VI_1 300",
            ["number '300' outside range [0, 255]", "Invalid syncid (300) - defaulting to vrid"],
        ),
        (
            "vrrp_rx_bufs_policy MTU ADVERT",
            ["Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT"],
        ),
        ("umask 0999", ["invalid umask value 0999"]),
        ("umask IRUSR IWGRP", ["Invalid umask syntax IWGRP"]),
        (
            "process_name abcdefghijklmnopqrstu",
            ["Process name abcdefghijklmnopqrstu more than 15 characters, truncating"],
        ),
        ("data_use_instance x", ["Invalid value 'x' for global date_use_instance specified"]),
        (
            "config_save_dir /etc/keepalived/keepalived.conf",
            ["config_save_dir /etc/keepalived/keepalived.conf exists and is not a directory"],
        ),
        ("notification_email {\n}", ["Warning - empty notification_email block"]),
    ],
)
def test_messages_as_keepalived(line: str, expected: list[str]) -> None:
    _, msgs, rc = gd(line)
    assert msgs == expected
    assert rc == 5


@pytest.mark.parametrize(
    "line",
    [
        "smtp_alert_vrrp no",
        "max_auto_priority",
        "vrrp_mcast_group6 ff02::13",
        "vrrp_rlimit_rtime 5",
        "enable_snmp_keepalived",
        "umask 022",
        "nftables 0123456789012345678901234567890123",
        "include_check read",
    ],
)
def test_accepted_silently(line: str) -> None:
    _, msgs, rc = gd(line)
    assert (msgs, rc) == ([], 0)


def test_missing_mandatory_parameter_is_fatal() -> None:
    r = parse_text("global_defs {\n vmac_prefix\n}\n")
    assert r.fatal_exit == 2


def test_bad_number_values_keep_defaults() -> None:
    g, _, _ = gd("vrrp_version x\nvrrp_garp_master_delay 5000\nvrrp_priority 20")
    assert g.vrrp_version == 2 and g.vrrp_garp_master_delay == 5_000_000
    assert g.vrrp_process.priority == 0


def test_top_level_keywords() -> None:
    r = parse_text("net_namespace_ipvs\ninstance x\ninstance y\nchild_wait_time 7\nlinkbeat_use_polling\n")
    assert r.config is not None
    g = r.config.global_defs
    assert g.net_namespace_ipvs == "" and g.instance == "x" and g.use_pid_dir
    assert g.child_wait_time == 7 and g.linkbeat_use_polling
    assert "Duplicate instance definition y - ignoring" in messages(r)


def test_net_namespace_that_cannot_be_entered_ends_test_with_status_0() -> None:
    r = parse_text("net_namespace nosuch\nglobal_defs {\n router_id\n}\n")
    assert r.fatal_exit == 0
    assert "Unable to set network namespace nosuch - exiting" in messages(r)


def test_net_namespace_present() -> None:
    r = parse_text("net_namespace ns1\n", files={"/run/netns/ns1": b""})
    assert r.fatal_exit is None and r.config is not None
    assert r.config.global_defs.net_namespace == "ns1"


def test_severity_of_vrrp_mcast_group6_warning() -> None:
    r = parse_text("global_defs {\n vrrp_mcast_group6 ff05::12\n}\n")
    assert r.diags.status == Severity.WARNING
