"""Health verdicts: from probe results to checker, real-server and quorum states (pure).

A probe (TCP connect, HTTP GET ...) only says "this attempt worked" or not.  What that means for
the pool is keepalived's bookkeeping, reproduced here without sockets or clock (times are integer
microseconds passed in):

* ``CheckerCore`` schedules one checker and turns attempts into verdicts with keepalived's retry
  rule: a failure is only a verdict after ``retry`` further attempts spaced ``delay_before_retry``
  (at start the retries are considered spent, so the first failure counts at once); a success is
  a verdict at once; the next attempt after a verdict comes ``delay_loop`` later.  The first
  attempt waits one second plus a random share of ``warmup`` (the caller draws the share).
* ``PoolState`` keeps one virtual server's real servers: a real server is alive while none of its
  checkers is failed; the quorum (``ipvs_desired.next_quorum_up``) moves with the alive weights.
  It returns the events keepalived reacts to (notify scripts, FIFO lines, mails, log lines) and
  the ``VirtualServerHealth`` from which ``ipvs_desired`` computes the table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from keepalived_py.check.ipvs_desired import (
    RealServerHealth,
    VirtualServerHealth,
    next_quorum_up,
)
from keepalived_py.check.ipvs_model import real_weight
from keepalived_py.config.model.lvs import RealServer, SockAddr, VirtualServer, trio

TIMER_HZ = 1_000_000
BOOTSTRAP_DELAY_US = TIMER_HZ


class Verdict(enum.Enum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class CheckerTiming:
    delay_loop_us: int
    retry: int = 1
    delay_before_retry_us: int = TIMER_HZ
    warmup_us: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt's result means: a verdict (or none) and whether retries were spent."""

    verdict: Verdict | None
    after_retries: bool = False


class CheckerCore:
    """One checker's schedule and retry counting."""

    def __init__(self, timing: CheckerTiming, *, alpha: bool) -> None:
        self.timing = timing
        # keepalived: alpha checkers start failed; the others start up.
        self.is_up = not alpha
        self.has_run = False
        # at start the retries count as spent: one failure is enough
        self.retry_it = timing.retry
        self.due: int | None = None

    def start(self, now: int, warmup_fraction: float) -> None:
        """Schedule the first attempt (``warmup_fraction`` drawn in [0, 1) by the caller)."""
        fraction = min(max(warmup_fraction, 0.0), 1.0)
        self.due = now + BOOTSTRAP_DELAY_US + int(self.timing.warmup_us * fraction)

    def result(self, success: bool, now: int) -> Outcome:
        """An attempt finished at ``now``; schedules the next one."""
        t = self.timing
        outcome = Outcome(None)
        if success or self.retry_it >= t.retry:
            delay = t.delay_loop_us
            self.retry_it = 0
            if success and (not self.is_up or not self.has_run):
                outcome = Outcome(Verdict.UP)
            elif not success and (self.is_up or not self.has_run):
                outcome = Outcome(Verdict.DOWN, after_retries=bool(t.retry and self.has_run))
        else:
            delay = t.delay_before_retry_us
            self.retry_it += 1
        if outcome.verdict is not None:
            self.is_up = outcome.verdict is Verdict.UP
        self.has_run = True
        self.due = now + delay
        return outcome


# -- events of a pool ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerChanged:
    """A real server went up or down (notify_up / notify_down, FIFO line, SNMP)."""

    server: SockAddr
    alive: bool


@dataclass(frozen=True, slots=True)
class QuorumChanged:
    """The quorum was gained or lost (quorum_up / quorum_down, FIFO line, mail)."""

    up: bool
    init: bool
    threshold: int
    weight_sum: int


@dataclass(frozen=True, slots=True)
class PoolLog:
    message: str


PoolEvent = ServerChanged | QuorumChanged | PoolLog


@dataclass(slots=True)
class _Server:
    config: RealServer
    failed: int = 0
    alive: bool = True
    weight: int = 1
    checkers_up: list[bool] = field(default_factory=list)
    checkers_run: list[bool] = field(default_factory=list)


def _fmt_rs(vs: VirtualServer, rs: RealServer) -> str:
    return trio(rs.address, vs.protocol)


class PoolState:
    """One virtual server's real servers and quorum, as keepalived's ipwrapper keeps them."""

    def __init__(self, vs: VirtualServer) -> None:
        self.vs = vs
        self.servers: dict[SockAddr, _Server] = {}
        for rs in vs.real_servers:
            alpha = vs.alpha if rs.alpha is None else rs.alpha
            n = len(rs.checkers)
            server = _Server(
                config=rs,
                failed=n if alpha else 0,
                alive=not (alpha and n),
                weight=vs.weight if rs.weight is None else rs.weight,
                checkers_up=[not alpha] * n,
                checkers_run=[False] * n,
            )
            self.servers[rs.address] = server
        # keepalived sets the quorum state while reading its configuration, before any real
        # server is alive: with quorum >= 1 it starts down, and start() then gains it with the
        # notifications of a start ("Gained quorum" logged, "Starting with quorum up" mailed)
        self.quorum_up = vs.quorum + vs.hysteresis <= 0
        # the sorry server is in the pool (it goes in only when the quorum is lost, or missing at start)
        self.sorry_alive = False

    def _live_weight(self) -> int:
        """ipvs_desired.live_weight without building the health snapshot (asked on every verdict)."""
        return sum(real_weight(s.weight) for s in self.servers.values() if s.alive)

    def health(self, *, quorum_up: bool | None = None) -> VirtualServerHealth:
        return VirtualServerHealth(
            quorum_up=self.quorum_up if quorum_up is None else quorum_up,
            real_servers={a: RealServerHealth(s.alive, s.weight) for a, s in self.servers.items()},
        )

    def start(self) -> list[PoolEvent]:
        """keepalived's init_service_vs: the quorum as the pool starts."""
        return self._update_quorum(init=True)

    def checker_verdict(self, server: SockAddr, index: int, verdict: Verdict) -> list[PoolEvent]:
        """keepalived's update_svr_checker_state for checker ``index`` of ``server``."""
        s = self.servers[server]
        alive = verdict is Verdict.UP
        events: list[PoolEvent] = []
        if s.checkers_up[index] == alive:
            if not s.checkers_run[index]:
                s.checkers_run[index] = True
                alpha = self.vs.alpha if s.config.alpha is None else s.config.alpha
                if alpha or not alive:
                    events.append(ServerChanged(server, s.alive))
            return events
        s.checkers_run[index] = True
        if (alive and s.failed <= 1) or (not alive and s.failed == 0):
            events += self._server_state(s, alive)
        s.checkers_up[index] = alive
        s.failed += -1 if alive else 1
        return events

    def set_weight(self, server: SockAddr, weight: int) -> list[PoolEvent]:
        """A new effective weight (tracked file, MISC_CHECK dynamic weight)."""
        s = self.servers[server]
        if s.weight == weight:
            return []
        s.weight = weight
        return self._update_quorum(init=False)

    def _server_state(self, s: _Server, alive: bool) -> list[PoolEvent]:
        if s.alive == alive:
            return []
        vs, rs = self.vs, s.config
        inhibit = vs.inhibit_on_failure if rs.inhibit_on_failure is None else rs.inhibit_on_failure
        verb = ("Enabl" if inhibit else "Add") if alive else ("Disabl" if inhibit else "Remov")
        prep = "of" if inhibit else ("to" if alive else "from")
        events: list[PoolEvent] = [PoolLog(f"{verb}ing service {_fmt_rs(vs, rs)} {prep} VS {vs.describe()}")]
        s.alive = alive
        events.append(ServerChanged(rs.address, alive))
        return events + self._update_quorum(init=False)

    def _update_quorum(self, *, init: bool) -> list[PoolEvent]:
        vs = self.vs
        total = self._live_weight()
        threshold = vs.quorum + (-1 if self.quorum_up else 1) * vs.hysteresis
        up = next_quorum_up(self.quorum_up, total, vs.quorum, vs.hysteresis)
        sorry = vs.sorry_server
        if up and not self.quorum_up:
            self.quorum_up = True
            events: list[PoolEvent] = [
                PoolLog(
                    f"Gained quorum {vs.quorum}+{vs.hysteresis}={threshold} <= {total} for VS {vs.describe()}"
                )
            ]
            if sorry is not None and self.sorry_alive:
                self.sorry_alive = False
                verb = "Disabling" if sorry.inhibit else "Removing"
                events.append(
                    PoolLog(f"{verb} sorry server {trio(sorry.address, vs.protocol)} from VS {vs.describe()}")
                )
                events.append(PoolLog(f"Adding alive servers to the pool for VS {vs.describe()}"))
            return [*events, QuorumChanged(True, init, threshold, total)]
        if (not up and self.quorum_up) or (
            init and not self.quorum_up and sorry is not None and not self.sorry_alive
        ):
            self.quorum_up = False
            word = "Starting with quorum down" if init else "Lost quorum"
            events = [
                PoolLog(f"{word} {vs.quorum}-{vs.hysteresis}={threshold} > {total} for VS {vs.describe()}")
            ]
            if sorry is not None and not self.sorry_alive:
                self.sorry_alive = True
                verb = "Enabling" if sorry.inhibit else "Adding"
                events.append(PoolLog(f"Removing alive servers from the pool for VS {vs.describe()}"))
                events.append(
                    PoolLog(f"{verb} sorry server {trio(sorry.address, vs.protocol)} to VS {vs.describe()}")
                )
            return [*events, QuorumChanged(False, init, threshold, total)]
        return []
