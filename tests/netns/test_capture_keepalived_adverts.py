"""Adverts of the REAL keepalived 2.2.7, captured on a veth, against our codec.

Two throw-away namespaces joined by a veth pair: keepalived runs as master in one of them
(``keepalived -n -l -f CONF -p PID -r PID -c PID``, pid files in a temp dir); an AF_PACKET
socket in the other one captures what it sends.  For every variant we check that our
``decode()`` accepts the adverts (checksums, AH ICV), that the decoded fields are those of the
configuration, and that our ``encode()`` (plus ``build_ipv4_packet`` / ``ah_wrap`` with the same
identification and sequence number) gives back the very same bytes.  Each run also stops
keepalived and checks its priority-0 advert.

``KPY_WRITE_ADVERT_GOLDEN=1`` rewrites tests/golden/adverts/ from this run's captures.

Addresses: 192.0.2.0/24 and 2001:db8::/32 only (plus the link-locals fe80::1 / fe80::2), no
default route.  Needs root and keepalived; skipped otherwise.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from keepalived_py.vrrp import packet as P

pytestmark = pytest.mark.root

IP = shutil.which("ip") or "/usr/sbin/ip"
KEEPALIVED = shutil.which("keepalived") or (
    "/usr/sbin/keepalived" if os.path.exists("/usr/sbin/keepalived") else None
)
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "adverts"

A4, B4 = ipaddress.IPv4Address("192.0.2.1"), ipaddress.IPv4Address("192.0.2.2")
A6LL = ipaddress.IPv6Address("fe80::1")

# Runs in the capturing namespace: prints the hex of every VRRP (112) or AH (51) frame, one a
# line, until killed or its deadline passes.
CAPTURE = r"""
import select, socket, sys, time
iface, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((iface, 0))
print("ready", flush=True)
while (left := deadline - time.monotonic()) > 0:
    if not select.select([s], [], [], left)[0]:
        continue
    frame, addr = s.recvfrom(65535)
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    etype = frame[12:14]
    if (etype == b"\x08\x00" and frame[23] in (51, 112)) or (etype == b"\x86\xdd" and frame[20] == 112):
        print(frame.hex(), flush=True)
"""


@dataclass(frozen=True)
class Case:
    name: str
    instance: str  # the body of vrrp_instance, without interface/state
    expect: P.Advertisement
    unicast: bool = False
    ah_key: str | None = None
    # keepalived 2.2.7 has no v3_checksum_as_v2; its old_unicast_checksum puts 224.0.0.18 in
    # the pseudo-header instead of the peer.
    checksum_dst: ipaddress.IPv4Address | None = None
    golden: tuple[str, ...] = field(default=())


def _v4(*a: str) -> tuple[ipaddress.IPv4Address, ...]:
    return tuple(ipaddress.IPv4Address(x) for x in a)


CASES = [
    Case(
        "v2",
        "virtual_router_id 51\npriority 150\nadvert_int 1\nversion 2\n"
        "virtual_ipaddress {\n192.0.2.100/24\n192.0.2.101/24\n}\n",
        P.Advertisement(2, 51, 150, 1, _v4("192.0.2.100", "192.0.2.101")),
        golden=("v2_mcast", "v2_mcast_prio0"),
    ),
    Case(
        "v2_pass",
        "virtual_router_id 52\npriority 255\nadvert_int 1\nversion 2\n"
        "authentication {\nauth_type PASS\nauth_pass pw1234\n}\n"
        "virtual_ipaddress {\n192.0.2.102/24\n}\n",
        P.Advertisement(2, 52, 255, 1, _v4("192.0.2.102"), auth_type=1, auth_data=b"pw1234"),
        golden=("v2_pass",),
    ),
    Case(
        "v2_ah",
        "virtual_router_id 53\npriority 255\nadvert_int 1\nversion 2\n"
        "authentication {\nauth_type AH\nauth_pass ahkey\n}\n"
        "virtual_ipaddress {\n192.0.2.103/24\n}\n",
        P.Advertisement(2, 53, 255, 1, _v4("192.0.2.103"), auth_type=2),
        ah_key="ahkey",
        golden=("v2_ah", "v2_ah_prio0"),
    ),
    Case(
        "v3_ipv4",
        "virtual_router_id 54\npriority 200\nadvert_int 0.5\nversion 3\n"
        "virtual_ipaddress {\n192.0.2.104/24\n192.0.2.105/24\n192.0.2.106/24\n}\n",
        P.Advertisement(3, 54, 200, 50, _v4("192.0.2.104", "192.0.2.105", "192.0.2.106")),
        golden=("v3_ipv4",),
    ),
    Case(
        "v3_ipv4_unicast_old_checksum",
        "virtual_router_id 55\npriority 255\nadvert_int 0.25\nversion 3\nold_unicast_checksum\n"
        "unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}\n"
        "virtual_ipaddress {\n192.0.2.107/24\n}\n",
        P.Advertisement(3, 55, 255, 25, _v4("192.0.2.107")),
        unicast=True,
        checksum_dst=P.VRRP_MCAST_V4,
        golden=("v3_ipv4_unicast_old_checksum",),
    ),
    Case(
        "v3_ipv6",
        "virtual_router_id 56\npriority 255\nadvert_int 0.5\nversion 3\n"
        "virtual_ipaddress {\n2001:db8::100/64\n2001:db8::101/64\n}\n",
        P.Advertisement(
            3, 56, 255, 50, (ipaddress.IPv6Address("2001:db8::100"), ipaddress.IPv6Address("2001:db8::101"))
        ),
        golden=("v3_ipv6", "v3_ipv6_prio0"),
    ),
    Case(
        # keepalived 2.2.7 keeps an explicit version 2 with IPv6 when not strict: no auth field,
        # checksum over the IPv6 pseudo-header (the kernel computes it, IPV6_CHECKSUM).
        "v2_ipv6",
        "virtual_router_id 59\npriority 255\nadvert_int 1\nversion 2\n"
        "virtual_ipaddress {\n2001:db8::102/64\n}\n",
        P.Advertisement(2, 59, 255, 1, (ipaddress.IPv6Address("2001:db8::102"),)),
        golden=("v2_ipv6",),
    ),
    Case(
        "v2_unicast",
        "virtual_router_id 57\npriority 255\nadvert_int 1\nversion 2\n"
        "unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}\n"
        "virtual_ipaddress {\n192.0.2.108/24\n}\n",
        P.Advertisement(2, 57, 255, 1, _v4("192.0.2.108")),
        unicast=True,
        golden=("v2_unicast",),
    ),
    Case(
        "v2_unicast_ah",
        "virtual_router_id 58\npriority 255\nadvert_int 1\nversion 2\n"
        "authentication {\nauth_type AH\nauth_pass unicast8\n}\n"
        "unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}\n"
        "virtual_ipaddress {\n192.0.2.109/24\n}\n",
        P.Advertisement(2, 58, 255, 1, _v4("192.0.2.109"), auth_type=2),
        unicast=True,
        ah_key="unicast8",
        golden=("v2_unicast_ah",),
    ),
]


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if not os.path.exists(IP):
        return "needs iproute2's ip"
    if KEEPALIVED is None:
        return "needs keepalived"
    return None


def _ip(*args: str) -> None:
    subprocess.run([IP, *args], check=True, capture_output=True, timeout=20)


@dataclass(frozen=True)
class Pair:
    master: str  # namespace where keepalived runs, interface veth0
    capture: str  # namespace where we capture, interface veth1


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    tag = secrets.token_hex(4)
    names = (f"kpy-cap-a-{tag}", f"kpy-cap-b-{tag}")
    try:
        for ns in names:
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip(
            "-n", names[0], "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", names[1]
        )
        for ns, ifname, n in ((names[0], "veth0", 1), (names[1], "veth1", 2)):
            # A fixed link-local source and no DAD: keepalived's IPv6 adverts can leave at once.
            _ip("-n", ns, "link", "set", ifname, "addrgenmode", "none")
            _ip("-n", ns, "addr", "add", f"192.0.2.{n}/24", "dev", ifname)
            _ip("-n", ns, "addr", "add", f"fe80::{n}/64", "dev", ifname, "nodad")
            _ip("-n", ns, "addr", "add", f"2001:db8::{n}/64", "dev", ifname, "nodad")
            _ip("-n", ns, "link", "set", ifname, "up")
        yield Pair(*names)
    finally:
        for ns in names:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                subprocess.run([IP, "netns", "del", ns], capture_output=True, timeout=20)


class LineReader:
    """Lines from a child's stdout, each wait bounded by a deadline (no fixed sleeps)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.fd, selectors.EVENT_READ)
        self.buf = b""

    def readline(self, deadline: float) -> str | None:
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(left):
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Signal only the process we started (by its PID), then wait for it; SIGKILL if it hangs."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _conf(case: Case) -> str:
    return (
        "global_defs {\n    router_id kpy_capture\n}\n"
        f"vrrp_instance VI_{case.name} {{\n    state MASTER\n    interface veth0\n"
        + "".join(f"    {line}\n" for line in case.instance.splitlines())
        + "}\n"
    )


@dataclass
class Captured:
    adverts: list[bytes]  # IP packets (Ethernet header and padding removed), priority > 0
    prio0: list[bytes]
    log: str


def _ip_packet(frame: bytes) -> bytes:
    """The IP datagram inside an Ethernet frame, without the padding of short frames."""
    if frame[12:14] == b"\x08\x00":
        return frame[14 : 14 + int.from_bytes(frame[16:18], "big")]
    return frame[14 : 14 + 40 + int.from_bytes(frame[18:20], "big")]


def _vrrp_part(pkt: bytes) -> tuple[int, int]:
    """(vrid, priority) of a captured packet, without our codec (to select what to check)."""
    off = 40 if pkt[0] >> 4 == 6 else (pkt[0] & 0x0F) * 4 + (P.AH_LEN if pkt[9] == P.IPPROTO_AH else 0)
    return pkt[off + 1], pkt[off + 2]


def _run_case(pair: Pair, case: Case, want: int = 3) -> Captured:
    with tempfile.TemporaryDirectory(prefix="kpy-cap-") as tmp:
        conf = Path(tmp, "keepalived.conf")
        conf.write_text(_conf(case))
        cap = subprocess.Popen(
            [IP, "netns", "exec", pair.capture, sys.executable, "-c", CAPTURE, "veth1", "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        ka: subprocess.Popen[bytes] | None = None
        adverts: list[bytes] = []
        prio0: list[bytes] = []
        try:
            reader = LineReader(cap)
            assert reader.readline(time.monotonic() + 20) == "ready", "capture did not start"
            with Path(tmp, "keepalived.log").open("wb") as log:  # keepalived keeps its own copy
                ka = subprocess.Popen(
                    [
                        IP, "netns", "exec", pair.master,  # ip execs keepalived: ka.pid is keepalived's
                        str(KEEPALIVED), "-n", "-l", "-f", str(conf),
                        "-p", f"{tmp}/keepalived.pid", "-r", f"{tmp}/vrrp.pid", "-c", f"{tmp}/checkers.pid",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            deadline = time.monotonic() + 20
            while len(adverts) < want and (line := reader.readline(deadline)) is not None:
                pkt = _ip_packet(bytes.fromhex(line))
                vrid, prio = _vrrp_part(pkt)
                if vrid == case.expect.vrid and prio:
                    adverts.append(pkt)
            _stop(ka)  # a stopping master sends a priority-0 advert
            deadline = time.monotonic() + 10
            while not prio0 and (line := reader.readline(deadline)) is not None:
                pkt = _ip_packet(bytes.fromhex(line))
                if _vrrp_part(pkt) == (case.expect.vrid, 0):
                    prio0.append(pkt)
        finally:
            if ka is not None:
                _stop(ka)
            _stop(cap, signal.SIGKILL)
            if cap.stdout:
                cap.stdout.close()
        return Captured(adverts, prio0, Path(tmp, "keepalived.log").read_text(errors="replace"))


def _check_ipv4(case: Case, pkt: bytes, expect: P.Advertisement) -> None:
    ip = P.parse_ipv4_packet(pkt)
    assert (ip.tos, ip.ttl, ip.flags_fragment, ip.options) == (0xC0, 255, 0, b"")
    assert ip.src == A4
    assert ip.dst == (B4 if case.unicast else P.VRRP_MCAST_V4)
    csum_dst = case.checksum_dst or ip.dst
    if case.ah_key is not None:
        assert ip.protocol == P.IPPROTO_AH
        ah = P.ah_unwrap(pkt, key=case.ah_key, unicast=case.unicast)
        assert ah.spi == int(A4)
        adv = P.decode(ah.vrrp, src=ip.src, dst=csum_dst, family=P.AF_INET)
        assert adv == expect
        vrrp = P.encode(adv, src=ip.src, dst=csum_dst)
        assert vrrp == ah.vrrp
        again = P.ah_wrap(
            vrrp, src=ip.src, dst=ip.dst, key=case.ah_key, seq=ah.seq, ident=ip.ident, unicast=case.unicast
        )
        assert again == pkt
        with pytest.raises(P.DecodeError):
            P.ah_unwrap(pkt, key="wrong", unicast=case.unicast)
        return
    assert ip.protocol == P.IPPROTO_VRRP
    adv = P.decode(ip.payload, src=ip.src, dst=csum_dst, family=P.AF_INET)
    assert adv == expect
    vrrp = P.encode(adv, src=ip.src, dst=csum_dst)
    assert P.build_ipv4_packet(vrrp, src=ip.src, dst=ip.dst, ttl=ip.ttl, ident=ip.ident) == pkt
    if case.checksum_dst is not None:
        with pytest.raises(P.DecodeError) as err:
            P.decode(ip.payload, src=ip.src, dst=ip.dst, family=P.AF_INET)
        assert err.value.reason is P.DecodeReason.CHECKSUM
    if adv.version == 3:
        # keepalived 2.2.7 always uses the pseudo-header: the as-v2 reading must refuse it.
        with pytest.raises(P.DecodeError):
            P.decode(ip.payload, src=ip.src, dst=csum_dst, family=P.AF_INET, v3_checksum_as_v2=True)


def _check_ipv6(case: Case, pkt: bytes, expect: P.Advertisement) -> None:
    assert pkt[0] >> 4 == 6 and pkt[6] == P.IPPROTO_VRRP
    assert pkt[7] == 255  # hop limit
    assert ((pkt[0] & 0x0F) << 4) | (pkt[1] >> 4) == 0xC0  # traffic class
    src, dst = ipaddress.IPv6Address(pkt[8:24]), ipaddress.IPv6Address(pkt[24:40])
    assert (src, dst) == (A6LL, P.VRRP_MCAST_V6)
    payload = pkt[40:]
    adv = P.decode(payload, src=src, dst=dst, family=P.AF_INET6)
    assert adv == expect
    assert P.encode(adv, src=src, dst=dst) == payload


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_keepalived_adverts(pair: Pair, case: Case) -> None:
    cap = _run_case(pair, case)
    assert len(cap.adverts) >= 3, f"no adverts from keepalived; its log:\n{cap.log}"
    assert cap.prio0, f"no priority-0 advert on stop; its log:\n{cap.log}"
    is6 = case.expect.family == P.AF_INET6
    for pkt in cap.adverts:
        (_check_ipv6 if is6 else _check_ipv4)(case, pkt, case.expect)
    stop = P.Advertisement(
        case.expect.version,
        case.expect.vrid,
        0,
        case.expect.adver_int,
        case.expect.addresses,
        case.expect.auth_type,
        case.expect.auth_data,
    )
    (_check_ipv6 if is6 else _check_ipv4)(case, cap.prio0[0], stop)
    if case.ah_key is not None:
        seqs = [
            P.ah_unwrap(p, key=case.ah_key, unicast=case.unicast).seq for p in [*cap.adverts, cap.prio0[0]]
        ]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    if os.environ.get("KPY_WRITE_ADVERT_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name in case.golden:
            pkt = cap.prio0[0] if name.endswith("_prio0") else cap.adverts[0]
            (GOLDEN / f"{name}.hex").write_text(pkt.hex() + "\n")
