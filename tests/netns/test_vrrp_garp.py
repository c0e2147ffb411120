"""Gratuitous ARPs / unsolicited NAs on the wire: keepalived-py sends what keepalived 2.2.7 sends.

Node 1 runs the daemon (priority 150, two VIPs, an IPv4 and two IPv6 eVIPs); node 2 captures every
gratuitous frame on its eth0 with kernel timestamps (frame_capture.py).  Both daemons are held
to the same expected sequence, which is what keepalived 2.2.7 was measured to send: for each kind
(ARP, NA) the addresses in order, and each frame's time after the first (or after the provoking
advert) no earlier than expected and at most LATE after.  The times are protocol bounds
(garp_interval / gna_interval, garp_master_delay, garp_lower_prio_delay), not speed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Node, Proc, stays_true, wait_until
from tests.netns.vrrp_lab import keepalived_available, start_keepalived, start_kpy, vrrp_config, write_config

pytestmark = pytest.mark.root

DAEMONS: dict[str, Callable[[Node, str], Proc]] = {"keepalived-py": start_kpy, "keepalived": start_keepalived}
# A frame may not leave before its time (that would break the pacing, a protocol bound) beyond
# clock granularity, and may be late by scheduling jitter on a loaded machine.
EARLY = 0.02
LATE = 0.25
# A delayed batch (garp_master_delay / garp_lower_prio_delay) may start up to this much early:
# keepalived starts that delay after setting the VIPs and sending the first batch, keepalived-py
# at the transition (its pure core does not see how long the kernel took).
DELAY_EARLY = 0.1
V1, V2, E1 = "192.0.2.100", "192.0.2.101", "192.0.2.102"
N1, N2 = "2001:db8::100", "2001:db8::101"
EVIPS = f"virtual_ipaddress_excluded {{\n{E1}/24\n{N1}/64\n{N2}/64\n}}"

Expected = list[tuple[float, str, str]]  # (seconds after the batch's first frame, kind, address)
Batches = list[tuple[float, Expected]]  # (seconds after the reference, frames)


BURST: Expected = [(0.0, "arp", V1), (0.0, "arp", V2), (0.0, "arp", E1), (0.0, "na", N1), (0.0, "na", N2)] * 2
# repeat 3 with vrrp_garp_interval 0.2 / vrrp_gna_interval 0.3: the first of each kind at once,
# then each pending address once, spaced by its kind's interval
PACED: Expected = [
    (0.0, "arp", V1),
    (0.0, "na", N1),
    (0.2, "arp", V1),
    (0.3, "na", N1),
    (0.4, "arp", V2),
    (0.6, "na", N2),
    (0.6, "arp", E1),
]


SCENARIOS: dict[str, tuple[str, str, Batches]] = {
    # name: (global_defs lines, instance lines, expected batches after entering MASTER)
    "burst": ("", "garp_master_delay 2\ngarp_master_repeat 2", [(0.0, BURST), (2.0, BURST)]),
    "paced": (
        "vrrp_garp_interval 0.2\nvrrp_gna_interval 0.3",
        "garp_master_delay 2\ngarp_master_repeat 3",
        [(0.0, PACED), (2.0, PACED)],
    ),
    "garp_group": ("", "garp_master_delay 2\ngarp_master_repeat 3", [(0.0, PACED), (2.0, PACED)]),
    # use_vmac: the frames leave on the VMAC, paced as its base interface eth0
    "vmac": (
        "vrrp_garp_interval 0.2\nvrrp_gna_interval 0.3",
        "use_vmac\ngarp_master_delay 2\ngarp_master_repeat 3",
        [(0.0, PACED), (2.0, PACED)],
    ),
    # VRRPv3 at 0.3 s: the refresh is due at the first advert more than 1 s after the last one
    "refresh": (
        "",
        "version 3\ngarp_master_delay 0\ngarp_master_repeat 1\n"
        "garp_master_refresh 1\ngarp_master_refresh_repeat 2",
        [(0.0, BURST[:5]), (1.2, BURST), (2.4, BURST)],
    ),
}
GARP_GROUP = "garp_group {\n    garp_interval 0.2\n    gna_interval 0.3\n    interface eth0\n}\n"


@pytest.fixture(autouse=True)
def _need_keepalived() -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)


def _frames(proc: Proc) -> list[dict[str, object]]:
    return [json.loads(line) for line in proc.output().splitlines() if line.startswith("{")]


def _capture(node: Node) -> Proc:
    cap = node.start([sys.executable, "-m", "tests.netns.frame_capture", "600"], label="capture")
    wait_until(lambda: "ready" in cap.output(), timeout=10, what="capture ready")
    return cap


def _config(global_extra: str, extra: str) -> str:
    return vrrp_config(
        priority=150, vips=(f"{V1}/24", f"{V2}/24"), global_extra=global_extra, extra=f"{EVIPS}\n{extra}"
    )


def _collect(
    cap: Proc, want: int, timeout: float, proc: Proc, *, exact: bool = True
) -> list[dict[str, object]]:
    wait_until(
        lambda: len(_frames(cap)) >= want,
        timeout=timeout,
        what=f"{want} frames; got {_frames(cap)}\n{proc.output()}",
    )
    if not exact:
        return _frames(cap)[:want]
    # and no more than that
    stays_true(lambda: len(_frames(cap)) == want, duration=0.7, what=f"only {want} frames: {_frames(cap)}")
    return _frames(cap)


def _compare(frames: list[dict[str, object]], ref: float, batches: Batches, output: str) -> None:
    assert len(frames) == sum(len(b) for _, b in batches)
    for start, expected in batches:
        batch, frames = frames[: len(expected)], frames[len(expected) :]
        first = float(str(batch[0]["t"]))
        got = [(float(str(f["t"])) - first, str(f["kind"]), str(f["address"])) for f in batch]
        at = first - ref
        assert start - DELAY_EARLY <= at <= start + LATE, (
            f"batch at {at:.3f}, expected {start}: {got}\n{output}"
        )
        for kind in ("arp", "na"):
            mine = [(t, a) for t, k, a in got if k == kind]
            want = [(t, a) for t, k, a in expected if k == kind]
            assert [a for _, a in mine] == [a for _, a in want], f"{kind} sequence: {got}\n{output}"
            for (t_got, a), (t_want, _) in zip(mine, want, strict=True):
                assert t_want - EARLY <= t_got <= t_want + LATE, (
                    f"{kind} {a} at {t_got:.3f} in its batch, expected {t_want}: {got}"
                )


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("daemon", list(DAEMONS))
def test_becoming_master(make_lab: Callable[..., Lab], daemon: str, scenario: str) -> None:
    global_extra, extra, batches = SCENARIOS[scenario]
    the_lab = make_lab(2, ipv6=True)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    cap = _capture(n2)
    text = _config(global_extra, extra)
    if scenario == "garp_group":
        text = GARP_GROUP + text
    if scenario == "refresh":
        text = text.replace("advert_int 1", "advert_int 0.3")
    proc = DAEMONS[daemon](n1, write_config(n1, text))
    want = sum(len(b) for _, b in batches)
    frames = _collect(cap, want, timeout=15, proc=proc, exact=scenario != "refresh")
    _compare(frames, float(str(frames[0]["t"])), batches, proc.output())


@pytest.mark.parametrize("daemon", list(DAEMONS))
def test_master_rx_lower_priority(make_lab: Callable[..., Lab], daemon: str) -> None:
    """A master receiving a lower-priority advert sends garp_lower_prio_repeat rounds at once and
    again garp_lower_prio_delay later, paced by vrrp_garp_interval."""
    the_lab = make_lab(2, ipv6=True)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    cap = _capture(n2)
    text = _config(
        "vrrp_garp_interval 0.1\nvrrp_gna_interval 0.1",
        "garp_master_delay 1\ngarp_master_repeat 1\ngarp_lower_prio_repeat 2\ngarp_lower_prio_delay 1",
    )
    proc = DAEMONS[daemon](n1, write_config(n1, text))
    # entering MASTER: one round, paced (.100 .101 .102 / ::100 ::101), again 1 s later
    master = [(0.0, "arp", V1), (0.1, "arp", V2), (0.2, "arp", E1), (0.0, "na", N1), (0.1, "na", N2)]
    _collect(cap, 2 * len(master), timeout=15, proc=proc)
    sent = n2.run(
        [sys.executable, "-m", "tests.netns.frame_capture", "advert", str(n2.ipv4), "50", V1, V2], check=True
    )
    ref = float(json.loads(sent.stdout.splitlines()[-1])["t"])
    # two rounds at once (each address pending once more: the first round's ARP/NA at once, then
    # one per interval), the same 1 s later
    lower = [
        (0.0, "arp", V1),
        (0.0, "na", N1),
        (0.1, "arp", V1),
        (0.1, "na", N1),
        (0.2, "arp", V2),
        (0.2, "na", N2),
        (0.3, "arp", E1),
    ]
    frames = _collect(cap, 2 * len(master) + 2 * len(lower), timeout=10, proc=proc)[2 * len(master) :]
    _compare(frames, ref, [(0.0, lower), (1.0, lower)], proc.output())
    assert (
        "Received advert from 192.0.2.2 with lower priority 50, ours 150, forcing new election"
        in proc.output()
    )


@pytest.mark.parametrize("daemon", list(DAEMONS))
def test_no_frames_on_a_noarp_interface(make_lab: Callable[..., Lab], daemon: str) -> None:
    """``ip link set eth0 arp off``: the master sends no GARP / NA at all (keepalived checks IFF_NOARP)."""
    the_lab = make_lab(2, ipv6=True)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    n1.run(["ip", "link", "set", "eth0", "arp", "off"], check=True)
    cap = _capture(n2)
    proc = DAEMONS[daemon](n1, write_config(n1, _config("", "garp_master_delay 1\ngarp_master_repeat 2")))
    the_lab.wait_holders(V1, lambda h: h == [1], timeout=15, what="n1 master")
    # past the delayed batch too
    stays_true(lambda: _frames(cap) == [], duration=2.0, what=f"no frames: {_frames(cap)}\n{proc.output()}")
    assert "Sending gratuitous ARP on" not in proc.output()
