"""The pure IPVS table: desired table from config + health, and the diff that reaches it."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepalived_py.check.ipvs_desired import (
    RealServerHealth,
    VirtualServerHealth,
    desired_table,
    initial_health,
    live_weight,
    next_quorum_up,
)
from keepalived_py.check.ipvs_diff import (
    AddDest,
    AddService,
    DelDest,
    DelService,
    EditDest,
    EditService,
    OpRefused,
    apply,
    diff,
)
from keepalived_py.check.ipvs_model import (
    AF_INET,
    AF_INET6,
    IPPROTO_TCP,
    IPPROTO_UDP,
    NETMASK_V4_HOST,
    DestAttrs,
    DestKey,
    Forwarding,
    IpvsTable,
    Service,
    ServiceAttrs,
    ServiceKey,
    real_weight,
)
from keepalived_py.config.model.lvs import LvsSection, SockAddr
from tests.configtest import parse_text

# -- strategies -------------------------------------------------------------------------------

_v4 = st.integers(0xC0000200, 0xC00002FF).map(IPv4Address)  # 192.0.2.0/24
_v6 = st.integers(0, 0xFFFF).map(lambda n: IPv6Address(0x20010DB8 << 96 | n))
_service_keys = st.one_of(
    st.builds(
        ServiceKey, st.just(AF_INET), st.sampled_from([IPPROTO_TCP, IPPROTO_UDP]), _v4, st.integers(1, 4)
    ),
    st.builds(ServiceKey, st.just(AF_INET6), st.just(IPPROTO_TCP), _v6, st.integers(1, 4)),
    st.builds(lambda m: ServiceKey(AF_INET, 0, IPv4Address(0), 0, m), st.integers(1, 3)),
)
_service_attrs = st.builds(
    ServiceAttrs,
    scheduler=st.sampled_from(["wlc", "rr", "sh"]),
    flags=st.sampled_from([0, 1, 8]),
    timeout=st.sampled_from([0, 360]),
)
_dest_keys = st.builds(DestKey, _v4, st.integers(0, 3))
_dest_attrs = st.builds(
    DestAttrs,
    forwarding=st.sampled_from(list(Forwarding)),
    weight=st.integers(0, 3),
    u_threshold=st.integers(0, 1),
)
_services = st.builds(Service, _service_attrs, st.dictionaries(_dest_keys, _dest_attrs, max_size=5))
_tables = st.builds(IpvsTable, st.dictionaries(_service_keys, _services, max_size=6))


# -- the diff ---------------------------------------------------------------------------------


@settings(max_examples=400)
@given(_tables, _tables)
def test_applying_the_diff_yields_the_desired_table(current: IpvsTable, desired: IpvsTable) -> None:
    ops = diff(current, desired)
    assert apply(current, ops) == desired


@settings(max_examples=200)
@given(_tables, _tables)
def test_every_operation_changes_something(current: IpvsTable, desired: IpvsTable) -> None:
    table = current
    for op in diff(current, desired):
        after = apply(table, [op])
        assert after != table, op
        table = after


@settings(max_examples=200)
@given(_tables)
def test_a_table_already_right_is_left_alone(table: IpvsTable) -> None:
    assert diff(table, table) == []


@settings(max_examples=200)
@given(_tables, _tables)
def test_no_service_is_touched_after_it_is_deleted_and_pools_never_empty_midway(
    current: IpvsTable, desired: IpvsTable
) -> None:
    ops = diff(current, desired)
    deleted = {op.key for op in ops if isinstance(op, DelService)}
    for op in ops:
        target = op.key if isinstance(op, (AddService, EditService, DelService)) else op.service
        if not isinstance(op, DelService):
            assert target not in deleted
    # within a service every add/edit comes before the first delete
    table = current
    for op in ops:
        table = apply(table, [op])
        if isinstance(op, DelDest):
            key = op.service
            want = desired.services[key].dests
            assert set(want) <= set(table.services[key].dests), "a wanted destination is missing"


def test_apply_refuses_what_the_kernel_refuses() -> None:
    key = ServiceKey(AF_INET, IPPROTO_TCP, IPv4Address("192.0.2.10"), 80)
    dkey = DestKey(IPv4Address("192.0.2.20"), 80)
    table = apply(IpvsTable(), [AddService(key, ServiceAttrs())])
    for bad in (
        [AddService(key, ServiceAttrs())],
        [EditService(dataclasses.replace(key, port=81), ServiceAttrs())],
        [DelService(dataclasses.replace(key, port=81))],
        [EditDest(key, dkey, DestAttrs())],
        [DelDest(key, dkey)],
        [AddDest(dataclasses.replace(key, port=81), dkey, DestAttrs())],
        [AddDest(key, dkey, DestAttrs()), AddDest(key, dkey, DestAttrs())],
    ):
        with pytest.raises(OpRefused):
            apply(table, bad)


def test_diff_orders_service_deletes_first_and_dest_deletes_last() -> None:
    old = ServiceKey(AF_INET, IPPROTO_TCP, IPv4Address("192.0.2.9"), 80)
    key = ServiceKey(AF_INET, IPPROTO_TCP, IPv4Address("192.0.2.10"), 80)
    a, b = DestKey(IPv4Address("192.0.2.21"), 80), DestKey(IPv4Address("192.0.2.22"), 80)
    current = IpvsTable({old: Service(), key: Service(ServiceAttrs(), {a: DestAttrs()})})
    desired = IpvsTable({key: Service(ServiceAttrs(scheduler="rr"), {b: DestAttrs(weight=2)})})
    assert diff(current, desired) == [
        DelService(old),
        EditService(key, ServiceAttrs(scheduler="rr")),
        AddDest(key, b, DestAttrs(weight=2)),
        DelDest(key, a),
    ]


# -- quorum -----------------------------------------------------------------------------------


@pytest.mark.parametrize("quorum", [1, 3, 5])
@pytest.mark.parametrize("hysteresis", [0, 1, 2])
def test_quorum_hysteresis(quorum: int, hysteresis: int) -> None:
    for total in range(0, 10):
        gained = next_quorum_up(False, total, quorum, hysteresis)
        assert gained == (total >= quorum + hysteresis)
        kept = next_quorum_up(True, total, quorum, hysteresis)
        assert kept == (total != 0 and total >= quorum - hysteresis)
    # between the two thresholds the state is remembered
    if hysteresis and quorum - hysteresis > 0:
        middle = quorum
        assert next_quorum_up(True, middle, quorum, hysteresis) is True
        assert next_quorum_up(False, middle, quorum, hysteresis) is False


def test_real_weight_is_clamped() -> None:
    assert real_weight(-5) == 0
    assert real_weight(7) == 7
    assert real_weight(2**40) == 2**31 - 1


# -- desired table from real configs ----------------------------------------------------------


def _lvs(text: str) -> LvsSection:
    result = parse_text(text)
    assert result.config is not None, [d.render() for d in result.diags.items]
    return result.config.lvs


VS_NAT = """
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    %s
    real_server 198.51.100.1 8080 {
        weight 3
        TCP_CHECK { connect_timeout 1 }
    }
    real_server 198.51.100.2 8081 {
        weight 2
        %s
        TCP_CHECK { connect_timeout 1 }
    }
}
"""

VIP = ServiceKey(AF_INET, IPPROTO_TCP, IPv4Address("192.0.2.100"), 80)
RS1 = DestKey(IPv4Address("198.51.100.1"), 8080)
RS2 = DestKey(IPv4Address("198.51.100.2"), 8081)


def _health(lvs: LvsSection, index: int = 0, *, up: bool | None = None, **alive: bool) -> VirtualServerHealth:
    vs = lvs.virtual_servers[index]
    servers = dict(initial_health(vs).real_servers)
    for rs in vs.real_servers:
        name = f"rs{rs.address.ip.packed[-1]}"
        if name in alive:
            servers[rs.address] = dataclasses.replace(servers[rs.address], alive=alive[name])
    state = VirtualServerHealth(quorum_up=True, real_servers=servers)
    quorum_up = next_quorum_up(True, live_weight(state), vs.quorum, vs.hysteresis) if up is None else up
    return dataclasses.replace(state, quorum_up=quorum_up)


def test_nat_service_with_two_alive_servers() -> None:
    lvs = _lvs(VS_NAT % ("", ""))
    table = desired_table(lvs)
    assert list(table.services) == [VIP]
    svc = table.services[VIP]
    assert svc.attrs == ServiceAttrs(scheduler="rr", netmask=NETMASK_V4_HOST)
    assert dict(svc.dests) == {
        RS1: DestAttrs(forwarding=Forwarding.MASQ, weight=3),
        RS2: DestAttrs(forwarding=Forwarding.MASQ, weight=2),
    }


def test_alpha_starts_with_an_empty_pool() -> None:
    lvs = _lvs(VS_NAT % ("alpha", ""))
    assert dict(desired_table(lvs).services[VIP].dests) == {}


def test_failed_server_is_removed_or_inhibited() -> None:
    lvs = _lvs(VS_NAT % ("", "inhibit_on_failure"))
    table = desired_table(lvs, {0: _health(lvs, rs1=False, rs2=False)})
    # rs1 goes; rs2 stays with weight 0
    assert dict(table.services[VIP].dests) == {RS2: DestAttrs(weight=0)}


def test_sorry_server_replaces_the_pool_when_quorum_is_lost() -> None:
    lvs = _lvs(VS_NAT % ("quorum 3\n    sorry_server 203.0.113.9 80", "inhibit_on_failure"))
    sorry = DestKey(IPv4Address("203.0.113.9"), 80)
    up = desired_table(lvs, {0: _health(lvs)})
    assert set(up.services[VIP].dests) == {RS1, RS2}
    # rs1 (weight 3) fails: 2 < 3 -> quorum lost: sorry server in, rs2 inhibited at weight 0
    down = desired_table(lvs, {0: _health(lvs, rs1=False)})
    assert dict(down.services[VIP].dests) == {sorry: DestAttrs(weight=1), RS2: DestAttrs(weight=0)}
    ops = diff(up, down)
    assert apply(up, ops) == down
    assert ops == [
        AddDest(VIP, sorry, DestAttrs(weight=1)),
        EditDest(VIP, RS2, DestAttrs(weight=0)),
        DelDest(VIP, RS1),
    ]


def test_sorry_server_inhibit_stays_at_weight_zero() -> None:
    lvs = _lvs(VS_NAT % ("quorum 3\n    sorry_server 203.0.113.9 80\n    sorry_server_inhibit", ""))
    sorry = DestKey(IPv4Address("203.0.113.9"), 80)
    assert desired_table(lvs).services[VIP].dests[sorry] == DestAttrs(weight=0)


def test_dr_destinations_take_the_service_port_and_fwmark_zero() -> None:
    text = """
virtual_server 192.0.2.100 443 {
    lb_kind DR
    protocol TCP
    persistence_timeout 600
    persistence_granularity 255.255.255.0
    real_server 198.51.100.1 8443 { }
}
virtual_server fwmark 7 {
    lb_kind DR
    real_server 198.51.100.1 8443 { }
}
"""
    table = desired_table(_lvs(text))
    https = ServiceKey(AF_INET, IPPROTO_TCP, IPv4Address("192.0.2.100"), 443)
    mark = ServiceKey(AF_INET, 0, IPv4Address(0), 0, 7)
    assert set(table.services) == {https, mark}
    assert table.services[https].attrs == ServiceAttrs(
        scheduler="wlc", flags=1, timeout=600, netmask=int(IPv4Address("255.255.255.0"))
    )
    assert dict(table.services[https].dests) == {
        DestKey(IPv4Address("198.51.100.1"), 443): DestAttrs(forwarding=Forwarding.DROUTE, weight=1)
    }
    assert set(table.services[mark].dests) == {DestKey(IPv4Address("198.51.100.1"), 0)}


def test_group_ranges_expand_to_one_service_per_address() -> None:
    text = """
virtual_server_group WEB {
    192.0.2.10-12 80
    fwmark 9
}
virtual_server_group WEB6 {
    2001:db8::5 80
}
virtual_server group WEB {
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.1 8080 { }
}
virtual_server group WEB6 {
    lb_kind NAT
    protocol TCP
    real_server 2001:db8::20 8080 { }
}
"""
    table = desired_table(_lvs(text))
    keys = set(table.services)
    assert {k.address for k in keys if k.af == AF_INET and not k.fwmark} == {
        IPv4Address("192.0.2.10"),
        IPv4Address("192.0.2.11"),
        IPv4Address("192.0.2.12"),
    }
    v6 = ServiceKey(AF_INET6, IPPROTO_TCP, IPv6Address("2001:db8::5"), 80)
    assert v6 in keys
    assert ServiceKey(AF_INET, 0, IPv4Address(0), 0, 9) in keys
    assert len(keys) == 5
    rs4, rs6 = DestKey(IPv4Address("198.51.100.1"), 8080), DestKey(IPv6Address("2001:db8::20"), 8080)
    for key, svc in table.services.items():
        assert set(svc.dests) == {rs6 if key == v6 else rs4}


def test_weights_follow_effective_weight_and_the_diff_edits_in_place() -> None:
    lvs = _lvs(VS_NAT % ("", ""))
    vs = lvs.virtual_servers[0]
    start = desired_table(lvs)
    servers = dict(initial_health(vs).real_servers)
    servers[SockAddr(IPv4Address("198.51.100.1"), 8080)] = RealServerHealth(alive=True, effective_weight=-4)
    later = desired_table(lvs, {0: VirtualServerHealth(quorum_up=True, real_servers=servers)})
    assert diff(start, later) == [EditDest(VIP, RS1, DestAttrs(weight=0))]
