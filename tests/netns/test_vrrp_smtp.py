"""SMTP alerts of the VRRP daemon in the namespace lab, with an aiosmtpd server on node 3.

* a failover between two keepalived-py nodes mails what keepalived mails, from both nodes;
* keepalived 2.2.7 and keepalived-py write the same mails (instance and sync group) for the same
  transitions, byte for byte but the Date: line;
* with the SMTP server black-holed (an address nobody answers), adverts keep their interval:
  VRRPv3 at 100 ms, a backup that would take over after 360 ms without adverts never leaves
  BACKUP while every mail waits for its connect timeout, and the captured adverts show no gap
  beyond the protocol's bound.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import sys
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Node, Proc, stays_true, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    keepalived_available,
    start_keepalived,
    start_kpy,
    vrrp_config,
    write_config,
)
from tests.smtp_sink import Mail

pytestmark = pytest.mark.root

SINK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "smtp_sink.py")
DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"
    r" \d\d:\d\d:\d\d [+-]\d{4}$"
)
RECIPIENTS = ("ops@example.com", "noc@example.com")

# Prints "<monotonic time> <source> <priority>" for every VRRP packet seen on eth0.
CAPTURE = r"""
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0))
print("ready", flush=True)
while True:
    frame = s.recv(2048)
    ip = frame[14:]
    if len(ip) < 28 or ip[9] != 112:
        continue
    ihl = (ip[0] & 15) * 4
    print(f"{time.monotonic():.4f} {socket.inet_ntoa(ip[12:16])} {ip[ihl + 2]}", flush=True)
"""


def _global(node: Node, server: str, timeout: int = 3) -> str:
    return "\n".join(
        [
            "notification_email {",
            *(f"    {r}" for r in RECIPIENTS),
            "}",
            "notification_email_from keepalived@lab.example.com",
            f"smtp_server {server} 25",
            f"smtp_helo_name {node.name}.lab.example.com",
            f"smtp_connect_timeout {timeout}",
            "smtp_alert",
        ]
    )


def _sink(node: Node) -> tuple[Proc, Callable[[], list[Mail]]]:
    out = node.path("mails.jsonl")
    proc = node.start([sys.executable, SINK, str(node.ipv4), "25", "accept", out], label="smtp-sink")
    wait_until(lambda: "listening" in proc.output(), timeout=10, what="the SMTP server")

    def mails() -> list[Mail]:
        try:
            with open(out, encoding="utf-8") as f:
                return [Mail.from_json(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    return proc, mails


def _subjects(mails: list[Mail], node: Node) -> list[str]:
    return sorted(m.headers()["Subject"] for m in mails if m.helo == f"{node.name}.lab.example.com")


def _check_mail(mail: Mail) -> None:
    headers = mail.headers()
    assert list(headers) == ["Date", "From", "Subject", "X-Mailer", "To"]
    assert DATE.match(headers["Date"]), headers["Date"]
    assert headers["From"] == "keepalived@lab.example.com"
    assert headers["X-Mailer"] == "Keepalived"
    assert headers["To"] == ", ".join(RECIPIENTS)
    assert not mail.esmtp and mail.mail_from == "keepalived@lab.example.com"
    assert mail.rcpt_tos == list(RECIPIENTS)
    state = headers["Subject"].rsplit(" - ", 1)[1]
    body = {
        "Entering MASTER state": "=> VRRP Instance is now owning VRRP VIPs <=",
        "Entering BACKUP state": "=> VRRP Instance is no longer owning VRRP VIPs <=",
        "Stopping": "=> VRRP Instance stopping <=",
    }[state]
    if " VRRP Group " in headers["Subject"]:
        body = {
            "Entering MASTER state": "=> All VRRP group instances are now in MASTER state <=",
            "Entering BACKUP state": "=> All VRRP group instances are now in BACKUP state <=",
            "Stopping": "=> All VRRP group instances are now stopping <=",
        }[state]
    assert mail.body() == body + "\r\n\r\n"


def _subject(state: str) -> str:
    return f"[kpy_lab] VRRP Instance VI_1 - {state}"


def test_failover_mails_from_both_nodes(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(3)
    n1, n2, n3 = the_lab.node(1), the_lab.node(2), the_lab.node(3)
    _, mails = _sink(n3)
    server = str(n3.ipv4)
    p1 = start_kpy(n1, write_config(n1, vrrp_config(priority=150, global_extra=_global(n1, server))))
    start_kpy(n2, write_config(n2, vrrp_config(priority=100, global_extra=_global(n2, server))))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=15, what="node 1 master")
    backup, master, stopping = (
        _subject("Entering BACKUP state"),
        _subject("Entering MASTER state"),
        _subject("Stopping"),
    )
    wait_until(
        lambda: _subjects(mails(), n1) == [backup, master] and _subjects(mails(), n2) == [backup],
        timeout=10,
        what="BACKUP and MASTER from node 1, BACKUP from node 2",
    )
    # failover: node 1 stops (its STOP mail goes out in the last second), node 2 takes over
    p1.send_signal(signal.SIGTERM)
    assert p1.wait(timeout=10) == 0
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=10, what="node 2 master")
    wait_until(
        lambda: (
            _subjects(mails(), n1) == [backup, master, stopping]
            and _subjects(mails(), n2) == [backup, master]
        ),
        timeout=10,
        what=f"STOP from node 1, MASTER from node 2; got {[m.headers()['Subject'] for m in mails()]}",
    )
    for mail in mails():
        _check_mail(mail)
    assert "Remote SMTP server [192.0.2.3]:25 connected." in p1.output()
    assert "SMTP alert successfully sent." in p1.output()


def test_same_mail_as_keepalived(make_lab: Callable[..., Lab]) -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    the_lab = make_lab(3)
    n1, n2, n3 = the_lab.node(1), the_lab.node(2), the_lab.node(3)
    _, mails = _sink(n3)
    server = str(n3.ipv4)
    # each alone in its VRID, in a sync group: BACKUP at start, MASTER after the master-down timer
    group = "vrrp_sync_group G1 {\n    group {\n        VI_1\n    }\n}\n"

    def config(node: Node, vrid: int) -> str:
        text = vrrp_config(priority=150, vrid=vrid, global_extra=_global(node, server)) + group
        return write_config(node, text)

    ka = start_keepalived(n1, config(n1, 51))
    kpy = start_kpy(n2, config(n2, 52))
    want = sorted(
        [
            _subject("Entering BACKUP state"),
            _subject("Entering MASTER state"),
            "[kpy_lab] VRRP Group G1 - Entering BACKUP state",
            "[kpy_lab] VRRP Group G1 - Entering MASTER state",
        ]
    )
    try:
        wait_until(
            lambda: _subjects(mails(), n1) == want and _subjects(mails(), n2) == want,
            timeout=20,
            what="instance and group BACKUP and MASTER from keepalived and keepalived-py",
        )
    except AssertionError as exc:
        got = [(m.helo, m.headers()["Subject"]) for m in mails()]
        raise AssertionError(f"{exc}\nmails: {got}\n{the_lab.logs()}") from None

    def undated(node: Node) -> dict[str, bytes]:
        out = {}
        for m in mails():
            if m.helo == f"{node.name}.lab.example.com":
                out[m.headers()["Subject"]] = re.sub(rb"^Date: [^\r]*\r\n", b"", m.data)
        return out

    theirs, ours = undated(n1), undated(n2)
    assert ours == theirs
    for mail in mails():
        _check_mail(mail)
    envelopes = {(m.helo.split(".")[0], m.esmtp, m.mail_from, tuple(m.rcpt_tos)) for m in mails()}
    assert envelopes == {
        ("n1", False, "keepalived@lab.example.com", RECIPIENTS),
        ("n2", False, "keepalived@lab.example.com", RECIPIENTS),
    }
    # SIGTERM: keepalived queues its "Stopping" mails from the thread that starts its termination,
    # after which its scheduler serves no mail socket: none arrives.  keepalived-py's do.
    for proc in (ka, kpy):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    stopping = sorted([_subject("Stopping"), "[kpy_lab] VRRP Group G1 - Stopping"])
    wait_until(
        lambda: _subjects(mails(), n2) == sorted(want + stopping), timeout=10, what="keepalived-py's STOP"
    )
    assert _subjects(mails(), n1) == want


def _gaps(capture: Proc, source: str, since: float) -> list[float]:
    times = []
    for line in capture.output().splitlines():
        words = line.split()
        if len(words) == 3 and words[1] == source and float(words[0]) >= since and words[2] != "0":
            times.append(float(words[0]))
    return [b - a for a, b in itertools.pairwise(times)]


def _now(node: Node) -> float:
    out = node.run([sys.executable, "-c", "import time; print(time.monotonic())"], check=True)
    return float(out.stdout)


def test_blackholed_smtp_server_delays_no_advert(make_lab: Callable[..., Lab]) -> None:
    the_lab = make_lab(3)
    n1, n2, n3 = the_lab.node(1), the_lab.node(2), the_lab.node(3)
    capture = n3.start([sys.executable, "-c", CAPTURE], label="adverts")
    wait_until(lambda: "ready" in capture.output(), timeout=10, what="the advert capture")
    # nobody has 192.0.2.250: every connection waits its 2 s connect timeout, unanswered
    hole = "192.0.2.250"

    def config(node: Node, priority: int) -> str:
        text = vrrp_config(
            priority=priority, version=3, advert_int="0.1", global_extra=_global(node, hole, 2)
        )
        return write_config(node, text)

    p1 = start_kpy(n1, config(n1, 150))
    the_lab.wait_holders(VIP, lambda h: h == [1], timeout=10, what="node 1 master")
    p2 = start_kpy(n2, config(n2, 100))
    wait_until(lambda: "(VI_1) Entering BACKUP STATE" in p2.output(), timeout=10, what="node 2 backup")
    since = _now(n3)
    # both daemons have mails stuck on the black hole for the next seconds: node 2 (master down
    # interval 0.36 s) must never stop hearing node 1
    stays_true(lambda: the_lab.vip_holders(VIP) == [1], duration=5.0, what="node 1 alone holding the VIP")
    wait_until(
        lambda: "Timeout opening connection to remote SMTP server [192.0.2.250]:25." in p2.output(),
        timeout=10,
        what="node 2's mail timing out",
    )
    assert "Entering MASTER STATE" not in p2.output()
    gaps = _gaps(capture, str(n1.ipv4), since)
    assert len(gaps) >= 40, capture.output()[-2000:]
    # the protocol's bound: a gap of 3 intervals + skew would have made node 2 master
    assert max(gaps) < 0.36, sorted(gaps)[-5:]
    print(f"\nadverts from node 1 while mails hang: {len(gaps) + 1}, gaps {min(gaps):.3f}..{max(gaps):.3f} s")
    # a failover now: node 2 becomes master at once although its MASTER mail will hang too
    since = _now(n3)
    p1.send_signal(signal.SIGTERM)
    assert p1.wait(timeout=10) == 0  # the stuck STOP mail gets one second, then is dropped
    the_lab.wait_holders(VIP, lambda h: h == [2], timeout=5, what="node 2 master")
    wait_until(lambda: len(_gaps(capture, str(n2.ipv4), since)) >= 30, timeout=10, what="node 2's adverts")
    gaps = _gaps(capture, str(n2.ipv4), since)
    assert max(gaps) < 0.36, sorted(gaps)[-5:]
    print(f"adverts from node 2 after failover: {len(gaps) + 1}, gaps {min(gaps):.3f}..{max(gaps):.3f} s")
