"""A vrrp_sync_group's track_interface / track_script / track_file reach every member
(keepalived 2.2.7's sync_group_tracking_init), read through the real config layer."""

from __future__ import annotations

from keepalived_py.config.model import Config
from keepalived_py.runtime.vrrp_tracking import trackers_of
from keepalived_py.vrrp.tracking import Kind, Tracker
from tests.configtest import messages, parse_text

BASE = """
vrrp_script chk_up {
    script "/bin/true"
    weight -20
}
vrrp_script chk_zero {
    script "/bin/true"
}
track_file tf {
    file /tmp/s8sync/tf
    weight 3
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority %(p1)s
    virtual_ipaddress {
        192.0.2.101/24
    }
    %(inst_track)s
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 100
    virtual_ipaddress {
        192.0.2.102/24
    }
}
vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
    %(group)s
}
"""

GROUP_TRACKING = """
    track_interface {
        eth1
        eth0 weight 10
    }
    track_script {
        chk_up
        chk_zero
    }
    track_file {
        tf
    }
"""


def config(group: str = GROUP_TRACKING, inst_track: str = "", p1: int = 100) -> Config:
    result = parse_text(BASE % {"group": group, "inst_track": inst_track, "p1": p1})
    assert result.config is not None, messages(result)
    return result.config


def member(cfg: Config, name: str) -> tuple[Tracker, ...]:
    inst = next(i for i in cfg.vrrp.instances if i.name == name)
    return trackers_of(inst, cfg, inst.priority or 100)


def test_every_member_gets_the_groups_trackers_with_their_weights() -> None:
    cfg = config()
    want = (
        Tracker(Kind.INTERFACE, "eth1", 0),
        Tracker(Kind.INTERFACE, "eth0", 10),
        Tracker(Kind.SCRIPT, "chk_up", -20),
        Tracker(Kind.SCRIPT, "chk_zero", 0),
        Tracker(Kind.FILE, "tf", 3),
    )
    assert member(cfg, "VI_1") == want
    assert member(cfg, "VI_2") == want


def test_instance_and_group_tracking_the_same_script_track_it_once() -> None:
    # The member's own weighted script is dropped (a sync group without
    # sync_group_tracking_weight); the group's line gives the weight.
    cfg = config(inst_track="track_script {\n chk_up weight -5\n chk_zero\n }")
    trackers = member(cfg, "VI_1")
    assert [t for t in trackers if t.kind is Kind.SCRIPT] == [
        Tracker(Kind.SCRIPT, "chk_zero", 0),
        Tracker(Kind.SCRIPT, "chk_up", -20),
    ]


def test_with_sync_group_tracking_weight_the_group_weight_replaces_the_members() -> None:
    cfg = config(
        group=GROUP_TRACKING + "\n sync_group_tracking_weight\n",
        inst_track="track_script {\n chk_up weight -5\n }",
    )
    assert [t for t in member(cfg, "VI_1") if t.kind is Kind.SCRIPT] == [
        Tracker(Kind.SCRIPT, "chk_up", -20),
        Tracker(Kind.SCRIPT, "chk_zero", 0),
    ]


def test_an_unweighted_member_line_stays_unweighted() -> None:
    cfg = config(
        group="track_interface {\n eth1 weight 7\n }",
        inst_track="track_interface {\n eth1\n }",
    )
    assert member(cfg, "VI_1") == (Tracker(Kind.INTERFACE, "eth1", 0),)
    assert member(cfg, "VI_2") == (Tracker(Kind.INTERFACE, "eth1", 7),)


def test_an_owner_member_clears_the_groups_weights() -> None:
    cfg = config(p1=255)
    want = (
        Tracker(Kind.INTERFACE, "eth1", 0),
        Tracker(Kind.INTERFACE, "eth0", 0),
        Tracker(Kind.SCRIPT, "chk_up", 0),
        Tracker(Kind.SCRIPT, "chk_zero", 0),
        Tracker(Kind.FILE, "tf", 0),
    )
    assert member(cfg, "VI_1") == want
    assert member(cfg, "VI_2") == want


def test_an_instance_outside_any_group_has_only_its_own() -> None:
    cfg = config(group="")
    assert member(cfg, "VI_2") == ()
