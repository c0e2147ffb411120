"""The typed configuration model: frozen, slotted dataclasses, one module per area."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keepalived_py.config.errors import Location
from keepalived_py.config.model import bfd, global_defs, lvs, static, trackers, vrrp
from keepalived_py.config.model.bfd import BfdSection
from keepalived_py.config.model.global_defs import GlobalDefs
from keepalived_py.config.model.lvs import LvsSection
from keepalived_py.config.model.static import StaticSection
from keepalived_py.config.model.trackers import TrackerSection
from keepalived_py.config.model.vrrp import VrrpSection
from keepalived_py.config.scripts import Script


@dataclass(frozen=True, slots=True)
class Config:
    """A whole keepalived.conf: what each of keepalived's processes would read from it."""

    global_defs: GlobalDefs = field(default_factory=GlobalDefs)
    static: StaticSection = field(default_factory=StaticSection)
    trackers: TrackerSection = field(default_factory=TrackerSection)
    vrrp: VrrpSection = field(default_factory=VrrpSection)
    lvs: LvsSection = field(default_factory=LvsSection)
    bfd: BfdSection = field(default_factory=BfdSection)
    # Every script command line in the file, with where it was configured (for security checks).
    scripts: tuple[tuple[Script, Location | None], ...] = ()


def new_draft() -> dict[str, Any]:
    """The mutable draft the keyword handlers fill (one dict per area)."""
    return {
        "global_defs": {},
        "static": {},
        "trackers": {},
        "vrrp": {},
        "lvs": {},
        "bfd": {},
        "scripts": [],
    }


def freeze(draft: dict[str, Any]) -> Config:
    return Config(
        global_defs=global_defs.freeze(draft["global_defs"]),
        static=static.freeze(draft["static"]),
        trackers=trackers.freeze(draft["trackers"]),
        vrrp=vrrp.freeze(draft["vrrp"]),
        lvs=lvs.freeze(draft["lvs"]),
        bfd=bfd.freeze(draft["bfd"]),
        scripts=tuple(draft["scripts"]),
    )
