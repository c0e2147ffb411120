"""vrrp_strict / no_accept: the nftables drop rules of keepalived-py against keepalived 2.2.7's.

keepalived-py and keepalived run the same strict configuration (an IPv4 and an IPv6 instance,
link-local VIP included) in two nodes.  ``nft list ruleset`` must read the same in both, as
MASTER (the bridge partitioned so both are masters), as BACKUP after a higher priority router
took over (tables kept, sets emptied), and after SIGTERM (no table).  The only normalisation is
the counters' values and the order of the two tables (nft lists tables in creation order, which
follows which instance became master first, a race in both daemons).

Traffic: a ping to the VIP of a no_accept master is dropped, the master's own address answers;
with ``accept`` the VIP answers too and there is no table at all.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Node, Proc, stays_true, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    VIP6,
    keepalived_available,
    start_keepalived,
    start_kpy,
    start_kpy_argv,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

LIMIT = 15.0
VIP_LL = "fe80::100"


# Two configurations: vrrp_strict with the defaults; then no_accept without vrrp_strict, the
# nftables options, dont_track_primary (link-local VIPs keyed by name) and an accept instance.
GLOBALS = {
    "strict": "vrrp_strict",
    "options": "nftables kpyt\n    nftables_priority -5\n    nftables_counters",
}
INSTANCE_EXTRA = {"strict": "", "options": "version 3\n    no_accept\n    dont_track_primary"}
TABLE = {"strict": "keepalived", "options": "kpyt"}


def strict_config(priority: int, variant: str = "strict") -> str:
    extra = INSTANCE_EXTRA[variant]
    text = f"""global_defs {{
    router_id kpy_lab
    {GLOBALS[variant]}
}}
vrrp_instance VI_4 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {priority}
    advert_int 1
    {extra}
    virtual_ipaddress {{
        {VIP}/24
        192.0.2.101
    }}
    virtual_ipaddress_excluded {{
        198.51.100.7/32
    }}
}}
vrrp_instance VI_6 {{
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority {priority}
    advert_int 1
    {extra}
    virtual_ipaddress {{
        {VIP_LL}/64
        {VIP6}/64
    }}
}}
"""
    if variant == "options":
        text += f"""vrrp_instance VI_A {{
    state BACKUP
    interface eth0
    virtual_router_id 53
    priority {priority}
    advert_int 1
    version 3
    accept
    virtual_ipaddress {{
        203.0.113.77/32
    }}
}}
"""
    return text


def ruleset(node: Node) -> str:
    return node.run(["nft", "list", "ruleset"], check=True).stdout


def normalised(text: str) -> str:
    """Counters read as 0 and tables in name order."""
    text = re.sub(r"packets \d+ bytes \d+", "packets 0 bytes 0", text)
    tables = re.findall(r"^table .*?^}\n", text, flags=re.S | re.M)
    assert "".join(tables) == text, text
    return "".join(sorted(tables))


def same_rules(a: Node, b: Node, *, tables: int) -> Callable[[], bool]:
    def probe() -> bool:
        one, two = normalised(ruleset(a)), normalised(ruleset(b))
        return one == two and one.count("\ntable ") + one.startswith("table ") == tables

    return probe


def diff_message(a: Node, b: Node) -> str:
    return f"keepalived-py ({a.name}):\n{ruleset(a)}\nkeepalived ({b.name}):\n{ruleset(b)}"


def holds_all(node: Node) -> bool:
    return all(node.holds(v) for v in (VIP, "192.0.2.101", VIP6, VIP_LL))


@pytest.mark.parametrize("variant", ["strict", "options"])
def test_ruleset_matches_keepalived(make_lab: Callable[..., Lab], variant: str) -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    the_lab = make_lab(3, ipv6=True)
    n1, n2, n3 = (the_lab.node(i) for i in (1, 2, 3))
    assert ruleset(n1) == ruleset(n2) == ""

    # both masters: the bridge is cut
    the_lab.partition(cut=True)
    ours = start_kpy(n1, write_config(n1, strict_config(100, variant)))
    theirs = start_keepalived(n2, write_config(n2, strict_config(100, variant)))
    wait_until(lambda: holds_all(n1) and holds_all(n2), timeout=LIMIT, what="both masters\n" + the_lab.logs())
    try:
        wait_until(same_rules(n1, n2, tables=2), timeout=LIMIT, what="same tables as MASTER")
    except AssertionError:
        raise AssertionError(diff_message(n1, n2)) from None
    text = ruleset(n1)
    assert f"table ip {TABLE[variant]}" in text and f"table ip6 {TABLE[variant]}" in text
    assert "198.51.100.7" in text and 'fe80::100 . "eth0"' in text and "203.0.113.77" not in text
    options = variant == "options"
    assert ("vips_link_local_name" in text, "counter packets" in text, "filter - 5" in text) == (options,) * 3

    # a higher priority router takes over: both back to BACKUP, the sets are emptied
    the_lab.partition(cut=False)
    start_keepalived(n3, write_config(n3, strict_config(200, variant)))
    wait_until(
        lambda: not n1.holds(VIP) and not n2.holds(VIP) and not n1.holds(VIP6) and not n2.holds(VIP6),
        timeout=LIMIT,
        what="n1 and n2 back to BACKUP\n" + the_lab.logs(),
    )
    try:
        wait_until(
            lambda: same_rules(n1, n2, tables=2)() and not any(v in ruleset(n1) for v in (VIP, VIP6, VIP_LL)),
            timeout=LIMIT,
            what="same tables as BACKUP",
        )
    except AssertionError:
        raise AssertionError(diff_message(n1, n2)) from None
    assert "(VI_4) removing firewall drop rule" in ours.output()

    # SIGTERM: no table left
    for proc in (ours, theirs):
        proc.send_signal(signal.SIGTERM)
    for proc in (ours, theirs):
        assert proc.wait(LIMIT) == 0, proc.output()
    assert ruleset(n1) == ruleset(n2) == ""


# One ICMP echo request, exit 0 on its reply within a second (no ping binary needed).
PING = """
import os, select, socket, struct, sys, time
dst = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xFFFF
body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"kpy-ping"
total = sum(struct.unpack("!%dH" % (len(body) // 2), body))
total = (total >> 16) + (total & 0xFFFF)
total += total >> 16
s.sendto(body[:2] + struct.pack("!H", ~total & 0xFFFF) + body[4:], (dst, 0))
deadline = time.monotonic() + 1.0
while (left := deadline - time.monotonic()) > 0:
    if not select.select([s], [], [], left)[0]:
        break
    data, (src, _) = s.recvfrom(2048)
    icmp = data[(data[0] & 0x0F) * 4:]
    if src == dst and icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
        sys.exit(0)
sys.exit(1)
"""


def ping(node: Node, address: str) -> bool:
    return node.run([sys.executable, "-c", PING, address]).returncode == 0


def _master(the_lab: Lab, extra: str, version: int | None, daemon: str = "keepalived-py") -> Proc:
    n1 = the_lab.node(1)
    config = vrrp_config(priority=100, extra=extra, version=version, global_extra="vrrp_strict")
    start = start_kpy if daemon == "keepalived-py" else start_keepalived
    proc = start(n1, write_config(n1, config, name=f"kpy-{len(n1.procs)}.conf"))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=LIMIT, what="n1 master")
    return proc


def _stop(proc: Proc) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(LIMIT) == 0, proc.output()


@pytest.mark.parametrize("daemon", ["keepalived-py", "keepalived"])
def test_no_accept_drops_traffic_to_the_vip(make_lab: Callable[..., Lab], daemon: str) -> None:
    if daemon == "keepalived" and keepalived_available():
        pytest.skip(str(keepalived_available()))
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)

    proc = _master(the_lab, "", None, daemon)  # strict: no accept mode
    rules = "table ip keepalived"
    wait_until(lambda: rules in ruleset(n1), timeout=LIMIT, what="drop rules\n" + proc.output())
    assert ping(n2, str(n1.ipv4)), "the master's own address answers"
    stays_true(lambda: not ping(n2, VIP), duration=3.0, what="the VIP does not answer")
    assert "(VI_1) setting firewall drop rule" in proc.output()
    _stop(proc)
    assert ruleset(n1) == ""
    assert not n1.holds(VIP)

    # accept (VRRPv3: strict resets accept for v2): the VIP answers, nothing in nftables
    proc = _master(the_lab, "accept", 3, daemon)
    wait_until(lambda: ping(n2, VIP), timeout=LIMIT, what="the VIP answers with accept\n" + proc.output())
    assert ruleset(n1) == ""
    _stop(proc)


VMAC_CONFIG = """global_defs {
    router_id kpy_lab
    nftables_counters
}
vrrp_instance VI_V6 {
    state BACKUP
    interface eth0
    virtual_router_id 82
    priority 100
    advert_int 3
    use_vmac
    virtual_ipaddress {
        2001:db8::182/64
    }
}
vrrp_instance VI_V4 {
    state BACKUP
    interface eth0
    virtual_router_id 83
    priority 100
    advert_int 3
    use_vmac
    no_accept
    version 3
    virtual_ipaddress {
        192.0.2.183/24
    }
}
"""


def test_use_vmac_tables_match_keepalived(make_lab: Callable[..., Lab]) -> None:
    """With use_vmac keepalived has a table from the start: IGMP/MLD reports of a VMAC leave
    from its base interface (dup), router solicitations from it are dropped."""
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    the_lab = make_lab(2, ipv6=True)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    the_lab.partition(cut=True)
    ours = start_kpy(n1, write_config(n1, VMAC_CONFIG))
    theirs = start_keepalived(n2, write_config(n2, VMAC_CONFIG))
    try:
        # before any MASTER (advert_int 3: about 10 s to wait): the VMAC part only
        wait_until(same_rules(n1, n2, tables=2), timeout=LIMIT, what="same VMAC tables")
        assert "vips" not in ruleset(n1) + ruleset(n2)
        both = lambda: all(n.holds(a, dev=d) for n in (n1, n2) for a, d in (("192.0.2.183", "vrrp.83"),))  # noqa: E731
        wait_until(both, timeout=2 * LIMIT, what="both masters\n" + the_lab.logs())
        wait_until(lambda: same_rules(n1, n2, tables=2)() and "192.0.2.183" in ruleset(n1), timeout=LIMIT)
    except AssertionError:
        raise AssertionError(diff_message(n1, n2)) from None
    assert '"vrrp.82" : "eth0"' in ruleset(n1) and '"vrrp.83" : "eth0"' in ruleset(n1)
    for proc in (ours, theirs):
        proc.send_signal(signal.SIGTERM)
    for proc in (ours, theirs):
        assert proc.wait(LIMIT) == 0, proc.output()
    assert ruleset(n1) == ruleset(n2) == ""


# keepalived-py with a failure injected into its stop sequence (after the instances' shutdown).
FAILING = """
import sys
from keepalived_py.runtime import vrrp_process

def set_static(self, add):
    if not add:
        raise RuntimeError("injected failure")

vrrp_process.VrrpDaemon.set_static = set_static
from keepalived_py.cli import main
sys.argv[0] = "keepalived-py"
main()
"""


def test_tables_removed_when_the_daemon_fails(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(1)
    n1 = the_lab.node(1)
    config = write_config(n1, vrrp_config(priority=100, global_extra="vrrp_strict"))
    argv = start_kpy_argv(n1, config)
    proc = n1.start([argv[0], "-c", FAILING, *argv[3:]], label="failing")
    wait_until(
        lambda: "table ip keepalived" in ruleset(n1), timeout=LIMIT, what="drop rules\n" + proc.output()
    )
    proc.send_signal(signal.SIGTERM)
    proc.wait(LIMIT)
    assert "injected failure" in proc.output()
    assert ruleset(n1) == ""


def test_old_table_of_a_crash_deleted(make_lab: Callable[..., Lab]) -> None:
    """SIGKILL leaves the table; the next start deletes it (keepalived: on its first setup)."""
    the_lab = make_lab(1)
    n1 = the_lab.node(1)
    config = write_config(n1, vrrp_config(priority=100, global_extra="vrrp_strict"))
    first = start_kpy(n1, config)
    wait_until(lambda: VIP in ruleset(n1), timeout=LIMIT, what="drop rules\n" + first.output())
    with open(n1.path("kpy-vrrp.pid"), encoding="ascii") as f:
        child = int(f.read())
    first.kill_group()
    first.wait(LIMIT)
    # the VRRP child dies with its parent (PDEATHSIG), a moment later
    wait_until(lambda: not os.path.exists(f"/proc/{child}/exe"), timeout=LIMIT, what="the VRRP child gone")
    left = ruleset(n1)
    assert VIP in left
    n1.run(["ip", "addr", "del", f"{VIP}/24", "dev", "eth0"], check=True)
    # new pid files: the killed VRRP child may linger as a zombie, which counts as running
    argv = [
        a.replace("kpy.pid", "kpy2.pid").replace("kpy-vrrp.pid", "kpy2-vrrp.pid")
        for a in start_kpy_argv(n1, config)
    ]
    again = n1.start(argv, label="keepalived-py")
    try:
        wait_until(lambda: n1.holds(VIP), timeout=LIMIT, what="master again")
    except AssertionError:
        raise AssertionError(first.output() + "\n---\n" + again.output()) from None
    wait_until(lambda: ruleset(n1) == left, timeout=LIMIT, what="the same table again")
    assert "Deleting old ip keepalived table" in again.output()
    _stop(again)
    assert ruleset(n1) == ""


def test_vmac_made_again_keeps_its_elements(make_lab: Callable[..., Lab]) -> None:
    """A VMAC deleted behind the daemon's back is made again with a new index; the map follows
    it (keepalived: the element goes with the link, the new one is added)."""
    the_lab = make_lab(1, ipv6=True)
    n1 = the_lab.node(1)
    proc = start_kpy(n1, write_config(n1, VMAC_CONFIG))
    mapped = '"vrrp.82" : "eth0"'
    wait_until(lambda: mapped in ruleset(n1), timeout=LIMIT, what="VMAC rules\n" + proc.output())

    def index() -> int | None:
        out = n1.run(["ip", "-o", "link", "show", "vrrp.82"]).stdout
        return int(out.split(":", 1)[0]) if out else None

    before = index()
    n1.run(["ip", "link", "del", "vrrp.82"], check=True)
    wait_until(
        lambda: index() not in (None, before), timeout=LIMIT, what="vrrp.82 made again\n" + proc.output()
    )
    numbered = re.compile(r"elements = \{ \d+")
    try:
        wait_until(
            lambda: mapped in (text := ruleset(n1)) and not numbered.search(text),
            timeout=LIMIT,
            what="the map on the new vrrp.82",
        )
    except AssertionError:
        raise AssertionError(ruleset(n1) + proc.output()) from None
    _stop(proc)
    assert ruleset(n1) == ""
