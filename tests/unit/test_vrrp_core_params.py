"""build_params: a validated vrrp_instance + global_defs -> the frozen InstanceParams."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from keepalived_py.vrrp.params import AUTH_PASS, InstanceParams, PeerParams, build_params
from tests.configtest import parse_text


def one(text: str, **kw: object) -> InstanceParams:
    r = parse_text(text)
    assert r.config is not None
    (inst,) = r.config.vrrp.instances
    return build_params(inst, r.config.global_defs, **kw)  # type: ignore[arg-type]


def inst(body: str = "", glob: str = "") -> str:
    return (
        f"global_defs {{\n{glob}\n}}\n"
        "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n"
        f"{body}\n  virtual_ipaddress {{\n    192.0.2.100/24\n    192.0.2.101/24\n  }}\n}}\n"
    )


def test_defaults() -> None:
    p = one(inst(), source_address="192.0.2.2")
    assert p == InstanceParams(
        name="VI_1",
        vrid=51,
        priority=100,
        vips=(IPv4Address("192.0.2.100"), IPv4Address("192.0.2.101")),
        source_address=IPv4Address("192.0.2.2"),
        accept=True,
    )
    assert p.garp_master_delay_us == 5_000_000 and p.garp_lower_prio_repeat == 5


def test_instance_settings() -> None:
    p = one(
        inst(
            "  state MASTER\n  priority 255\n  advert_int 2\n  authentication {\n    auth_type PASS\n"
            "    auth_pass secret\n  }\n  mcast_src_ip 192.0.2.7\n  garp_master_delay 1\n"
            "  garp_master_refresh 30\n  down_timer_adverts 5\n  lower_prio_no_advert\n"
            "  higher_prio_send_advert\n"
        )
    )
    assert (p.priority, p.owner, p.initial_state, p.advert_int_us) == (255, True, "MASTER", 2_000_000)
    assert (p.auth_type, p.auth_data) == (AUTH_PASS, b"secret\0\0")
    assert p.source_address == IPv4Address("192.0.2.7")
    assert (p.garp_master_delay_us, p.garp_master_refresh_us, p.down_timer_adverts) == (
        1_000_000,
        30_000_000,
        5,
    )
    assert p.lower_prio_no_advert and p.higher_prio_send_advert


def test_globals_and_strict() -> None:
    p = one(
        inst(
            "  priority 150\n  nopreempt\n",
            "  vrrp_garp_lower_prio_repeat 2\n  vrrp_startup_delay 4\n  vrrp_version 3\n",
        )
    )
    assert (p.version, p.advert_int_field, p.nopreempt) == (3, 100, True)
    assert (p.garp_lower_prio_repeat, p.startup_delay_us) == (2, 4_000_000)
    s = one(inst("  priority 150\n", "  vrrp_strict\n"))
    assert s.strict and s.lower_prio_no_advert and not s.higher_prio_send_advert
    assert (s.garp_lower_prio_repeat, s.garp_lower_prio_delay_us, s.accept, s.version) == (0, 0, False, 2)


def test_unicast_and_ipv6() -> None:
    p = one(inst("  unicast_src_ip 192.0.2.2\n  unicast_peer {\n    192.0.2.3\n  }\n  check_unicast_src\n"))
    assert p.unicast and p.check_unicast_src
    assert p.unicast_peers == (PeerParams(IPv4Address("192.0.2.3")),)
    text = (
        "vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 7\n"
        "  virtual_ipaddress {\n    2001:db8::100/64\n  }\n}\n"
    )
    six = one(text, source_address=IPv6Address("fe80::1"))
    assert (six.family, six.version, six.vips) == (6, 3, (IPv6Address("2001:db8::100"),))
    assert six.source_address == IPv6Address("fe80::1")
