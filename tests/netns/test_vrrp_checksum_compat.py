"""VRRPv3 unicast with keepalived's old checksum (``old_unicast_checksum``), against keepalived 2.2.7.

The side configured with ``old_unicast_checksum`` sends adverts whose pseudo-header names the
multicast group; the other side, by default, switches to the old checksum on the first one
("(VI_1) Setting unicast VRRPv3 checksum to old version") and the pair runs a normal election:
one master, the VIP on one node only.  With ``old_unicast_checksum never`` the default side
refuses them ("Invalid VRRPv3 checksum") and both become master.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Node, Proc, stays_true, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    keepalived_available,
    start_keepalived,
    start_kpy,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

DAEMONS: dict[str, Callable[[Node, str], Proc]] = {"keepalived-py": start_kpy, "keepalived": start_keepalived}
SWITCH = "(VI_1) Setting unicast VRRPv3 checksum to old version"


@pytest.fixture(autouse=True)
def _need_keepalived() -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)


def _config(node: Node, peer: Node, priority: int, compat: str) -> str:
    extra = f"unicast_src_ip {node.ipv4}\nunicast_peer {{\n    {peer.ipv4}\n}}\n{compat}"
    return vrrp_config(priority=priority, version=3, extra=extra)


@pytest.mark.parametrize(("old", "auto"), [("keepalived", "keepalived-py"), ("keepalived-py", "keepalived")])
def test_old_checksum_peer_is_followed(make_lab: Callable[..., Lab], old: str, auto: str) -> None:
    """``old`` runs with old_unicast_checksum as master (150); ``auto`` switches and stays backup."""
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    # The old side is master before the other starts, so that only old-style adverts are seen.
    p1 = DAEMONS[old](n1, write_config(n1, _config(n1, n2, 150, "old_unicast_checksum")))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what=f"{old} master")
    p2 = DAEMONS[auto](n2, write_config(n2, _config(n2, n1, 100, "")))
    wait_until(lambda: SWITCH in p2.output(), timeout=5, what=f"{auto} switches to the old checksum")
    stays_true(lambda: the_lab.vip_holders(VIP) == [1], duration=3.5, what="one VIP holder")
    assert "Invalid VRRPv3 checksum" not in p2.output()
    assert "Invalid VRRPv3 checksum" not in p1.output()
    assert SWITCH not in p1.output()


@pytest.mark.parametrize("never", ["keepalived", "keepalived-py"])
def test_never_refuses_old_checksum(make_lab: Callable[..., Lab], never: str) -> None:
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    p2 = DAEMONS[never](n2, write_config(n2, _config(n2, n1, 100, "old_unicast_checksum never")))
    start_keepalived(n1, write_config(n1, _config(n1, n2, 150, "old_unicast_checksum")))
    wait_until(lambda: "(VI_1) Invalid VRRPv3 checksum" in p2.output(), timeout=10, what="refused")
    the_lab.wait_holders(VIP, lambda h: h == [1, 2], timeout=15, what="both masters")
    assert SWITCH not in p2.output()
