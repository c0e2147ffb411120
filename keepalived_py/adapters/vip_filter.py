"""The only code that talks to nftables: accept mode's drop rules, through ``nft -f -``.

keepalived 2.2.7 sends its own netlink batches; we hand ``nft`` a script per change (built by
the pure ``keepalived_py.vrrp.vip_filter_rules``), which nft turns into one netlink transaction
with the same objects and byte code.  Scripts run as asyncio subprocesses, one at a time and in
the order the instances asked (a FIFO worker), so the event loop and the adverts never wait for
nft.  The cost is that a VIP can be on the interface a few milliseconds before its drop rule
(keepalived blocks on its netlink exchange instead); on the way out the VIP goes first.

When the VRRP process ends (also on an error: ``close()`` belongs in a ``finally``), pending
changes are finished and the tables deleted, as keepalived's ``nft_end``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import subprocess
from dataclasses import dataclass

from keepalived_py.vrrp.vip_filter_rules import IP, IP6, Change, FilterEntry, FilterOptions, VipFilterTables

log = logging.getLogger(__name__)

NFT = "nft"
# seconds nft may take for one script before we give up on it
NFT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class _Job:
    instance: str
    entries: tuple[FilterEntry, ...]
    add: bool


class VipFilter:
    """keepalived's VRRP firewall for one process: tables, jobs, the nft runner."""

    def __init__(
        self,
        options: FilterOptions,
        loop: asyncio.AbstractEventLoop,
        *,
        nft: str = NFT,
    ) -> None:
        self.tables = VipFilterTables(options)
        self.loop = loop
        self.nft = shutil.which(nft) or nft
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._closed = False
        self._broken = False
        # scripts that failed (tests and stats)
        self.errors = 0

    # -- requests (from the drivers, synchronous) -----------------------------------------

    def add(self, instance: str, entries: tuple[FilterEntry, ...]) -> None:
        self._submit(_Job(instance, entries, True))

    def remove(self, instance: str, entries: tuple[FilterEntry, ...]) -> None:
        self._submit(_Job(instance, entries, False))

    def _submit(self, job: _Job) -> None:
        if self._closed or not job.entries:
            return
        self._queue.put_nowait(job)
        if self._worker is None:
            self._worker = self.loop.create_task(self._work())

    async def drain(self) -> None:
        """Wait until every change asked for so far is in the kernel (or has failed)."""
        await self._queue.join()

    async def close(self) -> None:
        """Finish pending changes, then delete our tables (keepalived's firewall_fini)."""
        if self._closed:
            return
        self._closed = True
        if self._worker is not None:
            self._queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await self._worker
            self._worker = None
        await self._apply(self.tables.cleanup())

    def close_now(self) -> None:
        """The loop is not running (an error path): delete our tables synchronously."""
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        change = self.tables.cleanup()
        if change.script and not self._broken:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    [self.nft, "-f", "-"],
                    input=change.script.encode(),
                    capture_output=True,
                    timeout=NFT_TIMEOUT,
                    check=False,
                )

    # -- the worker -------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                if job is None:
                    return
                await self._do(job)
            except Exception:
                log.exception("nftables: error applying a change")
            finally:
                self._queue.task_done()

    async def _do(self, job: _Job) -> None:
        if job.add:
            existing: tuple[str, ...] = ()
            if self.tables.first_setup_pending:
                existing = await self._existing_tables()
            change = self.tables.add(job.instance, job.entries, existing=existing)
        else:
            change = self.tables.remove(job.instance, job.entries)
        await self._apply(change)

    async def _apply(self, change: Change) -> None:
        for line in change.logs:
            log.info("%s", line)
        if change.script:
            code, err = await self._run([self.nft, "-f", "-"], change.script)
            if code != 0:
                self.errors += 1
                log.info("nftables: nft -f failed (%d): %s", code, " ".join(err.split()) or "no message")

    async def _existing_tables(self) -> tuple[str, ...]:
        """The families in which a table of our name is left (a crash): keepalived deletes them."""
        code, out = await self._run([self.nft, "list", "tables"], None, want_stdout=True)
        if code != 0:
            return ()
        found = set()
        for line in out.splitlines():
            words = line.split()
            if len(words) == 3 and words[0] == "table" and words[2] == self.tables.options.table:
                found.add(words[1])
        return tuple(f for f in (IP, IP6) if f in found)

    async def _run(self, argv: list[str], stdin: str | None, *, want_stdout: bool = False) -> tuple[int, str]:
        """Run nft; (status, stderr or stdout).  A missing nft is reported once."""
        if self._broken:
            return 127, ""
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            self._broken = True
            log.info("nftables: cannot run %s (%s) - no firewall drop rules", argv[0], exc.strerror)
            return 127, ""
        try:
            out, err = await asyncio.wait_for(
                proc.communicate(stdin.encode() if stdin is not None else None), NFT_TIMEOUT
            )
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            return -1, "timed out"
        text = (out if want_stdout else err).decode(errors="replace")
        return proc.returncode if proc.returncode is not None else -1, text


class InstanceFilter:
    """One instance's part: what its driver calls around adding and removing its addresses."""

    def __init__(
        self, vip_filter: VipFilter, name: str, entries: tuple[FilterEntry, ...], *, detail: bool
    ) -> None:
        self.vip_filter = vip_filter
        self.name = name
        self.entries = entries
        self.detail = detail

    def add(self) -> None:
        """Becoming MASTER: before the VIPs go on."""
        if self.detail:
            log.info("(%s) setting firewall drop rule", self.name)
        self.vip_filter.add(self.name, self.entries)

    def remove(self) -> None:
        """Leaving MASTER: after the VIPs are off."""
        if self.detail:
            log.info("(%s) removing firewall drop rule", self.name)
        self.vip_filter.remove(self.name, self.entries)
