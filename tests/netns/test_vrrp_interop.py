"""keepalived-py and the real keepalived 2.2.7 in one VRRP group (v2, multicast, no auth).

Both directions: a keepalived-py master with a keepalived backup and the reverse.  After the
election exactly one node holds the VIP (and keeps it for a few advert intervals); a crashed
master (SIGKILL of its process group) is replaced within the master down interval; a stopped one
(SIGTERM) hands over at once through its priority-0 advert.  Measured times are printed in the
terminal summary.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from tests.netns.conftest import record_time
from tests.netns.lab import Lab, Node, Proc, stays_true
from tests.netns.vrrp_lab import (
    VIP,
    keepalived_available,
    start_keepalived,
    start_kpy,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

MASTER_DOWN_100 = 3 + (256 - 100) / 256
SKEW_100 = (256 - 100) / 256
MARGIN = 1.5

Starter = Callable[[Node, str], Proc]
DAEMONS: dict[str, Starter] = {"keepalived-py": start_kpy, "keepalived": start_keepalived}


@pytest.fixture(autouse=True)
def _need_keepalived() -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)


def _group(make_lab: Callable[..., Lab], master: str, backup: str) -> tuple[Lab, Proc, Proc]:
    """``master`` runs on n1 with priority 150, ``backup`` on n2 with priority 100."""
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    # The backup starts first, so that the master's election is a preemption of a running group.
    p2 = DAEMONS[backup](n2, write_config(n2, vrrp_config(priority=100)))
    p1 = DAEMONS[master](n1, write_config(n1, vrrp_config(priority=150)))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what=f"{master} on n1 master")
    stays_true(lambda: the_lab.vip_holders(VIP) == [1], duration=3.5, what=f"{master} sole VIP holder")
    return the_lab, p1, p2


PAIRS = [("keepalived-py", "keepalived"), ("keepalived", "keepalived-py")]


@pytest.mark.parametrize(("master", "backup"), PAIRS)
def test_crash_takeover(make_lab: Callable[..., Lab], master: str, backup: str) -> None:
    the_lab, p1, p2 = _group(make_lab, master, backup)
    p1.kill_group(signal.SIGKILL)
    t0 = time.monotonic()
    the_lab.wait_holders(VIP, lambda h: 2 in h, timeout=MASTER_DOWN_100 + MARGIN, what=f"{backup} takes over")
    record_time(f"{master} master SIGKILL -> {backup} holds the VIP", time.monotonic() - t0, MASTER_DOWN_100)
    assert "(VI_1) Entering MASTER STATE" in p2.output()


@pytest.mark.parametrize(("master", "backup"), PAIRS)
def test_sigterm_handover(make_lab: Callable[..., Lab], master: str, backup: str) -> None:
    the_lab, p1, p2 = _group(make_lab, master, backup)
    p1.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=SKEW_100 + MARGIN, what=f"{backup} takes over")
    record_time(f"{master} master SIGTERM -> {backup} holds the VIP", time.monotonic() - t0, SKEW_100)
    assert p1.wait(timeout=10) == 0
    stays_true(lambda: the_lab.vip_holders(VIP) == [2], duration=1.5, what=f"{backup} sole VIP holder")
    del p2


# --- variants: VRRPv3, IPv6, unicast, PASS authentication -------------------------------------

VIP6 = "2001:db8::100"


def _variant_config(variant: str, node: Node, peer: Node, priority: int) -> tuple[str, str]:
    """(config text, the VIP to watch) for ``variant`` on ``node`` talking to ``peer``."""
    if variant == "v3":
        return vrrp_config(priority=priority, version=3), VIP
    if variant == "v3-centiseconds":
        return vrrp_config(priority=priority, version=3, advert_int="0.5"), VIP
    if variant == "ipv6":
        return vrrp_config(priority=priority, vips=(f"{VIP6}/64",)), VIP6
    if variant == "unicast":
        extra = f"unicast_src_ip {node.ipv4}\nunicast_peer {{\n    {peer.ipv4}\n}}"
        return vrrp_config(priority=priority, extra=extra), VIP
    if variant in ("pass", "ah"):
        extra = f"authentication {{\n    auth_type {variant.upper()}\n    auth_pass kpy-Secr3t\n}}"
        return vrrp_config(priority=priority, extra=extra), VIP
    raise AssertionError(variant)


VARIANTS = ["v3", "v3-centiseconds", "ipv6", "unicast", "pass", "ah"]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("master", "backup"), PAIRS)
def test_variant_election_and_handover(
    make_lab: Callable[..., Lab], variant: str, master: str, backup: str
) -> None:
    the_lab = make_lab(2, ipv6=variant == "ipv6")
    n1, n2 = the_lab.node(1), the_lab.node(2)
    conf2, vip = _variant_config(variant, n2, n1, 100)
    conf1, _ = _variant_config(variant, n1, n2, 150)
    p2 = DAEMONS[backup](n2, write_config(n2, conf2))
    p1 = DAEMONS[master](n1, write_config(n1, conf1))
    the_lab.wait_holders(vip, lambda h: h == [1], timeout=15, what=f"{master} on n1 master ({variant})")
    stays_true(
        lambda: the_lab.vip_holders(vip) == [1], duration=3, what=f"{master} sole VIP holder ({variant})"
    )
    p1.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    the_lab.wait_holders(vip, lambda h: h == [2], timeout=3, what=f"{backup} takes over ({variant})")
    record_time(f"[{variant}] {master} SIGTERM -> {backup} holds the VIP", time.monotonic() - t0, SKEW_100)
    assert p1.wait(timeout=10) == 0
    assert "(VI_1) Entering MASTER STATE" in p2.output()


@pytest.mark.parametrize("auth", ["PASS", "AH"])
def test_wrong_password_is_refused(make_lab: Callable[..., Lab], auth: str) -> None:
    """keepalived-py must drop keepalived's adverts signed with another password (and the reverse):
    each side then believes it is alone, so both end up holding the VIP."""
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    for node, daemon, password, priority in (
        (n1, "keepalived", "kpy-one", 150),
        (n2, "keepalived-py", "kpy-two", 100),
    ):
        extra = f"authentication {{\n    auth_type {auth}\n    auth_pass {password}\n}}"
        DAEMONS[daemon](node, write_config(node, vrrp_config(priority=priority, extra=extra)))
    the_lab.wait_holders(VIP, lambda h: h == [1, 2], timeout=15, what="both masters (adverts refused)")


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_split_brain_equal_priority_higher_address_wins(
    make_lab: Callable[..., Lab], first: str, second: str
) -> None:
    """Two masters with equal priorities meet (RFC 3768 6.4.3): the higher source address stays.

    A backup never compares addresses (keepalived), so the split is made on purpose: the bridge
    forwards nothing until both are masters.
    """
    the_lab = make_lab(2)
    the_lab.partition(cut=True)
    for index, daemon in ((1, first), (2, second)):
        node = the_lab.node(index)
        DAEMONS[daemon](node, write_config(node, vrrp_config(priority=100)))
    the_lab.wait_holders(VIP, lambda h: h == [1, 2], timeout=15, what="split brain: both masters")
    the_lab.partition(cut=False)
    t0 = time.monotonic()
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=3, what="n2 (192.0.2.2) sole master")
    record_time(f"split brain {first}/{second} resolved", time.monotonic() - t0, 1.0)
    stays_true(lambda: the_lab.vip_holders(VIP) == [2], duration=2.5, what="n2 sole VIP holder")


@pytest.mark.parametrize(("owner", "backup"), PAIRS)
def test_address_owner_takes_over_at_start(make_lab: Callable[..., Lab], owner: str, backup: str) -> None:
    """Priority 255 with state MASTER: master at once (no master down wait), the running backup
    yields to it."""
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    DAEMONS[backup](n2, write_config(n2, vrrp_config(priority=100)))
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what=f"{backup} master alone")
    t0 = time.monotonic()
    DAEMONS[owner](n1, write_config(n1, vrrp_config(priority=255, state="MASTER")))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=3, what=f"{owner} (owner) sole master")
    record_time(f"{owner} owner started -> sole VIP holder (incl. process start)", time.monotonic() - t0, 0.0)
    stays_true(lambda: the_lab.vip_holders(VIP) == [1], duration=2.5, what="owner sole VIP holder")
