"""The IPVS adapter against a real kernel: what it applies is what the kernel then reports.

Runs inside the VM only (tests/ipvs/conftest.py).  Python runs ~16x slower there, so the
property test keeps to a few dozen small tables.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepalived_py.adapters.ipvs import IpvsAdapter, IpvsError
from keepalived_py.check.ipvs_diff import AddService, DelDest, DelService, diff
from keepalived_py.check.ipvs_model import (
    AF_INET,
    AF_INET6,
    IPPROTO_SCTP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    NETMASK_V4_HOST,
    NETMASK_V6_HOST,
    DestAttrs,
    DestKey,
    Forwarding,
    IpvsTable,
    Service,
    ServiceAttrs,
    ServiceKey,
    TunnelFlag,
    TunnelType,
)
from tests.ipvs.in_vm.conftest import ipvsadm_save

# -- kernel-valid tables ----------------------------------------------------------------------

_keys = st.one_of(
    st.builds(
        ServiceKey,
        st.just(AF_INET),
        st.sampled_from([IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP]),
        st.integers(1, 4).map(lambda n: IPv4Address(f"192.0.2.{n}")),
        st.integers(1, 3),
    ),
    st.builds(
        ServiceKey,
        st.just(AF_INET6),
        st.sampled_from([IPPROTO_TCP, IPPROTO_UDP]),
        st.integers(1, 4).map(lambda n: IPv6Address(f"2001:db8::{n}")),
        st.integers(1, 3),
    ),
    st.builds(lambda m: ServiceKey(AF_INET, 0, IPv4Address(0), 0, m), st.integers(1, 3)),
    st.builds(lambda m: ServiceKey(AF_INET6, 0, IPv6Address(0), 0, m), st.integers(1, 3)),
)


@st.composite
def _service(draw: st.DrawFn, key: ServiceKey) -> Service:
    v6 = key.af == AF_INET6
    persistent = draw(st.booleans())
    flags = draw(st.sampled_from([0, 0x8, 0x18, 0x4]))
    netmask = NETMASK_V6_HOST if v6 else NETMASK_V4_HOST
    timeout, pe = 0, ""
    if persistent:
        flags |= 0x1
        timeout = draw(st.sampled_from([60, 300]))
        netmask = draw(st.sampled_from([64, 128] if v6 else [0xFFFFFF00, NETMASK_V4_HOST]))
        pe = draw(st.sampled_from(["", "sip"])) if key.protocol == IPPROTO_UDP else ""
    attrs = ServiceAttrs(
        scheduler=draw(st.sampled_from(["wlc", "rr", "wrr", "sh"])),
        flags=flags,
        timeout=timeout,
        netmask=netmask,
        pe_name=pe,
    )
    dests = {}
    for n in draw(st.lists(st.integers(1, 5), max_size=3, unique=True)):
        address = IPv6Address(f"2001:db8:1::{n}") if v6 else IPv4Address(f"198.51.100.{n}")
        forwarding = draw(st.sampled_from([Forwarding.MASQ, Forwarding.DROUTE, Forwarding.TUNNEL]))
        port = draw(st.integers(1, 3)) if forwarding is Forwarding.MASQ else key.port
        tun = {}
        if forwarding is Forwarding.TUNNEL:
            kind = draw(st.sampled_from(list(TunnelType)))
            tun = {"tun_type": kind}
            if kind is TunnelType.GUE:
                tun |= {"tun_port": 6080, "tun_flags": draw(st.sampled_from(list(TunnelFlag)))}
            elif kind is TunnelType.GRE:
                tun |= {"tun_flags": draw(st.sampled_from([TunnelFlag.NOCSUM, TunnelFlag.CSUM]))}
        upper = draw(st.integers(0, 10))
        dests[DestKey(address, port)] = DestAttrs(
            forwarding=forwarding,
            weight=draw(st.integers(0, 5)),
            u_threshold=upper,
            l_threshold=draw(st.integers(0, upper)),
            **tun,
        )
    return Service(attrs, dests)


@st.composite
def _tables(draw: st.DrawFn) -> IpvsTable:
    keys = draw(st.lists(_keys, max_size=4, unique=True))
    return IpvsTable({key: draw(_service(key)) for key in keys})


# -- tests ----------------------------------------------------------------------------------------


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(current=_tables(), desired=_tables())
def test_applied_diff_reads_back_as_desired(
    adapter: IpvsAdapter, current: IpvsTable, desired: IpvsTable
) -> None:
    adapter.flush()
    adapter.apply(diff(IpvsTable(), current))
    assert adapter.read() == current
    ops = diff(current, desired)
    adapter.apply(ops)
    got = adapter.read()
    assert got == desired, "\n".join(["got:", *got.render(), "desired:", *desired.render()])
    assert diff(got, desired) == []


def _a(text: str) -> IPv4Address | IPv6Address:
    return ip_address(text)


WEB = ServiceKey(AF_INET, IPPROTO_TCP, ip_address("192.0.2.10"), 80)
DNS = ServiceKey(AF_INET6, IPPROTO_UDP, ip_address("2001:db8::53"), 53)
MARK = ServiceKey(AF_INET, 0, IPv4Address(0), 0, 7)


def _table() -> IpvsTable:
    web, dns, mark = WEB, DNS, MARK
    return IpvsTable(
        {
            web: Service(
                ServiceAttrs("wrr"),
                {
                    DestKey(_a("198.51.100.1"), 8080): DestAttrs(Forwarding.MASQ, 3),
                    DestKey(_a("198.51.100.2"), 8080): DestAttrs(Forwarding.MASQ, 1),
                },
            ),
            dns: Service(
                ServiceAttrs("rr", netmask=NETMASK_V6_HOST),
                {DestKey(_a("2001:db8:1::1"), 53): DestAttrs(Forwarding.DROUTE, 1)},
            ),
            mark: Service(
                ServiceAttrs("sh", flags=0x1, timeout=300, netmask=0xFFFFFF00),
                {DestKey(_a("198.51.100.9"), 0): DestAttrs(Forwarding.DROUTE, 1)},
            ),
        }
    )


def test_reconcile_touches_only_what_differs(adapter: IpvsAdapter) -> None:
    """A table already in the kernel is reconciled in place: right entries get no command."""
    start = _table()
    adapter.apply(diff(IpvsTable(), start))
    web, dns, mark = WEB, DNS, MARK
    services = dict(start.services)
    web_dests = dict(services[web].dests)
    web_dests[DestKey(_a("198.51.100.2"), 8080)] = DestAttrs(Forwarding.MASQ, 0)  # drained
    web_dests[DestKey(_a("198.51.100.3"), 8080)] = DestAttrs(Forwarding.MASQ, 2)  # new
    services[web] = Service(services[web].attrs, web_dests)
    services[mark] = Service(
        ServiceAttrs("rr", flags=0x1, timeout=300, netmask=0xFFFFFF00), services[mark].dests
    )
    del services[dns]
    desired = IpvsTable(services)
    adapter.sent.clear()
    adapter.apply(diff(adapter.read(), desired))
    assert adapter.read() == desired
    assert adapter.sent == Counter({"EDITDEST": 1, "ADDDEST": 1, "EDIT": 1, "DEL": 1})
    adapter.sent.clear()
    adapter.apply(diff(adapter.read(), desired))
    assert adapter.sent == Counter()


def test_table_made_by_ipvsadm_reads_as_the_model(adapter: IpvsAdapter) -> None:
    """What another tool put in the kernel reads back normalised (fwmark keys, no HASHED flag)."""
    rules = "\n".join(
        [
            "-A -t 192.0.2.10:80 -s wrr -p 300 -M 255.255.255.0",
            "-a -t 192.0.2.10:80 -r 198.51.100.1:8080 -m -w 3 -x 10 -y 2",
            "-A -f 7 -s sh -b sh-port",
            "-a -f 7 -r 198.51.100.9:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum",
            "-A -f 8 -6 -s rr -p 60 -M 64",
            "-A -u [2001:db8::53]:53 -s rr",
            "-a -u [2001:db8::53]:53 -r [2001:db8:1::1]:53 -g -w 2",
            "",
        ]
    )
    subprocess.run(["ipvsadm", "-R"], input=rules, text=True, check=True)
    expected = IpvsTable(
        {
            ServiceKey(AF_INET, IPPROTO_TCP, _a("192.0.2.10"), 80): Service(
                ServiceAttrs("wrr", flags=0x1, timeout=300, netmask=0xFFFFFF00),
                {
                    DestKey(_a("198.51.100.1"), 8080): DestAttrs(
                        Forwarding.MASQ, 3, u_threshold=10, l_threshold=2
                    )
                },
            ),
            ServiceKey(AF_INET, 0, IPv4Address(0), 0, 7): Service(
                ServiceAttrs("sh", flags=0x10),
                {
                    DestKey(_a("198.51.100.9"), 0): DestAttrs(
                        Forwarding.TUNNEL, 1, tun_type=TunnelType.GUE, tun_port=6080
                    )
                },
            ),
            ServiceKey(AF_INET6, 0, IPv6Address(0), 0, 8): Service(
                ServiceAttrs("rr", flags=0x1, timeout=60, netmask=64)
            ),
            ServiceKey(AF_INET6, IPPROTO_UDP, _a("2001:db8::53"), 53): Service(
                ServiceAttrs("rr", netmask=NETMASK_V6_HOST),
                {DestKey(_a("2001:db8:1::1"), 53): DestAttrs(Forwarding.DROUTE, 2)},
            ),
        }
    )
    got = adapter.read()
    assert got == expected, "\n".join(["got:", *got.render(), "expected:", *expected.render()])
    assert diff(got, expected) == []
    # and what the adapter writes, ipvsadm saves identically
    saved = sorted(ipvsadm_save())
    adapter.flush()
    adapter.apply(diff(IpvsTable(), expected))
    assert sorted(ipvsadm_save()) == saved


def test_refusals_carry_keepalived_words(adapter: IpvsAdapter) -> None:
    key = ServiceKey(AF_INET, IPPROTO_TCP, _a("192.0.2.99"), 80)
    with pytest.raises(IpvsError) as info:
        adapter.apply([DelService(key), AddService(key, ServiceAttrs("nosuch"))])
    assert info.value.lines == [
        "IPVS cmd IP_VS_SO_SET_DEL(1156) error: No such service(3) (192.0.2.99:tcp:80)",
        "IPVS cmd IP_VS_SO_SET_ADD(1154) error:"
        " Scheduler or persistence engine not found(2) (192.0.2.99:tcp:80)",
    ]
    # keepalived counts "already there" on add and "not there" on a destination delete as done
    adapter.apply([AddService(key, ServiceAttrs("rr")), AddService(key, ServiceAttrs("rr"))])
    adapter.apply([DelDest(key, DestKey(_a("198.51.100.1"), 80))])
    assert adapter.read() == IpvsTable({key: Service(ServiceAttrs("rr"))})
