"""Health checkers against real servers in namespaces (root).

Node 1 runs every checker of a config (tests/netns/checker_driver.py: one JSON line per
attempt); node 2 runs the server (tests/netns/checker_servers.py, aiosmtpd, python's
http.server, the kernel's ICMP echo).  Each server is stopped and started again: the verdict
must go DOWN then UP with keepalived's log lines, and the failing attempts that led to DOWN must
follow keepalived's rule for the kind: ``retry`` + 1 failures (SMTP: the retries after the
first), spaced by at least ``delay_before_retry``, the verdict within delay_loop + the retries +
the connection timeouts (+ 1.5 s of slack for process start and polling).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.netns.lab import Lab, Node, Proc, wait_until

pytestmark = pytest.mark.root
PY = sys.executable
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLACK = 1.5
GLOBAL = "global_defs {\n  script_user root\n  enable_script_security\n}\n"


class Driver:
    def __init__(self, lab: Lab, conf: str, node: int = 1) -> None:
        self.lab = lab
        self.node = lab.node(node)
        self.conf = self.node.path("keepalived.conf")
        self.out = self.node.path("attempts.jsonl")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = self.node.start(
            [PY, "-m", "tests.netns.checker_driver", self.conf, self.out], label="driver"
        )

    def records(self) -> list[dict[str, Any]]:
        try:
            with open(self.out) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def attempts(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.records() if "verdict" in r and (kind is None or r["kind"] == kind)]

    def wait_verdict(
        self, verdict: str, *, after: float, timeout: float, kind: str | None = None
    ) -> dict[str, Any]:
        def found() -> dict[str, Any]:
            if not self.proc.running():
                raise AssertionError(f"driver died:\n{self.proc.output()}")
            for r in self.attempts(kind):
                if r["verdict"] == verdict and r["end"] >= after:
                    return r
            return {}

        try:
            return wait_until(found, timeout=timeout, what=f"verdict {verdict}")
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\nattempts: {json.dumps(self.attempts(), indent=1)}\n{self.proc.output()}"
            ) from None

    def logs(self) -> list[str]:
        return [line for r in self.attempts() for line in r["logs"]]


def start_server(node: Node, argv: list[str], label: str) -> Proc:
    proc = node.start(argv, label=label)
    return proc


def wait_port(node: Node, port: int, udp: bool = False) -> None:
    flag = "-uln" if udp else "-tln"

    def listening() -> bool:
        out = node.run(["ss", "-H", flag, f"sport = :{port}"]).stdout
        return bool(out.strip())

    wait_until(listening, timeout=10, what=f"port {port} listening in {node.ns}")


def failing_run(driver: Driver, down: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The consecutive failed attempts (no verdict, or the DOWN one) that ended in ``down``."""
    attempts = [r for r in driver.attempts(kind) if r["end"] <= down["end"]]
    run: list[dict[str, Any]] = []
    for r in reversed(attempts):
        if r is not attempts[-1] and r["verdict"] is not None:
            break
        run.append(r)
    return list(reversed(run))


def check_down_timing(
    driver: Driver,
    down: dict[str, Any],
    *,
    kind: str,
    stopped: float,
    failures: int,
    retry_gap: float,
    bound: float,
) -> None:
    run = failing_run(driver, down, kind)
    # the success attempts before the stop are not in the run: count the failures after the stop
    failed = [r for r in run if r["start"] >= stopped - 0.05]
    assert len(failed) >= failures, (failures, run)
    last = failed[-failures:]
    for a, b in itertools.pairwise(last):
        assert b["start"] - a["end"] >= retry_gap - 0.05, (a, b)
    assert down["end"] - stopped <= bound + SLACK, (down["end"] - stopped, bound)


def vs_conf(rs_port: int, checker: str, *, proto: str = "TCP", delay_loop: int = 2, extra: str = "") -> str:
    return (
        GLOBAL
        + extra
        + f"""
virtual_server 192.0.2.100 {rs_port} {{
  delay_loop {delay_loop}
  lb_algo rr
  lb_kind NAT
  protocol {proto}
  real_server 192.0.2.2 {rs_port} {{
{checker}
  }}
}}
"""
    )


def cycle(
    lab: Lab,
    driver: Driver,
    *,
    kind: str,
    stop: Callable[[], object],
    start: Callable[[], object],
    failures: int,
    retry_gap: float,
    down_bound: float,
    up_bound: float,
    first_up_timeout: float = 10.0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    t0 = time.monotonic()
    first = driver.wait_verdict("up", after=t0 - 60, timeout=first_up_timeout, kind=kind)
    # let one more regular success pass so the checker is in its steady state
    stopped = time.monotonic()
    stop()
    down = driver.wait_verdict("down", after=stopped, timeout=down_bound + SLACK + 5, kind=kind)
    check_down_timing(
        driver, down, kind=kind, stopped=stopped, failures=failures, retry_gap=retry_gap, bound=down_bound
    )
    before_start = time.monotonic()
    start()
    restarted = time.monotonic()  # the server answers from here (start() waits for it)
    up = driver.wait_verdict("up", after=before_start, timeout=up_bound + SLACK + 5, kind=kind)
    assert up["end"] - restarted <= up_bound + SLACK, (up["end"] - restarted, up_bound)
    assert first["verdict"] == "up"
    return down, up


# -- TCP_CHECK ---------------------------------------------------------------------------------


def test_tcp_check_against_http_server(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(2)
    n2 = lab.node(2)
    www = n2.path("www")
    os.makedirs(www)
    srv: list[Proc] = []

    def start() -> None:
        srv.append(
            start_server(n2, [PY, "-m", "http.server", "80", "--bind", "192.0.2.2", "-d", www], "http")
        )
        wait_port(n2, 80)

    start()
    checker = "    TCP_CHECK {\n      connect_timeout 1\n      retry 2\n      delay_before_retry 1\n    }"
    d = Driver(lab, vs_conf(80, checker, delay_loop=2))
    down, up = cycle(
        lab,
        d,
        kind="TCP_CHECK",
        stop=lambda: srv[-1].stop(),
        start=start,
        failures=3,
        retry_gap=1.0,
        down_bound=2 + 2 * 1 + 3 * 1,
        up_bound=2 + 1,
    )
    assert down["logs"] == ["TCP_CHECK on service [192.0.2.2]:tcp:80 failed after 2 retries."]
    assert up["logs"] == ["TCP connection to [192.0.2.2]:tcp:80 success."]
    assert d.logs()[0] == "TCP connection to [192.0.2.2]:tcp:80 success."


# -- HTTP_GET / SSL_GET ------------------------------------------------------------------------

BODY = b"<html>keepalived-py checker test: status ready</html>\n"


def _www(node: Node) -> str:
    www = node.path("www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "wb") as f:
        f.write(BODY)
    with open(os.path.join(www, "ok.txt"), "wb") as f:
        f.write(b"ok\n")
    return www


def _http_checker(kind: str, extra: str = "") -> str:
    digest = hashlib.md5(BODY).hexdigest()
    return f"""    {kind} {{
      url {{
        path /index.html
        digest {digest}
        status_code 200
        regex "status ready"
      }}
      url {{
        path /ok.txt
        status_code 200-299
      }}
      connect_timeout 1
      retry 1
      delay_before_retry 1
{extra}
    }}"""


def test_http_get_status_digest_regex(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(2)
    n2 = lab.node(2)
    www = _www(n2)
    srv: list[Proc] = []

    def start() -> None:
        srv.append(
            start_server(n2, [PY, "-m", "http.server", "80", "--bind", "192.0.2.2", "-d", www], "http")
        )
        wait_port(n2, 80)

    start()
    d = Driver(lab, vs_conf(80, _http_checker("HTTP_GET"), delay_loop=1))
    down, up = cycle(
        lab,
        d,
        kind="HTTP_GET",
        stop=lambda: srv[-1].stop(),
        start=start,
        failures=2,
        retry_gap=1.0,
        down_bound=1 + 1 + 2 * 1,
        # the failed URL is re-tried every max(delay_before_retry, delay_loop), then both URLs
        # are checked again, one per delay_loop, before the server is up
        up_bound=1 + 2 * 1,
    )
    assert down["logs"] == ["HTTP_CHECK on service [192.0.2.2]:tcp:80 failed after 1 retries."]
    # keepalived logs the URL's success (it is not up yet) before the server's
    assert up["logs"] == [
        "HTTP status code success to [192.0.2.2]:tcp:80 url(/ok.txt)",
        "Remote Web server [192.0.2.2]:tcp:80 succeed on service.",
    ]
    assert any(line.startswith("MD5 digest success to [192.0.2.2]:tcp:80 url(/index.html)") or
               line.startswith("Regex match success to [192.0.2.2]:tcp:80 url(/index.html)")
               for line in d.logs())  # fmt: skip
    # the body changes: the digest no longer matches -> down; restored -> up
    changed = time.monotonic()
    with open(os.path.join(www, "index.html"), "wb") as f:
        f.write(BODY.replace(b"ready", b"READY"))
    d.wait_verdict("down", after=changed, timeout=10, kind="HTTP_GET")
    restored = time.monotonic()
    with open(os.path.join(www, "index.html"), "wb") as f:
        f.write(BODY)
    d.wait_verdict("up", after=restored, timeout=10, kind="HTTP_GET")


def test_ssl_get_self_signed(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(2)
    n2 = lab.node(2)
    www = _www(n2)
    cert, key = n2.path("cert.pem"), n2.path("key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rs.example", "-days", "1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    srv: list[Proc] = []

    def start() -> None:
        srv.append(
            start_server(
                n2,
                [PY, "-m", "tests.netns.checker_servers", "https", "192.0.2.2", "443", www, cert, key],
                "https",
            )
        )
        wait_port(n2, 443)

    start()
    conf = vs_conf(
        443, _http_checker("SSL_GET", "      enable_sni\n      virtualhost rs.example"), delay_loop=1
    )
    d = Driver(lab, conf)
    down, up = cycle(
        lab,
        d,
        kind="SSL_GET",
        stop=lambda: srv[-1].stop(),
        start=start,
        failures=2,
        retry_gap=1.0,
        down_bound=1 + 1 + 2 * 1,
        up_bound=1 + 1 + 1,
    )
    assert down["logs"] == ["HTTP_CHECK on service [192.0.2.2]:tcp:443 failed after 1 retries."]
    assert up["logs"][-1] == "Remote Web server [192.0.2.2]:tcp:443 succeed on service."
    # enable_sni: the checker's virtualhost is sent as the server name
    assert "sni rs.example" in srv[-1].output()
    assert "sni None" not in srv[0].output()


# -- SMTP_CHECK --------------------------------------------------------------------------------


def test_smtp_check_against_aiosmtpd(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(2)
    n2 = lab.node(2)
    srv: list[Proc] = []

    def start() -> None:
        srv.append(start_server(n2, [PY, "-m", "aiosmtpd", "-n", "-l", "192.0.2.2:25"], "smtp"))
        wait_port(n2, 25)

    start()
    checker = "    SMTP_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }"
    d = Driver(lab, vs_conf(25, checker, delay_loop=2))
    down, up = cycle(
        lab,
        d,
        kind="SMTP_CHECK",
        stop=lambda: srv[-1].stop(),
        start=start,
        failures=2,
        retry_gap=1.0,
        down_bound=2 + 1 + 2 * 1,
        up_bound=2 + 1,
    )
    assert down["logs"] == ["SMTP_CHECK Could not connect to server [192.0.2.2]:25"]
    assert up["logs"] == ["Remote SMTP server [192.0.2.2]:tcp:25 succeed on service."]


# -- DNS_CHECK ---------------------------------------------------------------------------------


def test_dns_check_against_a_responder(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(2)
    n2 = lab.node(2)
    srv: list[Proc] = []

    def start(rcode: int = 0) -> None:
        argv = [PY, "-m", "tests.netns.checker_servers", "dns", "192.0.2.2", "53", str(rcode)]
        srv.append(start_server(n2, argv, "dns"))
        wait_port(n2, 53, udp=True)

    start()
    checker = (
        "    DNS_CHECK {\n      type A\n      name www.example.com\n      connect_timeout 1\n"
        "      retry 1\n      delay_before_retry 1\n    }"
    )
    d = Driver(lab, vs_conf(53, checker, proto="UDP", delay_loop=2))
    down, _up = cycle(
        lab,
        d,
        kind="DNS_CHECK",
        stop=lambda: srv[-1].stop(),
        start=start,
        failures=2,
        retry_gap=1.0,
        down_bound=2 + 1 + 2 * 1,
        up_bound=2,
    )
    assert down["logs"] == [
        "DNS_CHECK ([192.0.2.2]:udp:53) failed to read socket; errno 111 (Connection refused) after 1 retries"
    ]
    # a responder that refuses: rcode 5
    srv[-1].stop()
    refused = time.monotonic()
    start(5)
    down2 = d.wait_verdict("down", after=refused, timeout=10, kind="DNS_CHECK")
    assert down2["logs"] == [
        "DNS_CHECK ([192.0.2.2]:udp:53) read error occurred. (rcode = 5) after 1 retries"
    ]


# -- UDP_CHECK ---------------------------------------------------------------------------------


def test_udp_check_against_echo_service(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(2)
    n2 = lab.node(2)
    srv: list[Proc] = []

    def start() -> None:
        argv = [PY, "-m", "tests.netns.checker_servers", "udp-echo", "192.0.2.2", "7000"]
        srv.append(start_server(n2, argv, "udp"))
        wait_port(n2, 7000, udp=True)

    start()
    checker = (
        "    UDP_CHECK {\n      payload 6b61 6c70\n      require_reply 6b61 XX70\n      min_reply_length 4\n"
        "      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }"
    )
    d = Driver(lab, vs_conf(7000, checker, proto="UDP", delay_loop=2))
    down, up = cycle(
        lab,
        d,
        kind="UDP_CHECK",
        stop=lambda: srv[-1].stop(),
        start=start,
        failures=2,
        retry_gap=1.0,
        down_bound=2 + 1 + 2 * 1,
        up_bound=2,
    )
    assert down["logs"] == ["UDP_CHECK on service [192.0.2.2]:udp:7000 failed after 1 retries."]
    assert up["logs"] == ["UDP connection to [192.0.2.2]:udp:7000 success."]


# -- PING_CHECK --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("v6", "ping_socket"),
    [(False, False), (False, True), (True, False), (True, True)],
    ids=["ipv4-raw", "ipv4-ping-socket", "ipv6-raw", "ipv6-ping-socket"],
)
def test_ping_check(make_lab: Callable[..., Lab], v6: bool, ping_socket: bool) -> None:
    lab = make_lab(2, ipv6=v6)
    n1, n2 = lab.node(1), lab.node(2)
    key = "net.ipv6.icmp.echo_ignore_all" if v6 else "net.ipv4.icmp_echo_ignore_all"
    # the default range "1 0" refuses ping sockets: the raw-socket fallback is used; keepalived
    # widens the range to let root use them
    group_range = "0 2147483647" if ping_socket else "1 0"
    n1.run(["sysctl", "-qw", f"net.ipv4.ping_group_range={group_range}"], check=True)
    addr = "2001:db8::2" if v6 else "192.0.2.2"
    checker = "    PING_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }"
    conf = vs_conf(80, checker, delay_loop=2).replace("real_server 192.0.2.2", f"real_server {addr}")
    if v6:
        conf = conf.replace("virtual_server 192.0.2.100", "virtual_server 2001:db8::100")
    d = Driver(lab, conf)
    down, up = cycle(
        lab,
        d,
        kind="PING_CHECK",
        stop=lambda: n2.run(["sysctl", "-qw", f"{key}=1"], check=True),
        start=lambda: n2.run(["sysctl", "-qw", f"{key}=0"], check=True),
        failures=2,
        retry_gap=1.0,
        down_bound=2 + 1 + 2 * 1,
        up_bound=2 + 1,
    )
    vs = "[2001:db8::100]:tcp:80" if v6 else "[192.0.2.100]:tcp:80"
    assert down["logs"] == [f"ICMP CHECK on service [{addr}]:tcp:80 of {vs} failed after 1 retries."]
    assert up["logs"] == [f"ICMP connection to [{addr}]:tcp:80 success."]


# -- MISC_CHECK --------------------------------------------------------------------------------


def test_misc_check_exit_codes_dynamic_weight_and_timeout(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(2)
    n1 = lab.node(1)
    status = n1.path("status")
    script = n1.path("check.sh")
    with open(script, "w") as f:
        f.write(f'#!/bin/sh\nv=$(cat {status})\n[ "$v" = hang ] && exec sleep 30\nexit $v\n')
    os.chmod(script, 0o755)
    with open(status, "w") as f:
        f.write("12\n")
    checker = f"    MISC_CHECK {{\n      misc_path {script}\n      misc_timeout 1\n      misc_dynamic\n    }}"
    d = Driver(lab, vs_conf(80, checker, delay_loop=1))
    first = d.wait_verdict("up", after=0, timeout=10, kind="MISC_CHECK")
    assert first["weight_delta"] == 12 - 2 - 1
    name = f"[[192.0.2.2]:tcp:80 VS [192.0.2.100]:tcp:80] by [{script}]"
    assert first["logs"] == [f"Misc check for {name} succeeded."]
    failed = time.monotonic()
    with open(status, "w") as f:
        f.write("1\n")
    down = d.wait_verdict("down", after=failed, timeout=5, kind="MISC_CHECK")
    assert down["logs"] == [f"Misc check for {name} failed with retry disabled (exited with status 1)."]
    assert down["weight_delta"] == -9
    back = time.monotonic()
    with open(status, "w") as f:
        f.write("0\n")
    d.wait_verdict("up", after=back, timeout=5, kind="MISC_CHECK")
    hung = time.monotonic()
    with open(status, "w") as f:
        f.write("hang\n")
    down = d.wait_verdict("down", after=hung, timeout=10, kind="MISC_CHECK")
    assert down["logs"] == [f"Misc check for {name} timed out with retry disabled."]
    # killed by the SIGTERM sent after misc_timeout 1 s
    assert 1.0 - 0.05 <= down["end"] - down["start"] <= 1.0 + SLACK


# -- genhash -----------------------------------------------------------------------------------


GENHASH_T = (
    "import sys\nfrom keepalived_py.genhash import main\nsys.exit(main(sys.argv[1:], am_genhash=False))"
)


def _no_clock(text: str) -> str:
    """Drop what changes from run to run: the response time and the dumps of the Date header."""
    return "\n".join(
        line for line in text.splitlines() if "response time" not in line and "Date:" not in line
    )


def test_genhash_same_output_as_keepalived(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(2)
    n1, n2 = lab.node(1), lab.node(2)
    www = _www(n2)
    with open(os.path.join(www, "big.bin"), "wb") as f:
        f.write(bytes(range(256)) * 300)
    cert, key = n2.path("cert.pem"), n2.path("key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rs.example", "-days", "1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    start_server(n2, [PY, "-m", "tests.netns.checker_servers", "http", "192.0.2.2", "80", www], "http")
    start_server(
        n2, [PY, "-m", "tests.netns.checker_servers", "https", "192.0.2.2", "443", www, cert, key], "https"
    )
    wait_port(n2, 80)
    wait_port(n2, 443)
    cases = [
        ["-s", "192.0.2.2", "-p", "80", "-u", "/index.html"],
        ["-s", "192.0.2.2", "-p", "80", "-u", "/big.bin", "-P", "1.1", "-V", "www.example.com"],
        ["-s", "192.0.2.2", "-p", "80", "-u", "/missing"],
        ["-s", "192.0.2.2", "-p", "81", "-u", "/index.html"],
        ["-S", "-s", "192.0.2.2", "-p", "443", "-u", "/big.bin"],
    ]
    cases += [
        ["-v", "-s", "192.0.2.2", "-p", "80", "-u", "/index.html"],
        ["-s", "192.0.2.2", "-p", "0", "-u", "/"],
        ["-s", "192.0.2.2", "-p", "80", "--bogus", "-u", "/", "extra"],
        ["-s", "192.0.2.2", "-p", "80"],
    ]
    for args in cases:
        theirs = n1.run(["genhash", *args], timeout=30)
        ours = n1.run([PY, "-m", "keepalived_py.genhash", *args], timeout=30)
        assert (_no_clock(ours.stdout), ours.stderr, ours.returncode) == (
            _no_clock(theirs.stdout),
            theirs.stderr,
            theirs.returncode,
        ), args
        # keepalived -T / --genhash: the usage names "keepalived --genhash"
        if args[-1] == "80":
            theirs = n1.run(["keepalived", "--genhash", *args], timeout=30)
            code = GENHASH_T
            ours = n1.run([PY, "-c", code, *args], timeout=30)
            assert (ours.stderr, ours.returncode) == (theirs.stderr, theirs.returncode)
    ours = n1.run([PY, "-m", "keepalived_py.genhash", *cases[0]])
    assert ours.stdout.strip() == hashlib.md5(BODY).hexdigest()


# -- connection options ------------------------------------------------------------------------


def test_bindto_bind_port_fwmark_bind_if(make_lab: Callable[..., Lab]) -> None:
    """bindto/bind_port set the source; fwmark marks the packets (an nftables rule in node 1
    drops marked SYNs); bind_if binds to the device (lo cannot reach the server)."""
    lab = make_lab(2)
    n1, n2 = lab.node(1), lab.node(2)
    n1.run(["ip", "addr", "add", "192.0.2.101/24", "dev", "eth0"], check=True)
    peers = start_server(
        n2, [PY, "-m", "tests.netns.checker_servers", "tcp-peers", "192.0.2.2", "80"], "peers"
    )
    wait_port(n2, 80)
    rules = (
        "table inet kpytest {\n chain out {\n  type filter hook output priority 0;\n"
        "  meta mark 7 tcp dport 80 drop\n }\n}\n"
    )
    subprocess.run(["ip", "netns", "exec", n1.ns, "nft", "-f", "-"], input=rules, text=True, check=True)
    checkers = [
        "    TCP_CHECK {\n      bindto 192.0.2.101\n      bind_port 4444\n      connect_timeout 1\n    }",
        "    TCP_CHECK {\n      fwmark 7\n      connect_timeout 1\n    }",
        "    TCP_CHECK {\n      fwmark 8\n      connect_timeout 1\n    }",
        "    TCP_CHECK {\n      bind_if lo\n      connect_timeout 1\n    }",
        "    TCP_CHECK {\n      bind_if eth0\n      connect_timeout 1\n    }",
    ]
    d = Driver(lab, vs_conf(80, "\n".join(checkers), delay_loop=30))

    def first_verdicts() -> dict[int, str]:
        return {r["index"]: r["verdict"] for r in d.attempts() if r["verdict"]}

    got = wait_until(lambda: len(first_verdicts()) == 5 and first_verdicts(), timeout=15, what="5 verdicts")
    assert got == {0: "up", 1: "down", 2: "up", 3: "down", 4: "up"}, d.attempts()
    assert "peer 192.0.2.101 4444" in peers.output()
    timeout_logs = [r["logs"] for r in d.attempts() if r["index"] == 1]
    assert timeout_logs[0] == ["TCP_CHECK on service [192.0.2.2]:tcp:80 failed."]


def test_ssl_get_with_client_certificate_from_the_ssl_block(make_lab: Callable[..., Lab]) -> None:
    """The SSL block's ca/certificate/key/password: a server that requires a client certificate
    signed by its CA accepts the checker; the server's own self-signed certificate is not verified."""
    lab = make_lab(2)
    n1, n2 = lab.node(1), lab.node(2)
    www = _www(n2)
    cert, key = n2.path("cert.pem"), n2.path("key.pem")
    ca, ca_key = n2.path("ca.pem"), n2.path("ca.key")
    ccsr, ccert, ckey = n1.path("client.csr"), n1.path("client.pem"), n1.path("client.key")

    def ssl_cmd(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    ssl_cmd("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rs", "-days", "1", "-keyout", key,
            "-out", cert)  # fmt: skip
    ssl_cmd("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=ca", "-days", "1",
            "-keyout", ca_key, "-out", ca)  # fmt: skip
    ssl_cmd("genrsa", "-aes256", "-passout", "pass:s3cret", "-out", ckey, "2048")
    ssl_cmd("req", "-new", "-key", ckey, "-passin", "pass:s3cret", "-subj", "/CN=checker", "-out", ccsr)
    ssl_cmd(
        "x509",
        "-req",
        "-in",
        ccsr,
        "-CA",
        ca,
        "-CAkey",
        ca_key,
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        ccert,
    )
    argv = [PY, "-m", "tests.netns.checker_servers", "https", "192.0.2.2", "443", www, cert, key, ca]
    server = start_server(n2, argv, "https")
    wait_port(n2, 443)
    ssl_block = f"SSL {{\n  password s3cret\n  ca {ca}\n  certificate {ccert}\n  key {ckey}\n}}\n"
    checker = "    SSL_GET {\n      url {\n        path /ok.txt\n      }\n      connect_timeout 1\n    }"
    d = Driver(lab, vs_conf(443, checker, delay_loop=1, extra=ssl_block))
    up = d.wait_verdict("up", after=0, timeout=10, kind="SSL_GET")
    assert up["logs"] == ["Remote Web server [192.0.2.2]:tcp:443 succeed on service."]
    assert "sni None" in server.output()  # no enable_sni: no server name sent
    # without the client certificate the server refuses the handshake
    d.proc.stop()
    d2 = Driver(lab, vs_conf(443, checker, delay_loop=1), node=1)
    down = d2.wait_verdict("down", after=0, timeout=10, kind="SSL_GET")
    assert down["logs"] == ["HTTP_CHECK on service [192.0.2.2]:tcp:443 failed after 1 retries."]


def test_http_get_over_ipv6(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(2, ipv6=True)
    n2 = lab.node(2)
    www = _www(n2)
    srv = start_server(
        n2, [PY, "-m", "tests.netns.checker_servers", "http", "2001:db8::2", "80", www], "http6"
    )
    wait_port(n2, 80)
    checker = "    HTTP_GET {\n      url {\n        path /ok.txt\n      }\n      connect_timeout 1\n    }"
    conf = (
        vs_conf(80, checker, delay_loop=1)
        .replace("192.0.2.100", "2001:db8::100")
        .replace("192.0.2.2", "2001:db8::2")
    )
    d = Driver(lab, conf)
    up = d.wait_verdict("up", after=0, timeout=10, kind="HTTP_GET")
    assert up["logs"] == ["Remote Web server [2001:db8::2]:tcp:80 succeed on service."]
    stopped = time.monotonic()
    srv.stop()
    down = d.wait_verdict("down", after=stopped, timeout=10, kind="HTTP_GET")
    assert down["logs"] == ["HTTP_CHECK on service [2001:db8::2]:tcp:80 failed after 1 retries."]
