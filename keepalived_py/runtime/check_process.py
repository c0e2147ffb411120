"""The checker child: runs the health checks and keeps the kernel's IPVS table in step.

keepalived's parent forks this process ("Healthcheck child") when the configuration has virtual
servers.  Here it is one asyncio loop:

* one ``PoolState`` (check/health.py) per virtual server and one checker object per configured
  checker (runtime/checkers.py); a heap of due times and a single loop timer start the attempts,
  each attempt an asyncio task (TCP_CHECK's: plain loop callbacks, ``begin``), so thousands of
  checkers run without threads;
* a verdict goes to the pool, whose events become keepalived's log lines, notify scripts
  (``notify_up``/``notify_down``/``quorum_up``/``quorum_down``), notify FIFO lines and mails;
* the table: the desired table of each changed virtual server (``ipvs_desired``) is compared with
  what the kernel has (``ipvs_diff``) and only the difference is sent (``IpvsBackend``).  At start
  the kernel's table is read and reconciled the same way (what is already right is not touched,
  services that are not ours are left alone); on SIGTERM the services we own are removed unless
  ``-I``/``--dont-release-ipvs``, with keepalived's "Shutting down service" lines and, under
  ``omega``, its notifications.  When only some real servers changed, only their destinations
  are recomputed and compared (a 1,000-server pool is not rebuilt for one verdict);
* FILE_CHECK follows its track_file through inotify (a value moves the weight or is a fault);
* SIGHUP reloads (keepalived's clear_diff_services: what stays keeps its state and its running
  checkers, what goes is removed with its notifications); SIGUSR1 writes keepalived_check.data
  (an IPVS and pool summary of keepalived-py's own, not keepalived's layout).

The IPVS backend is the kernel's (adapters/ipvs.py) unless ``$KEEPALIVED_PY_IPVS`` names an
in-memory table (``memory`` or ``memory:FILE``, FILE getting one JSON line per change): that is
how the checks can be run, and tested, on a kernel without IPVS.  Without it, a kernel without
IPVS stops the process as it stops keepalived's: "IPVS: Can't initialize ipvs: ..." and the
FATAL exit status, which makes the parent stop everything.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import errno as errnos
import functools
import heapq
import json
import logging
import os
import pwd
import random
import resource
import signal
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from ipaddress import ip_address
from types import MappingProxyType
from typing import Any, Protocol

from keepalived_py.adapters import probes
from keepalived_py.check import ipvs_diff
from keepalived_py.check.health import PoolLog, PoolState, QuorumChanged, ServerChanged, Verdict
from keepalived_py.check.ipvs_desired import RealServerHealth, VirtualServerHealth, desired_table
from keepalived_py.check.ipvs_model import (
    DestAttrs,
    DestKey,
    Forwarding,
    IpvsTable,
    Service,
    ServiceAttrs,
    ServiceKey,
    TunnelFlag,
    TunnelType,
    real_weight,
)
from keepalived_py.check.rules import AttemptOutcome
from keepalived_py.config.model import Config
from keepalived_py.config.model.lvs import LvsSection, RealServer, SockAddr, VirtualServer, trio
from keepalived_py.config.scripts import Script
from keepalived_py.runtime import heap_freeze, startup_signals
from keepalived_py.runtime.lvs_globals import CheckerLvs
from keepalived_py.runtime.pid_file import run_child

log = logging.getLogger(__name__)

CHECK_IDENT = "Keepalived_healthcheckers"
DEFAULT_CHECKERS_PID_FILE = "/run/checkers.pid"
IPVS_BACKEND_ENV = "KEEPALIVED_PY_IPVS"
EXIT_FATAL = 1
US = 1_000_000
STOP_SCRIPT_GRACE = 1.0
INLINE_IPVS_OPS = 16  # larger batches (start, reload, a whole pool recomputed) go to the worker thread


# -- the IPVS backend ------------------------------------------------------------------------


class IpvsBackend(Protocol):
    """What the checker process needs of IPVS (adapters/ipvs.IpvsAdapter is one)."""

    def read(self) -> IpvsTable: ...

    def apply(self, ops: Iterable[ipvs_diff.Op]) -> None:
        """Send ``ops`` in order; raise adapters.ipvs.IpvsError (keepalived's lines) on refusals."""

    def flush(self) -> None: ...

    def close(self) -> None: ...


class MemoryIpvs:
    """An IPVS table kept in memory, with the kernel's answers to each command.

    With ``path``, every applied batch appends a JSON line ``{"t", "ops", "table"}`` (``t``:
    CLOCK_MONOTONIC seconds, ``table``: ``IpvsTable.render()``), so another process can follow it.
    """

    def __init__(self, path: str | None = None, table: IpvsTable | None = None) -> None:
        self.path = path
        # like the kernel's, the table outlives the process: a new one starts from the file's last
        self.table = table or (load_table(path) if path else None) or IpvsTable()
        self.batches: list[list[ipvs_diff.Op]] = []

    def read(self) -> IpvsTable:
        return self.table

    def apply(self, ops: Iterable[ipvs_diff.Op]) -> None:
        from keepalived_py.adapters.ipvs import IpvsError, error_line

        batch = list(ops)
        lines: list[str] = []
        codes: list[int] = []
        try:
            # the usual case in one pass; command by command only when something is refused
            self.table = ipvs_diff.apply(self.table, batch)
        except ipvs_diff.OpRefused:
            pass
        else:
            self.batches.append(batch)
            self._record(batch)
            return
        for op in batch:
            try:
                self.table = ipvs_diff.apply(self.table, [op])
            except ipvs_diff.OpRefused:
                # keepalived counts "exists" on an add and "not found" on a delete as done
                if isinstance(op, ipvs_diff.AddService | ipvs_diff.DelService):
                    continue
                known = _op_service(op) in self.table.services
                if known and isinstance(op, ipvs_diff.AddDest | ipvs_diff.DelDest):
                    continue
                code = errnos.ENOENT if known and isinstance(op, ipvs_diff.EditDest) else errnos.ESRCH
                lines.append(error_line(op, code))
                codes.append(code)
        self.batches.append(batch)
        self._record(batch)
        if lines:
            raise IpvsError(lines, codes)

    def flush(self) -> None:
        self.table = IpvsTable()
        self._record([])

    def close(self) -> None:
        pass

    def _record(self, batch: list[ipvs_diff.Op]) -> None:
        if self.path is None:
            return
        line = {
            "t": time.monotonic(),
            "pid": os.getpid(),
            "ops": [repr(op) for op in batch],
            "table": self.table.render(),
            "services": table_to_json(self.table),
        }
        with contextlib.suppress(OSError), open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")


def table_to_json(table: IpvsTable) -> list[dict[str, Any]]:
    """``table`` as JSON values (``table_from_json`` reads them back)."""
    out = []
    for key, svc in table.services.items():
        dests = [
            {
                "address": str(d.address),
                "port": d.port,
                **{f.name: int(getattr(a, f.name)) for f in _DEST_FIELDS},
            }
            for d, a in svc.dests.items()
        ]
        attrs = dataclasses.asdict(svc.attrs)
        out.append({**dataclasses.asdict(key), "address": str(key.address), "attrs": attrs, "dests": dests})
    return out


_DEST_FIELDS = dataclasses.fields(DestAttrs)


def table_from_json(services: list[dict[str, Any]]) -> IpvsTable:
    table: dict[ServiceKey, Service] = {}
    for s in services:
        key = ServiceKey(s["af"], s["protocol"], ip_address(s["address"]), s["port"], s["fwmark"])
        dests = {}
        for d in s["dests"]:
            values = {f.name: d[f.name] for f in _DEST_FIELDS}
            attrs = DestAttrs(
                forwarding=Forwarding(values["forwarding"]),
                weight=values["weight"],
                u_threshold=values["u_threshold"],
                l_threshold=values["l_threshold"],
                tun_type=TunnelType(values["tun_type"]),
                tun_port=values["tun_port"],
                tun_flags=TunnelFlag(values["tun_flags"]),
            )
            dests[DestKey(ip_address(d["address"]), d["port"])] = attrs
        table[key] = Service(ServiceAttrs(**s["attrs"]), dests)
    return IpvsTable(table)


def load_table(path: str) -> IpvsTable | None:
    """The last table a MemoryIpvs wrote to ``path`` (None when there is none)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
    except OSError:
        return None
    if not lines:
        return None
    with contextlib.suppress(ValueError, KeyError, TypeError):
        return table_from_json(json.loads(lines[-1])["services"])
    return None


def open_backend(spec: str | None = None) -> IpvsBackend:
    """The kernel's IPVS, or the in-memory table ``spec`` names (``memory[:FILE]``);
    adapters.ipvs.IpvsError when the kernel has no IPVS."""
    spec = spec if spec is not None else os.environ.get(IPVS_BACKEND_ENV)
    if spec and spec.split(":", 1)[0] == "memory":
        path = spec.split(":", 1)[1] if ":" in spec else None
        return MemoryIpvs(path or None)
    from keepalived_py.adapters.ipvs import IpvsAdapter

    return IpvsAdapter()


# -- checkers ---------------------------------------------------------------------------------


class Checker(Protocol):
    """One configured checker as the scheduler drives it (runtime/checkers.HealthChecker)."""

    KIND: str
    index: int

    @property
    def due(self) -> int | None: ...

    @property
    def is_up(self) -> bool: ...

    def start(self, now: int, warmup_fraction: float) -> None: ...

    def skip(self, now: int) -> AttemptOutcome: ...

    async def attempt(self) -> AttemptOutcome: ...


CheckerFactory = Callable[[VirtualServer, RealServer, int, Any], "Checker | None"]


class DueHeap:
    """Which checkers are due: a heap of (due, sequence, item); ``pop_due`` takes the due ones."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Any]] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, due: int, item: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, item))

    def next_due(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: int) -> list[Any]:
        out = []
        while self._heap and self._heap[0][0] <= now:
            out.append(heapq.heappop(self._heap)[2])
        return out

    def clear(self) -> None:
        self._heap.clear()


@dataclasses.dataclass(eq=False, slots=True)
class Slot:
    """A checker in the process: its virtual server (by index) and real server."""

    vs_index: int
    rs: RealServer
    checker: Checker
    running: bool = False
    active: bool = True


class TrackedFileChecker:
    """FILE_CHECK as a checker: no attempts; ``update(value)`` when its track_file changes."""

    KIND = "FILE_CHECK"
    due = None

    def __init__(self, inner: Any, path: str, name: str) -> None:
        self.inner = inner  # runtime/checkers.FileChecker
        self.index: int = inner.index
        self.path = path
        self.name = name

    @property
    def is_up(self) -> bool:
        return bool(self.inner.rule.is_up)

    @property
    def cur_weight(self) -> int:
        return int(self.inner.rule.cur_weight)

    @property
    def value(self) -> int:
        return int(self.inner.rule.value)

    def start(self, now: int, warmup_fraction: float) -> None:
        pass

    def skip(self, now: int) -> AttemptOutcome:
        return AttemptOutcome()

    async def attempt(self) -> AttemptOutcome:
        return AttemptOutcome()

    def update(self, value: int) -> AttemptOutcome:
        outcome: AttemptOutcome = self.inner.update(value)
        return outcome


def read_track_file(path: str) -> int | None:
    from keepalived_py.adapters.file_watch import read_file
    from keepalived_py.vrrp.tracking import parse_track_file

    return parse_track_file(read_file(path))


def file_checker(config: Config, vs: VirtualServer, rs: RealServer, index: int, model: Any) -> Checker | None:
    """The FILE_CHECK of ``rs.checkers[index]`` with its track_file's value now (None if the
    track_file is not configured)."""
    from keepalived_py.runtime.checkers import FileChecker

    tfile = config.trackers.track_file(model.track_file)
    if tfile is None:
        return None
    if model.weight is not None:
        weight, reverse = model.weight, model.reverse
    else:
        weight, reverse = tfile.weight, tfile.weight_reverse
    value = read_track_file(tfile.file)
    inner = FileChecker(vs, rs, index, model, weight=weight, reverse=reverse, value=value or 0)
    return TrackedFileChecker(inner, tfile.file, tfile.name)


# -- notifications ----------------------------------------------------------------------------


def fifo_rs_line(vs: VirtualServer, rs_address: Any, up: bool) -> bytes:
    """keepalived's notify_fifo_rs: ``RS [addr]:proto:port VS UP|DOWN``."""
    return f"RS {trio(rs_address, vs.protocol)} {vs.describe()} {'UP' if up else 'DOWN'}\n".encode()


def fifo_vs_line(vs: VirtualServer, up: bool) -> bytes:
    """keepalived's notify_fifo_vs: ``VS VS UP|DOWN``."""
    return f"VS {vs.describe()} {'UP' if up else 'DOWN'}\n".encode()


class Notifications(Protocol):
    """Scripts, FIFO lines and mails of the checker process (``CheckNotifier`` in the daemon)."""

    def script(self, script: Script | None, *, stopping: bool = False) -> None: ...

    def fifo(self, line: bytes) -> None: ...

    def mail_rs(
        self, vs: VirtualServer, rs: RealServer, *, kind: str, up: bool, was_alive: bool, alive: bool
    ) -> None: ...

    def mail_rs_removed(self, vs: VirtualServer, rs: RealServer, *, stopping: bool) -> None: ...

    def mail_quorum(
        self,
        vs: VirtualServer,
        *,
        up: bool,
        weight_sum: int,
        init: bool,
        stopping: bool,
        threshold: int | None,
    ) -> None: ...


class Recorder:
    """Notifications kept in a list (tests)."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def start(self, umask: int | None) -> None:
        pass

    def terminate(self) -> None:
        self.events.append(("terminate",))

    async def finish(self) -> None:
        pass

    def close(self) -> None:
        pass

    def script(self, script: Script | None, *, stopping: bool = False) -> None:
        if script is not None:
            self.events.append(("script", script.args, stopping))

    def fifo(self, line: bytes) -> None:
        self.events.append(("fifo", line.decode()))

    def mail_rs(
        self, vs: VirtualServer, rs: RealServer, *, kind: str, up: bool, was_alive: bool, alive: bool
    ) -> None:
        self.events.append(("mail_rs", trio(rs.address, vs.protocol), kind, up, was_alive, alive))

    def mail_rs_removed(self, vs: VirtualServer, rs: RealServer, *, stopping: bool) -> None:
        self.events.append(("mail_rs_removed", trio(rs.address, vs.protocol), stopping))

    def mail_quorum(
        self,
        vs: VirtualServer,
        *,
        up: bool,
        weight_sum: int,
        init: bool,
        stopping: bool,
        threshold: int | None,
    ) -> None:
        self.events.append(("mail_quorum", vs.describe(), up, weight_sum, init, stopping))


def _op_service(op: ipvs_diff.Op) -> ServiceKey:
    if isinstance(op, ipvs_diff.AddService | ipvs_diff.EditService | ipvs_diff.DelService):
        return op.key
    return op.service


def vs_identity(vs: VirtualServer) -> tuple[Any, ...]:
    """What makes a virtual server the same one across a reload (keepalived's vs_iseq)."""
    if vs.group is not None:
        return ("group", vs.group, vs.group_index)
    if vs.fwmark:
        return ("fwmark", vs.family, vs.fwmark)
    return ("address", vs.protocol, vs.address)


def _vs_settings(vs: VirtualServer) -> VirtualServer:
    return dataclasses.replace(vs, real_servers=(), location=None)


def _migrate(
    old: PoolState, new: PoolState, kept: dict[tuple[Any, ...], Any], ident: tuple[Any, ...]
) -> None:
    """Carry a reloaded virtual server's state: its quorum, and each staying real server's
    state when its checkers keep running (else the real server starts afresh, as a new one)."""
    new.quorum_up = old.quorum_up
    new.sorry_alive = old.sorry_alive
    for address, server in new.servers.items():
        before = old.servers.get(address)
        if before is None:
            continue
        n = len(server.config.checkers)
        if all((ident, address, i) in kept for i in range(n)) or n == 0:
            server.alive = before.alive
            server.failed = before.failed
            server.weight = before.weight
            server.checkers_up = list(before.checkers_up)
            server.checkers_run = list(before.checkers_run)


# -- the engine (no signals, no process: what tests drive) ------------------------------------


class CheckEngine:
    """Pools, checkers, the attempt schedule and the table, for one configuration.

    ``run_due(now)`` starts the due attempts as tasks; ``handle(slot, outcome)`` takes an
    attempt's result; ``sync()`` brings the backend's table to the desired one for the virtual
    servers that changed.  ``start``/``stop`` are keepalived's init_services / clear_services.
    """

    def __init__(
        self,
        config: Config,
        backend: IpvsBackend,
        notes: Notifications,
        *,
        factory: CheckerFactory,
        dont_release: bool = False,
        warmup: Callable[[], float] = random.random,
    ) -> None:
        self.backend = backend
        self.notes = notes
        self.dont_release = dont_release
        self.warmup = warmup
        self.factory = factory
        self.heap = DueHeap()
        # the kernel's services as we last knew them, and the keys each virtual server owns
        self.current: dict[ServiceKey, Service] = {}
        # ha_suspend: how many times each local address is configured (None: not in use)
        self.addresses: Counter[Any] | None = None
        self.dirty: set[int] = set()
        # per dirty virtual server: the real servers that changed (absent: recompute it all)
        self.changed: dict[int, set[SockAddr]] = {}
        self.full: set[int] = set()
        self._released: list[ipvs_diff.Op] = []
        self.ipvs_ops = 0
        self._configure(config, {})

    def _configure(self, config: Config, reuse: dict[tuple[Any, ...], Checker]) -> None:
        """Pools and checkers for ``config`` (``reuse``: running checkers kept by a reload)."""
        self.config = config
        self.lvs: LvsSection = config.lvs
        self.pools = [PoolState(vs) for vs in self.lvs.virtual_servers]
        self.owned: list[frozenset[ServiceKey]] = [frozenset() for _ in self.lvs.virtual_servers]
        # the desired table of each virtual server as last sent, and whether a change of a few
        # real servers can be applied to it alone (each real server has destinations of its own)
        self.want: list[IpvsTable | None] = [None] * len(self.pools)
        self.incremental = [self._separable(vs) for vs in self.lvs.virtual_servers]
        self._names: dict[tuple[int, SockAddr], IpvsTable] = {}  # _incremental_ops's, per server
        self.slots: list[Slot] = []
        for i, vs in enumerate(self.lvs.virtual_servers):
            for rs in vs.real_servers:
                for index, model in enumerate(rs.checkers):
                    checker = reuse.get((vs_identity(vs), rs.address, index))
                    if checker is None and getattr(model, "KIND", "") == "FILE_CHECK":
                        checker = file_checker(config, vs, rs, index, model)
                        if checker is None:
                            continue
                        self._file_start(self.pools[i], rs, checker)
                    if checker is None:
                        checker = self.factory(vs, rs, index, model)
                        if checker is None:
                            continue
                        # what keepalived logs about a checker while reading the config
                        for line in getattr(checker, "build_logs", ()):
                            log.info("%s", line)
                    self.slots.append(Slot(i, rs, checker))

    # -- start -------------------------------------------------------------------------------

    def prepare(self) -> None:
        """The backend's part of the start (``lvs_flush``, reading the kernel's table)."""
        if self.config.global_defs.lvs_flush:
            self._flush()
        self._read_kernel()

    def start(self, now: int, *, sync: bool = True) -> None:
        """keepalived's init_services and register_checkers_thread: the quorum at start and its
        notifications, the table (``sync``: now; else ``sync()`` is the caller's), the checkers."""
        gd = self.config.global_defs
        for i, pool in enumerate(self.pools):
            vs = pool.vs
            if gd.rs_init_notifies:
                for rs in vs.real_servers:
                    if pool.servers[rs.address].alive:
                        self._rs_notifies(vs, rs, True, stopping=False)
            self._events(i, pool.start())
            self._mark(i)
        if sync:
            self.sync()
        self._activate(now)

    def _activate(self, now: int) -> None:
        """keepalived's register_checkers_thread: each checker's first attempt is scheduled; one
        of an ``ha_suspend`` virtual server whose address is not local starts suspended."""
        for slot in self.slots:
            vs = self.lvs.virtual_servers[slot.vs_index]
            if isinstance(slot.checker, TrackedFileChecker):
                continue  # keepalived's FILE_CHECK has no thread to activate
            log.info(
                "%sctivating healthchecker for service %s for VS %s",
                "A" if self.enabled(slot.vs_index) else "Dea",
                trio(slot.rs.address, vs.protocol),
                vs.describe(),
            )
            slot.checker.start(now, self.warmup())
            self._push(slot)

    def enabled(self, i: int) -> bool:
        """Whether virtual server ``i``'s checkers run (ha_suspend: only while its address is local;
        a group's or a fwmark's address never is, as in keepalived)."""
        vs = self.lvs.virtual_servers[i]
        if not vs.ha_suspend:
            return True
        if self.addresses is None or vs.group is not None or vs.address is None:
            return False
        return self.addresses[vs.address.ip] > 0

    def set_addresses(self, addresses: Iterable[Any]) -> None:
        """The local addresses at start (one entry per interface holding one)."""
        self.addresses = Counter(addresses)

    def address_changed(self, address: Any, added: bool) -> None:
        """keepalived's update_checker_activity: an address came or went."""
        if self.addresses is None:
            self.addresses = Counter()
        touched = [
            i
            for i, vs in enumerate(self.lvs.virtual_servers)
            if vs.ha_suspend and vs.group is None and vs.address is not None and vs.address.ip == address
        ]
        before = {i: self.enabled(i) for i in touched}
        self.addresses[address] += 1 if added else -1
        if self.addresses[address] <= 0:
            del self.addresses[address]
        for i in touched:
            if self.enabled(i) == before[i]:
                continue
            vs = self.lvs.virtual_servers[i]
            for slot in self.slots:
                if slot.vs_index == i and not isinstance(slot.checker, TrackedFileChecker):
                    log.info(
                        "%sing healthchecker for service %s for VS %s",
                        "Activat" if self.enabled(i) else "Suspend",
                        trio(slot.rs.address, vs.protocol),
                        vs.describe(),
                    )

    # -- reload ------------------------------------------------------------------------------

    def reload(self, config: Config, now: int) -> None:
        """keepalived's reload (clear_diff_services, then init_services): virtual and real
        servers that are gone are removed with their notifications; those that stay keep their
        state, and their checkers keep running when nothing about them changed; new ones start
        as at start.  Every checker's next attempt is a bootstrap delay away, as keepalived's."""
        old_pools = {vs_identity(p.vs): (i, p) for i, p in enumerate(self.pools)}
        old_owned = self.owned
        reuse: dict[tuple[Any, ...], Checker] = {}
        for slot in self.slots:
            slot.active = False
            vs = self.pools[slot.vs_index].vs
            if not slot.running:
                reuse[(vs_identity(vs), slot.rs.address, slot.checker.index)] = slot.checker
        self.heap.clear()
        new_ids = {vs_identity(vs): vs for vs in config.lvs.virtual_servers}
        kept_reuse: dict[tuple[Any, ...], Checker] = {}
        for ident, (_i, pool) in old_pools.items():
            vs = pool.vs
            new_vs = new_ids.get(ident)
            if new_vs is None:
                if vs.group is not None:
                    log.info("Removing Virtual Server Group [%s]", vs.group)
                else:
                    log.info("Removing Virtual Server %s", vs.describe())
                self._clear_servers(pool, vs.real_servers)
                continue
            new_rs = {rs.address: rs for rs in new_vs.real_servers}
            gone = [rs for rs in vs.real_servers if rs.address not in new_rs]
            for rs in gone:
                log.info("service %s no longer exist", trio(rs.address, vs.protocol))
            self._clear_servers(pool, gone, whole=False)
            same_vs = _vs_settings(vs) == _vs_settings(new_vs)
            for rs in vs.real_servers:
                if same_vs and new_rs.get(rs.address) == rs:
                    for index in range(len(rs.checkers)):
                        key = (ident, rs.address, index)
                        if key in reuse:
                            kept_reuse[key] = reuse[key]
        self._configure(config, kept_reuse)
        for j, pool in enumerate(self.pools):
            found = old_pools.get(vs_identity(pool.vs))
            if found is None:
                self._events(j, pool.start())
            else:
                i, old = found
                self.owned[j] = old_owned[i]
                _migrate(old, pool, kept_reuse, vs_identity(pool.vs))
                if pool.quorum_up or pool.vs.sorry_server is None:
                    self._events(j, pool.start())
            self._mark(j)
        # services of virtual servers that are gone (and that no new one wants)
        for j in range(len(self.pools)):
            self.owned[j] = self.owned[j] | self.desired_for(j).services.keys()
        still = set().union(*self.owned) if self.owned else set()
        gone_keys = sorted(k for owned in old_owned for k in owned if k not in still and k in self.current)
        self._released = [ipvs_diff.DelService(k) for k in gone_keys]
        self._activate(now)

    @staticmethod
    def _file_start(pool: PoolState, rs: RealServer, checker: Any) -> None:
        """keepalived's set_track_file_weights / init_service_rs: a track_file in fault state at
        start counts as a failed checker (the real server is never added), else its weight counts."""
        server = pool.servers[rs.address]
        if checker.is_up:
            server.weight += checker.cur_weight
            return
        if server.checkers_up[checker.index]:
            server.checkers_up[checker.index] = False
            server.failed += 1
        server.alive = False

    def files_changed(self, *, detail: bool = False) -> None:
        """A watched directory changed: read every FILE_CHECK's file again."""
        for slot in self.slots:
            checker = slot.checker
            if not isinstance(checker, TrackedFileChecker) or not slot.active:
                continue
            value = read_track_file(checker.path)
            if value is None:
                log.info("Invalid number read from %s - ignoring", checker.path)
                continue
            was_up = checker.is_up
            outcome = checker.update(value)
            if outcome.verdict is None and not outcome.weight_delta:
                continue
            vs = self.pools[slot.vs_index].vs
            if detail and outcome.verdict is not None:
                state = "leaving FAULT state" if checker.is_up else "now FAULT state"
                log.info("(%s): tracked file %s %s", trio(slot.rs.address, vs.protocol), checker.name, state)
            self.handle(slot, outcome, was_up)

    def file_paths(self) -> list[str]:
        return sorted({s.checker.path for s in self.slots if isinstance(s.checker, TrackedFileChecker)})

    def _clear_servers(self, pool: PoolState, servers: Sequence[RealServer], *, whole: bool = True) -> None:
        """keepalived's clear_service_rs (not stopping) for ``servers``; with ``whole``, the
        virtual server goes too (its quorum notifications if it had the quorum)."""
        vs = pool.vs
        for rs in servers:
            server = pool.servers[rs.address]
            if not server.alive:
                continue
            log.info("Removing service %s from VS %s", trio(rs.address, vs.protocol), vs.describe())
            server.alive = False
            self._rs_notifies(vs, rs, False, stopping=False)
            self.notes.mail_rs_removed(vs, rs, stopping=False)
        if whole and pool.quorum_up:
            pool.quorum_up = False
            self._vs_notifies(vs, False, init=False, threshold=vs.quorum - vs.hysteresis, weight_sum=0)

    def _push(self, slot: Slot) -> None:
        due = slot.checker.due
        if due is not None and slot.active:
            self.heap.push(due, slot)

    # -- attempts ----------------------------------------------------------------------------

    def due_slots(self, now: int) -> list[Slot]:
        """The checkers whose attempt is due at ``now`` (they leave the heap until handled)."""
        out = []
        for slot in self.heap.pop_due(now):
            if not slot.active or slot.running:
                continue
            if not self.enabled(slot.vs_index):
                # suspended: keepalived's checker thread reschedules itself without checking
                slot.checker.skip(now)
                self._push(slot)
                continue
            slot.running = True
            out.append(slot)
        return out

    def handle(self, slot: Slot, outcome: AttemptOutcome, was_up: bool) -> None:
        """An attempt of ``slot`` ended with ``outcome`` (``was_up``: the checker before it)."""
        slot.running = False
        if not slot.active:
            return
        for line in outcome.logs:
            log.info("%s", line)
        if outcome.weight_delta or outcome.verdict is not None:
            self._judged(slot, outcome, was_up)
        self._push(slot)

    def _judged(self, slot: Slot, outcome: AttemptOutcome, was_up: bool) -> None:
        i = slot.vs_index
        pool = self.pools[i]
        vs = pool.vs
        rs = slot.rs
        server = pool.servers[rs.address]
        if outcome.weight_delta:
            self._weight(i, rs, server.weight + outcome.weight_delta)
        if outcome.verdict is not None:
            was_alive = server.alive
            events = pool.checker_verdict(rs.address, slot.checker.index, outcome.verdict)
            up = outcome.verdict is Verdict.UP
            # keepalived's checker mails after the server's and the quorum's notifications
            self._events(i, events)
            if up != was_up:
                self.notes.mail_rs(
                    vs, rs, kind=slot.checker.KIND, up=up, was_alive=was_alive, alive=server.alive
                )

    def _weight(self, i: int, rs: RealServer, weight: int) -> None:
        pool = self.pools[i]
        vs = pool.vs
        server = pool.servers[rs.address]
        old, new = real_weight(server.weight), real_weight(weight)
        if old != new:
            log.info(
                "Changing weight from %d to %d for %sactive service %s of VS %s",
                old,
                new,
                "" if server.alive else "in",
                trio(rs.address, vs.protocol),
                vs.describe(),
            )
        self._events(i, pool.set_weight(rs.address, weight))
        self._mark(i, rs.address)

    def _events(self, i: int, events: Sequence[Any]) -> None:
        pool = self.pools[i]
        vs = pool.vs
        for ev in events:
            if isinstance(ev, PoolLog):
                log.info("%s", ev.message)
            elif isinstance(ev, ServerChanged):
                self._mark(i, ev.server)
                self._rs_notifies(vs, pool.servers[ev.server].config, ev.alive, stopping=False)
            elif isinstance(ev, QuorumChanged):
                self._mark(i)
                self._vs_notifies(vs, ev.up, init=ev.init, threshold=ev.threshold, weight_sum=ev.weight_sum)

    def _rs_notifies(self, vs: VirtualServer, rs: RealServer, alive: bool, *, stopping: bool) -> None:
        self.notes.script(rs.notify_up if alive else rs.notify_down, stopping=stopping)
        self.notes.fifo(fifo_rs_line(vs, rs.address, alive))

    def _vs_notifies(
        self,
        vs: VirtualServer,
        up: bool,
        *,
        init: bool,
        threshold: int,
        weight_sum: int,
        stopping: bool = False,
    ) -> None:
        if stopping and not vs.omega:
            return
        self.notes.script(vs.quorum_up if up else vs.quorum_down, stopping=stopping)
        self.notes.fifo(fifo_vs_line(vs, up))
        self.notes.mail_quorum(
            vs,
            up=up,
            weight_sum=weight_sum,
            init=init,
            stopping=stopping,
            threshold=None if stopping else threshold,
        )

    # -- the table ---------------------------------------------------------------------------

    def _read_kernel(self) -> None:
        from keepalived_py.adapters.ipvs import IpvsError

        try:
            self.current = dict(self.backend.read().services)
        except (IpvsError, OSError, ValueError) as exc:
            for line in exc.lines if isinstance(exc, IpvsError) else [f"IPVS: {exc}"]:
                log.info("%s", line)
            self.current = {}

    def _flush(self) -> None:
        from keepalived_py.adapters.ipvs import IpvsError

        try:
            self.backend.flush()
        except IpvsError as exc:
            for line in exc.lines:
                log.info("%s", line)

    def desired_for(self, i: int) -> IpvsTable:
        """The table of virtual server ``i`` alone, from its pool's health."""
        lvs = dataclasses.replace(self.lvs, virtual_servers=(self.lvs.virtual_servers[i],))
        return desired_table(lvs, {0: self.pools[i].health()})

    def _mark(self, i: int, server: SockAddr | None = None) -> None:
        """Virtual server ``i`` needs its table brought up to date (for ``server`` only, if given)."""
        self.dirty.add(i)
        if server is None:
            self.full.add(i)
        else:
            self.changed.setdefault(i, set()).add(server)

    def _separable(self, vs: VirtualServer) -> bool:
        if vs.sorry_server_duplicates_rs or not vs.real_servers:
            return False
        everyone = self._sub_table(vs, vs.real_servers, None)
        return all(len(svc.dests) == len(vs.real_servers) for svc in everyone.services.values())

    def _sub_table(
        self, vs: VirtualServer, servers: Sequence[RealServer], pool: PoolState | None
    ) -> IpvsTable:
        """The services of ``vs`` with only ``servers`` in them: as ``pool`` has them now, or
        (``pool`` None) all in the pool, which names every destination they can have."""
        sub = dataclasses.replace(vs, real_servers=tuple(servers))
        if pool is None:
            sub = dataclasses.replace(sub, sorry_server=None)
            health = VirtualServerHealth(True, {rs.address: RealServerHealth(True, 1) for rs in servers})
        else:
            states = {rs.address: pool.servers[rs.address] for rs in servers}
            health = VirtualServerHealth(
                pool.quorum_up, {a: RealServerHealth(st.alive, st.weight) for a, st in states.items()}
            )
        return desired_table(dataclasses.replace(self.lvs, virtual_servers=(sub,)), {0: health})

    def _incremental_ops(self, i: int, addresses: set[SockAddr]) -> list[ipvs_diff.Op] | None:
        """The commands for a change of ``addresses`` only (None: recompute everything)."""
        want = self.want[i]
        if want is None or not self.incremental[i]:
            return None
        pool = self.pools[i]
        vs = pool.vs
        if len(addresses) == 1:  # the usual case: one verdict (no pass over the whole pool)
            changed = [pool.servers[a].config for a in addresses]
        else:
            changed = [rs for rs in vs.real_servers if rs.address in addresses]
        if len(changed) == 1:  # which destinations a server has depends on the config alone
            names = self._names.get((i, changed[0].address))
            if names is None:
                names = self._names[(i, changed[0].address)] = self._sub_table(vs, changed, None)
        else:
            names = self._sub_table(vs, changed, None)
        now = self._sub_table(vs, changed, pool)
        if names.services.keys() != want.services.keys():
            return None
        adds: list[ipvs_diff.Op] = []
        dels: list[ipvs_diff.Op] = []
        services = {}
        for key, svc in want.services.items():
            current = self.current.get(key)
            if current is None:
                return None
            mine = names.services[key].dests.keys()
            fresh = now.services[key].dests if key in now.services else {}
            # a copy that keeps the hashes (no pass over the pool in Python): the others stay
            src = svc.dests
            dests = src.copy() if isinstance(src, MappingProxyType) else dict(src)
            for dkey in sorted(mine):
                attrs = fresh.get(dkey)
                have = current.dests.get(dkey)
                dests.pop(dkey, None)
                if attrs is not None:
                    dests[dkey] = attrs
                    if have is None:
                        adds.append(ipvs_diff.AddDest(key, dkey, attrs))
                    elif have != attrs:
                        adds.append(ipvs_diff.EditDest(key, dkey, attrs))
                elif have is not None:
                    dels.append(ipvs_diff.DelDest(key, dkey))
            services[key] = Service(svc.attrs, dests)
        self.want[i] = IpvsTable(services)
        # as ipvs_diff orders them: a pool is never empty in between
        return adds + dels

    def pending_ops(self) -> list[ipvs_diff.Op]:
        """The commands that bring the changed virtual servers' services to their desired state."""
        ops: list[ipvs_diff.Op] = list(self._released)
        self._released = []
        for i in sorted(self.dirty):
            found = None if i in self.full else self._incremental_ops(i, self.changed.get(i, set()))
            if found is not None:
                ops += found
                continue
            want = self.desired_for(i)
            keys = self.owned[i] | want.services.keys()
            have = IpvsTable({k: self.current[k] for k in keys if k in self.current})
            ops += ipvs_diff.diff(have, want)
            self.owned[i] = frozenset(want.services)
            self.want[i] = want
        self.dirty.clear()
        self.changed.clear()
        self.full.clear()
        return ops

    def sync(self) -> list[ipvs_diff.Op]:
        """Send the pending commands now (synchronously); returns them."""
        ops = self.pending_ops()
        if ops:
            self.send(ops)
        return ops

    def send(self, ops: list[ipvs_diff.Op]) -> None:
        if not self.try_send(ops):
            self.resync()

    def try_send(self, ops: list[ipvs_diff.Op]) -> bool:
        """Send ``ops`` without reading the kernel (False: something was refused, logged; then
        ``resync``, which reads the table and so belongs in the worker thread)."""
        from keepalived_py.adapters.ipvs import IpvsError

        self.ipvs_ops += len(ops)
        try:
            self.backend.apply(ops)
        except (IpvsError, OSError, ValueError) as exc:
            # refusals are keepalived's lines; anything else from the socket is logged too
            for line in exc.lines if isinstance(exc, IpvsError) else [f"IPVS: {exc}"]:
                log.info("%s", line)
            return False
        self.applied(ops)
        return True

    def resync(self) -> None:
        """After a refusal: what the kernel has is known again; what we wanted is computed afresh."""
        self._read_kernel()
        self.want = [None] * len(self.pools)

    def applied(self, ops: list[ipvs_diff.Op]) -> None:
        """Record that the kernel has run ``ops`` (the services they touch, as a table)."""
        keys = {_op_service(op) for op in ops}
        have = IpvsTable({k: self.current[k] for k in keys if k in self.current})
        try:
            after = ipvs_diff.apply(have, ops)
        except ipvs_diff.OpRefused:
            self._read_kernel()
            return
        for k in keys:
            self.current.pop(k, None)
        self.current.update(after.services)

    # -- stop --------------------------------------------------------------------------------

    def stop(self) -> list[ipvs_diff.Op]:
        """keepalived's clear_services at SIGTERM (nothing with ``-I``); returns the commands."""
        ops = self.stop_ops()
        self.release(ops)
        return ops

    def release(self, ops: list[ipvs_diff.Op]) -> None:
        """The backend's part of the stop: send ``ops`` (or flush under lvs_flush_on_stop full)."""
        if self.dont_release:
            return
        if self.config.global_defs.lvs_flush_on_stop == "full":
            self._flush()
            self.current.clear()
        elif ops:
            self.send(ops)

    def stop_ops(self) -> list[ipvs_diff.Op]:
        """The notifications and log lines of a stop; returns the commands that remove our services."""
        for slot in self.slots:
            slot.active = False
        self.heap.clear()
        if self.dont_release:
            return []
        flush_mode = self.config.global_defs.lvs_flush_on_stop
        ops: list[ipvs_diff.Op] = []
        for i, pool in enumerate(self.pools):
            vs = pool.vs
            keys = sorted(k for k in self.owned[i] if k in self.current)
            if not flush_mode:
                in_kernel = {d for k in keys for d in self.current[k].dests}
                for rs in vs.real_servers:
                    server = pool.servers[rs.address]
                    inhibit = (
                        vs.inhibit_on_failure if rs.inhibit_on_failure is None else rs.inhibit_on_failure
                    )
                    log.info(
                        "Shutting down %sservice %s from VS %s",
                        "(inhibited) " if inhibit and not server.alive else "",
                        trio(rs.address, vs.protocol),
                        vs.describe(),
                    )
                    is_set = any(d.address == rs.address.ip for d in in_kernel)
                    if not is_set or not server.alive:
                        continue
                    server.alive = False
                    if vs.omega:
                        self._rs_notifies(vs, rs, False, stopping=True)
                        self.notes.mail_rs_removed(vs, rs, stopping=True)
            total = sum(real_weight(s.weight) for s in pool.servers.values() if s.alive)
            pool.quorum_up = False
            self._vs_notifies(
                vs, False, init=False, threshold=vs.quorum - vs.hysteresis, weight_sum=total, stopping=True
            )
            if flush_mode != "full":
                ops += [ipvs_diff.DelService(k) for k in keys]
        return ops


# -- the daemon ---------------------------------------------------------------------------------


class CheckNotifier:
    """Notifications for real: ScriptRunner, the notify FIFOs, the Mailer."""

    def __init__(self, config: Config, *, run_global_fifo_script: bool, log_detail: bool = False) -> None:
        from keepalived_py.runtime.smtp_alerts import Mailer
        from keepalived_py.runtime.vrrp_notify import ScriptRunner

        self.config = config
        self.scripts = ScriptRunner(config)
        self.mailer = Mailer(config, log_detail=log_detail)
        self.run_global_fifo_script = run_global_fifo_script
        self.fifos: list[Any] = []

    def start(self, umask: int | None) -> None:
        from keepalived_py.adapters.notify_fifo import NotifyFifo
        from keepalived_py.runtime.vrrp_notify import DEFAULT_UMASK

        gd = self.config.global_defs
        mask = gd.umask if gd.umask is not None else umask if umask is not None else DEFAULT_UMASK
        specs = []
        if gd.notify_fifo.name:
            specs.append((gd.notify_fifo, "", self.run_global_fifo_script))
        if gd.lvs_notify_fifo.name:
            if gd.lvs_notify_fifo.name == gd.notify_fifo.name:
                log.info(
                    "notify FIFO %s has been specified for global and LVS FIFO - ignoring LVS FIFO",
                    gd.lvs_notify_fifo.name,
                )
            else:
                specs.append((gd.lvs_notify_fifo, "lvs_", True))
        for spec, kind, with_script in specs:
            assert spec.name is not None
            fifo = NotifyFifo(spec.name, uid=spec.uid, gid=spec.gid, kind=kind)
            run = spec.script if with_script else None

            def before_open(run: Any = run, name: str = spec.name or "") -> None:
                if run is not None:
                    self.scripts.run(run.script, (name,), ids=(run.uid, run.gid), on_exit=_fifo_script_ended)

            if fifo.setup(mask, before_open):
                self.fifos.append(fifo)
        self.mailer.start()

    def script(self, script: Script | None, *, stopping: bool = False) -> None:
        if script is not None:
            self.scripts.run(script)

    def fifo(self, line: bytes) -> None:
        for f in self.fifos:
            f.write(line)

    def mail_rs(
        self, vs: VirtualServer, rs: RealServer, *, kind: str, up: bool, was_alive: bool, alive: bool
    ) -> None:
        self.mailer.real_server(vs, rs, kind=kind, up=up, was_alive=was_alive, alive=alive)

    def mail_rs_removed(self, vs: VirtualServer, rs: RealServer, *, stopping: bool) -> None:
        self.mailer.real_server_removed(vs, rs, stopping=stopping)

    def mail_quorum(
        self,
        vs: VirtualServer,
        *,
        up: bool,
        weight_sum: int,
        init: bool,
        stopping: bool,
        threshold: int | None,
    ) -> None:
        self.mailer.virtual_server_quorum(
            vs, up=up, weight_sum=weight_sum, init=init, stopping=stopping, threshold=threshold
        )

    def terminate(self) -> None:
        self.scripts.terminate()

    async def finish(self) -> None:
        """Stop scripts get keepalived's last second, queued mails theirs."""
        await asyncio.gather(self.scripts.finish(STOP_SCRIPT_GRACE), self.mailer.stop())

    def close(self) -> None:
        for f in self.fifos:
            f.close()
        self.fifos = []


def _fifo_script_ended() -> None:
    log.info("lvs notify fifo script terminated")


def _script_ids(config: Config, script: Script) -> tuple[int, int] | None:
    if script.user:
        try:
            pw = pwd.getpwnam(script.user)
        except KeyError:
            return None
        return pw.pw_uid, pw.pw_gid
    state = config.global_defs.default_script_user
    return (state.uid, state.gid) if state.resolved else None


def default_factory(config: Config) -> CheckerFactory:
    """runtime/checkers.build_checker with the process's TLS context and script settings."""
    from keepalived_py.config.model.checkers import MiscCheck, SslGetCheck
    from keepalived_py.runtime.checkers import build_checker

    needs_tls = any(
        isinstance(c, SslGetCheck)
        for vs in config.lvs.virtual_servers
        for rs in vs.real_servers
        for c in rs.checkers
    )
    tls: ssl.SSLContext | None = None
    if needs_tls:
        from keepalived_py.adapters.probes import make_ssl_context

        tls = make_ssl_context(config.lvs.ssl)
    log_all = config.global_defs.checker_log_all_failures

    def factory(vs: VirtualServer, rs: RealServer, index: int, model: Any) -> Checker | None:
        ids = _script_ids(config, model.script) if isinstance(model, MiscCheck) else None
        return build_checker(vs, rs, index, model, ssl_context=tls, log_all_failures=log_all, script_ids=ids)

    return factory


class CheckDaemon:
    """The checker process's loop: signals, the engine's timer, attempts as tasks, IPVS in a
    worker thread (pyroute2's synchronous socket must not run inside our loop)."""

    def __init__(
        self,
        config: Config,
        opts: Any,
        loop: asyncio.AbstractEventLoop,
        *,
        backend: Callable[[], IpvsBackend],
        notes: Any,
        factory: CheckerFactory | None = None,
    ) -> None:
        self.config = config
        self.opts = opts
        self.loop = loop
        self.notes = notes
        self.backend_factory = backend
        self.factory = factory
        self._default_factory = factory is None
        self.engine: CheckEngine | None = None
        self.stop_event = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._probes: dict[Slot, Any] = {}  # attempts on loop callbacks, to cancel at stop
        self._ipvs = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipvs")
        self._sync_task: asyncio.Task[None] | None = None
        # lvs_timeouts, and lvs_sync_daemon without a VRRP instance (runtime/lvs_globals.py)
        self.lvs = CheckerLvs()

    def now(self) -> int:
        return int(self.loop.time() * US)

    def _arm(self) -> None:
        assert self.engine is not None
        due = self.engine.heap.next_due()
        timer = self._timer
        if due is not None and not self.stop_event.is_set():
            # called after every attempt: a timer that already fires in time is kept (_fire re-arms)
            if timer is not None:
                if timer.when() <= due / US:
                    return
                timer.cancel()
            self._timer = self.loop.call_at(due / US, self._fire)
        elif timer is not None:
            timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        assert self.engine is not None
        self._timer = None
        for slot in self.engine.due_slots(self.now()):
            begin = getattr(slot.checker, "begin", None)
            if begin is not None:
                self._begin(slot, begin)
                continue
            task = self.loop.create_task(self._attempt(slot))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._arm()

    def _begin(self, slot: Slot, begin: Callable[[Callable[[AttemptOutcome], None]], Any]) -> None:
        """An attempt on loop callbacks (TCP_CHECK): no task, ``_ended`` when it is over."""
        was_up = slot.checker.is_up

        def done(outcome: AttemptOutcome) -> None:
            self._probes.pop(slot, None)
            self._ended(slot, outcome, was_up)

        try:
            probe = begin(done)
        except Exception:  # a checker must never stop the process
            log.exception("checker %s of %s failed", slot.checker.KIND, trio(slot.rs.address, None))
            self._probes.pop(slot, None)
            self._ended(slot, slot.checker.skip(self.now()), was_up)
            return
        if probe is not None:
            self._probes[slot] = probe

    def _ended(self, slot: Slot, outcome: AttemptOutcome, was_up: bool) -> None:
        assert self.engine is not None
        try:
            self.engine.handle(slot, outcome, was_up)
        except Exception:
            log.exception("checker %s of %s failed", slot.checker.KIND, trio(slot.rs.address, None))
            slot.running = False
        self._kick()
        self._arm()

    async def _attempt(self, slot: Slot) -> None:
        was_up = slot.checker.is_up
        try:
            outcome = await slot.checker.attempt()
        except Exception:  # a checker must never stop the process
            log.exception("checker %s of %s failed", slot.checker.KIND, trio(slot.rs.address, None))
            outcome = slot.checker.skip(self.now())
        assert self.engine is not None
        self.engine.handle(slot, outcome, was_up)
        self._kick()
        self._arm()

    def _kick(self) -> None:
        if (
            self.engine is not None
            and self.engine.dirty
            and (self._sync_task is None or self._sync_task.done())
        ):
            self._sync_task = self.loop.create_task(self._sync())

    async def _sync(self) -> None:
        assert self.engine is not None
        while self.engine.dirty:
            ops = self.engine.pending_ops()
            if len(ops) > INLINE_IPVS_OPS:
                await self.loop.run_in_executor(self._ipvs, self.engine.send, ops)
            elif ops and not self.engine.try_send(ops):
                # a verdict's few commands go from the loop (the adapter's own netlink socket, tens
                # of microseconds, no thread hop); reading the table back stays in the worker
                await self.loop.run_in_executor(self._ipvs, self.engine.resync)

    async def run(self) -> int:
        from keepalived_py.adapters.ipvs import IpvsError

        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, self.stop_event.set)
        self.loop.add_signal_handler(signal.SIGHUP, self._reload_requested)
        self.loop.add_signal_handler(signal.SIGUSR1, self._print_data)
        startup_signals.release()  # held since the fork (runtime/startup_signals.py)
        engine: CheckEngine | None = None
        try:
            # IPVS calls run in the one worker thread (the socket's creation included), but for
            # a verdict's few commands (_sync)
            try:
                backend = await self.loop.run_in_executor(self._ipvs, self.backend_factory)
            except IpvsError as exc:
                for line in exc.lines:
                    log.info("%s", line)
                return EXIT_FATAL
            try:
                factory = self.factory or default_factory(self.config)
            except ValueError as exc:  # the SSL context's files (keepalived: init_ssl_ctx)
                log.info("%s", exc)
                await self.loop.run_in_executor(self._ipvs, backend.close)
                return EXIT_FATAL
            engine = self.engine = CheckEngine(
                self.config,
                backend,
                self.notes,
                factory=factory,
                dont_release=bool(getattr(self.opts, "dont_release_ipvs", False)),
            )
            self.notes.start(getattr(self.opts, "umask", None))
            address_watch = self._watch_addresses(engine)
            if address_watch is not None:
                try:
                    engine.set_addresses(await self.loop.run_in_executor(self._ipvs, local_addresses))
                except Exception as exc:  # pyroute2's errors are not all OSErrors
                    log.info("Cannot read the local addresses for ha_suspend: %s", exc)
                    engine.set_addresses(())
            await self.loop.run_in_executor(self._ipvs, self.lvs.start, backend, self.config)
            await self.loop.run_in_executor(self._ipvs, engine.prepare)
            engine.start(self.now(), sync=False)
            await self._sync()
            ready_fd = getattr(self.opts, "ready_fd", None)
            if ready_fd is not None:
                with contextlib.suppress(OSError):
                    os.write(ready_fd, b"1")
            self._arm()
            watch = self._watch_files(engine)
            heap_freeze.settle()  # the checkers built: out of the collector's way
            await self.stop_event.wait()
            if watch is not None:
                watch.close()
            if address_watch is not None:
                address_watch.close()
            if self._timer is not None:
                self._timer.cancel()
            for probe in list(self._probes.values()):
                probe.cancel()
            self._probes.clear()
            probes.close_probes(self.loop)
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=1)
            if self._sync_task is not None:
                await asyncio.wait({self._sync_task}, timeout=5)
            # keepalived SIGTERMs running scripts first, then sends the shutdown notifications
            self.notes.terminate()
            ops = engine.stop_ops()
            await self.loop.run_in_executor(self._ipvs, engine.release, ops)
            await self.loop.run_in_executor(self._ipvs, self.lvs.stop, engine.backend)
            await self.notes.finish()
        finally:
            startup_signals.hold()  # a late signal cannot kill the clean-up
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
                self.loop.remove_signal_handler(sig)
            self.notes.close()
            if engine is not None:
                await self.loop.run_in_executor(self._ipvs, engine.backend.close)
            self._ipvs.shutdown(wait=True)
        return 0

    def _watch_addresses(self, engine: CheckEngine) -> Any:
        """ha_suspend: address events (subscribed before the first dump, so none is missed)."""
        if not any(vs.ha_suspend for vs in engine.lvs.virtual_servers):
            return None
        from keepalived_py.adapters.netlink_events import AddressWatch

        try:
            watch = AddressWatch()
        except OSError as exc:
            log.info("Cannot watch addresses for ha_suspend: %s", exc)
            return None

        def changed(events: list[Any]) -> None:
            for ev in events:
                engine.address_changed(ev.address, ev.added)

        watch.attach(self.loop, changed)
        return watch

    def _watch_files(self, engine: CheckEngine) -> Any:
        """inotify on the directories of the FILE_CHECK track files (adapters/file_watch.py)."""
        paths = engine.file_paths()
        if not paths:
            return None
        from keepalived_py.adapters.file_watch import FileWatch

        try:
            watch = FileWatch(os.path.dirname(p) or "." for p in paths)
        except OSError as exc:
            log.info("Cannot watch track files: %s", exc)
            return None
        for directory in watch.failed:
            log.info("Cannot watch track file directory %s", directory)
        detail = bool(getattr(self.opts, "log_detail", False))

        def changed() -> None:
            engine.files_changed(detail=detail)
            self._kick()

        watch.attach(self.loop, changed)
        changed()  # a change between the first read and the watch
        return watch

    def _reload_requested(self) -> None:
        """SIGHUP: keepalived's reload_check_thread (read the file again, keep what stays)."""
        if self.engine is None:
            return
        from keepalived_py.adapters.host import SystemHost
        from keepalived_py.config.loader import LoadOptions, load

        log.info("Reloading")
        opts = self.opts
        result = load(
            opts.config_file,
            SystemHost(),
            LoadOptions(config_id=opts.config_id, all_config=opts.all_config),
        )
        if result.config is None or result.fatal_exit is not None:
            for diag in result.diags.items:
                log.info("%s", diag.render())
            log.info("Reload failed: the configuration in use is kept")
            return
        if self._default_factory:
            try:
                self.engine.factory = default_factory(result.config)
            except ValueError as exc:
                log.info("%s", exc)
                log.info("Reload failed: the configuration in use is kept")
                return
        self.config = result.config
        self.engine.reload(result.config, self.now())
        self._ipvs.submit(functools.partial(self.lvs.start, self.engine.backend, result.config, reload=True))
        self._kick()
        self._arm()
        heap_freeze.settle()

    def _print_data(self) -> None:
        """SIGUSR1: keepalived's ``$TMPDIR/keepalived_check.data``."""
        from keepalived_py.runtime.namespace import dump_file_name
        from keepalived_py.runtime.vrrp_process import tmp_dir

        log.info("Printing checker data for process(%d) on signal", os.getpid())
        name = dump_file_name(
            "keepalived_check.data",
            namespace=getattr(self.opts, "namespace", None),
            instance=self.config.global_defs.instance,
        )
        path = os.path.join(tmp_dir(), name)
        if self.engine is None:
            return
        lines = [f"------< IPVS table (keepalived-py, {len(self.engine.current)} services) >------"]
        lines += IpvsTable(self.engine.current).render()
        lines.append("------< Real servers >------")
        for pool in self.engine.pools:
            lines.append(f" VS {pool.vs.describe()} quorum {'UP' if pool.quorum_up else 'DOWN'}")
            for addr, s in pool.servers.items():
                lines.append(
                    f"   RS {trio(addr, pool.vs.protocol)} {'alive' if s.alive else 'down'} weight {s.weight}"
                    f" failed checkers {s.failed}"
                )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("".join(line + "\n" for line in lines))
        except OSError as exc:
            log.info("Can't open %s (%d: %s)", path, exc.errno or 0, exc.strerror)


def local_addresses() -> list[Any]:
    """Every address of every interface (pyroute2's synchronous socket: call from a worker thread)."""
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        return [
            ip_address(a.get_attr("IFA_LOCAL") or a.get_attr("IFA_ADDRESS"))
            for a in ipr.get_addr()
            if a.get_attr("IFA_LOCAL") or a.get_attr("IFA_ADDRESS")
        ]


def _raise_fd_limit(config: Config) -> None:
    """keepalived's set_checker_max_fds: room for one socket per checker, and some."""
    want = 17 + sum(len(rs.checkers) for vs in config.lvs.virtual_servers for rs in vs.real_servers) + 10
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def run_checker(config: Config, opts: Any, *, run_global_fifo_script: bool = True) -> int:
    """The checker process until SIGTERM/SIGINT; returns its exit status (1: FATAL, as keepalived
    when IPVS cannot be used or the pid file cannot be written)."""

    async def main(loop: asyncio.AbstractEventLoop) -> int:
        log.debug("Initializing ipvs")
        _raise_fd_limit(config)
        notes = CheckNotifier(
            config, run_global_fifo_script=run_global_fifo_script, log_detail=bool(opts.log_detail)
        )
        return await CheckDaemon(config, opts, loop, backend=open_backend, notes=notes).run()

    return run_child(
        title="Healthcheck",
        own_pid_file=opts.checkers_pid_file or DEFAULT_CHECKERS_PID_FILE,
        opts=opts,
        main=main,
    )
