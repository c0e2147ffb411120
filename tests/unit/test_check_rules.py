"""Per-kind retry / verdict rules and log lines of keepalived 2.2.7's checkers (check/rules.py)."""

from __future__ import annotations

from keepalived_py.check.health import CheckerTiming, Verdict
from keepalived_py.check.rules import (
    IPVS_WEIGHT_FAULT,
    AttemptOutcome,
    DnsRule,
    FileRule,
    HttpRule,
    MiscRule,
    ScriptEnd,
    SmtpRule,
    TcpRule,
    UdpRule,
    file_status,
)

S = 1_000_000
RS = "[192.0.2.2]:tcp:80"
T = CheckerTiming(delay_loop_us=10 * S, retry=2, delay_before_retry_us=1 * S, warmup_us=4 * S)
UP, DOWN = Verdict.UP, Verdict.DOWN


def test_start_uses_bootstrap_and_warmup_share() -> None:
    for rule in (TcpRule(T, alpha=False, name=RS), DnsRule(T, alpha=False, name=RS)):
        rule.start(100, 0.5)
        assert rule.due == 100 + S + 2 * S


# -- TCP -------------------------------------------------------------------------------------


def test_tcp_first_failure_counts_at_once_then_retries_while_up() -> None:
    r = TcpRule(T, alpha=False, name=RS)
    out = r.result(False, 0)
    assert out == AttemptOutcome(DOWN, (f"TCP_CHECK on service {RS} failed.",))
    assert r.due == 10 * S
    assert r.result(True, 10 * S) == AttemptOutcome(UP, (f"TCP connection to {RS} success.",))
    assert r.result(False, 20 * S).verdict is None and r.due == 21 * S
    assert r.result(False, 21 * S).verdict is None and r.due == 22 * S
    out = r.result(False, 22 * S, timed_out=True)
    assert out.logs == (f"TCP_CHECK on service {RS} failed after 2 retries.",)
    assert r.due == 32 * S
    # while down, a failure is still followed by retries (tcp_epilog does not look at is_up)
    assert r.result(False, 32 * S).verdict is None and r.due == 33 * S


def test_tcp_log_all_failures_lines() -> None:
    r = TcpRule(T, alpha=False, name=RS, log_all=True)
    r.result(True, 0)
    assert r.result(False, 1, timed_out=True).logs == (f"TCP connection to {RS} timeout.",)
    assert r.result(False, 2).logs == (f"TCP connection to {RS} failed.",)


def test_tcp_alpha_first_success_is_a_verdict() -> None:
    r = TcpRule(T, alpha=True, name=RS)
    assert not r.is_up
    assert r.result(True, 0).verdict is UP
    assert r.result(True, 1).verdict is None


def test_skip_reschedules_at_delay_loop_without_touching_retries() -> None:
    r = TcpRule(T, alpha=False, name=RS)
    r.result(True, 0)
    r.result(False, 5)
    out = r.skip(7, "TCP socket bind failed. Rescheduling.")
    assert out.logs == ("TCP socket bind failed. Rescheduling.",) and r.due == 7 + 10 * S
    assert r.retry_it == 1


# -- UDP / ICMP ------------------------------------------------------------------------------


def test_udp_no_retries_while_down() -> None:
    r = UdpRule(T, alpha=False, name="[192.0.2.2]:udp:53")
    assert r.result(False, 0).logs == ("UDP_CHECK on service [192.0.2.2]:udp:53 failed.",)
    assert r.result(False, 10 * S).verdict is None and r.due == 20 * S
    assert r.result(True, 20 * S).logs == ("UDP connection to [192.0.2.2]:udp:53 success.",)
    assert r.result(False, 30 * S).verdict is None and r.due == 31 * S
    assert r.result(False, 31 * S).verdict is None and r.due == 32 * S
    out = r.result(False, 32 * S)
    assert out.verdict is DOWN
    assert out.logs == ("UDP_CHECK on service [192.0.2.2]:udp:53 failed after 2 retries.",)


def test_udp_mismatch_line_with_log_all() -> None:
    r = UdpRule(T, alpha=False, name=RS, log_all=True)
    r.result(True, 0)
    assert r.result(False, 1, detail="mismatch").logs == (f"UDP check to {RS} reply data mismatch.",)


def test_icmp_words() -> None:
    r = UdpRule(T, alpha=False, name=RS, vs_name="[192.0.2.100]:tcp:80", icmp=True, log_all=True)
    assert r.result(True, 0).logs == (f"ICMP connection to {RS} success.",)
    assert r.result(False, 1, detail="timeout").logs == (f"ICMP connection to address {RS} timeout.",)
    r.result(False, 2)
    out = r.result(False, 3)
    assert out.logs == (
        f"ICMP connection to {RS} of [192.0.2.100]:tcp:80 failed.",
        f"ICMP CHECK on service {RS} of [192.0.2.100]:tcp:80 failed after 2 retries.",
    )
    r2 = UdpRule(T, alpha=False, name=RS, icmp=True)
    assert r2.result(False, 0).logs == (f"ICMP CHECK on service {RS} failed.",)


# -- DNS -------------------------------------------------------------------------------------


def test_dns_rule() -> None:
    r = DnsRule(T, alpha=False, name=RS)
    out = r.result("read timeout from socket", 0)
    assert out == AttemptOutcome(DOWN, (f"DNS_CHECK ({RS}) read timeout from socket",))
    assert r.due == 10 * S
    assert r.result("x", 10 * S) == AttemptOutcome() and r.due == 20 * S  # down: no retries
    assert r.result(None, 20 * S).verdict is UP
    assert r.result(None, 30 * S).verdict is None
    assert r.result("read error occurred. (rcode = 2)", 40 * S) == AttemptOutcome()
    assert r.due == 41 * S
    assert r.result("e", 41 * S) == AttemptOutcome() and r.due == 42 * S
    out = r.result("read error occurred. (rcode = 2)", 42 * S)
    assert out == AttemptOutcome(
        DOWN, (f"DNS_CHECK ({RS}) read error occurred. (rcode = 2) after 2 retries",)
    )


# -- SMTP ------------------------------------------------------------------------------------


def test_smtp_rule_retries_even_the_first_failure() -> None:
    r = SmtpRule(T, alpha=False, name=RS)
    r.begin()
    assert r.result("Could not connect to server [192.0.2.2]:25", 0) == AttemptOutcome()
    assert r.due == 1 * S
    r.begin()
    r.result("e", S)
    r.begin()
    out = r.result("Could not connect to server [192.0.2.2]:25", 2 * S)
    assert out == AttemptOutcome(DOWN, ("SMTP_CHECK Could not connect to server [192.0.2.2]:25",))
    assert r.due == 12 * S
    # while down the retries go on silently
    r.begin()
    assert r.result("e", 12 * S) == AttemptOutcome() and r.due == 13 * S
    r.begin()
    assert r.result(None, 13 * S) == AttemptOutcome(UP, (f"Remote SMTP server {RS} succeed on service.",))
    assert r.due == 23 * S


# -- MISC ------------------------------------------------------------------------------------

VS = "[192.0.2.100]:tcp:80"


def _misc(retry: int = 1, dynamic: bool = False, log_all: bool = False) -> MiscRule:
    t = CheckerTiming(delay_loop_us=10 * S, retry=retry, delay_before_retry_us=2 * S)
    return MiscRule(t, alpha=False, name=RS, vs_name=VS, script="/bin/chk", dynamic=dynamic, rs_weight=3,
                    log_all=log_all)  # fmt: skip


def test_misc_first_failure_and_retry_messages() -> None:
    r = _misc(retry=1)
    out = r.result(ScriptEnd(status=1), 0, 5)
    assert out.verdict is DOWN
    assert out.logs == (
        f"Misc check for [{RS} VS {VS}] by [/bin/chk] failed after 1 retry (exited with status 1).",
    )
    assert r.due == 10 * S  # counted from the start of the run
    out = r.result(ScriptEnd(status=0), 10 * S, 11 * S)
    assert out.verdict is UP and out.logs == (f"Misc check for [{RS} VS {VS}] by [/bin/chk] succeeded.",)
    # up: one silent retry, then down
    assert r.result(ScriptEnd(status=2), 20 * S, 20 * S) == AttemptOutcome() and r.due == 22 * S
    out = r.result(ScriptEnd(signal=9, timed_out=True), 22 * S, 23 * S)
    assert out.logs == (f"Misc check for [{RS} VS {VS}] by [/bin/chk] timed out after 1 retry.",)


def test_misc_log_all_and_retry_disabled() -> None:
    r = _misc(retry=2, log_all=True)
    r.result(ScriptEnd(status=0), 0, 0)
    out = r.result(ScriptEnd(signal=15), 10 * S, 10 * S)
    assert out.verdict is None
    assert out.logs == (
        f"Misc check for [{RS} VS {VS}] by [/bin/chk] failed, will do 2 retries (due to signal 15).",
    )
    out = r.result(ScriptEnd(status=4), 12 * S, 12 * S)
    assert out.logs == (
        f"Misc check for [{RS} VS {VS}] by [/bin/chk] failed on retry 1/2 (exited with status 4).",
    )
    r0 = _misc(retry=0)
    assert (
        r0.result(ScriptEnd(status=1), 0, 0)
        .logs[0]
        .endswith("failed with retry disabled (exited with status 1).")
    )


def test_misc_dynamic_weights() -> None:
    r = _misc(retry=0, dynamic=True)
    out = r.result(ScriptEnd(status=12), 0, 0)  # weight 10 = 12 - 2; contribution 10 - 3
    assert out.verdict is UP and out.weight_delta == 7
    assert r.result(ScriptEnd(status=12), 10 * S, 10 * S).weight_delta == 0
    assert r.result(ScriptEnd(status=0), 20 * S, 20 * S).weight_delta == -7
    assert r.result(ScriptEnd(status=2), 30 * S, 30 * S).weight_delta == -3  # weight 0
    out = r.result(ScriptEnd(status=1), 40 * S, 40 * S)
    assert out.verdict is DOWN and out.weight_delta == 3
    # exit status 2..255 without misc_dynamic is a failure
    assert _misc(retry=0).result(ScriptEnd(status=5), 0, 0).verdict is DOWN


# -- HTTP ------------------------------------------------------------------------------------


def _http(urls: int = 2, retry: int = 1, fast: bool = False, alpha: bool = False) -> HttpRule:
    t = CheckerTiming(delay_loop_us=10 * S, retry=retry, delay_before_retry_us=3 * S)
    return HttpRule(t, alpha=alpha, name=RS, urls=urls, fast_recovery=fast)


def test_http_urls_one_per_delay_loop_and_success_after_the_last() -> None:
    r = _http()
    assert r.success(0, "HTTP status code", "/a") == AttemptOutcome()
    assert r.url_it == 1 and r.due == 10 * S
    out = r.success(10 * S, "HTTP status code", "/b")
    assert out == AttemptOutcome(UP, (f"Remote Web server {RS} succeed on service.",))
    assert r.url_it == 0


def test_http_first_failure_says_after_retries_and_failed_url_cadence() -> None:
    r = _http()
    out = r.failure(0, "Connection failed")
    assert out == AttemptOutcome(DOWN, (f"HTTP_CHECK on service {RS} failed after 1 retries.",))
    assert r.failed_url == 0 and r.due == 10 * S  # max(delay_before_retry, delay_loop)
    assert r.failure(10 * S, "Connection failed") == AttemptOutcome() and r.due == 20 * S
    out = r.success(20 * S, "HTTP status code", "/a")
    assert out.logs == (f"HTTP status code success to {RS} url(/a)",) and out.verdict is None
    assert r.url_it == 0 and r.failed_url is None  # all URLs again from the first
    r.success(30 * S, "HTTP status code", "/a")
    assert r.success(40 * S, "MD5 digest", "/b").verdict is UP


def test_http_retries_while_up() -> None:
    r = _http(retry=2)
    r.success(0, "HTTP status code", "/a")
    r.success(1, "HTTP status code", "/b")
    assert r.is_up and r.has_run
    assert r.failure(10, "Timeout WEB read") == AttemptOutcome() and r.due == 10 + 3 * S
    assert r.failure(20, "Timeout WEB read") == AttemptOutcome()
    out = r.failure(30, "Timeout WEB read")
    assert out == AttemptOutcome(DOWN, (f"HTTP_CHECK on service {RS} failed after 2 retries.",))


def test_http_retry_zero_and_log_all() -> None:
    t = CheckerTiming(delay_loop_us=10 * S, retry=0, delay_before_retry_us=3 * S)
    r = HttpRule(t, alpha=False, name=RS, urls=1, log_all=True)
    out = r.failure(0, "Timeout connecting")
    assert out.logs == (f"Timeout connecting server {RS}.", f"HTTP_CHECK on service {RS} failed.")


def test_http_fast_recovery() -> None:
    r = _http(fast=True, alpha=True)
    r.success(0, "HTTP status code", "/a")
    assert r.due == 0  # not run yet: the next URL at once
    assert r.success(5, "HTTP status code", "/b").verdict is UP
    assert r.due == 5 + 10 * S


# -- FILE ------------------------------------------------------------------------------------


def test_file_rule() -> None:
    assert file_status(0, False, 1) == IPVS_WEIGHT_FAULT and file_status(0, True, 0) == IPVS_WEIGHT_FAULT
    assert file_status(0, False, 0) == 0 and file_status(2, True, 3) == -6
    r = FileRule(weight=2, reverse=False, value=0)
    assert r.is_up and r.cur_weight == 0
    assert r.update(5) == AttemptOutcome(None, (), 10)
    assert r.update(5) == AttemptOutcome()
    r0 = FileRule(weight=0, reverse=False, value=0)
    assert r0.update(1).verdict is DOWN
    assert r0.update(0).verdict is UP


def test_quiet_failures_log_no_detail_line() -> None:
    """An immediate connect() failure (TCP) or a datagram that could not be sent (UDP, ICMP) has
    no "connection ... failed" line even with log_all_failures, as in keepalived."""
    r = TcpRule(T, alpha=False, name=RS, log_all=True)
    r.result(True, 0)
    assert r.result(False, 1, quiet=True).logs == ()
    u = UdpRule(T, alpha=False, name=RS, log_all=True)
    u.result(True, 0)
    assert u.result(False, 1, detail="quiet").logs == ()
