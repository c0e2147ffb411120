"""Health checkers as the checker process uses them: one object per configured checker.

    checker = build_checker(vs, rs, index, rs.checkers[index], ssl_context=ctx)
    checker.start(now_us(), random.random())      # first attempt: 1 s + a share of warmup
    ...when now_us() >= checker.due:
        outcome = await checker.attempt()         # one attempt (connect, exchange, close)
        for line in outcome.logs: log.info(line)   # keepalived's words, in its order
        if outcome.weight_delta: effective weight += delta   (MISC misc_dynamic)
        if outcome.verdict: pool.checker_verdict(rs.address, index, outcome.verdict)
    checker.skip(now_us())                        # instead of attempt() while suspended
                                                  # (ha_suspend): next try a delay_loop later

``TcpChecker`` also has ``begin(done)``: the same attempt on plain loop callbacks (no Task,
no Future), ``done(outcome)`` called when it ends; the checker process uses it where present.

``checker.build_logs`` holds what keepalived logs about the checker while reading the config
(an HTTP regex that does not compile): log it once at start.

Times are integer microseconds of the event loop's monotonic clock (``now_us``); ``due`` is
updated by ``attempt``/``skip`` and is None before ``start``.  ``attempt`` never raises for
anything the network or a script does; it must not be called twice at once on one checker.
The verdict follows keepalived's rules per kind (``keepalived_py/check/rules.py``): it is given
when keepalived calls update_svr_checker_state (also the first verdict after start, which may
equal the initial state: ``PoolState.checker_verdict`` handles that as keepalived does).

FILE_CHECK has no attempts: ``build_checker`` returns None for it and ``build_file_checker``
makes a ``FileChecker`` (``is_up``, ``start_weight_delta`` at start, then ``update(value)`` from
the track_file watcher); BFD_CHECK gives None (the BFD process reports it).
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
from collections.abc import Callable, Mapping
from typing import Any

from keepalived_py.adapters import probes
from keepalived_py.adapters.script_runner import SCRIPT_PATH
from keepalived_py.check.health import CheckerTiming
from keepalived_py.check.probes import dns as dnsp
from keepalived_py.check.probes import http as httpp
from keepalived_py.check.probes.endpoint import Endpoint, resolve_endpoint
from keepalived_py.check.rules import (
    AttemptOutcome,
    DnsRule,
    FileRule,
    HttpRule,
    MiscRule,
    ScriptEnd,
    SmtpRule,
    TcpRule,
    UdpRule,
)
from keepalived_py.config.model.checkers import (
    BfdCheck,
    DnsCheck,
    FileCheck,
    HttpGetCheck,
    MiscCheck,
    PingCheck,
    SmtpCheck,
    SslGetCheck,
    TcpCheck,
    UdpCheck,
    resolve_timing,
)
from keepalived_py.config.model.lvs import RealServer, VirtualServer, trio
from keepalived_py.config.model.trackers import TrackFile

US = 1_000_000
_UNSAFE_ENV = ("IFS", "LD_PRELOAD", "LD_LIBRARY_PATH")


def now_us() -> int:
    return int(asyncio.get_running_loop().time() * US)


def checker_timing(vs: VirtualServer, rs: RealServer, model: Any) -> CheckerTiming:
    """keepalived's inheritance checker <- real server <- virtual server <- kind default."""

    def rs_or_vs(name: str) -> Any:
        v = getattr(rs, name)
        return v if v is not None else getattr(vs, name)

    t = resolve_timing(
        model,
        delay_loop=rs_or_vs("delay_loop"),
        rs_retry=rs_or_vs("retry"),
        rs_delay_before_retry=rs_or_vs("delay_before_retry"),
        rs_warmup=rs_or_vs("warmup"),
    )
    return CheckerTiming(
        delay_loop_us=t.delay_loop,
        retry=t.retry,
        delay_before_retry_us=t.delay_before_retry,
        warmup_us=t.warmup,
    )


def checker_alpha(vs: VirtualServer, rs: RealServer, model: Any) -> bool:
    for v in (getattr(model, "alpha", None), rs.alpha):
        if v is not None:
            return bool(v)
    return vs.alpha


class HealthChecker:
    """What every checker kind shares: its rule (schedule, retries, verdicts) and endpoint."""

    KIND = ""
    rule: Any

    def __init__(self, vs: VirtualServer, rs: RealServer, index: int, model: Any, *, log_all: bool) -> None:
        self.vs = vs
        self.rs = rs
        self.index = index
        self.model = model
        self.KIND = str(getattr(model, "KIND", self.KIND))  # SSL_GET shares HttpChecker
        self.name = trio(rs.address, vs.protocol)
        self.timing = checker_timing(vs, rs, model)
        self.alpha = checker_alpha(vs, rs, model)
        self.log_all = log_all or bool(getattr(model, "log_all_failures", False))
        self.endpoint: Endpoint = resolve_endpoint(vs, rs, model)
        # lines keepalived logs while reading the config (HTTP: "Invalid regex ..."): log at start
        self.build_logs: list[str] = []

    @property
    def due(self) -> int | None:
        due: int | None = self.rule.due
        return due

    @property
    def is_up(self) -> bool:
        return bool(self.rule.is_up)

    def start(self, now: int, warmup_fraction: float) -> None:
        self.rule.start(now, warmup_fraction)

    def skip(self, now: int) -> AttemptOutcome:
        outcome: AttemptOutcome = self.rule.skip(now)
        return outcome

    async def attempt(self) -> AttemptOutcome:
        raise NotImplementedError


class TcpChecker(HealthChecker):
    KIND = "TCP_CHECK"
    rule: TcpRule

    def __init__(
        self, vs: VirtualServer, rs: RealServer, index: int, model: TcpCheck, *, log_all: bool
    ) -> None:
        super().__init__(vs, rs, index, model, log_all=log_all)
        self.rule = TcpRule(self.timing, alpha=self.alpha, name=self.name, log_all=self.log_all)

    def _outcome(self, status: str) -> AttemptOutcome:
        now = now_us()
        if status == "nosocket":
            return self.rule.skip(now, "TCP connect fail to create socket. Rescheduling.")
        if status == "error":
            return self.rule.skip(now, "TCP socket bind failed. Rescheduling.")
        result: AttemptOutcome = self.rule.result(
            status == "success", now, timed_out=status == "timeout", quiet=status == "fail_now"
        )
        return result

    async def attempt(self) -> AttemptOutcome:
        conn = await probes.tcp_attempt(self.endpoint)
        return self._outcome(conn.status)

    def begin(self, done: Callable[[AttemptOutcome], object]) -> probes.TcpProbe | None:
        """``attempt`` without a coroutine: ``done(outcome)`` is called from a loop callback (or
        before returning, then None is returned); the probe returned can be cancelled."""

        def ended(status: str, err: int) -> None:
            done(self._outcome(status))

        return probes.tcp_probe(asyncio.get_running_loop(), self.endpoint, ended)


class HttpChecker(HealthChecker):
    KIND = "HTTP_GET"
    rule: HttpRule

    def __init__(
        self,
        vs: VirtualServer,
        rs: RealServer,
        index: int,
        model: HttpGetCheck,
        *,
        log_all: bool,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(vs, rs, index, model, log_all=log_all)
        self.http = model
        self.tls = ssl_context if isinstance(model, SslGetCheck) else None
        if isinstance(model, SslGetCheck) and self.tls is None:
            self.tls = probes.make_ssl_context(None)
        self.rule = HttpRule(
            self.timing,
            alpha=self.alpha,
            name=self.name,
            urls=len(model.urls),
            fast_recovery=model.fast_recovery,
            log_all=self.log_all,
        )
        self.regexes: list[re.Pattern[bytes] | None] = []
        for url in model.urls:
            compiled: re.Pattern[bytes] | str | None = None
            if url.regex is not None:
                compiled = httpp.compile_regex(url.regex, url.regex_options)
                if isinstance(compiled, str):
                    self.build_logs.append(compiled)
                    compiled = None
            self.regexes.append(compiled if not isinstance(compiled, str) else None)
        self.len_mismatch = [0] * len(model.urls)

    async def attempt(self) -> AttemptOutcome:
        i = self.rule.url_it
        if i is None:
            return self.rule.success(now_us(), "HTTP status code", "")
        url = self.http.urls[i]
        ep = self.endpoint
        vhost = httpp.request_vhost(url, self.http.virtualhost, self.rs.virtualhost, self.vs.virtualhost)
        request = httpp.build_request(
            url.path, protocol=self.http.http_protocol, vhost=vhost, dst=ep.dst, port=ep.port
        )
        sni = (
            httpp.sni_name(url, self.http.virtualhost, self.vs.virtualhost) if self.http.enable_sni else None
        )
        result = await probes.http_attempt(
            ep, url, request=request, tls=self.tls, sni=sni, regex=self.regexes[i]
        )
        now = now_us()
        if result.skipped:
            return self.rule.skip(now, *result.logs)
        if result.failure is not None or result.response is None:
            out: AttemptOutcome = self.rule.failure(now, result.failure or "Error connecting")
            return out
        verdict = httpp.judge(url, result.response)
        logs: list[str] = []
        if verdict.message not in ("Read, no data received from ", "HTTP status code error to"):
            mismatch = verdict.length_mismatch or 0
            if mismatch and mismatch != self.len_mismatch[i]:
                logs.append(
                    f"http_check for RS {self.name} VS {self.vs.describe()}"
                    f" url {url.virtualhost or ''}{url.path}:"
                    f" content_length ({result.response.content_length}) does not match received bytes"
                    f" ({result.response.rx_bytes})"
                )
            self.len_mismatch[i] = mismatch
        out = (
            self.rule.success(now, verdict.message, url.path)
            if verdict.ok
            else self.rule.failure(now, verdict.message)
        )
        return AttemptOutcome(out.verdict, (*logs, *out.logs), out.weight_delta)


class SmtpChecker(HealthChecker):
    KIND = "SMTP_CHECK"
    rule: SmtpRule

    def __init__(
        self, vs: VirtualServer, rs: RealServer, index: int, model: SmtpCheck, *, log_all: bool
    ) -> None:
        super().__init__(vs, rs, index, model, log_all=log_all)
        self.helo_name = model.helo_name
        self.rule = SmtpRule(self.timing, alpha=self.alpha, name=self.name, log_all=self.log_all)

    async def attempt(self) -> AttemptOutcome:
        self.rule.begin()
        rs_pair = f"[{self.rs.address.ip}]:{self.rs.address.port}"
        skipped, error, logs = await probes.smtp_attempt(
            self.endpoint, helo_name=self.helo_name, rs_pair=rs_pair
        )
        now = now_us()
        if skipped:
            return self.rule.skip(now, *logs)
        out = self.rule.result(error, now)
        return AttemptOutcome(out.verdict, (*logs, *out.logs))


class DnsChecker(HealthChecker):
    KIND = "DNS_CHECK"
    rule: DnsRule

    def __init__(
        self, vs: VirtualServer, rs: RealServer, index: int, model: DnsCheck, *, log_all: bool
    ) -> None:
        super().__init__(vs, rs, index, model, log_all=log_all)
        self.qtype = dnsp.type_code(model.type) or dnsp.DNS_TYPES["SOA"]
        self.qname = model.name
        self.rule = DnsRule(self.timing, alpha=self.alpha, name=self.name, log_all=self.log_all)

    async def attempt(self) -> AttemptOutcome:
        skipped, error = await probes.dns_attempt(self.endpoint, name=self.qname, qtype=self.qtype)
        now = now_us()
        if skipped:
            return self.rule.skip(now, f"DNS_CHECK ({self.name}) {error}")
        result: AttemptOutcome = self.rule.result(error, now)
        return result


class UdpChecker(HealthChecker):
    KIND = "UDP_CHECK"
    rule: UdpRule

    def __init__(
        self, vs: VirtualServer, rs: RealServer, index: int, model: UdpCheck, *, log_all: bool
    ) -> None:
        super().__init__(vs, rs, index, model, log_all=log_all)
        self.udp = model
        self.rule = UdpRule(self.timing, alpha=self.alpha, name=self.name, log_all=self.log_all)

    async def attempt(self) -> AttemptOutcome:
        m = self.udp
        skipped, failure = await probes.udp_attempt(
            self.endpoint,
            payload=m.payload,
            require_reply=m.require_reply,
            reply_data=m.reply_data,
            reply_mask=m.reply_mask,
            min_length=m.min_reply_length,
            max_length=m.max_reply_length,
        )
        now = now_us()
        if skipped:
            return self.rule.skip(now, "UDP connect fail to create socket. Rescheduling.")
        result: AttemptOutcome = self.rule.result(failure is None, now, detail=failure)
        return result


class PingChecker(HealthChecker):
    KIND = "PING_CHECK"
    rule: UdpRule

    def __init__(
        self, vs: VirtualServer, rs: RealServer, index: int, model: PingCheck, *, log_all: bool
    ) -> None:
        super().__init__(vs, rs, index, model, log_all=log_all)
        self.rule = UdpRule(
            self.timing,
            alpha=self.alpha,
            name=self.name,
            vs_name=vs.describe(),
            icmp=True,
            log_all=self.log_all,
        )

    async def attempt(self) -> AttemptOutcome:
        skipped, failure, logs = await probes.icmp_attempt(self.endpoint)
        now = now_us()
        if skipped:
            return self.rule.skip(now, *logs)
        out = self.rule.result(failure is None, now, detail=failure)
        return AttemptOutcome(out.verdict, (*logs, *out.logs))


def default_script_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _UNSAFE_ENV}
    env["PATH"] = SCRIPT_PATH
    return env


class MiscChecker(HealthChecker):
    KIND = "MISC_CHECK"
    rule: MiscRule

    def __init__(
        self,
        vs: VirtualServer,
        rs: RealServer,
        index: int,
        model: MiscCheck,
        *,
        log_all: bool,
        env: Mapping[str, str] | None = None,
        ids: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(vs, rs, index, model, log_all=log_all)
        self.misc = model
        self.env = dict(env) if env is not None else default_script_env()
        self.ids = ids
        # keepalived: misc_timeout, else the virtual server's delay_loop
        self.timeout_us = model.timeout or vs.delay_loop
        self.rule = MiscRule(
            self.timing,
            alpha=self.alpha,
            name=self.name,
            vs_name=vs.describe(),
            script=model.script.args[0],
            dynamic=model.dynamic,
            rs_weight=rs.weight if rs.weight is not None else vs.weight,
            log_all=self.log_all,
        )

    async def attempt(self) -> AttemptOutcome:
        started = now_us()
        outcome = await probes.misc_attempt(
            self.misc.script.args, env=self.env, ids=self.ids, timeout_us=self.timeout_us
        )
        now = now_us()
        if outcome.kind == "not_run":
            # keepalived's child logs the exec failure and exits 0: "script errors aren't
            # server errors"
            out = self.rule.result(ScriptEnd(status=0), started, now)
            line = f"Error exec-ing command '{self.misc.script.args[0]}'"
            return AttemptOutcome(out.verdict, (line, *out.logs), out.weight_delta)
        if outcome.kind == "timed_out":
            end = ScriptEnd(signal=outcome.signal or 9, timed_out=True)
        elif outcome.signal is not None:
            end = ScriptEnd(signal=outcome.signal)
        else:
            end = ScriptEnd(status=outcome.status or 0)
        result: AttemptOutcome = self.rule.result(end, started, now)
        return result


class FileChecker:
    """FILE_CHECK: no attempts; the track_file watcher feeds values (``weight`` resolved from the
    track_file when the checker has none)."""

    KIND = "FILE_CHECK"

    def __init__(self, vs: VirtualServer, rs: RealServer, index: int, model: FileCheck, *, weight: int,
                 reverse: bool, value: int = 0) -> None:  # fmt: skip
        self.vs, self.rs, self.index, self.model = vs, rs, index, model
        self.rule = FileRule(weight=weight, reverse=reverse, value=value)

    @property
    def is_up(self) -> bool:
        return self.rule.is_up

    @property
    def start_weight_delta(self) -> int:
        """The weight the file adds at start (keepalived's set_track_file_weights)."""
        return self.rule.cur_weight

    def update(self, value: int) -> AttemptOutcome:
        return self.rule.update(value)


def build_file_checker(
    vs: VirtualServer, rs: RealServer, index: int, model: FileCheck, track: TrackFile, value: int
) -> FileChecker:
    """FILE_CHECK ``model`` on ``track`` whose file holds ``value`` at start (read it with
    vrrp.tracking.parse_track_file); the checker's weight, else the track_file's."""
    if model.weight is None:
        weight, reverse = track.weight, track.weight_reverse
    else:
        weight, reverse = model.weight, model.reverse
    return FileChecker(vs, rs, index, model, weight=weight, reverse=reverse, value=value)


AnyHealthChecker = HealthChecker


def build_checker(
    vs: VirtualServer,
    rs: RealServer,
    index: int,
    model: Any,
    *,
    ssl_context: ssl.SSLContext | None = None,
    log_all_failures: bool = False,
    script_env: Mapping[str, str] | None = None,
    script_ids: tuple[int, int] | None = None,
) -> HealthChecker | None:
    """The checker for ``rs.checkers[index]`` (``model``); None for FILE_CHECK and BFD_CHECK
    (not scheduled here).  ``log_all_failures``: global_defs checker_log_all_failures."""
    if isinstance(model, HttpGetCheck):
        return HttpChecker(vs, rs, index, model, log_all=log_all_failures, ssl_context=ssl_context)
    if isinstance(model, TcpCheck):
        return TcpChecker(vs, rs, index, model, log_all=log_all_failures)
    if isinstance(model, SmtpCheck):
        return SmtpChecker(vs, rs, index, model, log_all=log_all_failures)
    if isinstance(model, DnsCheck):
        return DnsChecker(vs, rs, index, model, log_all=log_all_failures)
    if isinstance(model, UdpCheck):
        return UdpChecker(vs, rs, index, model, log_all=log_all_failures)
    if isinstance(model, PingCheck):
        return PingChecker(vs, rs, index, model, log_all=log_all_failures)
    if isinstance(model, MiscCheck):
        return MiscChecker(vs, rs, index, model, log_all=log_all_failures, env=script_env, ids=script_ids)
    if isinstance(model, (FileCheck, BfdCheck)):
        return None
    return None
