"""Building checkers from a parsed config (runtime/checkers.py) and properties of the retry rules."""

from __future__ import annotations

import itertools
from ipaddress import IPv4Address

from hypothesis import given
from hypothesis import strategies as st

from keepalived_py.check.health import CheckerTiming, Verdict
from keepalived_py.check.rules import DnsRule, HttpRule, MiscRule, ScriptEnd, SmtpRule, TcpRule, UdpRule
from keepalived_py.runtime.checkers import (
    DnsChecker,
    HttpChecker,
    MiscChecker,
    PingChecker,
    SmtpChecker,
    TcpChecker,
    UdpChecker,
    build_checker,
)
from tests.configtest import parse_text

S = 1_000_000
CONF = """
virtual_server 192.0.2.100 80 {
  delay_loop 7
  lb_algo rr
  lb_kind NAT
  protocol TCP
  alpha
  virtualhost vs.example
  real_server 192.0.2.2 80 {
    weight 3
    retry 5
    TCP_CHECK {
      connect_timeout 2
      alpha off
    }
    HTTP_GET {
      url {
        path /
      }
    }
    SSL_GET {
      url {
        path /s
        regex "(bad"
      }
      enable_sni
    }
    DNS_CHECK {
      name example.com
      retry 2
    }
    MISC_CHECK {
      misc_path "/usr/bin/check arg"
      misc_dynamic
    }
    SMTP_CHECK {
      connect_port 25
      delay_before_retry 4
    }
    UDP_CHECK {
      bindto 192.0.2.1
      bind_port 4000
      fwmark 7
    }
    PING_CHECK {
      delay_loop 3
      warmup 0
    }
  }
}
"""


def _checkers() -> list[object]:
    r = parse_text(CONF)
    assert r.config is not None
    vs = r.config.lvs.virtual_servers[0]
    rs = vs.real_servers[0]
    return [build_checker(vs, rs, i, m) for i, m in enumerate(rs.checkers)]


def test_kinds_and_inherited_timing() -> None:
    tcp, http, ssl_get, dns, misc, smtp, udp, ping = _checkers()
    assert isinstance(tcp, TcpChecker) and tcp.KIND == "TCP_CHECK"
    assert isinstance(http, HttpChecker) and http.KIND == "HTTP_GET" and http.tls is None
    assert isinstance(ssl_get, HttpChecker) and ssl_get.KIND == "SSL_GET" and ssl_get.tls is not None
    assert isinstance(dns, DnsChecker) and isinstance(misc, MiscChecker) and isinstance(smtp, SmtpChecker)
    assert isinstance(udp, UdpChecker) and isinstance(ping, PingChecker)
    # the real server's retry 5 wins over the kinds' defaults unless the checker says
    assert tcp.timing == CheckerTiming(7 * S, 5, 1 * S, 7 * S)
    assert http.timing == CheckerTiming(7 * S, 5, 3 * S, 7 * S)  # HTTP's delay_before_retry 3 s
    assert dns.timing == CheckerTiming(7 * S, 2, 7 * S, 7 * S)  # DNS: delay_before_retry = delay_loop
    assert smtp.timing.delay_before_retry_us == 4 * S
    assert ping.timing == CheckerTiming(3 * S, 5, 1 * S, 0)
    # alpha from the virtual server unless the checker says
    assert not tcp.alpha and tcp.is_up
    assert http.alpha and not http.is_up
    assert tcp.endpoint.timeout_us == 2 * S and http.endpoint.timeout_us == 5 * S
    assert smtp.endpoint.port == 25
    assert (str(udp.endpoint.bind), udp.endpoint.bind_port, udp.endpoint.fwmark) == ("192.0.2.1", 4000, 7)


def test_misc_checker_settings() -> None:
    misc = _checkers()[4]
    assert isinstance(misc, MiscChecker)
    assert misc.timeout_us == 7 * S  # no misc_timeout: the virtual server's delay_loop
    assert misc.rule.dynamic and misc.rule.rs_weight == 3 and misc.rule.script == "/usr/bin/check"
    assert misc.timing.retry == 5
    assert misc.env["PATH"].startswith("/usr/local/sbin")


def test_invalid_regex_is_reported_and_ignored() -> None:
    ssl_get = _checkers()[2]
    assert isinstance(ssl_get, HttpChecker)
    assert ssl_get.regexes == [None]
    assert ssl_get.build_logs and ssl_get.build_logs[0].startswith("Invalid regex: '(bad'")


def test_start_and_skip() -> None:
    tcp = _checkers()[0]
    assert isinstance(tcp, TcpChecker)
    assert tcp.due is None
    tcp.start(10, 0.0)
    assert tcp.due == 10 + S
    tcp.skip(50)
    assert tcp.due == 50 + 7 * S


# -- properties of the rules -----------------------------------------------------------------

T = CheckerTiming(delay_loop_us=10 * S, retry=2, delay_before_retry_us=1 * S)


def _drive(rule: object, results: list[bool]) -> list[tuple[int, Verdict | None]]:
    now = 0
    seen: list[tuple[int, Verdict | None]] = []
    for ok in results:
        if isinstance(rule, TcpRule | UdpRule):
            out = rule.result(ok, now)
        elif isinstance(rule, DnsRule):
            out = rule.result(None if ok else "e", now)
        elif isinstance(rule, SmtpRule):
            rule.begin()
            out = rule.result(None if ok else "e", now)
        elif isinstance(rule, MiscRule):
            out = rule.result(ScriptEnd(status=0 if ok else 1), now, now)
        else:
            assert isinstance(rule, HttpRule)
            out = rule.success(now, "HTTP status code", "/") if ok else rule.failure(now, "Connection failed")
        assert rule.due is not None and rule.due > now
        now = rule.due
        seen.append((now, out.verdict))
    return seen


RULES = st.sampled_from(["tcp", "udp", "icmp", "dns", "smtp", "misc", "http"])


def _rule(kind: str, alpha: bool) -> object:
    if kind == "tcp":
        return TcpRule(T, alpha=alpha, name="rs")
    if kind in ("udp", "icmp"):
        return UdpRule(T, alpha=alpha, name="rs", icmp=kind == "icmp")
    if kind == "dns":
        return DnsRule(T, alpha=alpha, name="rs")
    if kind == "smtp":
        return SmtpRule(T, alpha=alpha, name="rs")
    if kind == "misc":
        return MiscRule(T, alpha=alpha, name="rs", vs_name="vs", script="s", dynamic=False, rs_weight=1)
    return HttpRule(T, alpha=alpha, name="rs", urls=2)


@given(RULES, st.booleans(), st.lists(st.booleans(), min_size=1, max_size=40))
def test_verdicts_alternate_and_time_moves_on(kind: str, alpha: bool, results: list[bool]) -> None:
    verdicts = [v for _, v in _drive(_rule(kind, alpha), results) if v is not None]
    # after the first verdict (which may confirm the initial state), verdicts alternate
    for a, b in itertools.pairwise(verdicts):
        assert a is not b


@given(RULES, st.integers(1, 30))
def test_steady_success_and_steady_failure(kind: str, n: int) -> None:
    up = [v for _, v in _drive(_rule(kind, True), [True] * (n + 2)) if v is not None]
    assert up == [Verdict.UP]
    down = [v for _, v in _drive(_rule(kind, False), [False] * (n + 3)) if v is not None]
    assert down == [Verdict.DOWN]


@given(RULES)
def test_up_checker_needs_retry_plus_one_failures(kind: str) -> None:
    """Once up, a checker goes down only after retry + 1 failures in a row (SMTP: its count
    restarts with each regular run, same result), and a success in between resets the count."""
    rule = _rule(kind, False)
    seq = [True, True, False, False, True, False, False, False]
    got = [v for _, v in _drive(rule, seq)]
    assert got[-1] is Verdict.DOWN
    assert Verdict.DOWN not in got[:-1]


def test_file_checker_weights() -> None:
    from keepalived_py.config.model.checkers import FileCheck
    from keepalived_py.config.model.lvs import RealServer, SockAddr, VirtualServer
    from keepalived_py.config.model.trackers import TrackFile
    from keepalived_py.runtime.checkers import build_file_checker

    vs = VirtualServer()
    rs = RealServer(address=SockAddr(IPv4Address("192.0.2.2"), 80))
    track = TrackFile(name="t", file="/run/t", weight=2, weight_reverse=True)
    c = build_file_checker(vs, rs, 0, FileCheck(track_file="t"), track, 3)
    assert c.is_up and c.start_weight_delta == -6
    assert c.update(1).weight_delta == 4
    c0 = build_file_checker(vs, rs, 0, FileCheck(track_file="t", weight=0), track, 0)
    assert c0.is_up and c0.update(5).verdict is Verdict.DOWN
