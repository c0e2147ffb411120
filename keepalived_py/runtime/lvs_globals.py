"""``lvs_timeouts`` and ``lvs_sync_daemon`` carried out (decisions: check/lvs_globals.py).

``CheckerLvs`` is the checker process's part (the timeouts, and the sync daemons when no VRRP
instance drives them); its methods run in the checker's IPVS worker thread, with its backend.
An in-memory backend ($KEEPALIVED_PY_IPVS) has neither timeouts nor daemons: nothing is done.

``VrrpLvs`` is the VRRP process's part (the sync daemons that follow an instance).  It opens its
own IPVS socket, as keepalived's VRRP child does, and sends from one worker thread (pyroute2's
synchronous socket cannot run inside the loop; one thread keeps the commands in order).  With
$KEEPALIVED_PY_IPVS set (an in-memory IPVS table, for kernels without IPVS) it does nothing either.

Refusals are logged with keepalived's words ("IPVS cmd IP_VS_SO_SET_STARTDAEMON(1163) error:
...", "Failed to set ipvs timeouts"), except where keepalived ignores them.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
from collections.abc import Iterable
from ipaddress import ip_address
from typing import Any

from keepalived_py.check import lvs_globals as plan
from keepalived_py.config.model import Config

log = logging.getLogger(__name__)


def send_syncd(backend: Any, cmds: Iterable[plan.SyncdCommand]) -> None:
    """Send daemon commands through an adapters.ipvs.IpvsAdapter (in its thread)."""
    from keepalived_py.adapters.ipvs import IpvsError, SyncDaemon

    for cmd in cmds:
        s = cmd.settings
        daemon = SyncDaemon(
            cmd.state,
            s.ifname,
            s.syncid,
            maxlen=s.maxlen,
            group=ip_address(s.group) if s.group else None,
            port=s.port,
            ttl=s.ttl,
        )
        try:
            if cmd.start:
                backend.start_sync_daemon(daemon)
            else:
                backend.stop_sync_daemon(daemon)
        except IpvsError as exc:
            if not cmd.ignore_error:
                for line in exc.lines:
                    log.info("%s", line)


class CheckerLvs:
    """The checker's timeouts and (instance-less) sync daemons across start, reloads and stop."""

    def __init__(self) -> None:
        self.keeper = plan.TimeoutKeeper()
        self.syncd: plan.SyncdSettings | None = None

    def start(self, backend: Any, config: Config, *, reload: bool = False) -> None:
        """keepalived's start_check: the timeouts, then the daemons."""
        if reload:
            log.debug("Reinitializing ipvs")
        if not hasattr(backend, "set_timeouts"):
            return
        wanted = plan.configured_timeouts(config.global_defs.lvs_timeouts)
        if wanted is not None or reload:
            self._set_timeouts(backend, wanted)
        settings = plan.checker_syncd(config)
        send_syncd(backend, plan.checker_start(settings, self.syncd, reload=reload))
        self.syncd = settings

    def stop(self, backend: Any) -> None:
        """keepalived's checker_terminate_phase2: both daemons stopped, the timeouts put back."""
        if not hasattr(backend, "set_timeouts"):
            return
        send_syncd(backend, plan.checker_stop(self.syncd))
        if self.keeper.original is not None:
            self._set_timeouts(backend, None, quiet=True)

    def _set_timeouts(self, backend: Any, wanted: plan.Timeouts | None, *, quiet: bool = False) -> None:
        from keepalived_py.adapters.ipvs import IpvsError

        read_first, send = self.keeper.plan(wanted)
        if not send:
            return
        original = self.keeper.original or (0, 0, 0)
        if read_first:
            try:
                original = self.keeper.original = backend.timeouts()
            except IpvsError:
                log.info("Failed to get IPVS timeouts")
        try:
            backend.set_timeouts(*plan.timeouts_to_send(wanted, original))
        except IpvsError:
            if not quiet:
                log.info("Failed to set ipvs timeouts")


class VrrpLvs:
    """The sync daemons that follow a VRRP instance (None from ``create`` when there are none)."""

    def __init__(self, instance: str, settings: plan.SyncdSettings) -> None:
        self.syncd = plan.VrrpSyncd(instance, settings)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipvs-syncd")
        self._adapter: Any = None

    @classmethod
    def create(cls, config: Config) -> VrrpLvs | None:
        if os.environ.get("KEEPALIVED_PY_IPVS"):
            return None
        found = plan.vrrp_syncd(config)
        return None if found is None else cls(*found)

    def open(self) -> list[str]:
        """The IPVS socket; keepalived's lines when IPVS cannot be used (then stop: FATAL)."""
        from keepalived_py.adapters.ipvs import IpvsAdapter, IpvsError

        try:
            self._adapter = self._pool.submit(IpvsAdapter).result()
        except IpvsError as exc:
            self._pool.shutdown(wait=True)
            return exc.lines
        return []

    def _send(self, cmds: list[plan.SyncdCommand]) -> None:
        if cmds and self._adapter is not None:
            self._pool.submit(send_syncd, self._adapter, cmds)

    def start(self) -> None:
        self._send(self.syncd.start())

    def instance_state(self, instance: str, kind: str) -> None:
        if instance == self.syncd.instance:
            self._send(self.syncd.state(kind))

    def reload(self, config: Config, master_of: dict[str, bool]) -> None:
        """After a reload: the new settings (keepalived keeps daemons a configuration drops)."""
        found = plan.vrrp_syncd(config)
        if found is None:
            return
        instance, settings = found
        log.debug("Reinitializing ipvs")
        self._send(self.syncd.reload(instance, settings, master=master_of.get(instance, False)))

    def close(self) -> None:
        """Wait for the commands sent (the STOP's included), then close the socket."""
        if self._adapter is not None:
            self._pool.submit(self._adapter.close)
            self._adapter = None
        self._pool.shutdown(wait=True)
