"""A vrrp_sync_group: its members move together, as keepalived 2.2.7's (vrrp_sync.c).

keepalived keeps a group state (BACKUP / MASTER / FAULT) next to the members' states and
applies three rules:

* **MASTER only all together.**  A member whose master-down timer fires may go MASTER only when
  the group is already MASTER or every other member *wants* MASTER too (its own timer fired, or
  it was told to); otherwise it stays BACKUP for another master-down interval
  (``vrrp_sync_can_goto_master``).  The member that does go MASTER takes the others with it
  (``vrrp_sync_master``); a master that drops to BACKUP takes the others to BACKUP
  (``vrrp_sync_backup``).  Backup is preferred, "to avoid thrashing": one member seeing a
  lower-priority master is not enough to preempt the group.
* **One member down, whole group down.**  The first member to go to FAULT on its own account
  (interface, weight-0 tracker...) puts every other member in FAULT (``vrrp_sync_fault``).
* **Up only all together.**  A member whose faults cleared stays in FAULT while another member
  still has a fault; the last one to recover leaves FAULT and takes the others with it
  (``try_up_instance``).

The group's own transitions drive the group notifications (scripts, ``GROUP <name> <STATE> 0``,
FIFO).  keepalived's ``notifies_sent`` rule (no instance notification from a member entering the
state its group already announced) is applied by the runtime's Notifier, which hears the group
transitions in the order of the steps returned here.

``SyncGroup`` is pure: it is installed on the members' cores (``core.sync_group``), answers their
questions, and after every input a member was given the caller hands over the member's state
before the input (``after_input``, keepalived's ``VRRP_TSM_HANDLE`` plus the calls made from
``down_instance`` / ``try_up_instance``).  What the group then did comes back as ordered steps:
the members whose cores now hold new actions (to be drained right away, in that order) and the
group's own transition, which keepalived announces after its members'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keepalived_py.vrrp.instance import PRIO_OWNER, VrrpCore
from keepalived_py.vrrp.state import State


@dataclass(frozen=True, slots=True)
class MemberMoved:
    """The group gave this member an order: drain its core now (its actions come next)."""

    member: str


@dataclass(frozen=True, slots=True)
class GroupChanged:
    """The group itself changed state: send the group notifications for ``new``."""

    group: str
    old: State
    new: State


@dataclass(frozen=True, slots=True)
class GroupLog:
    """A line keepalived logs for the group, in its words."""

    message: str


Step = MemberMoved | GroupChanged | GroupLog


class SyncGroup:
    """One vrrp_sync_group over the cores of its members (in the configuration's order)."""

    def __init__(self, name: str, members: Sequence[VrrpCore]) -> None:
        if not members:
            raise ValueError(f"sync group {name} has no members")
        self.name = name
        self.members: tuple[VrrpCore, ...] = tuple(members)
        owners_master = all(
            m.wantstate is State.MASTER and m.base_priority == PRIO_OWNER for m in self.members
        )
        # vrrp_sync_set_group: MASTER only when every member is an address owner wanting MASTER.
        self.state = State.MASTER if owners_master else State.BACKUP
        if not owners_master:
            # vrrp_complete_init: a member wanting MASTER next to one that cannot start as
            # master (not an owner, or BACKUP) starts as a backup like the rest.
            for m in self.members:
                if m.wantstate is State.MASTER:
                    m.wantstate = State.BACKUP
        for m in self.members:
            m.sync_group = self
        # members given gratuitous ARPs by another member's input, drained with its steps
        self._touched: list[VrrpCore] = []

    # -- what the members ask ----------------------------------------------------------------

    def can_goto_master(self, core: VrrpCore) -> bool:
        """vrrp_sync_can_goto_master: the group is MASTER, or every other member wants it."""
        if self.state is State.MASTER:
            return True
        return all(m.wantstate is State.MASTER for m in self.members if m is not core)

    def can_leave_fault(self, core: VrrpCore) -> bool:
        """try_up_instance: a member comes up only when no other member has a fault of its own."""
        return not any(m.fault for m in self.members if m is not core)

    def lower_priority_advert(self, core: VrrpCore, now: float) -> None:
        """``core``, master, received a lower-priority advert: the other members with
        garp_lower_prio_repeat send their gratuitous ARPs too (vrrp_state_master_rx)."""
        for other in self._others(core):
            if other.params.garp_lower_prio_repeat:
                other.sync_lower_prio_garp(now)
                if other not in self._touched:
                    self._touched.append(other)

    # -- start ---------------------------------------------------------------------------------

    def begin(self, *, waited: bool = False) -> list[Step]:
        """Before the members start: the group's initial state and its notification.

        A member already in fault (interface down, tracker down) puts the group in FAULT and the
        other members start in FAULT with it.  keepalived notifies a group starting in BACKUP
        or FAULT, never one starting in MASTER (all address owners).

        ``waited``: the group was held until its members' weight-0 scripts reported
        (keepalived's group INIT state); it then comes up through try_up_instance, which logs
        the sync to BACKUP.  See ``members_first`` for the order of the notifications.
        """
        if any(m.fault for m in self.members):
            self.state = State.FAULT
        if self.state is State.MASTER:
            return []
        steps: list[Step] = []
        if waited and self.state is State.BACKUP:
            steps.append(self._log("BACKUP"))
        steps.append(GroupChanged(self.name, State.INIT, self.state))
        return steps

    def members_first(self, *, waited: bool = False) -> bool:
        """Whether the members' first notifications precede the group's at start.

        keepalived notifies a group starting in BACKUP before its members enter BACKUP
        (vrrp_init_state), but a group in FAULT after its members (vrrp_complete_init), and a
        group that waited for scripts after the members it brings up (try_up_instance).
        """
        return waited or self.state is State.FAULT

    def stop(self) -> list[Step]:
        """After the members stopped (notify_shutdown: instances first, then the groups)."""
        old, self.state = self.state, State.STOP
        return [GroupChanged(self.name, old, State.STOP)]

    # -- after an input ------------------------------------------------------------------------

    def after_input(self, member: VrrpCore, prev: State, now: float) -> list[Step]:
        """``member`` was given an input (advert, timer, fault change); it was in ``prev``.

        Inputs that come from the group itself (the sync_to_* orders) must not be reported.
        """
        if member not in self.members:
            raise ValueError(f"{member.name} is not a member of sync group {self.name}")
        touched: list[Step] = [MemberMoved(m.name) for m in self._touched]
        self._touched = []
        return touched + self._transition(member, prev, now)

    def _transition(self, member: VrrpCore, prev: State, now: float) -> list[Step]:
        new = member.state
        if new is State.FAULT:
            # down_instance: only a member down on its own account takes the group down.
            if prev is not State.FAULT and member.fault:
                return self._sync_fault(member, now)
            return []
        if prev is State.FAULT:
            # try_up_instance: the last member to recover brings the group up.
            if new is State.MASTER:
                return self._sync_master(member, now)
            if new is State.BACKUP:
                return self._sync_backup(member, now)
            return []
        if new is State.MASTER and prev in (State.BACKUP, State.MASTER):
            return self._sync_master(member, now)
        if prev is State.MASTER and new is State.BACKUP:
            return self._sync_backup(member, now)
        return []

    # -- keepalived's vrrp_sync_master / backup / fault --------------------------------------------

    def _log(self, target: str) -> GroupLog:
        return GroupLog(f"VRRP_Group({self.name}) Syncing instances to {target} state")

    def _others(self, member: VrrpCore) -> list[VrrpCore]:
        return [m for m in self.members if m is not member]

    def _changed(self, new: State, steps: list[Step]) -> list[Step]:
        old, self.state = self.state, new
        steps.append(GroupChanged(self.name, old, new))
        return steps

    def _sync_master(self, member: VrrpCore, now: float) -> list[Step]:
        if self.state is State.MASTER or not self.can_goto_master(member):
            return []
        steps: list[Step] = [self._log("MASTER")]
        for other in self._others(member):
            if other.state is not State.MASTER:
                other.sync_to_master(now)
                steps.append(MemberMoved(other.name))
        return self._changed(State.MASTER, steps)

    def _sync_backup(self, member: VrrpCore, now: float) -> list[Step]:
        if self.state is State.BACKUP:
            return []
        steps: list[Step] = [self._log("BACKUP")]
        for other in self._others(member):
            if other.state is not State.BACKUP:
                other.sync_to_backup(now)
                steps.append(MemberMoved(other.name))
        return self._changed(State.BACKUP, steps)

    def _sync_fault(self, member: VrrpCore, now: float) -> list[Step]:
        if self.state is State.FAULT:
            return []
        steps: list[Step] = [self._log("FAULT")]
        for other in self._others(member):
            if other.state is not State.FAULT:
                other.sync_to_fault(now)
                steps.append(MemberMoved(other.name))
        return self._changed(State.FAULT, steps)
