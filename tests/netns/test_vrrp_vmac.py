"""use_vmac / vmac_xmit_base: keepalived-py and keepalived 2.2.7 in one VRRP group.

Both daemons make the same macvlan (``ip -d link``: macvlan mode private, 00:00:5e:00:01:VRID,
up in every state, link eth0, no EUI-64 address) with the same kernel parameters; the VIP sits on
the master's VMAC only; adverts and gratuitous ARPs leave with the virtual MAC, adverts with the
base interface's MAC under vmac_xmit_base; the VMAC is gone after stop.  Frames are captured on
the bridge port of the sending node with an AF_PACKET socket and decoded with scapy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from scapy.layers.l2 import ARP, Ether
from scapy.layers.vrrp import VRRP, VRRPv3

from tests.netns.lab import IP, Lab, Node, Proc, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    VIP6,
    keepalived_available,
    start_keepalived,
    start_kpy,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

VRID = 51
VMAC = "vrrp.51"
VIRTUAL_MAC = "00:00:5e:00:01:33"
IPV4_PARAMS = ("arp_ignore", "arp_filter", "rp_filter", "accept_local", "promote_secondaries")
IPV6_PARAMS = ("disable_ipv6", "addr_gen_mode")

# Runs in the bridge namespace: prints (hex) the first VRRP frame from argv[2] (IPv4 or IPv6) and
# the first ARP frame whose sender is argv[3] seen on port argv[1], within argv[4] seconds.
CAPTURE = r"""
import select, socket, sys, time
port, src, vip, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((port, 0))
print("ready", flush=True)
want = {"vrrp": None, "arp": None if vip != "-" else b""}
end = time.monotonic() + limit
while time.monotonic() < end and (want["vrrp"] is None or want["arp"] is None):
    if not select.select([s], [], [], 0.1)[0]:
        continue
    frame, addr = s.recvfrom(65535)
    if addr[2] == socket.PACKET_OUTGOING:  # sent to this node by the others
        continue
    kind = frame[12:14]
    if kind == b"\x08\x00" and frame[23] == 112 and socket.inet_ntoa(frame[26:30]) == src:
        want["vrrp"] = want["vrrp"] or frame
    elif kind == b"\x86\xdd" and frame[20] == 112 and socket.inet_ntop(socket.AF_INET6, frame[22:38]) == src:
        want["vrrp"] = want["vrrp"] or frame
    elif kind == b"\x08\x06" and socket.inet_ntoa(frame[28:32]) == vip:
        want["arp"] = want["arp"] or frame
    elif kind == b"\x08\x00" and frame[23] == 2:
        print("igmp", frame.hex(), flush=True)
for key, frame in want.items():
    if frame:
        print(key, frame.hex(), flush=True)
"""


class Capture:
    """A capture on the bridge port of node ``index`` (started before what it should see)."""

    def __init__(self, lab: Lab, index: int, src: str, vip: str = "-", limit: float = 15.0) -> None:
        self.proc = subprocess.Popen(
            [
                IP,
                "netns",
                "exec",
                lab.bridge_ns,
                sys.executable,
                "-c",
                CAPTURE,
                f"p{index}",
                src,
                vip,
                str(limit),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready", (
            self.proc.stderr.read() if self.proc.stderr else ""
        )

    def frames(self, timeout: float = 20.0) -> dict[str, bytes]:
        """The first VRRP and ARP frames; IGMP ones in ``igmp_frames``."""
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err
        found = {}
        self.igmp_frames = []
        for line in out.splitlines():
            key, _, data = line.partition(" ")
            if key == "igmp":
                self.igmp_frames.append(bytes.fromhex(data))
            else:
                found[key] = bytes.fromhex(data)
        return found


def _frame(data: bytes) -> Any:
    return Ether(data)


def vmac_link(node: Node, name: str = VMAC) -> dict[str, Any] | None:
    """The fields of ``ip -d link show`` that say what kind of VMAC ``name`` is."""
    out = node.run(["ip", "-j", "-d", "link", "show", "dev", name])
    if out.returncode != 0:
        return None
    link = json.loads(out.stdout)[0]
    info = link.get("linkinfo", {})
    return {
        "kind": info.get("info_kind"),
        "mode": info.get("info_data", {}).get("mode"),
        "address": link.get("address"),
        "flags": sorted(link.get("flags", [])),
        "link": link.get("link"),
        "addrgenmode": link.get("inet6_addr_gen_mode"),
        "operstate": link.get("operstate"),
    }


def sysctls(node: Node, names: tuple[str, ...] = ("all", "default", "eth0", VMAC)) -> dict[str, str]:
    paths = [f"/proc/sys/net/ipv4/conf/{n}/{p}" for n in names for p in IPV4_PARAMS]
    paths += [f"/proc/sys/net/ipv6/conf/{n}/{p}" for n in names for p in IPV6_PARAMS]
    out = node.run(
        ["sh", "-c", 'for f in "$@"; do echo "$f=$(cat "$f" 2>/dev/null)"; done', "-", *paths]
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def _config(node: Node, priority: int, extra: str = "use_vmac") -> str:
    return write_config(node, vrrp_config(priority=priority, vrid=VRID, extra=extra), f"vmac-{priority}.conf")


def _stop(proc: Proc) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def _on_vmac(the_lab: Lab, want: list[int], what: str) -> None:
    """The VIP is on the VMAC of the nodes ``want`` only, never on eth0."""

    def probe() -> bool:
        holders = [n.index for n in the_lab.nodes if n.holds(VIP, VMAC)]
        return holders == want and not the_lab.vip_holders(VIP)

    wait_until(probe, timeout=15, what=f"{what}\n{the_lab.logs()}")


def _gone(node: Node) -> None:
    wait_until(lambda: vmac_link(node) is None, timeout=5, what=f"{VMAC} deleted on {node.name}")


def _expected_link() -> dict[str, Any]:
    return {
        "kind": "macvlan",
        "mode": "private",
        "address": VIRTUAL_MAC,
        "flags": ["BROADCAST", "LOWER_UP", "MULTICAST", "UP"],
        "link": "eth0",
        "addrgenmode": "none",
        "operstate": "UP",
    }


def _needs_keepalived() -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)


def test_vmac_interop_failover_both_ways(make_lab: Callable[..., Lab]) -> None:
    _needs_keepalived()
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    before = sysctls(n1, ("all", "default", "eth0"))
    ka = start_keepalived(n2, _config(n2, 100))
    _on_vmac(the_lab, [2], "keepalived alone is master on its VMAC")

    capture = Capture(the_lab, 1, str(n1.ipv4), VIP)
    ours = start_kpy(n1, _config(n1, 150))
    _on_vmac(the_lab, [1], "keepalived-py preempts onto its VMAC")
    # the same interface on both nodes, up in MASTER and in BACKUP alike
    assert vmac_link(n1) == _expected_link() == vmac_link(n2)
    assert sysctls(n1) == sysctls(n2)
    assert sysctls(n1)[f"/proc/sys/net/ipv4/conf/{VMAC}/accept_local"] == "1"
    frames = capture.frames()
    advert, garp = _frame(frames["vrrp"]), _frame(frames["arp"])
    assert advert.src == VIRTUAL_MAC and advert[VRRP].vrid == VRID and advert[VRRP].priority == 150
    assert garp.src == VIRTUAL_MAC and garp[ARP].hwsrc == VIRTUAL_MAC and garp[ARP].psrc == VIP

    # keepalived-py -> keepalived: the VMAC goes with the daemon, the base's parameters come back
    _stop(ours)
    _on_vmac(the_lab, [2], "keepalived takes over on its VMAC")
    _gone(n1)
    assert sysctls(n1, ("all", "default", "eth0")) == before

    # keepalived -> keepalived-py
    ours = start_kpy(n1, _config(n1, 50))
    wait_until(lambda: vmac_link(n1) == _expected_link(), timeout=10, what="VMAC up in BACKUP")
    assert not n1.holds(VIP, VMAC)
    capture = Capture(the_lab, 1, str(n1.ipv4))
    _stop(ka)
    _gone(n2)
    _on_vmac(the_lab, [1], "keepalived-py takes over on its VMAC")
    advert = _frame(capture.frames()["vrrp"])
    assert advert.src == VIRTUAL_MAC and advert[VRRP].priority == 50
    _stop(ours)
    _gone(n1)
    assert "Success creating VMAC interface vrrp.51" in ours.output()
    assert "Success removing VMAC interface vrrp.51" in ours.output()


def test_vmac_xmit_base_adverts_from_the_base_mac(make_lab: Callable[..., Lab]) -> None:
    _needs_keepalived()
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    extra = "use_vmac\nvmac_xmit_base"
    ka = start_keepalived(n2, _config(n2, 100, extra))
    capture = Capture(the_lab, 1, str(n1.ipv4), VIP)
    ours = start_kpy(n1, _config(n1, 150, extra))
    _on_vmac(the_lab, [1], "keepalived-py master on its VMAC")
    assert vmac_link(n1) == _expected_link() == vmac_link(n2)
    frames = capture.frames()
    base_mac = str(vmac_link(n1, "eth0")["address"])  # type: ignore[index]
    advert, garp = _frame(frames["vrrp"]), _frame(frames["arp"])
    assert advert.src == base_mac and advert[VRRP].priority == 150
    # the VIP still answers from the virtual MAC
    assert garp.src == VIRTUAL_MAC and garp[ARP].hwsrc == VIRTUAL_MAC

    # keepalived does the same: its adverts leave from its eth0's MAC
    capture = Capture(the_lab, 2, str(n2.ipv4))
    _stop(ours)
    _gone(n1)
    _on_vmac(the_lab, [2], "keepalived takes over on its VMAC")
    advert = _frame(capture.frames()["vrrp"])
    assert advert.src == vmac_link(n2, "eth0")["address"]  # type: ignore[index]
    _stop(ka)
    _gone(n2)


def _sysctl_run(the_lab: Lab, start: Callable[[Node, str], Proc]) -> tuple[dict[str, str], dict[str, str]]:
    node = the_lab.node(1)
    proc = start(node, _config(node, 150))
    _on_vmac(the_lab, [1], "master on its VMAC")
    running = sysctls(node)
    _stop(proc)
    _gone(node)
    return running, sysctls(node, ("all", "default", "eth0"))


def test_vmac_sysctls_with_rp_filter_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    """With net.ipv4.conf.all.rp_filter set, both daemons move it to 0 and raise default and
    eth0 to its value, so the VMAC can have rp_filter 0; the base gets arp_ignore/arp_filter 1."""
    _needs_keepalived()
    setup = (
        "echo 2 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 1 > /proc/sys/net/ipv4/conf/default/rp_filter;"
        " echo 2 > /proc/sys/net/ipv4/conf/eth0/arp_ignore"
    )
    results = []
    for start in (start_kpy, start_keepalived):
        the_lab = make_lab(1)
        node = the_lab.node(1)
        node.run(["sh", "-c", setup], check=True)
        before = sysctls(node, ("all", "default", "eth0"))
        results.append((before, *_sysctl_run(the_lab, start)))
    (before, ours, ours_after), (_, theirs, theirs_after) = results
    assert ours == theirs
    assert ours["/proc/sys/net/ipv4/conf/all/rp_filter"] == "0"
    assert ours["/proc/sys/net/ipv4/conf/eth0/rp_filter"] == "2"
    assert ours[f"/proc/sys/net/ipv4/conf/{VMAC}/rp_filter"] == "0"
    # rp_filter is put back by both; keepalived 2.2.7 leaves the base's arp_ignore/arp_filter at 1
    # (its saved copy is overwritten by the kernel's own notification), keepalived-py restores them
    assert ours_after == before
    rp = [k for k in before if k.endswith("/rp_filter")]
    assert {k: theirs_after[k] for k in rp} == {k: before[k] for k in rp}


def _addresses6(node: Node, dev: str) -> list[tuple[str, list[str]]]:
    """(address/prefix, flags) of the IPv6 addresses on ``dev``."""
    out = node.run(["ip", "-j", "-6", "addr", "show", "dev", dev]).stdout
    found = []
    for link in json.loads(out or "[]"):
        for a in link.get("addr_info", []):
            flags = [
                f
                for f in ("nodad", "deprecated")
                if a.get(f) or (f == "deprecated" and a.get("preferred_life_time") == 0)
            ]
            found.append((f"{a['local']}/{a['prefixlen']}", flags))
    return sorted(found)


def test_vmac_ipv6_interop(make_lab: Callable[..., Lab]) -> None:
    """An IPv6 instance: 00:00:5e:00:02:VRID, IPv6 left on, the base's link-local address on the
    VMAC (no DAD, deprecated), adverts from the VMAC with the virtual MAC."""
    _needs_keepalived()
    the_lab = make_lab(2, ipv6=True)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    cfg = [
        write_config(n, vrrp_config(priority=p, vrid=VRID, vips=(f"{VIP6}/64",), extra="use_vmac"), "v6.conf")
        for n, p in ((n1, 150), (n2, 100))
    ]
    ka = start_keepalived(n2, cfg[1])
    wait_until(lambda: n2.holds(VIP6, VMAC), timeout=15, what=f"keepalived master\n{the_lab.logs()}")
    capture = Capture(the_lab, 1, str(n1.link_local()))
    ours = start_kpy(n1, cfg[0])
    wait_until(
        lambda: n1.holds(VIP6, VMAC) and not n2.holds(VIP6, VMAC),
        timeout=15,
        what=f"preempt\n{the_lab.logs()}",
    )
    want = {**_expected_link(), "address": "00:00:5e:00:02:33"}
    assert vmac_link(n1) == want == vmac_link(n2)
    for node in (n1, n2):
        assert (f"{node.link_local()}/64", ["nodad", "deprecated"]) in _addresses6(node, VMAC)
    assert sysctls(n1) == sysctls(n2)
    advert = _frame(capture.frames()["vrrp"])
    assert advert.src == "00:00:5e:00:02:33" and advert[VRRPv3].vrid == VRID
    _stop(ours)
    _gone(n1)
    wait_until(lambda: n2.holds(VIP6, VMAC), timeout=15, what=f"keepalived takes over\n{the_lab.logs()}")
    _stop(ka)
    _gone(n2)


def _down_and_deleted(the_lab: Lab, start: Callable[[Node, str], Proc]) -> str:
    node = the_lab.node(1)
    proc = start(node, _config(node, 150))
    _on_vmac(the_lab, [1], "master on its VMAC")
    first = vmac_link(node)
    node.run(["ip", "link", "set", VMAC, "down"], check=True)
    wait_until(lambda: not node.holds(VIP, VMAC), timeout=5, what=f"FAULT: VIP released\n{the_lab.logs()}")
    node.run(["ip", "link", "set", VMAC, "up"], check=True)
    _on_vmac(the_lab, [1], "master again once the VMAC is up")
    node.run(["ip", "link", "del", VMAC], check=True)
    # made again at once, and the instance comes back through FAULT and BACKUP to MASTER
    _on_vmac(the_lab, [1], "master on a new VMAC")
    assert vmac_link(node) == first
    _stop(proc)
    _gone(node)
    return proc.output()


@pytest.mark.parametrize("daemon", ["keepalived-py", "keepalived"])
def test_vmac_down_is_fault_and_a_deleted_vmac_comes_back(make_lab: Callable[..., Lab], daemon: str) -> None:
    if daemon == "keepalived":
        _needs_keepalived()
    log = _down_and_deleted(make_lab(1), start_kpy if daemon == "keepalived-py" else start_keepalived)
    assert log.count("Success creating VMAC interface vrrp.51") == 2
    assert "Entering FAULT STATE" in log


def _placement(the_lab: Lab, start: Callable[[Node, str], Proc]) -> list[tuple[str, str]]:
    node = the_lab.node(1)
    extra = "use_vmac\nvirtual_ipaddress_excluded {\n2001:db8::100/64\n}"
    text = vrrp_config(priority=150, vrid=VRID, vips=(f"{VIP}/24", "192.0.2.101/24 dev eth0"), extra=extra)
    proc = start(node, write_config(node, text, "placement.conf"))
    wanted = {"192.0.2.100", "192.0.2.101", "2001:db8::100"}

    def placed() -> list[tuple[str, str]] | None:
        found = sorted((dev, a) for dev in ("eth0", VMAC) for a in node.addresses(dev) if a in wanted)
        return found if len(found) == 3 else None

    found = wait_until(placed, timeout=15, what=f"VIPs and eVIP set\n{the_lab.logs()}")
    _stop(proc)
    _gone(node)
    assert found is not None
    return found


def test_vmac_vip_placement_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    """VIPs of the instance's family go on the VMAC even with ``dev <its interface>``; an eVIP of
    the other family stays on the interface."""
    ours = _placement(make_lab(1), start_kpy)
    assert ours == [("eth0", "2001:db8::100"), (VMAC, "192.0.2.100"), (VMAC, "192.0.2.101")]
    _needs_keepalived()
    assert _placement(make_lab(1), start_keepalived) == ours


def test_vmac_unicast_interop(make_lab: Callable[..., Lab]) -> None:
    """Unicast with use_vmac: vmac_xmit_base is implied (both daemons say so), the VIP still on
    the VMAC; failover between keepalived-py and keepalived."""
    _needs_keepalived()
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)

    def config(node: Node, peer: Node, priority: int) -> str:
        extra = f"use_vmac\nunicast_src_ip {node.ipv4}\nunicast_peer {{\n{peer.ipv4}\n}}"
        return write_config(node, vrrp_config(priority=priority, vrid=VRID, extra=extra), "unicast.conf")

    ka = start_keepalived(n2, config(n2, n1, 100))
    ours = start_kpy(n1, config(n1, n2, 150))
    _on_vmac(the_lab, [1], "keepalived-py master on its VMAC")
    assert vmac_link(n1) == _expected_link() == vmac_link(n2)
    _stop(ours)
    _gone(n1)
    _on_vmac(the_lab, [2], "keepalived takes over on its VMAC")
    _stop(ka)
    for proc in (ours, ka):
        assert "(VI_1) unicast with use_vmac requires vmac_xmit_base - setting" in proc.output()


def test_vmac_left_by_a_crash_is_adopted(make_lab: Callable[..., Lab]) -> None:
    """keepalived 2.2.7 looks for a private macvlan with the VMAC's address on the interface
    before making one ("Found matching interface"); so does keepalived-py after a SIGKILL."""
    start = start_kpy
    the_lab = make_lab(1)
    node = the_lab.node(1)
    config = _config(node, 150)
    crashed = start(node, config)
    _on_vmac(the_lab, [1], "master on its VMAC")
    crashed.kill_group(signal.SIGKILL)
    crashed.wait(timeout=10)
    assert vmac_link(node) == _expected_link()  # left behind
    # orphans may linger as zombies here (no reaper in the container): forget their pid files
    for name in ("kpy.pid", "kpy-vrrp.pid"):
        os.unlink(node.path(name))
    again = start(node, config)
    # the crashed daemon's VIP is still there: wait for the new one to be master
    wait_until(
        lambda: "Entering MASTER STATE" in again.output(), timeout=15, what=f"MASTER\n{the_lab.logs()}"
    )
    _on_vmac(the_lab, [1], "master again on the same VMAC")
    _stop(again)
    _gone(node)
    assert "(VI_1) Found matching interface vrrp.51" in again.output()
    assert "Success creating VMAC interface" not in again.output()


@pytest.mark.parametrize("daemon", ["keepalived-py", "keepalived"])
def test_vmac_igmp_reports_leave_from_the_base_mac(make_lab: Callable[..., Lab], daemon: str) -> None:
    """A switch must never learn the virtual MAC from a backup: the VRRP group's IGMP reports
    leave with the base interface's MAC (keepalived re-sends them from the base with an
    nftables rule; keepalived-py joins the group on the base interface only)."""
    if daemon == "keepalived":
        _needs_keepalived()
    the_lab = make_lab(1)
    node = the_lab.node(1)
    base_mac = str(vmac_link(node, "eth0")["address"])  # type: ignore[index]
    capture = Capture(the_lab, 1, "192.0.2.250", limit=6.0)  # nobody sends from .250: 6 s of frames
    proc = (start_kpy if daemon == "keepalived-py" else start_keepalived)(node, _config(node, 100))
    capture.frames()
    _stop(proc)
    sources = {_frame(f).src for f in capture.igmp_frames}
    assert sources == {base_mac}


def _vmac_addr(
    the_lab: Lab, start: Callable[[Node, str], Proc]
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    node = the_lab.node(1)
    extra = "use_vmac_addr\nvirtual_ipaddress_excluded {\n2001:db8::100/64\n}"
    proc = start(node, write_config(node, vrrp_config(priority=150, vrid=VRID, extra=extra), "addr.conf"))
    wanted = {VIP, "2001:db8::100"}

    def placed() -> list[tuple[str, str]] | None:
        devs = [link["ifname"] for link in json.loads(node.run(["ip", "-j", "link"]).stdout)]
        found = sorted((dev, a) for dev in devs for a in node.addresses(dev) if a in wanted)
        return found if len(found) == 2 else None

    found = wait_until(placed, timeout=15, what=f"VIP and eVIP set\n{the_lab.logs()}")
    assert found is not None
    links = [vmac_link(node, dev) or {} for dev, _ in found if dev != "eth0"]
    _stop(proc)
    _gone(node)
    return links, found


def test_use_vmac_addr_like_keepalived(make_lab: Callable[..., Lab]) -> None:
    """use_vmac_addr without use_vmac: the IPv4 VIP stays on eth0, the IPv6 eVIP gets a VMAC of
    its own family (00:00:5e:00:02:VRID) on eth0."""
    ours = _vmac_addr(make_lab(1), start_kpy)
    assert ours[1] == [("eth0", VIP), (VMAC, "2001:db8::100")]
    assert ours[0] == [{**_expected_link(), "address": "00:00:5e:00:02:33"}]
    _needs_keepalived()
    assert _vmac_addr(make_lab(1), start_keepalived) == ours
