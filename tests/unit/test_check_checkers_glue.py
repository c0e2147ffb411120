"""runtime/checkers.py glue with the probe I/O replaced: what each kind does with each result."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from keepalived_py.adapters import probes, script_runner
from keepalived_py.check.health import Verdict
from keepalived_py.check.probes import http as httpp
from keepalived_py.check.rules import AttemptOutcome
from keepalived_py.runtime import checkers as rc
from tests.configtest import parse_text

CONF = """
virtual_server 192.0.2.100 80 {
  delay_loop 10
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.2 80 {
    TCP_CHECK {
      retry 0
    }
    HTTP_GET {
      url {
        path /a
        digest 5d41402abc4b2a76b9719d911017c592
      }
      retry 0
    }
    MISC_CHECK {
      misc_path /usr/bin/chk
    }
    DNS_CHECK {
      retry 0
    }
    SMTP_CHECK {
      retry 0
    }
  }
}
"""
RS = "[192.0.2.2]:tcp:80"


def _checker(index: int) -> Any:
    r = parse_text(CONF)
    assert r.config is not None
    vs = r.config.lvs.virtual_servers[0]
    rs = vs.real_servers[0]
    c = rc.build_checker(vs, rs, index, rs.checkers[index])
    assert c is not None
    c.start(0, 0.0)
    return c


def _run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


def _patch(monkeypatch: pytest.MonkeyPatch, name: str, result: Any) -> None:
    async def fake(*_args: object, **_kw: object) -> Any:
        return result

    monkeypatch.setattr(probes, name, fake)


def test_tcp_statuses(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _checker(0)
    _patch(monkeypatch, "tcp_attempt", probes.Connect("error"))
    out = _run(c.attempt())
    assert out.logs == ("TCP socket bind failed. Rescheduling.",) and out.verdict is None
    _patch(monkeypatch, "tcp_attempt", probes.Connect("nosocket"))
    assert _run(c.attempt()).logs == ("TCP connect fail to create socket. Rescheduling.",)
    _patch(monkeypatch, "tcp_attempt", probes.Connect("fail_now"))
    assert _run(c.attempt()).verdict is Verdict.DOWN
    _patch(monkeypatch, "tcp_attempt", probes.Connect("success"))
    assert _run(c.attempt()).logs == (f"TCP connection to {RS} success.",)


def _response(body: bytes, content_length: int) -> httpp.HttpResponse:
    r = httpp.HttpResponse(want_digest=True)
    r.feed(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % content_length + body)
    return r


def test_http_glue_and_length_mismatch_logged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _checker(1)
    _patch(monkeypatch, "http_attempt", probes.HttpResult(response=_response(b"hello", 7)))
    out = _run(c.attempt())
    line = (
        f"http_check for RS {RS} VS [192.0.2.100]:tcp:80 url /a: content_length (7) does not match"
        " received bytes (5)"
    )
    assert out.logs == (line, f"Remote Web server {RS} succeed on service.")
    assert _run(c.attempt()).logs == ()  # the same difference is not logged again
    _patch(monkeypatch, "http_attempt", probes.HttpResult(response=_response(b"hello", 5)))
    assert _run(c.attempt()).logs == ()
    _patch(monkeypatch, "http_attempt", probes.HttpResult(response=_response(b"hellx", 5)))
    assert _run(c.attempt()).logs == (f"HTTP_CHECK on service {RS} failed.",)
    _patch(
        monkeypatch,
        "http_attempt",
        probes.HttpResult(skipped=True, logs=["WEB socket bind failed. Rescheduling"]),
    )
    assert _run(c.attempt()).logs == ("WEB socket bind failed. Rescheduling",)
    _patch(monkeypatch, "http_attempt", probes.HttpResult(response=_response(b"hello", 5)))
    # the failed URL passing only clears it: all URLs are checked again before the server is up
    assert _run(c.attempt()) == AttemptOutcome(None, (f"MD5 digest success to {RS} url(/a)",))
    out = _run(c.attempt())
    assert out.logs == (f"MD5 digest success to {RS} url(/a)", f"Remote Web server {RS} succeed on service.")


@pytest.mark.parametrize(
    ("outcome", "line"),
    [
        (script_runner.Outcome("failed", status=3), "failed with retry disabled (exited with status 3)."),
        (script_runner.Outcome("failed", signal=11), "failed with retry disabled (due to signal 11)."),
        (script_runner.Outcome("timed_out", signal=15), "timed out with retry disabled."),
    ],
)
def test_misc_outcomes(monkeypatch: pytest.MonkeyPatch, outcome: script_runner.Outcome, line: str) -> None:
    c = _checker(2)
    assert c.timeout_us == 10_000_000
    _patch(monkeypatch, "misc_attempt", outcome)
    out = _run(c.attempt())
    assert out.verdict is Verdict.DOWN
    assert out.logs == (f"Misc check for [{RS} VS [192.0.2.100]:tcp:80] by [/usr/bin/chk] {line}",)


def test_misc_not_run_counts_as_success(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _checker(2)
    _patch(monkeypatch, "misc_attempt", script_runner.Outcome("not_run"))
    out = _run(c.attempt())
    assert out.verdict is Verdict.UP and out.logs[0] == "Error exec-ing command '/usr/bin/chk'"


def test_dns_and_smtp_glue(monkeypatch: pytest.MonkeyPatch) -> None:
    dns = _checker(3)
    _patch(monkeypatch, "dns_attempt", (True, "UDP socket bind failed. Rescheduling."))
    assert _run(dns.attempt()).logs == (f"DNS_CHECK ({RS}) UDP socket bind failed. Rescheduling.",)
    _patch(monkeypatch, "dns_attempt", (False, "read timeout from socket"))
    assert _run(dns.attempt()).logs == (f"DNS_CHECK ({RS}) read timeout from socket",)
    smtp = _checker(4)
    _patch(monkeypatch, "smtp_attempt", (False, "Read timeout from server [192.0.2.2]:80", []))
    out = _run(smtp.attempt())
    assert out.verdict is Verdict.DOWN and out.logs == ("SMTP_CHECK Read timeout from server [192.0.2.2]:80",)


def test_skip_reschedules(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _checker(0)
    fake_now: Callable[[], int] = lambda: 5_000_000  # noqa: E731
    monkeypatch.setattr(rc, "now_us", fake_now)
    c.skip(rc.now_us())
    assert c.due == 15_000_000
