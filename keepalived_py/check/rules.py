"""Per-kind retry and verdict rules of keepalived 2.2.7's checkers, with their log lines (pure).

Each checker kind of keepalived has its own epilog, and they differ in small ways that change
timing; each is reproduced here as a small class fed with the result of an attempt and ``now``
(integer microseconds).  Every rule has ``start(now, warmup_fraction)``, ``due`` (the next
attempt), ``skip(now)`` (no attempt could be made: socket or bind failure, checker suspended:
keepalived reschedules at delay_loop without touching the retry count) and returns an
``AttemptOutcome`` from its result method.  At start keepalived sets every checker's retry
count to ``retry`` (check_data.c), so a first failure is a verdict at once.

* ``TcpRule`` (tcp_epilog; health.CheckerCore): a failure while down is still retried.
* ``UdpRule`` (udp_epilog and icmp_epilog): no retries while the checker is down.
* ``DnsRule`` (dns_final): retries only while up; the failure line says "after N retries".
* ``SmtpRule`` (smtp_final): every regular run starts with a fresh retry count (so even the
  first failure at start is retried), also while down.
* ``MiscRule`` (misc_check_child_thread): exit codes, misc_dynamic weights, the next run counted
  from the start of the previous one.
* ``HttpRule`` (epilog / timeout_epilog): URL by URL, a failed URL is re-checked every
  max(delay_before_retry, delay_loop) until it passes, then all URLs again; ``fast_recovery``.
* ``FileRule`` (process_update_checker_track_file_status): a tracked file's value -> weight.
"""

from __future__ import annotations

from dataclasses import dataclass

from keepalived_py.check.health import BOOTSTRAP_DELAY_US, CheckerCore, CheckerTiming, Verdict

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
IPVS_WEIGHT_FAULT = INT32_MIN


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What one attempt means: a verdict for the real server's state (None: no change to
    report), keepalived's log lines in order, and ``weight_delta``: the change keepalived makes
    to the real server's effective weight (MISC_CHECK misc_dynamic, FILE_CHECK), 0 for none."""

    verdict: Verdict | None = None
    logs: tuple[str, ...] = ()
    weight_delta: int = 0


class _Rule:
    def __init__(self, timing: CheckerTiming, *, alpha: bool, name: str, log_all: bool = False) -> None:
        self.timing = timing
        self.name = name  # keepalived's FMT_CHK: [addr]:proto:port of the real server
        self.log_all = log_all
        self.is_up = not alpha
        self.has_run = False
        self.retry_it = timing.retry
        self.due: int | None = None

    def start(self, now: int, warmup_fraction: float) -> None:
        """Schedule the first attempt (``warmup_fraction`` drawn in [0, 1) by the caller)."""
        fraction = min(max(warmup_fraction, 0.0), 1.0)
        self.due = now + BOOTSTRAP_DELAY_US + int(self.timing.warmup_us * fraction)

    def skip(self, now: int, *logs: str) -> AttemptOutcome:
        self.due = now + self.timing.delay_loop_us
        return AttemptOutcome(None, tuple(logs))

    def _verdict(self, up: bool) -> Verdict:
        self.is_up = up
        self.has_run = True
        return Verdict.UP if up else Verdict.DOWN


class TcpRule(_Rule):
    """TCP_CHECK: keepalived's tcp_epilog (the shared CheckerCore)."""

    def __init__(self, timing: CheckerTiming, *, alpha: bool, name: str, log_all: bool = False) -> None:
        super().__init__(timing, alpha=alpha, name=name, log_all=log_all)
        self.core = CheckerCore(timing, alpha=alpha)

    def start(self, now: int, warmup_fraction: float) -> None:
        self.core.start(now, warmup_fraction)
        self.due = self.core.due

    def skip(self, now: int, *logs: str) -> AttemptOutcome:
        out = super().skip(now, *logs)
        self.core.due = self.due
        return out

    def result(
        self, success: bool, now: int, *, timed_out: bool = False, quiet: bool = False
    ) -> AttemptOutcome:
        """``quiet``: connect() failed at once, which keepalived does not log even with
        log_all_failures."""
        logs: list[str] = []
        if not success and not quiet and self.core.is_up and self.log_all:
            logs.append(f"TCP connection to {self.name} {'timeout' if timed_out else 'failed'}.")
        out = self.core.result(success, now)
        if out.verdict is Verdict.UP:
            logs.append(f"TCP connection to {self.name} success.")
        elif out.verdict is Verdict.DOWN:
            if out.after_retries:
                logs.append(f"TCP_CHECK on service {self.name} failed after {self.timing.retry} retries.")
            else:
                logs.append(f"TCP_CHECK on service {self.name} failed.")
        self.is_up, self.has_run, self.retry_it, self.due = (
            self.core.is_up,
            self.core.has_run,
            self.core.retry_it,
            self.core.due,
        )
        return AttemptOutcome(out.verdict, tuple(logs))


class UdpRule(_Rule):
    """UDP_CHECK (udp_epilog) and PING_CHECK (icmp_epilog): same rule, different words."""

    def __init__(
        self, timing: CheckerTiming, *, alpha: bool, name: str, vs_name: str = "", icmp: bool = False,
        log_all: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(timing, alpha=alpha, name=name, log_all=log_all)
        self.icmp = icmp
        self.vs_name = vs_name

    def result(self, success: bool, now: int, *, detail: str | None = None) -> AttemptOutcome:
        """``detail``: UDP "mismatch" / "failed"; ICMP "timeout" / "failed" (log_all lines);
        "quiet": the datagram could not be sent (keepalived logs no detail line then)."""
        t = self.timing
        logs: list[str] = []
        if not success and detail != "quiet" and self.is_up and self.log_all:
            logs.append(self._detail_line(detail))
        delay = t.delay_loop_us
        verdict = None
        if success or ((self.is_up or not self.has_run) and self.retry_it >= t.retry):
            self.retry_it = 0
            if success and (not self.is_up or not self.has_run):
                word = "ICMP" if self.icmp else "UDP"
                logs.append(f"{word} connection to {self.name} success.")
                verdict = self._verdict(True)
            elif not success and (self.is_up or not self.has_run):
                logs.append(self._failed_line(after=bool(t.retry and self.has_run)))
                verdict = self._verdict(False)
        elif self.is_up:
            delay = t.delay_before_retry_us
            self.retry_it += 1
        self.has_run = True
        self.due = now + delay
        return AttemptOutcome(verdict, tuple(logs))

    def _detail_line(self, detail: str | None) -> str:
        if self.icmp:
            if detail == "timeout":
                return f"ICMP connection to address {self.name} timeout."
            return f"ICMP connection to {self.name} of {self.vs_name} failed."
        if detail == "mismatch":
            return f"UDP check to {self.name} reply data mismatch."
        return f"UDP connection to {self.name} failed."

    def _failed_line(self, *, after: bool) -> str:
        n = self.timing.retry
        if self.icmp:
            if after:
                return f"ICMP CHECK on service {self.name} of {self.vs_name} failed after {n} retries."
            return f"ICMP CHECK on service {self.name} failed."
        if after:
            return f"UDP_CHECK on service {self.name} failed after {n} retries."
        return f"UDP_CHECK on service {self.name} failed."


class DnsRule(_Rule):
    """DNS_CHECK: keepalived's dns_final."""

    def result(self, error: str | None, now: int) -> AttemptOutcome:
        """``error``: keepalived's message ("read timeout from socket", ...), None on success."""
        t = self.timing
        logs: list[str] = []
        verdict = None
        if error is not None:
            if self.is_up or not self.has_run:
                if self.log_all or self.retry_it >= t.retry:
                    text = error
                    if self.has_run and self.retry_it >= t.retry:
                        text += f" after {t.retry} retries"
                    logs.append(f"DNS_CHECK ({self.name}) {text}")
                if self.retry_it < t.retry:
                    self.retry_it += 1
                    self.has_run = True
                    self.due = now + t.delay_before_retry_us
                    return AttemptOutcome(None, tuple(logs))
                verdict = self._verdict(False)
        elif not self.is_up or not self.has_run:
            verdict = self._verdict(True)
        self.retry_it = 0
        self.due = now + t.delay_loop_us
        return AttemptOutcome(verdict, tuple(logs))


class SmtpRule(_Rule):
    """SMTP_CHECK: keepalived's smtp_final; each regular run resets the retry count."""

    def __init__(self, timing: CheckerTiming, *, alpha: bool, name: str, log_all: bool = False) -> None:
        super().__init__(timing, alpha=alpha, name=name, log_all=log_all)
        self.retrying = False

    def begin(self) -> None:
        """An attempt starts (smtp_start_check_thread resets the count, a retry does not)."""
        if not self.retrying:
            self.retry_it = 0

    def skip(self, now: int, *logs: str) -> AttemptOutcome:
        self.retrying = False
        return super().skip(now, *logs)

    def result(self, error: str | None, now: int) -> AttemptOutcome:
        t = self.timing
        logs: list[str] = []
        verdict = None
        if error is not None:
            if (self.is_up or not self.has_run) and (self.log_all or self.retry_it >= t.retry):
                logs.append(f"SMTP_CHECK {error}")
            self.retry_it += 1
            if self.retry_it <= t.retry:
                self.retrying = True
                self.due = now + t.delay_before_retry_us
                return AttemptOutcome(None, tuple(logs))
            if self.is_up or not self.has_run:
                verdict = self._verdict(False)
        else:
            self.retry_it = 0
            if not self.is_up or not self.has_run:
                logs.append(f"Remote SMTP server {self.name} succeed on service.")
                verdict = self._verdict(True)
            self.has_run = True
        self.retrying = False
        self.due = now + t.delay_loop_us
        return AttemptOutcome(verdict, tuple(logs))


@dataclass(frozen=True, slots=True)
class ScriptEnd:
    """How a MISC_CHECK script ended: ``status`` (exited) or ``signal``; ``timed_out`` when it
    died of the SIGTERM/SIGKILL keepalived sent after misc_timeout."""

    status: int | None = None
    signal: int | None = None
    timed_out: bool = False


class MiscRule(_Rule):
    """MISC_CHECK: keepalived's misc_check_child_thread."""

    def __init__(
        self,
        timing: CheckerTiming,
        *,
        alpha: bool,
        name: str,
        vs_name: str,
        script: str,
        dynamic: bool,
        rs_weight: int,
        log_all: bool = False,
    ) -> None:
        super().__init__(timing, alpha=alpha, name=name, log_all=log_all)
        self.vs_name = vs_name
        self.script = script
        self.dynamic = dynamic
        self.rs_weight = rs_weight  # keepalived's rs->iweight
        self.last_exit_code = 0
        self.cur_weight = 0

    def result(self, end: ScriptEnd, started: int, now: int) -> AttemptOutcome:
        """The script started at ``started`` ended as ``end`` at ``now``."""
        t = self.timing
        exit_type: str | None = None
        success = False
        reason: str | None = None
        code = 0
        message_only = False
        delta = 0
        if end.status is not None:
            status = end.status
            if status == 0 or (self.dynamic and 2 <= status <= 255):
                if status != self.last_exit_code:
                    new = status - 2 - self.rs_weight if status else 0
                    delta = new - self.cur_weight
                    self.cur_weight = new
                    self.last_exit_code = status
                if not self.is_up or not self.has_run:
                    exit_type, success = "succeeded", True
                self.retry_it = 0
            elif self.is_up or not self.has_run:
                exit_type, reason, code = "failed", "exited with status", status
                if self.retry_it < t.retry:
                    self.retry_it += 1
                    if self.log_all:
                        message_only = True
                    else:
                        exit_type = None
                else:
                    self.retry_it = 0
                    delta = -self.cur_weight
                    self.cur_weight = 0
                    self.last_exit_code = status
        elif end.signal is not None and (self.is_up or not self.has_run):
            if end.timed_out:
                exit_type = "timed out"
            else:
                exit_type, reason, code = "failed", "due to signal", end.signal
            if self.retry_it < t.retry:
                self.retry_it += 1
                if self.log_all:
                    message_only = True
                else:
                    exit_type = None
            else:
                self.retry_it = 0
        logs: list[str] = []
        verdict = None
        if exit_type is not None:
            message = ""
            if not success:
                if t.retry:
                    word = "retry" if t.retry == 1 else "retries"
                    if self.retry_it == 1:
                        message = f", will do {t.retry} {word}"
                    elif self.retry_it > 1:
                        message = f" on retry {self.retry_it - 1}/{t.retry}"
                    else:
                        message = f" after {t.retry} {word}"
                else:
                    message = " with retry disabled"
            head = f"Misc check for [{self.name} VS {self.vs_name}] by [{self.script}] {exit_type}{message}"
            logs.append(f"{head} ({reason} {code})." if reason else f"{head}.")
            if not message_only:
                verdict = self._verdict(success)
                if not success:
                    self.cur_weight = 0
        self.has_run = True
        self.due = max(started + (t.delay_before_retry_us if self.retry_it else t.delay_loop_us), now)
        return AttemptOutcome(verdict, tuple(logs), delta)


class HttpRule(_Rule):
    """HTTP_GET / SSL_GET: keepalived's epilog and timeout_epilog over the URL list."""

    def __init__(
        self,
        timing: CheckerTiming,
        *,
        alpha: bool,
        name: str,
        urls: int,
        fast_recovery: bool = False,
        log_all: bool = False,
    ) -> None:
        super().__init__(timing, alpha=alpha, name=name, log_all=log_all)
        self.urls = urls
        self.url_it: int | None = 0 if urls else None
        self.failed_url: int | None = None
        self.fast_recovery = fast_recovery

    def success(self, now: int, message: str, path: str) -> AttemptOutcome:
        """The current URL passed (``message``: "HTTP status code", "MD5 digest", "Regex match")."""
        logs = [] if self.is_up else [f"{message} success to {self.name} url({path})"]
        out = self._epilog("new", now)
        return AttemptOutcome(out.verdict, (*logs, *out.logs))

    def failure(self, now: int, message: str) -> AttemptOutcome:
        """timeout_epilog with keepalived's message ("Timeout connecting", ...)."""
        if self.is_up or not self.has_run:
            logs = [f"{message} server {self.name}."] if self.log_all else []
            self.has_run = True
            out = self._epilog("retry", now)
            return AttemptOutcome(out.verdict, (*logs, *out.logs))
        return self._epilog("failed", now)

    def _epilog(self, method: str, now: int) -> AttemptOutcome:
        t = self.timing
        logs: list[str] = []
        verdict = None
        if method == "new":
            assert self.url_it is not None or not self.urls
            nxt = (self.url_it + 1) if self.url_it is not None else self.urls
            self.url_it = nxt if nxt < self.urls else None
            self.retry_it = 0
        elif method == "retry":
            self.retry_it += 1
        if method == "new" and self.url_it is None and self.failed_url is None:
            if not self.is_up or not self.has_run:
                logs.append(f"Remote Web server {self.name} succeed on service.")
                verdict = self._verdict(True)
            self.url_it = 0 if self.urls else None
            self.retry_it = 0
        elif method == "retry" and self.retry_it > t.retry:
            if self.is_up or not self.has_run:
                if self.has_run and t.retry:
                    logs.append(
                        f"HTTP_CHECK on service {self.name} failed after {self.retry_it - 1} retries."
                    )
                else:
                    logs.append(f"HTTP_CHECK on service {self.name} failed.")
                verdict = self._verdict(False)
            self.failed_url = self.url_it
        elif method == "new" and self.failed_url is not None:
            self.failed_url = None
            self.url_it = 0
            self.retry_it = 0
        if method == "new":
            delay = t.delay_loop_us
            if not self.has_run:
                self.retry_it = t.retry
        elif self.failed_url is not None:
            delay = max(t.delay_before_retry_us, t.delay_loop_us)
        else:
            delay = t.delay_before_retry_us
        if self.fast_recovery and (not self.has_run or (not self.is_up and self.failed_url is None)):
            delay = 0
        self.due = now + delay
        return AttemptOutcome(verdict, tuple(logs))


def file_status(weight: int, reverse: bool, value: int) -> int:
    """keepalived's status of a tracked file for a real server (IPVS_WEIGHT_FAULT = down)."""
    multiplier = -1 if reverse else 1
    if weight == 0:
        return IPVS_WEIGHT_FAULT if (value != 0) == (multiplier == 1) else 0
    return max(INT32_MIN, min(INT32_MAX, value * weight * multiplier))


class FileRule:
    """FILE_CHECK: a tracked file's value moves the real server's weight, or puts it down."""

    def __init__(self, *, weight: int, reverse: bool, value: int) -> None:
        self.weight = weight
        self.reverse = reverse
        self.value = value
        status = file_status(weight, reverse, value)
        self.is_up = status > IPVS_WEIGHT_FAULT
        # keepalived's set_track_file_weights: the start weight of the real server
        self.cur_weight = status if weight and self.is_up else 0

    def update(self, value: int) -> AttemptOutcome:
        previous = file_status(self.weight, self.reverse, self.value)
        new = file_status(self.weight, self.reverse, value)
        self.value = value
        if previous == new:
            return AttemptOutcome()
        if new == IPVS_WEIGHT_FAULT:
            delta, self.cur_weight = -self.cur_weight, 0
            self.is_up = False
            return AttemptOutcome(Verdict.DOWN, (), delta)
        if previous == IPVS_WEIGHT_FAULT:
            delta, self.cur_weight = new - self.cur_weight, new
            self.is_up = True
            return AttemptOutcome(Verdict.UP, (), delta)
        self.cur_weight = new
        return AttemptOutcome(None, (), new - previous)
