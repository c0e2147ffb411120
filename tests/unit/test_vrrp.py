"""vrrp_instance / vrrp_sync_group: messages and -t exit status as keepalived 2.2.7 gives them.

Every expectation here was checked against the real keepalived 2.2.7 (-t, namespace with lo,
eth0, eth1).
"""

from __future__ import annotations

from keepalived_py.config.errors import Severity
from tests.configtest import messages, parse_text


def inst(
    body: str = "",
    *,
    state: str = "BACKUP",
    iface: str = "eth0",
    vrid: str = "51",
    prio: str = "150",
    adv: str = "1",
    after: str = "",
    vip: str = "192.0.2.100/24 dev eth0",
) -> str:
    return (
        "vrrp_instance VI_1 {\n"
        f"  state {state}\n  interface {iface}\n  virtual_router_id {vrid}\n"
        f"  priority {prio}\n  advert_int {adv}\n{body}\n"
        f"  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n{after}"
    )


def msgs(text: str) -> tuple[list[str], int]:
    r = parse_text(text)
    return messages(r), r.diags.test_exit_code()


def test_valid_instance_model() -> None:
    r = parse_text(inst())
    assert messages(r) == [] and r.diags.test_exit_code() == 0
    assert r.config is not None
    (vi,) = r.config.vrrp.instances
    assert (vi.name, vi.state, vi.interface, vi.vrid, vi.priority) == ("VI_1", "BACKUP", "eth0", 51, 150)
    assert vi.advert_int == 1_000_000 and vi.version == 2 and vi.family == 4
    assert vi.virtual_ipaddresses[0].address == "192.0.2.100"
    assert vi.accept is True and vi.strict_mode is False


def test_priority_out_of_range() -> None:
    m, code = msgs(inst(prio="300"))
    assert m == [
        "number '300' outside range [1, 255]",
        "(VI_1) Priority not valid! must be between 1 & 255. Using default 100",
    ]
    assert code == 5


def test_priority_derived_from_state() -> None:
    r = parse_text(inst(state="MASTER").replace("  priority 150\n", ""))
    assert r.config is not None and r.config.vrrp.instances[0].priority == 255


def test_bad_vrid_then_not_set() -> None:
    m, code = msgs(inst(vrid="256"))
    assert m == [
        "number '256' outside range [1, 255]",
        "(VI_1): VRID '256' not valid - must be between 1 & 255",
        "(VI_1) the virtual router id must be set",
    ]
    assert code == 5


def test_missing_interface_is_bad_if() -> None:
    r = parse_text(inst(iface="eth9"))
    assert messages(r) == [
        "WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist",
        "Non-existent interface specified in configuration",
    ]
    assert r.diags.items[1].severity == Severity.BAD_IF
    assert r.diags.test_exit_code() == 5


def test_loopback_interface() -> None:
    m, code = msgs(inst(iface="lo"))
    assert m == [
        "(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring",
        "(VI_1) Unknown interface!",
    ]
    assert code == 5


def test_v2_fractional_advert_rounded() -> None:
    r = parse_text(inst(adv="0.1"))
    assert messages(r) == ["(VI_1) VRRPv2 advertisement interval 0.100000s must be an integer. rounding"]
    assert r.diags.test_exit_code() == 5
    assert r.config is not None and r.config.vrrp.instances[0].advert_int == 1_000_000


def test_v3_advert_units() -> None:
    m, code = msgs(inst("  version 3\n  advert_int 0.015"))
    assert m == ["(VI_1) VRRPv3 advertisement interval 0.015000s must be in units of 10ms - rounding"]
    assert code == 5


def test_nopreempt_master() -> None:
    m, code = msgs(inst("  nopreempt", state="MASTER"))
    assert m == ["(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing"]
    assert code == 5


def test_authentication() -> None:
    m, _ = msgs(inst("  authentication {\n    auth_type PASS\n    auth_pass secret123456\n  }"))
    assert m == ["Truncating auth_pass to 8 characters"]
    m, _ = msgs(inst("  version 3\n  authentication {\n    auth_type PASS\n    auth_pass x\n  }"))
    assert m == ["(VI_1) VRRP version 3 does not support authentication. Ignoring."]
    m, _ = msgs(inst("  strict_mode\n  authentication {\n    auth_type AH\n    auth_pass x\n  }"))
    assert m == ["(VI_1) Strict mode does not support authentication. Ignoring."]


def test_strict_mode_resets() -> None:
    body = (
        "  strict_mode\n  preempt_delay 5\n  nopreempt\n  garp_lower_prio_repeat 3\n"
        "  higher_prio_send_advert\n  lower_prio_no_advert off\n  down_timer_adverts 5"
    )
    m, code = msgs(inst(body))
    assert m == [
        "(VI_1) preempt_delay is incompatible with strict mode - resetting",
        "(VI_1) preempt_delay is incompatible with nopreempt mode - resetting",
        "(VI_1) down_timer_adverts is incompatible with strict mode - resetting",
        "(VI_1) Strict mode requires no repeat garps. resetting",
        "(VI_1) Strict mode requires no lower priority advert. resetting",
        "(VI_1) strict mode requires higher_prio_send_advert to be clear. resetting",
    ]
    assert code == 5


def test_ipv6_with_version2_strict() -> None:
    text = (
        "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  version 2\n  strict_mode\n"
        "  virtual_ipaddress {\n    2001:db8::5/64\n  }\n}\n"
    )
    m, code = msgs(text)
    assert m == [
        "(VI_1) cannot use IPv6 with VRRP version 2; setting version 3",
        "(VI_1) the first IPv6 VIP address must be link local",
    ]
    assert code == 5


def test_misc_handler_messages() -> None:
    body = (
        "  mcast_dst_ip 192.0.2.5\n  mcast_src_ip 2001:db8::1\n  native_ipv6\n  unicast_ttl 5\n"
        "  vmac_xmit_base\n  garp_master_repeat 0\n  debug 7\n  state FOO\n  version 4\n"
        "  smtp_alert maybe\n  notify_master /bin/true\n  notify_master /bin/false"
    )
    m, _ = msgs(inst(body))
    assert m[:12] == [
        "(VI_1) mcast_dst_ip 192.0.2.5 not multicast. Skipping...",
        "Configuration error: VRRP instance[VI_1] and src address[2001:db8::1] MUST be of the same family "
        "!!! Skipping...",
        "(VI_1) Cannot specify native_ipv6 with IPv4 addresses",
        "(VI_1): garp_master_repeat must be greater than 0, setting to 1",
        "number '7' outside range [0, 4]",
        "(VI_1) Debug value '7' not valid; must be between 0-4",
        "(VI_1) unknown state 'FOO', defaulting to BACKUP",
        "number '4' outside range [2, 3]",
        "(VI_1): Version must be either 2 or 3",
        "Invalid vrrp_instance smtp_alert parameter maybe",
        "(VI_1) notify_master script already specified - ignoring /bin/false",
        "(VI_1): Cannot use unicast_ttl without unicast peers - resetting",
    ]
    assert "(VI_1) vmac_xmit_base is only valid with a vmac" in m


def test_unicast_peers() -> None:
    body = (
        "  unicast_src_ip 192.0.2.1\n  unicast_peer {\n    2001:db8::1\n"
        "    192.0.2.2 min_ttl 5 max_ttl 3\n  }"
    )
    r = parse_text(inst(body))
    assert messages(r) == [
        "Configuration error: VRRP instance[VI_1] and unicast peer address[2001:db8::1] MUST be of the same "
        "family !!! Skipping...",
        "(VI_1) min_ttl 5 > max_ttl 3 - all packets will be discarded",
    ]
    assert r.config is not None
    (peer,) = r.config.vrrp.instances[0].unicast_peers
    assert (peer.address, peer.min_ttl, peer.max_ttl) == ("192.0.2.2", 5, 3)


def test_unicast_keyword_without_peers_deprecated() -> None:
    r = parse_text(inst("  unicast_src_ip 192.0.2.1"))
    assert r.diags.items[-1].severity == Severity.DEPRECATED
    assert "A unicast keyword has been specified without any unicast peers" in messages(r)[-1]


def test_duplicate_and_unnamed_instances_no_vip() -> None:
    text = (
        "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n}\n"
        "vrrp_instance VI_1 {\n  interface eth0\n}\n"
        "vrrp_instance {\n  interface eth0\n}\n"
    )
    m, code = msgs(text)
    assert m == [
        "vrrp instance VI_1 already defined",
        "vrrp_instance must have a name",
        "(VI_1) No VIP specified; at least one is sensible",
        "(VI_1) No VIP specified; at least one is sensible",
    ]
    assert code == 5


SYNC_AFTER = """vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 255
  virtual_ipaddress {
    192.0.2.101
  }
}
vrrp_sync_group G1 {
  group {
    VI_1 VI_3
  }
}
vrrp_sync_group G2 {
  group {
    VI_1 VI_2
  }
  track_interface {
    eth1 weight 5
  }
}
vrrp_sync_group G3 {
}
"""


def test_sync_groups() -> None:
    r = parse_text(inst(after=SYNC_AFTER))
    assert messages(r) == [
        "Virtual router VI_3 specified in sync group G1 doesn't exist - ignoring",
        "Sync group G1 has only 1 virtual router(s) - this probably isn't what you want",
        "Virtual router VI_1 cannot exist in more than one sync group; ignoring G2",
        "Sync group G2 has only 1 virtual router(s) - this probably isn't what you want",
        "Sync group G3 has no virtual router(s). removing",
        "(G2) Cannot have weighted track interface 'eth1' with member having priority 255 - clearing weight",
    ]
    assert r.diags.test_exit_code() == 5
    assert r.config is not None
    assert [(g.name, g.members) for g in r.config.vrrp.sync_groups] == [("G1", ("VI_1",)), ("G2", ("VI_2",))]


def test_duplicate_vrid_on_interface() -> None:
    after = (
        "vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 51\n"
        "  virtual_ipaddress {\n    192.0.2.101\n  }\n}\n"
    )
    m, code = msgs(inst(after=after))
    assert m == ["VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0"]
    assert code == 5


def test_track_interface_missing() -> None:
    m, code = msgs(inst("  track_interface {\n    eth1 weight 10\n    eth9\n  }"))
    assert m == [
        "(VI_1) tracked interface eth9 doesn't exist",
        "Non-existent interface specified in configuration",
    ]
    assert code == 5


def test_vmac_rfc_address_and_promote_secondaries() -> None:
    m, _ = msgs(inst("  use_vmac vrrp.51 00:00:5e:00:01:05\n  promote_secondaries"))
    assert m == [
        "VMAC MAC address not allowed to be RFC5798 address (00:00:5e:00:01:05) - ignoring",
        "(VI_1) promote_secondaries is automatically set for vmacs - ignoring",
    ]


def test_every_installed_keyword_is_known() -> None:
    from keepalived_py.config.schema import vrrp as svrrp

    inst_kws = {kw.name for kw in svrrp.instance_table()}
    for name in [
        "use_vmac",
        "use_vmac_addr",
        "vmac_xmit_base",
        "use_ipvlan",
        "unicast_peer",
        "unicast_fault_no_peer",
        "check_unicast_src",
        "old_unicast_checksum",
        "native_ipv6",
        "state",
        "interface",
        "vrf",
        "dont_track_primary",
        "track_interface",
        "track_script",
        "track_file",
        "track_process",
        "track_bfd",
        "mcast_src_ip",
        "unicast_src_ip",
        "mcast_dst_ip",
        "track_src_ip",
        "virtual_router_id",
        "unicast_ttl",
        "version",
        "priority",
        "advert_int",
        "virtual_ipaddress",
        "virtual_ipaddress_excluded",
        "promote_secondaries",
        "linkbeat_use_polling",
        "virtual_routes",
        "virtual_rules",
        "accept",
        "no_accept",
        "skip_check_adv_addr",
        "strict_mode",
        "preempt",
        "nopreempt",
        "preempt_delay",
        "debug",
        "notify_backup",
        "notify_master",
        "notify_fault",
        "notify_stop",
        "notify_deleted",
        "notify",
        "notify_master_rx_lower_pri",
        "smtp_alert",
        "notify_priority_changes",
        "lvs_sync_daemon_interface",
        "garp_master_delay",
        "garp_master_refresh",
        "garp_master_repeat",
        "garp_master_refresh_repeat",
        "garp_lower_prio_delay",
        "garp_lower_prio_repeat",
        "down_timer_adverts",
        "garp_extra_if",
        "vmac_garp_intvl",
        "lower_prio_no_advert",
        "higher_prio_send_advert",
        "kernel_rx_buf_size",
        "authentication",
    ]:
        assert name in inst_kws, name
    grp_kws = {kw.name for kw in svrrp.sync_group_table()}
    assert grp_kws == set(
        [
            "group",
            "track_interface",
            "track_script",
            "track_file",
            "track_process",
            "track_bfd",
            "notify_backup",
            "notify_master",
            "notify_fault",
            "notify_stop",
            "notify",
            "smtp_alert",
            "global_tracking",
            "sync_group_tracking_weight",
            "notify_priority_changes",
        ]
    )


def test_track_script_names_resolved_in_one_pass() -> None:
    scripts = (
        'vrrp_script chk {\n  script "/bin/true"\n}\n'
        'vrrp_script chk2 {\n  script "/bin/true"\n  weight 7 reverse\n}\n'
    )
    later = 'vrrp_script late {\n  script "/bin/true"\n}\n'
    r = parse_text(
        scripts + inst("  track_script {\n    chk weight 10\n    nosuch\n    chk2\n    late\n  }") + later
    )
    m = messages(r)
    assert "(VI_1) track script nosuch not found, ignoring..." in m
    assert "(VI_1) track script late not found, ignoring..." in m
    assert r.config is not None
    refs = r.config.vrrp.instances[0].track_scripts
    assert [(t.name, t.weight, t.reverse) for t in refs] == [("chk", 10, False), ("chk2", 7, True)]


def test_no_traceback_on_odd_words() -> None:
    for body in (
        "  use_vmac : ::: zz:zz",
        "  use_ipvlan 1.2.3.4/99 x y",
        "  unicast_peer {\n    x min_ttl\n  }",
        "  mcast_dst_ip ff02::zz",
        "  garp_extra_if all",
        "  track_interface {\n    eth1 weight\n  }",
    ):
        parse_text(inst(body))


def test_preempt_delay_over_1000_seconds_is_refused() -> None:
    # keepalived 2.2.7: TIMER_MAX_SEC is 1000 (checked against the binary).
    from tests.configtest import messages, parse_text

    r = parse_text(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n preempt_delay 2000\n"
        " virtual_ipaddress {\n  192.0.2.9/24\n }\n}\n"
    )
    assert "number '2000' outside range [0.000000, 1000.000000]" in messages(r)
    assert "(VI_1) Preempt_delay not valid! must be between 0-1000" in messages(r)
