"""One VRRP instance as a pure state machine (sans-I/O), behaving as keepalived 2.2.7's.

``VrrpCore`` never reads a clock, opens a socket or sleeps.  Every input carries ``now``
(monotonic seconds), the core keeps at most one deadline (``get_timer``), and everything it
wants done comes out of ``drain()`` in order: adverts to send, addresses to add or remove,
gratuitous ARP / NA bursts, notifications, log lines.  The runtime driver only feeds inputs,
executes the drained actions in order and re-arms one timer (aioquic's connection shape).

Internally time is integer microseconds (keepalived's TIMER_HZ) so that interval arithmetic is
exact: ``now`` is converted once on entry and deadlines are converted back on the way out.

The decisions follow keepalived 2.2.7 (vrrp.c ``vrrp_state_backup``, ``vrrp_state_master_rx``,
``vrrp_state_master_tx``, ``vrrp_state_goto_master``, ``vrrp_state_leave_master``,
``vrrp_state_leave_fault``, ``vrrp_check_packet``; vrrp_scheduler.c ``vrrp_init_state``,
``vrrp_init_instance_sands``, ``try_up_instance``, the read/timeout dispatchers; vrrp_track.c
``down_instance`` and ``vrrp_set_effective_priority``), including its quirks, which are noted
where they differ from the RFCs.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Protocol

from keepalived_py.vrrp.packet import Advertisement
from keepalived_py.vrrp.params import (
    AUTH_AH,
    AUTH_NONE,
    AUTH_PASS,
    TIMER_CENTI_HZ,
    TIMER_HZ,
    InstanceParams,
    IpAddr,
)
from keepalived_py.vrrp.state import Reason, State, check_transition
from keepalived_py.vrrp.timers import master_down_us, skew_time_us, to_seconds, to_us

PRIO_OWNER = 255
PRIO_STOP = 0
VRRP_TTL = 255


# --- actions -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendAdvert:
    """Send this advert (multicast, or to every unicast peer)."""

    adv: Advertisement


@dataclass(frozen=True, slots=True)
class StateChanged:
    old: State
    new: State
    reason: Reason


@dataclass(frozen=True, slots=True)
class AddAddresses:
    """Install the instance's VIPs, eVIPs, virtual routes and rules (and accept-mode changes)."""

    vips: tuple[IpAddr, ...]
    evips: tuple[IpAddr, ...]


@dataclass(frozen=True, slots=True)
class RemoveAddresses:
    """Remove what AddAddresses installed."""

    vips: tuple[IpAddr, ...]
    evips: tuple[IpAddr, ...]


@dataclass(frozen=True, slots=True)
class SendGratuitous:
    """``repeat`` rounds of gratuitous ARP (IPv4) / unsolicited NA (IPv6), one per address a round.

    ``reason``: "master" (becoming master), "master-delayed" (garp_master_delay later),
    "refresh" (garp_master_refresh), "lower-prio" / "lower-prio-delayed" (garp_lower_prio_*),
    "unicast-source" (our own source address after leaving FAULT with unicast peers).
    """

    addresses: tuple[IpAddr, ...]
    repeat: int
    reason: str


@dataclass(frozen=True, slots=True)
class Notify:
    """An instance notification: MASTER, BACKUP, FAULT, STOP, MASTER_RX_LOWER_PRI,
    MASTER_PRIORITY / BACKUP_PRIORITY (with notify_priority_changes)."""

    kind: str
    priority: int


@dataclass(frozen=True, slots=True)
class Log:
    """A line keepalived logs, in its words, with the ``(NAME)`` prefix.

    ``detail``: keepalived logs it only with -D (LOG_DETAIL).
    """

    message: str
    detail: bool = False


Action = SendAdvert | StateChanged | AddAddresses | RemoveAddresses | SendGratuitous | Notify | Log


# --- counters ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Counters:
    """keepalived's vrrp_stats names (what ``keepalived --dump``/SNMP show)."""

    advert_rcvd: int = 0
    advert_sent: int = 0
    become_master: int = 0
    release_master: int = 0
    packet_len_err: int = 0
    # keepalived 2.2.7 has the counter but never increments it; we count v2 interval mismatches.
    advert_interval_err: int = 0
    ip_ttl_err: int = 0
    invalid_type_rcvd: int = 0
    addr_list_err: int = 0
    invalid_authtype: int = 0
    authtype_mismatch: int = 0
    auth_failure: int = 0
    pri_zero_rcvd: int = 0
    pri_zero_sent: int = 0
    # SNMP-only counters in keepalived.
    chk_err: int = 0
    vers_err: int = 0
    vrid_err: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class RxResult(enum.Enum):
    """keepalived's VRRP_PACKET_OK / KO (counted error) / DROP (silently ignored)."""

    OK = "ok"
    KO = "ko"
    DROP = "drop"


class CoreMisuse(RuntimeError):
    """The caller used the core out of order (e.g. receive before start): a programming error."""


def _cmp(a: IpAddr, b: IpAddr | None) -> int:
    """keepalived's address comparison (numeric, network order); 0 when not comparable."""
    if b is None or a.version != b.version:
        return 0
    return (int(a) > int(b)) - (int(a) < int(b))


class SyncMembership(Protocol):
    """What a member asks its vrrp_sync_group (vrrp/sync_group.py) while it runs."""

    @property
    def state(self) -> State: ...

    def can_goto_master(self, core: VrrpCore) -> bool: ...

    def can_leave_fault(self, core: VrrpCore) -> bool: ...

    def lower_priority_advert(self, core: VrrpCore, now: float) -> None: ...


# --- the core ----------------------------------------------------------------------------------


class VrrpCore:
    """One vrrp_instance.  See the module docstring for the calling convention.

    Attributes the runtime and tests may read: ``state``, ``wantstate``, ``effective_priority``,
    ``base_priority``, ``master_adver_int_us``, ``master_address``, ``master_priority``,
    ``counters``.  ``sync_group`` (set by vrrp/sync_group.py) is asked before going MASTER and
    before leaving FAULT; ``sync_gate`` is a bare MASTER gate for tests.
    """

    def __init__(self, params: InstanceParams) -> None:
        self.params = params
        self.state = State.INIT
        self.wantstate = State.MASTER if params.initial_state == "MASTER" else State.BACKUP
        self.base_priority = params.priority
        self.effective_priority = params.priority
        self.master_adver_int_us = params.advert_int_us
        self.ms_down_timer_us = self._down_interval()
        self.master_address: IpAddr | None = None
        self.master_priority = 0
        self.vipset = False
        self.counters = Counters()
        self.sync_gate: Callable[[VrrpCore], bool] | None = None
        self.sync_group: SyncMembership | None = None
        self._fault = False
        self._sands: int | None = None
        self._preempt_time: int | None = None
        self._delayed_start: int | None = None
        self._garp_timers: list[tuple[int, int, str]] = []
        self._garp_refresh_at: int | None = None
        self._actions: list[Action] = []
        self._last_advert: tuple[int, InstanceParams, Advertisement] | None = None
        # A backup hears the same advert from its master every interval: what _backup_rx
        # concluded last time, valid while everything it depends on is unchanged (_repeat_rx).
        self._rx_memo: (
            tuple[Advertisement, IpAddr, int | None, bool | None, InstanceParams, int, int, int] | None
        ) = None

    # -- public API ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.params.name

    @property
    def fault(self) -> bool:
        return self._fault

    def drain(self) -> list[Action]:
        out, self._actions = self._actions, []
        return out

    def get_timer(self) -> float | None:
        """The next deadline (monotonic seconds) at which handle_timer must run, or None."""
        if not self._garp_timers:  # the usual case, asked after every input
            return None if self._sands is None else to_seconds(self._sands)
        times = [t for t, _, _ in self._garp_timers]
        if self._sands is not None:
            times.append(self._sands)
        return to_seconds(min(times)) if times else None

    def start(self, now: float) -> None:
        """Leave INIT (keepalived's vrrp_init_state + vrrp_init_instance_sands)."""
        if self.state is not State.INIT:
            raise CoreMisuse(f"({self.name}) start() called in state {self.state.value}")
        t = to_us(now)
        if self.params.startup_delay_us:
            self._delayed_start = t + self.params.startup_delay_us
        if self._fault or (self.sync_group is not None and self.sync_group.state is State.FAULT):
            # a member of a group in FAULT starts in FAULT too (vrrp_complete_init)
            self.wantstate = State.FAULT
        if self.wantstate is State.MASTER and self.base_priority == PRIO_OWNER:
            # keepalived's "simplest way to become master": a 1 microsecond down timer.
            self._set_state(State.BACKUP, Reason.START)
            self.ms_down_timer_us = 1
        else:
            self.ms_down_timer_us = self._down_interval()
            if self.wantstate is not State.FAULT:
                self._log("Entering BACKUP STATE (init)")
                self._set_state(State.BACKUP, Reason.START)
            else:
                self._log("Entering FAULT STATE (init)")
                self._set_state(State.FAULT, Reason.START)
            self._notify()
        self._init_sands(t)

    def receive(
        self,
        adv: Advertisement,
        *,
        src: IpAddr,
        ttl: int | None,
        now: float,
        multicast: bool | None = None,
    ) -> RxResult | None:
        """An advert decoded by packet.decode, from ``src`` with IP TTL / hop limit ``ttl``.

        ``ttl`` None: not known (keepalived skips the check then); ``multicast`` None: the
        destination matched our configuration.  Returns the validation verdict, or None when
        the advert was not looked at (another VRID, or state INIT / FAULT / STOP).
        """
        if self.receive_repeat(adv, src, ttl, multicast, now):
            return RxResult.OK
        t = round(now * TIMER_HZ)  # to_us(), inlined: this runs for every advert
        if adv.vrid != self.params.vrid:
            self.counters.vrid_err += 1
            return None
        if self.state not in (State.BACKUP, State.MASTER):
            return None
        if self.state is State.BACKUP:
            result = self._backup_rx(adv, src, ttl, multicast, t)
        else:
            result, leave = self._master_rx(adv, src, ttl, multicast, t)
            if leave:
                self._leave_master(t, adv_f=False, reason=Reason.HIGHER_PRIORITY)
        if result is not RxResult.OK:
            # A refused packet changes counters only.  keepalived re-arms the timer after any packet
            # for the VRID, so a flood of invalid adverts silences its master and holds its backups
            # (measured: 2 adverts in 4 s); tests/netns/test_hostile_input.py.
            return result
        if self.state is not State.MASTER or not self.params.lower_prio_no_advert:
            self._init_sands(t)
        self._rx_memo = None
        p = self.params
        if (
            self.state is State.BACKUP
            and adv.priority != PRIO_STOP
            and adv.priority >= self.effective_priority
            and not p.preempt_delay_us
            and (self._delayed_start is None or t >= self._delayed_start)
            and self.master_address == src
            and self.wantstate is State.BACKUP
        ):
            self._rx_memo = (
                adv,
                src,
                ttl,
                multicast,
                p,
                self.effective_priority,
                self.master_adver_int_us,
                self.ms_down_timer_us,
            )
        return result

    def receive_repeat(
        self, adv: Advertisement, src: IpAddr, ttl: int | None, multicast: bool | None, now: float
    ) -> bool:
        """``receive`` of the advert a backup accepted last time, again, while nothing its decision
        depends on changed: True when done so (the verdict is OK, no action is queued, only the
        master down timer moved); False: nothing was done, ``receive`` decides."""
        memo = self._rx_memo
        if memo is None or memo[0] is not adv or self.state is not State.BACKUP or self._actions:
            return False
        t = round(now * TIMER_HZ)  # to_us(), inlined: this runs for every advert
        if not self._repeat_rx(memo, src, ttl, multicast, t):
            return False
        self._sands = t + self.ms_down_timer_us
        return True

    def _repeat_rx(
        self,
        memo: tuple[Advertisement, IpAddr, int | None, bool | None, InstanceParams, int, int, int],
        src: IpAddr,
        ttl: int | None,
        multicast: bool | None,
        t: int,
    ) -> bool:
        """The advert ``_backup_rx`` accepted last time, again, with nothing it depends on changed:
        its effects without its work (the same checks pass, the same counter moves, the same
        master, interval and master down timer)."""
        _adv, m_src, m_ttl, m_multicast, params, priority, interval, down = memo
        if not (
            m_src == src
            and m_ttl == ttl
            and m_multicast == multicast
            and params is self.params
            and priority == self.effective_priority
            and interval == self.master_adver_int_us
            and self.master_address == src
            and (self._delayed_start is None or t >= self._delayed_start)
        ):
            return False
        self.counters.advert_rcvd += 1
        self.ms_down_timer_us = down
        self.master_priority = _adv.priority
        self.wantstate = State.BACKUP
        return True

    def note_rx_error(self, counter: str) -> None:
        """Count a receive error found outside the core (codec, AH check) under keepalived's name."""
        if counter not in Counters.__dataclass_fields__:
            raise CoreMisuse(f"unknown counter {counter!r}")
        setattr(self.counters, counter, getattr(self.counters, counter) + 1)

    def handle_timer(self, now: float) -> None:
        t = to_us(now)
        if self._sands is not None and self._sands <= t:
            if self.state is State.BACKUP:
                self._log("Receive advertisement timeout", detail=True)
                self._goto_master(t, Reason.MASTER_DOWN)
            elif self.state is State.MASTER:
                self._master_tx(t)
            self._init_sands(t)
        due = [g for g in self._garp_timers if g[0] <= t]
        if due:
            self._garp_timers = [g for g in self._garp_timers if g[0] > t]
            for _, repeat, reason in sorted(due):
                self._link_update(repeat, reason)

    def set_fault(self, fault: bool, now: float) -> None:
        """Some fault reason (interface, weight-0 tracker...) appeared / all cleared."""
        t = to_us(now)
        if fault == self._fault or self.state is State.STOP:
            return
        self._fault = fault
        if self.state is State.INIT:
            return
        if fault:
            # keepalived's down_instance()
            self.wantstate = State.FAULT
            if self.state is State.MASTER:
                self._leave_master(t, adv_f=True, reason=Reason.FAULT)
            else:
                self._leave_fault(t, Reason.FAULT)
        else:
            self._try_up(t)

    def set_effective_priority(self, total: int, now: float) -> None:
        """The tracked total priority changed; the effective one is clamped to 1..254.

        A running backup timer moves by the change of the down interval (the skew changes).
        """
        del now
        if self.base_priority == PRIO_OWNER:
            return
        new = min(max(total, 1), PRIO_OWNER - 1)
        if new == self.effective_priority:
            return
        self._log(f"Changing effective priority from {self.effective_priority} to {new}")
        self.effective_priority = new
        old_down = self.ms_down_timer_us
        self.ms_down_timer_us = self._down_interval()
        if self.state is State.BACKUP and self._sands is not None:
            self._sands += self.ms_down_timer_us - old_down
        if self.params.notify_priority_changes:
            # keepalived: MASTER_PRIORITY in MASTER, BACKUP_PRIORITY in any other state
            kind = "MASTER_PRIORITY" if self.state is State.MASTER else "BACKUP_PRIORITY"
            self._emit(Notify(kind, self.effective_priority))

    def shutdown(self, now: float) -> None:
        """Stop: a master says goodbye with priority 0 and releases its addresses."""
        del now  # nothing to time: the goodbye goes out at once
        if self.state is State.STOP:
            return
        if self.state is State.MASTER:
            self._restore_interface(adv_f=True)
        self._set_state(State.STOP, Reason.SHUTDOWN)
        self._notify()
        self._sands = None
        self._garp_timers = []

    # -- used by sync groups -------------------------------------------------------------

    def sync_to_master(self, now: float) -> None:
        """vrrp_sync_master for another member: go MASTER now.

        keepalived asks the group again here (vrrp_state_goto_master); the member that started
        the sync already found every other member wanting MASTER, so the answer is yes.
        """
        t = to_us(now)
        if self.state in (State.MASTER, State.STOP, State.INIT):
            return
        self.wantstate = State.MASTER
        self._goto_master(t, Reason.SYNC_GROUP)
        self._init_sands(t)

    def sync_to_backup(self, now: float) -> None:
        """vrrp_sync_backup for another member."""
        t = to_us(now)
        if self.state in (State.BACKUP, State.STOP, State.INIT):
            return
        self.wantstate = State.BACKUP
        if self.state is State.FAULT:
            self._leave_fault(t, Reason.SYNC_GROUP)
        else:
            self._leave_master(t, adv_f=False, reason=Reason.SYNC_GROUP)

    def sync_to_fault(self, now: float) -> None:
        """vrrp_sync_fault for another member."""
        t = to_us(now)
        if self.state in (State.FAULT, State.STOP):
            return
        self.wantstate = State.FAULT
        if self.state is State.MASTER:
            self._leave_master(t, adv_f=False, reason=Reason.SYNC_GROUP)
        elif self.state is State.BACKUP:
            # keepalived sets FAULT first ("a bit of a bodge"): leave_fault logs no "Entering"
            # line but still notifies FAULT.
            self._set_state(State.FAULT, Reason.SYNC_GROUP)
            self._notify()
            self._leave_fault(t, Reason.SYNC_GROUP)
        else:
            self._set_state(State.FAULT, Reason.SYNC_GROUP)

    def sync_lower_prio_garp(self, now: float) -> None:
        """Another member of the group, master, received a lower-priority advert: our
        garp_lower_prio_repeat / _delay gratuitous ARPs go out too (while our VIPs are set)."""
        self._lower_prio_garp(to_us(now))

    def _lower_prio_garp(self, t: int) -> None:
        p = self.params
        if p.garp_lower_prio_repeat:
            self._link_update(p.garp_lower_prio_repeat, "lower-prio")
            if p.garp_lower_prio_delay_us:
                self._garp_timers.append(
                    (t + p.garp_lower_prio_delay_us, p.garp_lower_prio_repeat, "lower-prio-delayed")
                )

    def resume(self, old: VrrpCore, now: float) -> None:
        """Reload: carry on where ``old`` (the same VRRP router under the previous configuration,
        reload_plan.find_match) left off, instead of starting again.

        As keepalived's reload: a MASTER or BACKUP keeps its state (FAULT is worked out again from
        the new trackers, and an instance already in FAULT here keeps it), the counters, what it
        knows of the master, and whether its addresses are set; a master re-adds its (possibly
        changed) addresses, which the kernel takes as no-ops for those already there, so they never
        leave the interface.  The caller removes the addresses the new configuration no longer has.
        A master's next advert keeps its time (a reload adds no gap between adverts); a
        backup's master-down timer restarts from ``now``.  No transition, no notification.
        """
        t = to_us(now)
        self.counters = old.counters
        self.master_address, self.master_priority = old.master_address, old.master_priority
        self.master_adver_int_us = old.master_adver_int_us
        if self.state is not State.INIT or self._fault or old.state not in (State.MASTER, State.BACKUP):
            return
        self.state = self.wantstate = old.state
        if old.state is State.MASTER and old.vipset:
            self.vipset = True
            self.master_adver_int_us = self.params.advert_int_us
            self._emit(AddAddresses(self.params.vips, self.params.evips))
            p = self.params
            self._garp_refresh_at = t + p.garp_master_refresh_us if p.garp_master_refresh_us else None
        else:
            self.ms_down_timer_us = self._down_interval()
        self._init_sands(t)
        if self.state is State.MASTER and old._sands is not None:
            # the next advert stays where the old instance had it: a reload adds no gap
            self._sands = max(old._sands, t)

    def address_deleted(self, now: float) -> None:
        """One of our VIPs/eVIPs was deleted by someone else while MASTER (keepalived's
        set_vrrp_backup): leave MASTER, sending priority 0 and removing the other addresses, and
        come back after only the skew time, which puts every address back if no better router
        has answered by then."""
        if self.state is not State.MASTER:
            return
        t = to_us(now)
        self.wantstate = State.BACKUP
        self._leave_master(t, adv_f=True, reason=Reason.ADDRESS_DELETED)
        self.ms_down_timer_us = self._skew()
        self._init_sands(t)

    def hold_backup(self, now: float) -> None:
        """A sync group refuses MASTER: wait another master-down interval (vrrp_sync_can_goto_master)."""
        self.ms_down_timer_us = self._down_interval()
        self._init_sands(to_us(now))

    # -- internals -------------------------------------------------------------------------

    def _emit(self, action: Action) -> None:
        self._actions.append(action)

    def _log(self, message: str, *, detail: bool = False) -> None:
        self._emit(Log(f"({self.name}) {message}", detail))

    def _notify(self) -> None:
        # keepalived's notifies_sent rule (no instance notify when already in the group's state)
        # is applied where notifications go out: runtime/vrrp_notify.py's Notifier.
        self._emit(Notify(self.state.value, self.effective_priority))

    def _gate(self) -> bool:
        """vrrp_sync_can_goto_master (True outside a group)."""
        if self.sync_gate is not None:
            return self.sync_gate(self)
        return self.sync_group is None or self.sync_group.can_goto_master(self)

    def _set_state(self, new: State, reason: Reason) -> None:
        old = self.state
        if old is new:
            return
        check_transition(old, new, reason)
        self.state = new
        self._emit(StateChanged(old, new, reason))

    def _down_interval(self) -> int:
        p = self.params
        return master_down_us(
            p.version, self.effective_priority, self.master_adver_int_us, p.down_timer_adverts
        )

    def _skew(self) -> int:
        return skew_time_us(self.params.version, self.effective_priority, self.master_adver_int_us)

    def _init_sands(self, t: int) -> None:
        """keepalived's vrrp_init_instance_sands."""
        if self.state is State.MASTER:
            self._sands = t + self.params.advert_int_us
        elif self.state is State.BACKUP:
            if self._delayed_start is not None and t < self._delayed_start:
                self._sands = self._delayed_start + self.ms_down_timer_us
            else:
                self._sands = t + self.ms_down_timer_us
        else:
            self._sands = None

    def _advert(self, priority: int) -> Advertisement:
        p = self.params
        cached = self._last_advert
        if cached is not None and cached[0] == priority and cached[1] is p:
            return cached[2]  # immutable: a master sends the same advert every interval
        with_auth = p.version == 2 and p.family == 4
        adv = Advertisement(
            version=p.version,
            vrid=p.vrid,
            priority=priority,
            adver_int=p.advert_int_field,
            addresses=p.vips,
            auth_type=p.auth_type if with_auth else AUTH_NONE,
            auth_data=p.auth_data if with_auth and p.auth_type == AUTH_PASS else b"",
        )
        self._last_advert = (priority, p, adv)
        return adv

    def _send_adv(self, priority: int) -> None:
        self._emit(SendAdvert(self._advert(priority)))
        self.counters.advert_sent += 1

    def _link_update(self, repeat: int, reason: str) -> None:
        """vrrp_send_link_update: only while the addresses are set."""
        if not self.vipset or repeat <= 0:
            return
        addrs = self.params.vips + self.params.evips
        if addrs:
            self._emit(SendGratuitous(addrs, repeat, reason))

    # state transitions

    def _goto_master(self, t: int, reason: Reason, *, gated: bool = True) -> None:
        if gated and not self._gate():
            # vrrp_sync_can_goto_master: wait for the other members, another down interval.
            self.wantstate = State.MASTER
            self.ms_down_timer_us = self._down_interval()
            return
        if self.state is State.BACKUP and reason is Reason.MASTER_DOWN:
            self.wantstate = State.MASTER
        self._set_state(State.MASTER, reason)
        self._init_sands(t)
        self._master_tx(t)

    def _master_tx(self, t: int) -> None:
        p = self.params
        # The old master must drop its VIPs before our GARPs, so the advert goes first.
        self._send_adv(self.effective_priority)
        if not self.vipset:
            self._log("Entering MASTER STATE")
            self._become_master(t)
            if p.garp_master_delay_us:
                self._garp_timers.append((t + p.garp_master_delay_us, p.garp_master_repeat, "master-delayed"))
        elif self._garp_refresh_at is not None and t > self._garp_refresh_at:
            self._link_update(p.garp_master_refresh_repeat, "refresh")
            self._garp_refresh_at = t + p.garp_master_refresh_us

    def _become_master(self, t: int) -> None:
        p = self.params
        self.counters.become_master += 1
        if p.version == 3 and self.master_adver_int_us != p.advert_int_us:
            # keepalived resets the interval only inside its -D log statement; we always do.
            self._log(
                f"changing advert interval from {self.master_adver_int_us // 1000}ms to locally "
                f"configured {p.advert_int_us // 1000}ms",
                detail=True,
            )
        self.master_adver_int_us = p.advert_int_us
        self._emit(AddAddresses(p.vips, p.evips))
        self.vipset = True
        self._link_update(p.garp_master_repeat, "master")
        self._garp_refresh_at = t + p.garp_master_refresh_us if p.garp_master_refresh_us else None
        self._notify()

    def _restore_interface(self, *, adv_f: bool) -> None:
        if adv_f:
            self._send_adv(PRIO_STOP)
            self.counters.pri_zero_sent += 1
            # only here: the other priority-0 adverts (leaving for FAULT) are not logged
            self._log("sent 0 priority", detail=True)
        if self.vipset:
            self._emit(RemoveAddresses(self.params.vips, self.params.evips))
            self.vipset = False

    def _leave_master(self, t: int, *, adv_f: bool, reason: Reason) -> None:
        if self.wantstate is State.BACKUP:
            self._log("Entering BACKUP STATE")
            self._preempt_time = None
        else:
            self._log("Entering FAULT STATE")
            # keepalived sends priority 0 here and again below when adv_f is set.
            self._send_adv(PRIO_STOP)
        self._restore_interface(adv_f=adv_f)
        self._set_state(self.wantstate, reason)
        self._notify()
        self.ms_down_timer_us = self._down_interval()
        self._init_sands(t)
        self.counters.release_master += 1

    def _leave_fault(self, t: int, reason: Reason) -> None:
        if self.wantstate is State.MASTER:
            self._goto_master(t, reason, gated=False)
        else:
            if self.state is not self.wantstate:
                self._log(f"Entering {self.wantstate.value} STATE")
            if self.wantstate is State.FAULT and self.state is State.MASTER:
                self._send_adv(PRIO_STOP)
                self._restore_interface(adv_f=False)
            changed = self.state is not self.wantstate
            self._set_state(self.wantstate, reason)
            if changed:
                self._notify()
            if self.state is State.BACKUP:
                self._preempt_time = None
        self.master_adver_int_us = self.params.advert_int_us
        self.ms_down_timer_us = self._down_interval()
        self._init_sands(t)

    def _try_up(self, t: int) -> None:
        """keepalived's try_up_instance once the last fault reason cleared."""
        p = self.params
        owner_master = self.wantstate is State.MASTER and self.base_priority == PRIO_OWNER
        if not owner_master:
            self.wantstate = State.BACKUP
        self.master_adver_int_us = p.advert_int_us
        if owner_master:
            self.ms_down_timer_us = self.master_adver_int_us + self._skew()
        else:
            self.ms_down_timer_us = self._down_interval()
        if self.sync_group is not None and not self.sync_group.can_leave_fault(self):
            # another member is still down: stay in FAULT until the group comes up
            return
        wanted = self.wantstate
        if self.wantstate is State.MASTER and not self._gate():
            self.wantstate = State.BACKUP
        self._leave_fault(t, Reason.FAULT_CLEARED)
        if p.unicast and p.source_address is not None:
            # Refresh the master's ARP/ND cache so its adverts reach us at once.
            self._emit(SendGratuitous((p.source_address,), 1, "unicast-source"))
        self._init_sands(t)
        self.wantstate = wanted

    # receiving

    def _check_packet(
        self, adv: Advertisement, src: IpAddr, ttl: int | None, multicast: bool | None, check_vip: bool
    ) -> RxResult:
        """keepalived's vrrp_check_packet for what is left after decoding."""
        p, c = self.params, self.counters
        if not p.unicast and ttl is not None and ttl != VRRP_TTL:
            self._log(f"invalid TTL/HL. Received {ttl} and expect {VRRP_TTL}")
            c.ip_ttl_err += 1
            return RxResult.KO
        if adv.version != p.version:
            self._log(f"wrong version. Received {adv.version} and expect {p.version}")
            c.vers_err += 1
            return RxResult.KO
        if p.version == 2:
            if adv.auth_type not in (AUTH_NONE, AUTH_PASS, AUTH_AH):
                self._log(f"Invalid auth type: {adv.auth_type}")
                c.invalid_authtype += 1
                return RxResult.KO
            if adv.auth_type != p.auth_type:
                self._log(f"received a {adv.auth_type} auth, expecting {p.auth_type}!")
                c.authtype_mismatch += 1
                return RxResult.KO
            if p.auth_type == AUTH_PASS and not hmac.compare_digest(
                adv.auth_data.ljust(len(p.auth_data), b"\0"), p.auth_data
            ):
                self._log("received an invalid passwd!")
                c.auth_failure += 1
                return RxResult.KO
            if adv.adver_int * TIMER_HZ != p.advert_int_us:
                self._log(
                    f"advertisement interval mismatch mine={p.advert_int_us // TIMER_HZ} sec "
                    f"rcv'd={adv.adver_int} sec"
                )
                c.advert_interval_err += 1
                return RxResult.DROP
        if adv.type != 1:
            self._log(f"Invalid packet type. {adv.type} and expect 1")
            c.invalid_type_rcvd += 1
            return RxResult.KO
        if check_vip and len(adv.addresses) != len(p.vips):
            self._log(f"received an unexpected ip number count {len(adv.addresses)}, expected {len(p.vips)}!")
            c.addr_list_err += 1
            return RxResult.KO
        if multicast is not None and multicast == p.unicast:
            want, got = ("un", "mult") if p.unicast else ("mult", "un")
            self._log(f"Expected {want}icast packet but received {got}icast packet")
            c.addr_list_err += 1
            return RxResult.KO
        c.advert_rcvd += 1
        if check_vip:
            got_addrs = set(adv.addresses)
            for vip in p.vips:
                if vip not in got_addrs:
                    self._log(f"ip address associated with VRID {p.vrid} not present in MASTER advert: {vip}")
                    c.addr_list_err += 1
                    return RxResult.KO
            if p.unicast and p.check_unicast_src:
                peer = next((q for q in p.unicast_peers if q.address == src), None)
                if peer is None:
                    self._log(f"unicast source address {src} not a unicast peer")
                    return RxResult.KO
                if ttl is not None and not peer.min_ttl <= ttl <= peer.max_ttl:
                    c.ip_ttl_err += 1
                    self._log(f"TTL/HL {ttl} not in range {peer.min_ttl} - {peer.max_ttl}")
                    return RxResult.KO
        if adv.priority == PRIO_STOP:
            c.pri_zero_rcvd += 1
        return RxResult.OK

    def _adopt_interval(self, adv: Advertisement) -> None:
        if self.params.version == 3:
            # RFC 5798 6.4.2: Master_Adver_Interval := the advert's interval.
            new = adv.adver_int * TIMER_CENTI_HZ
            if new != self.master_adver_int_us:
                self._log(
                    f"advertisement interval updated from {self.master_adver_int_us // 1000}ms to "
                    f"{new // 1000}ms by master",
                    detail=True,
                )
            self.master_adver_int_us = new

    def _backup_rx(
        self, adv: Advertisement, src: IpAddr, ttl: int | None, multicast: bool | None, t: int
    ) -> RxResult:
        p = self.params
        check_vip = not p.skip_check_adv_addr or self.master_address is None or self.master_address != src
        result = self._check_packet(adv, src, ttl, multicast, check_vip)
        ignore = False
        if result is not RxResult.OK:
            ignore = True
        elif adv.priority == PRIO_STOP:
            # The master is leaving: take over after Skew_Time (of our current Master_Adver_Interval:
            # a priority-0 advert's interval is not adopted, as in keepalived).
            self._log("Backup received priority 0 advertisement", detail=True)
            self.ms_down_timer_us = self._skew()
        elif (
            p.nopreempt
            or adv.priority >= self.effective_priority
            or (p.preempt_delay_us and (self._preempt_time is None or self._preempt_time > t))
        ):
            self._adopt_interval(adv)
            self.ms_down_timer_us = self._down_interval()
            self.master_address = src
            self.master_priority = adv.priority
            if p.preempt_delay_us:
                if adv.priority >= self.effective_priority:
                    if self._preempt_time is not None:
                        self._log("stop preempt delay", detail=True)
                    self._preempt_time = None
                elif self._preempt_time is None:
                    d = p.preempt_delay_us
                    self._log(f"start preempt delay ({d // TIMER_HZ}.{d % TIMER_HZ:06d})", detail=True)
                    self._preempt_time = t + p.preempt_delay_us
            self.wantstate = State.BACKUP
        else:
            self._log(f"received lower priority ({adv.priority}) advert from {src} - discarding")
            ignore = True
            self.master_address = src
        if ignore and self._sands is not None:
            # Keep the running timer: the next _init_sands lands on the same deadline.
            self.ms_down_timer_us = max(self._sands - t, 0)
        return result

    def _master_rx(
        self, adv: Advertisement, src: IpAddr, ttl: int | None, multicast: bool | None, t: int
    ) -> tuple[RxResult, bool]:
        p = self.params
        result = self._check_packet(adv, src, ttl, multicast, True)
        if result is not RxResult.OK:
            return result, False
        cmp = _cmp(src, p.source_address)
        prio, ours = adv.priority, self.effective_priority
        if prio == PRIO_STOP or (p.higher_prio_send_advert and (prio > ours or (prio == ours and cmp > 0))):
            self._send_adv(ours)
            if prio == PRIO_STOP:
                self._log("Master received priority 0 message", detail=True)
                return result, False
        if prio == ours:
            if cmp == 0:
                self._log("WARNING - equal priority advert received from remote host with our IP address.")
            elif ours == PRIO_OWNER:
                self._log(
                    "CONFIGURATION ERROR: local instance and a remote instance are both configured as "
                    "address owner, please fix - reducing local priority"
                )
                self.effective_priority = self.base_priority = PRIO_OWNER - 1
                ours = self.effective_priority
        if prio < ours or (prio == ours and cmp < 0):
            suffix = "" if p.lower_prio_no_advert else ", forcing new election"
            self._log(f"Received advert from {src} with lower priority {prio}, ours {ours}{suffix}")
            if not p.lower_prio_no_advert:
                self._send_adv(ours)
            self._lower_prio_garp(t)
            if self.sync_group is not None:
                # the other members refresh their addresses too
                self.sync_group.lower_priority_advert(self, to_seconds(t))
            self._emit(Notify("MASTER_RX_LOWER_PRI", ours))
            return result, False
        if prio > ours or (prio == ours and cmp > 0):
            if prio > ours:
                self._log(f"Master received advert from {src} with higher priority {prio}, ours {ours}")
            else:
                self._log(
                    f"Master received advert from {src} with same priority {prio} but higher IP address "
                    "than ours"
                )
            self._adopt_interval(adv)
            self.master_priority = prio
            self.wantstate = State.BACKUP
            self.ms_down_timer_us = self._down_interval()
            return result, True
        return result, False
