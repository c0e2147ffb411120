"""Typed model of bfd_instance blocks.

keepalived reads ``bfd_instance`` blocks three times (in its checker, VRRP and BFD processes),
each time for something different, and the three readings can disagree: a block the BFD process
rejects (no neighbor address, say) is still a name that ``track_bfd`` in a ``vrrp_instance`` may
refer to.  So the section keeps the three views apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keepalived_py.config.errors import Location

# Defaults of keepalived 2.2.7 (bfd.h), in microseconds like every time in the model.
MIN_RX_DEFAULT_US = 10_000
MIN_TX_DEFAULT_US = 10_000
IDLE_TX_DEFAULT_US = 1_000_000
MULTIPLIER_DEFAULT = 5
# TTL / hop limit used when none is configured (a single-hop session per RFC 5881).
TTL_DEFAULT_V4 = 255
HOPLIMIT_DEFAULT_V6 = 64
BFD_PORT = 3784


@dataclass(frozen=True, slots=True)
class BfdInstance:
    """A BFD session the BFD process would run (blocks it disabled are not here)."""

    name: str
    neighbor: str  # normalised the way keepalived prints it (inet_ntop)
    family: int  # 4 or 6
    source: str | None = None
    min_rx_us: int = MIN_RX_DEFAULT_US
    min_tx_us: int = MIN_TX_DEFAULT_US
    idle_tx_us: int = IDLE_TX_DEFAULT_US
    multiplier: int = MULTIPLIER_DEFAULT
    passive: bool = False
    # Resolved at the end of the block: 255 (IPv4) / 64 (IPv6) when not configured.
    ttl: int = TTL_DEFAULT_V4
    max_hops: int = 0  # 0..ttl (keepalived keeps a uint8_t: -1 reads as 255, then is capped)
    # Which processes are told about state changes ('vrrp' / 'checker' keywords; both if neither).
    vrrp: bool = True
    checker: bool = True
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class VrrpTrackedBfd:
    """The VRRP process's view of a bfd_instance: what ``track_bfd`` can name, and its weight."""

    name: str
    weight: int = 0
    weight_reverse: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class BfdSection:
    """The three readings keepalived makes of the ``bfd_instance`` blocks."""

    # BFD process: sessions to run.
    instances: tuple[BfdInstance, ...] = ()
    # VRRP process: names ``track_bfd`` may refer to (vrrp_instance / vrrp_sync_group).
    vrrp_tracked: tuple[VrrpTrackedBfd, ...] = ()
    # Checker process: names a real server's ``BFD_CHECK`` may refer to.
    checker_tracked: tuple[str, ...] = ()
    # Any bfd_instance block at all (keepalived then starts its BFD process).
    have_bfd_config: bool = False

    def instance(self, name: str) -> BfdInstance | None:
        for inst in self.instances:
            if inst.name == name:
                return inst
        return None

    def vrrp_tracked_bfd(self, name: str) -> VrrpTrackedBfd | None:
        for t in self.vrrp_tracked:
            if t.name == name:
                return t
        return None


def freeze(draft: dict[str, Any]) -> BfdSection:
    """The frozen model from the handlers' draft."""
    instances = tuple(draft.get("instances", {}).values())
    vrrp = tuple(draft.get("vrrp_tracked", {}).values())
    checker = tuple(draft.get("checker_tracked", {}))
    return BfdSection(
        instances=instances,
        vrrp_tracked=vrrp,
        checker_tracked=checker,
        have_bfd_config=bool(draft.get("seen")),
    )
