"""The typed model of virtual_server & co: defaults, inheritance and keepalived's corrections."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

from keepalived_py.config.model.lvs import (
    ForwardingMethod,
    LvsSection,
    Protocol,
    ServiceFlag,
    SockAddr,
    TunnelChecksum,
    TunnelType,
    VirtualServer,
)
from keepalived_py.config.schema import lvs as schema
from tests.configtest import messages, parse_text


def section(text: str) -> LvsSection:
    r = parse_text(text)
    assert r.config is not None
    return r.config.lvs


def test_defaults_and_inheritance() -> None:
    sec = section(
        "virtual_server 192.0.2.1 80 {\n protocol tcp\n lb_algo rr\n lb_kind DR\n delay_loop 10\n"
        " weight 3\n alpha\n inhibit_on_failure\n connect_timeout 2.5\n"
        " real_server 192.0.2.2 80 {\n }\n"
        " real_server 192.0.2.3 {\n weight 0\n alpha off\n delay_loop 1\n lvs_method NAT\n }\n}\n"
    )
    (vs,) = sec.virtual_servers
    assert vs.address == SockAddr(IPv4Address("192.0.2.1"), 80)
    assert (vs.protocol, vs.scheduler, vs.forwarding, vs.family) == (
        Protocol.TCP,
        "rr",
        ForwardingMethod.DR,
        4,
    )
    assert (vs.quorum, vs.hysteresis, vs.persistence_timeout, vs.smtp_alert) == (1, 0, 0, False)
    rs1, rs2 = vs.real_servers
    assert (rs1.weight, rs1.alpha, rs1.inhibit_on_failure) == (3, True, True)
    assert (rs1.delay_loop, rs1.connect_timeout, rs1.retry, rs1.warmup) == (10_000_000, 2_500_000, None, None)
    assert rs1.smtp_alert is True  # real servers alert by default
    assert rs1.forwarding == ForwardingMethod.DR
    assert (rs2.weight, rs2.alpha, rs2.delay_loop, rs2.forwarding) == (
        0,
        False,
        1_000_000,
        ForwardingMethod.NAT,
    )
    # NAT real server without a port takes the virtual server's
    assert rs2.address.port == 80


def test_unset_values_and_keepalived_defaults() -> None:
    vs = VirtualServer()
    assert (vs.connect_timeout, vs.delay_loop, vs.weight, vs.quorum) == (5_000_000, 60_000_000, 1, 1)
    sec = section("virtual_server 192.0.2.1 80 {\n real_server 192.0.2.2 80 {\n }\n}\n")
    (vs,) = sec.virtual_servers
    assert (vs.protocol, vs.scheduler, vs.forwarding) == (Protocol.UDP, "wlc", ForwardingMethod.NAT)


def test_forwarding_and_tunnel_options() -> None:
    sec = section(
        "virtual_server 192.0.2.1 80 {\n protocol tcp\n lb_algo rr\n"
        " lvs_method TUN type gue port 6080 csum\n"
        " real_server 192.0.2.2 80 {\n }\n"
        " real_server 192.0.2.3 80 {\n lvs_method TUN type gre remcsum\n }\n"
        " real_server 192.0.2.4 80 {\n lvs_method TUN type gre csum\n }\n}\n"
    )
    rs1, rs2, rs3 = sec.virtual_servers[0].real_servers
    assert (rs1.tunnel.type, rs1.tunnel.port, rs1.tunnel.checksum) == (
        TunnelType.GUE,
        6080,
        TunnelChecksum.CSUM,
    )
    # rejected options keep the previous tunnel settings (those inherited from the VS)
    assert rs2.forwarding == ForwardingMethod.TUN and rs2.tunnel == rs1.tunnel
    assert (rs3.tunnel.type, rs3.tunnel.checksum) == (TunnelType.GRE, TunnelChecksum.CSUM)


def test_flags_and_persistence() -> None:
    sec = section(
        "virtual_server 192.0.2.1 0 {\n protocol udp\n lb_algo sh\n lb_kind NAT\n ops\n sh-port\n flag-3\n"
        " persistence_granularity 255.255.255.0\n persistence_engine sip\n"
        " real_server 192.0.2.2 {\n }\n}\n"
        "virtual_server 2001:db8::1 80 {\n protocol tcp\n lb_algo rr\n lb_kind NAT\n"
        " persistence_timeout\n persistence_granularity 64\n real_server 2001:db8::2 {\n }\n}\n"
    )
    v4, v6 = sec.virtual_servers
    assert v4.flags == ServiceFlag.ONEPACKET | ServiceFlag.SH_PORT | ServiceFlag.SCHED3
    assert (v4.persistence_timeout, v4.persistence_granularity, v4.persistence_engine) == (
        360,
        IPv4Address("255.255.255.0"),
        "sip",
    )
    assert (v6.family, v6.persistence_timeout, v6.persistence_granularity) == (6, 360, 64)
    assert v6.real_servers[0].address == SockAddr(IPv6Address("2001:db8::2"), 80)


def test_virtual_server_groups() -> None:
    r = parse_text(
        "virtual_server_group G {\n 192.0.2.1 80\n 192.0.2.8/29 80\n 192.0.2.20-30 81\n"
        " fwmark 7 inet\n}\n"
        "virtual_server_group G6 {\n 2001:db8::1-2001:db8::5 82\n}\n"
        "virtual_server group G {\n protocol tcp\n lb_algo rr\n lb_kind NAT\n"
        " real_server 192.0.2.100 80 {\n }\n}\n"
        "virtual_server group G {\n protocol tcp\n lb_algo rr\n lb_kind NAT\n"
        " real_server 192.0.2.100 80 {\n }\n}\n"
    )
    assert r.config is not None
    g, g6 = r.config.lvs.virtual_server_groups
    assert [x.describe() for x in g.ranges + g6.ranges] == [
        "192.0.2.1,80",
        "192.0.2.8-192.0.2.15,80",
        "192.0.2.20-192.0.2.30,81",
        "2001:db8::1-2001:db8::5,82",
    ]
    assert (g.fwmarks[0].mark, g.fwmarks[0].family, g.have_ipv4, g.have_ipv6) == (7, 4, True, False)
    assert [vs.describe() for vs in r.config.lvs.virtual_servers] == ["[G]:0", "[G]:1"]


def test_missing_group_only_logged() -> None:
    r = parse_text(
        "virtual_server group NOPE {\n protocol tcp\n lb_algo rr\n lb_kind NAT\n"
        " real_server 192.0.2.100 80 {\n }\n}\n"
    )
    assert r.diags.test_exit_code() == 0
    assert r.config is not None and r.config.lvs.virtual_servers == ()
    assert any("NOPE specified but not configured" in m for m in messages(r))


def test_ssl_block() -> None:
    sec = section("SSL {\n password pw\n ca /etc/ca.pem\n certificate /etc/c.pem\n key /etc/k.pem\n}\n")
    assert sec.ssl is not None
    assert (sec.ssl.password, sec.ssl.ca, sec.ssl.certificate, sec.ssl.key) == (
        "pw",
        "/etc/ca.pem",
        "/etc/c.pem",
        "/etc/k.pem",
    )
    assert section("").ssl is None


def test_clean_config_passes() -> None:
    r = parse_text(
        "virtual_server 192.0.2.1 80 {\n protocol TCP\n lb_algo wrr\n lb_kind NAT\n quorum 1\n"
        " sorry_server 192.0.2.9 80\n sorry_server_inhibit\n"
        " real_server 192.0.2.2 8080 {\n weight 5\n uthreshold 100\n lthreshold 10\n }\n}\n"
    )
    assert messages(r) == []
    assert r.diags.test_exit_code() == 0
    assert r.config is not None
    vs = r.config.lvs.virtual_servers[0]
    assert vs.sorry_server is not None and vs.sorry_server.inhibit
    assert vs.sorry_server.forwarding == ForwardingMethod.NAT
    assert (vs.real_servers[0].uthreshold, vs.real_servers[0].lthreshold) == (100, 10)


def test_missing_parameters_are_fatal() -> None:
    for text in (
        "virtual_server\n",
        "virtual_server fwmark {\n}\n",
        "virtual_server group {\n}\n",
        "virtual_server 192.0.2.1 80 {\n lb_algo\n}\n",
        "virtual_server_group G {\n fwmark\n}\n",
        "virtual_server_group G extra {\n fwmark 1\n}\n",
    ):
        assert parse_text(text).fatal_exit == 2, text


def test_odd_words_never_crash() -> None:
    words = ["", "x", "-1", "{", "}", "0", "fwmark", "group", "::", "192.0.2.1/33", "1-2", "TUN", "type"]
    kws = [kw.name for kw in schema._vs_table()] + [kw.name for kw in schema._rs_table()]
    for kw in kws:
        for w in words:
            rs = f'real_server 192.0.2.2 80 {{\n {kw} "{w}" {w}\n }}'
            parse_text(f'virtual_server 192.0.2.1 80 {{\n {rs}\n {kw} "{w}"\n}}\n')
    for w in words:
        parse_text(f'virtual_server_group G {{\n "{w}" {w}\n}}\nvirtual_server "{w}" {w} {{\n}}\n')


def _installed(block_start: str, block_end: str) -> set[str]:
    src = Path("/tmp/ka/keepalived/check/check_parser.c")
    text = src.read_text()
    body = text[text.index(block_start) : text.index(block_end)]
    return set(re.findall(r'install_keyword(?:_root)?\("([^"]+)"', body))


def test_every_keepalived_keyword_is_in_the_tables() -> None:
    src = Path("/tmp/ka/keepalived/check/check_parser.c")
    if not src.exists():
        return
    vs_names = {kw.name for kw in schema._vs_table()}
    rs_names = {kw.name for kw in schema._rs_table()}
    root = {kw.name for kw in schema.root_keywords()}
    ssl = {kw.name for kw in schema._ssl_table()}
    assert _installed('install_keyword("ip_family"', "install_sublevel();") <= vs_names
    assert _installed("install_sublevel();", "install_sublevel_end_handler") <= rs_names
    assert {"SSL", "virtual_server", "virtual_server_group"} <= root
    assert {"password", "ca", "certificate", "key"} <= ssl
