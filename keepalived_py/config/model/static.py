"""Typed model of static_* blocks, track_group, garp_group, linkbeat/up-down delays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keepalived_py.config.model.ip import IpAddress, Route, Rule


@dataclass(frozen=True, slots=True)
class TrackGroup:
    """``track_group NAME { group { VI_1 ... } }``: static items follow these instances' state."""

    name: str
    instances: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GarpGroup:
    """A ``garp_group``: gratuitous ARP / NA pacing shared by a set of interfaces (microseconds)."""

    garp_interval: int | None = None
    gna_interval: int | None = None
    interfaces: tuple[str, ...] = ()
    # 0 for the single ``interface`` form, else keepalived's aggregation group number.
    aggregation_group: int = 0


@dataclass(frozen=True, slots=True)
class LinkbeatInterface:
    name: str
    kind: str = ""  # "", MII, ETHTOOL, IOCTL


@dataclass(frozen=True, slots=True)
class UpDownDelay:
    """Debounce of an interface's carrier changes (microseconds)."""

    interface: str
    down_delay: int = 0
    up_delay: int = 0


@dataclass(frozen=True, slots=True)
class StaticSection:
    """Addresses, routes and rules keepalived's VRRP process installs whatever its state."""

    addresses: tuple[IpAddress, ...] = ()
    routes: tuple[Route, ...] = ()
    rules: tuple[Rule, ...] = ()
    track_groups: tuple[TrackGroup, ...] = ()
    garp_groups: tuple[GarpGroup, ...] = ()
    linkbeat_interfaces: tuple[LinkbeatInterface, ...] = ()
    up_down_delays: tuple[UpDownDelay, ...] = ()
    # Interfaces named anywhere in the file that do not exist (keepalived's BAD_IF after parsing).
    nonexistent_interfaces: tuple[str, ...] = ()
    # A static_* block was present (keepalived then runs its VRRP process).
    have_vrrp_config: bool = False


_FIELDS = (
    "addresses",
    "routes",
    "rules",
    "track_groups",
    "garp_groups",
    "linkbeat_interfaces",
    "up_down_delays",
    "nonexistent_interfaces",
)


def freeze(draft: dict[str, Any]) -> StaticSection:
    """The frozen model from the handlers' draft (keys starting with '_' are parse state)."""
    values: dict[str, Any] = {k: tuple(draft.get(k, ())) for k in _FIELDS}
    garps = []
    for g in draft.get("garp_groups", ()):
        garps.append(
            g if isinstance(g, GarpGroup) else GarpGroup(**{**g, "interfaces": tuple(g["interfaces"])})
        )
    values["garp_groups"] = tuple(garps)
    return StaticSection(**values, have_vrrp_config=bool(draft.get("have_vrrp_config")))
