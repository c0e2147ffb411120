"""Typed model of vrrp_script, track_file (vrrp_track_file), vrrp_track_process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keepalived_py.config.scripts import Script

UINT_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class VrrpScript:
    """A ``vrrp_script``: a command run every ``interval`` whose exit status moves priorities."""

    name: str
    script: Script | None = None
    interval: int = 1_000_000  # microseconds
    timeout: int = 0  # microseconds; 0 = the interval
    weight: int = 0
    weight_reverse: bool = False
    rise: int = 1
    fall: int = 1
    # From the ``user`` keyword (a user/group on the ``script`` line itself is ignored).
    user: str | None = None
    group: str | None = None
    init_fail: bool = False


@dataclass(frozen=True, slots=True)
class TrackFile:
    """A ``track_file``: a file holding a number that adjusts priorities."""

    name: str
    file: str
    weight: int = 1
    weight_reverse: bool = False
    # init_file: None = not given, "create" = create if missing, "overwrite" = always write.
    init: str | None = None
    init_value: int = 0


@dataclass(frozen=True, slots=True)
class TrackProcess:
    """A ``vrrp_track_process``: instances follow whether enough copies of a process run."""

    name: str
    process: str
    params: tuple[str, ...] = ()
    param_match: str = "none"  # none, exact, initial, partial
    full_command: bool = False
    weight: int = 0
    weight_reverse: bool = False
    quorum: int = 1
    quorum_max: int = UINT_MAX
    terminate_delay: int = 0  # microseconds
    fork_delay: int = 0  # microseconds


@dataclass(frozen=True, slots=True)
class TrackerSection:
    """The named trackers VRRP instances and sync groups may refer to."""

    scripts: tuple[VrrpScript, ...] = ()
    track_files: tuple[TrackFile, ...] = ()
    processes: tuple[TrackProcess, ...] = ()

    def script(self, name: str) -> VrrpScript | None:
        return next((s for s in self.scripts if s.name == name), None)

    def track_file(self, name: str) -> TrackFile | None:
        return next((f for f in self.track_files if f.name == name), None)

    def process(self, name: str) -> TrackProcess | None:
        return next((p for p in self.processes if p.name == name), None)


def freeze(draft: dict[str, Any]) -> TrackerSection:
    """The frozen model from the handlers' draft."""
    return TrackerSection(
        scripts=tuple(draft.get("scripts", ())),
        track_files=tuple(draft.get("track_files", ())),
        processes=tuple(draft.get("processes", ())),
    )
