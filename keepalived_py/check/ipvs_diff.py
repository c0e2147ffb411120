"""The operations that turn one IPVS table into another, and their meaning.

``diff(current, desired)`` gives the kernel commands, in order, that make ``current`` (what the
kernel reports) into ``desired`` (what health says).  At start this is how an existing table is
reconciled rather than flushed: entries that are already right are left alone, so a restart does
not reset connections.  ``apply`` is the kernel's meaning of each command on a table value; it
refuses what the kernel refuses (adding what exists, changing what does not), which lets tests
show that applying a diff always yields the desired table.

Order: services that go are deleted first (the kernel drops their destinations with them), then
changed services are edited and new ones added; within a service, destinations are added and
edited before others are deleted, so a pool being swapped (for example to the sorry server) is
never empty in between.
"""

from __future__ import annotations

from dataclasses import dataclass

from keepalived_py.check.ipvs_model import (
    DestAttrs,
    DestKey,
    IpvsTable,
    Service,
    ServiceAttrs,
    ServiceKey,
    copy_dests,
)


@dataclass(frozen=True, slots=True)
class AddService:
    key: ServiceKey
    attrs: ServiceAttrs


@dataclass(frozen=True, slots=True)
class EditService:
    key: ServiceKey
    attrs: ServiceAttrs


@dataclass(frozen=True, slots=True)
class DelService:
    key: ServiceKey


@dataclass(frozen=True, slots=True)
class AddDest:
    service: ServiceKey
    dest: DestKey
    attrs: DestAttrs


@dataclass(frozen=True, slots=True)
class EditDest:
    service: ServiceKey
    dest: DestKey
    attrs: DestAttrs


@dataclass(frozen=True, slots=True)
class DelDest:
    service: ServiceKey
    dest: DestKey


Op = AddService | EditService | DelService | AddDest | EditDest | DelDest


class OpRefused(ValueError):
    """A command the kernel would refuse on this table (EEXIST / ESRCH / ENOENT)."""


def diff(current: IpvsTable, desired: IpvsTable) -> list[Op]:
    """Commands that make ``current`` into ``desired``; none when they are equal."""
    ops: list[Op] = []
    for key in sorted(current.services.keys() - desired.services.keys()):
        ops.append(DelService(key))
    for key in sorted(desired.services):
        want = desired.services[key]
        have = current.services.get(key)
        if have is None:
            ops.append(AddService(key, want.attrs))
            have_dests: dict[DestKey, DestAttrs] = {}
        else:
            if have.attrs != want.attrs:
                ops.append(EditService(key, want.attrs))
            have_dests = dict(have.dests)
        for dkey in sorted(want.dests.keys() - have_dests.keys()):
            ops.append(AddDest(key, dkey, want.dests[dkey]))
        for dkey in sorted(want.dests.keys() & have_dests.keys()):
            if have_dests[dkey] != want.dests[dkey]:
                ops.append(EditDest(key, dkey, want.dests[dkey]))
        for dkey in sorted(have_dests.keys() - want.dests.keys()):
            ops.append(DelDest(key, dkey))
    return ops


def apply(table: IpvsTable, ops: list[Op]) -> IpvsTable:
    """The table after the kernel has run ``ops`` in order; ``OpRefused`` as the kernel refuses."""
    services: dict[ServiceKey, tuple[ServiceAttrs, dict[DestKey, DestAttrs]]] = {
        k: (s.attrs, copy_dests(s.dests)) for k, s in table.services.items()
    }
    for op in ops:
        if isinstance(op, AddService):
            if op.key in services:
                raise OpRefused(f"service {op.key.describe()} exists")
            services[op.key] = (op.attrs, {})
        elif isinstance(op, EditService):
            if op.key not in services:
                raise OpRefused(f"no service {op.key.describe()}")
            services[op.key] = (op.attrs, services[op.key][1])
        elif isinstance(op, DelService):
            if services.pop(op.key, None) is None:
                raise OpRefused(f"no service {op.key.describe()}")
        else:
            found = services.get(op.service)
            if found is None:
                raise OpRefused(f"no service {op.service.describe()}")
            dests = found[1]
            if isinstance(op, AddDest):
                if op.dest in dests:
                    raise OpRefused(f"destination {op.dest.describe()} exists")
                dests[op.dest] = op.attrs
            elif op.dest not in dests:
                raise OpRefused(f"no destination {op.dest.describe()}")
            elif isinstance(op, EditDest):
                dests[op.dest] = op.attrs
            else:
                del dests[op.dest]
    return IpvsTable({k: Service(attrs, dests) for k, (attrs, dests) in services.items()})
