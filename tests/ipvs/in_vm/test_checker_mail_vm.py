"""The checker's e-mail alerts of keepalived 2.2.7 and keepalived-py, received by a real SMTP server.

keepalived's checker child needs IPVS, so this runs in the VM.  An aiosmtpd server
(``tests/smtp_sink.py``) listens on the VM's loopback; two busybox httpd real servers run in
namespaces (``test_check_daemon_vm.Net``).  The same config (global ``notification_email``,
``notification_email_from``, ``smtp_server``, ``smtp_connect_timeout``; a virtual server with
``smtp_alert``, ``omega``, a quorum with hysteresis and TCP_CHECKs) is run by ``keepalived -C -n
-l`` and then by ``keepalived-py -C -n -l`` through the same events: rs2 stops (real server DOWN,
quorum lost), rs2 starts again (real server UP, quorum gained), the daemon is stopped.

The mails (envelope, HELO, headers in their order, body) must be equal message for message, in
the order they arrived, with only the ``Date:`` value masked (checked against keepalived's
strftime format).  At the stop keepalived queues its ``=> Shutting down <=`` mails (omega) but
its scheduler, already shutting down, never serves their sockets: none arrives.  keepalived-py
delivers them; the test pins both behaviours.  The mails go to ``$IPVS_VM_XCHG/checker_mail.json``
for the side-by-side note.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from keepalived_py.adapters.ipvs import IpvsAdapter
from tests.ipvs.in_vm.conftest import ipvsadm_save
from tests.ipvs.in_vm.test_check_daemon_vm import Net, stays, wait_for
from tests.ipvs.in_vm.test_keepalived_agreement import KEEPALIVED
from tests.smtp_sink import Mail, Sink, start_sink

SMTP_PORT = 2525
RECIPIENTS = ("ops@example.com", "noc@example.com")
SENDER = "keepalived@example.com"
DATE = re.compile(
    rb"^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"
    rb" \d\d:\d\d:\d\d [+-]\d{4}\r\n"
)
HEADERS = ["Date", "From", "Subject", "X-Mailer", "To"]

CONF = f"""global_defs {{
    notification_email {{
        {RECIPIENTS[0]}
        {RECIPIENTS[1]}
    }}
    notification_email_from {SENDER}
    smtp_server 127.0.0.1 {SMTP_PORT}
    smtp_connect_timeout 5
    script_user root
}}
virtual_server 203.0.113.10 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 3
    hysteresis 1
    omega
    smtp_alert
    quorum_up "@NOTE@ QUORUM_UP"
    quorum_down "@NOTE@ QUORUM_DOWN"
    real_server 192.0.2.1 80 {{
        weight 1
        notify_up "@NOTE@ RS1_UP"
        notify_down "@NOTE@ RS1_DOWN"
        TCP_CHECK {{
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }}
    }}
    real_server 192.0.2.2 80 {{
        weight 3
        notify_up "@NOTE@ RS2_UP"
        notify_down "@NOTE@ RS2_DOWN"
        TCP_CHECK {{
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }}
    }}
}}
"""

VS = "[203.0.113.10]:tcp:80"
RS1 = f"Realserver [192.0.2.1]:tcp:80 of virtual server {VS}"
RS2 = f"Realserver [192.0.2.2]:tcp:80 of virtual server {VS}"


class SinkThread:
    """The SMTP server in a thread of the test process (no second Python start-up in the VM)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sink: Sink = asyncio.run_coroutine_threadsafe(
            start_sink("127.0.0.1", SMTP_PORT), self.loop
        ).result(30)

    def mails(self) -> list[Mail]:
        return list(self.sink.mails)

    def clear(self) -> None:
        self.loop.call_soon_threadsafe(self.sink.mails.clear)
        wait_for(lambda: not self.sink.mails, "the sink cleared", timeout=5)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.sink.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def sink() -> Iterator[SinkThread]:
    s = SinkThread()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def net(tmp_path: Path, adapter: IpvsAdapter) -> Iterator[Net]:
    the_net = Net(tmp_path)
    try:
        yield the_net
    finally:
        the_net.close()


def dests() -> set[str]:
    return {line.split()[4] for line in ipvsadm_save() if line.startswith("-a ")}


def subject(mail: Mail) -> str:
    return mail.headers()["Subject"]


@dataclass
class Run:
    """One daemon's run: mails and notify script calls before its stop and after, its log."""

    mails: list[Mail]
    mails_after_stop: list[Mail]
    notes: list[str]
    notes_after_stop: list[str]
    log: str


# the notify scripts of the events before the stop (they run concurrently: compared sorted)
NOTES = sorted(["QUORUM_UP", "RS2_DOWN", "QUORUM_DOWN", "RS2_UP", "QUORUM_UP"])


def run_daemon(
    argv: list[str], log_path: Path, note: Path, net: Net, sink: SinkThread, env: dict[str, str] | None = None
) -> Run:
    """Run one daemon through the events."""
    notes_path = note.with_suffix(".txt")
    notes_path.unlink(missing_ok=True)

    def notes() -> list[str]:
        try:
            return notes_path.read_text().split()
        except FileNotFoundError:
            return []

    with open(log_path, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)

    def log() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    def mails_are(n: int) -> Callable[[], bool]:
        return lambda: len(sink.mails()) >= n

    try:
        wait_for(lambda: dests() == {"192.0.2.1:80", "192.0.2.2:80"}, f"both real servers\n{log()}")
        wait_for(mails_are(1), f"the start's mail\n{log()}")
        net.stop("rs2")
        wait_for(mails_are(3), f"the mails of rs2 DOWN ({[subject(m) for m in sink.mails()]})\n{log()}")
        net.start("rs2")
        wait_for(mails_are(5), f"the mails of rs2 UP ({[subject(m) for m in sink.mails()]})\n{log()}")
        wait_for(lambda: len(notes()) >= len(NOTES), f"the notify scripts ({notes()})\n{log()}", timeout=20)
        before, notes_before = sink.mails(), notes()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    assert code == 0, log()
    # a mail whose dialogue was under way when the process ended (or a stop script) is in by now
    n, m = len(sink.mails()), len(notes())
    assert stays(lambda: len(sink.mails()) == n and len(notes()) == m, 1.0)
    after = sink.mails()[len(before) :]
    sink.clear()
    return Run(
        before, after, notes_before, notes()[len(notes_before) :], log_path.read_text(errors="replace")
    )


def masked(mail: Mail) -> bytes:
    assert DATE.match(mail.data), mail.data[:80]
    return DATE.sub(b"Date: <date>\r\n", mail.data, count=1)


def record(mail: Mail) -> dict[str, object]:
    return {
        "helo": mail.helo,
        "esmtp": mail.esmtp,
        "mail_from": mail.mail_from,
        "rcpt_tos": mail.rcpt_tos,
        "data": masked(mail).decode(),
    }


def test_checker_mails_equal_keepalived(net: Net, sink: SinkThread, tmp_path: Path) -> None:
    net.start("rs1")
    net.start("rs2")
    note = tmp_path / "note.sh"
    note.write_text(f'#!/bin/sh\necho "$1" >> {note.with_suffix(".txt")}\n')
    note.chmod(0o755)
    conf = tmp_path / "keepalived.conf"
    conf.write_text(CONF.replace("@NOTE@", str(note)))

    def argv(*program: str, tag: str) -> list[str]:
        files = ["-p", str(tmp_path / f"{tag}.pid"), "-c", str(tmp_path / f"{tag}.checkers.pid")]
        return [*program, "-C", "-n", "-l", "-f", str(conf), *files]

    theirs = run_daemon(argv(KEEPALIVED, tag="ka"), tmp_path / "ka.log", note, net, sink)
    assert ipvsadm_save() == [], theirs.log[-3000:]
    env = {k: v for k, v in os.environ.items() if k != "KEEPALIVED_PY_IPVS"}
    ours = run_daemon(
        argv(sys.executable, "-m", "keepalived_py", tag="kpy"), tmp_path / "kpy.log", note, net, sink, env
    )
    assert ipvsadm_save() == [], ours.log[-3000:]

    xchg = os.environ.get("IPVS_VM_XCHG")
    if xchg:
        with open(os.path.join(xchg, "checker_mail.json"), "w") as f:
            json.dump(
                {
                    "keepalived": [record(m) for m in theirs.mails + theirs.mails_after_stop],
                    "keepalived_py": [record(m) for m in ours.mails + ours.mails_after_stop],
                    "notes": {"keepalived": theirs.notes_after_stop, "keepalived_py": ours.notes_after_stop},
                },
                f,
                indent=1,
            )

    # keepalived's mails, in the order they arrived: the quorum's before the checker's
    assert [(subject(m), m.body()) for m in theirs.mails] == [
        (f"[[unknown]] Virtualserver {VS} - UP", "=> Starting with quorum up 3+1=4 <= 4 <=\r\n\r\n"),
        (f"[[unknown]] Virtualserver {VS} - DOWN", "=> Lost quorum 3+1=2 <= 1 <=\r\n\r\n"),
        (f"[[unknown]] {RS2} - DOWN", "=> TCP CHECK failed on service <=\r\n\r\n"),
        (f"[[unknown]] Virtualserver {VS} - UP", "=> Gained quorum 3+1=4 <= 4 <=\r\n\r\n"),
        (f"[[unknown]] {RS2} - UP", "=> TCP CHECK succeed on service <=\r\n\r\n"),
    ], [record(m) for m in theirs.mails]
    for mail in theirs.mails + ours.mails + ours.mails_after_stop:
        assert list(mail.headers()) == HEADERS
        assert mail.headers()["X-Mailer"] == "Keepalived"
        assert mail.headers()["To"] == ", ".join(RECIPIENTS)
        # no router_id, smtp_helo_name: the VM's name does not resolve -> [unknown], localhost
        assert (mail.helo, mail.esmtp, mail.mail_from, mail.rcpt_tos) == (
            "localhost",
            False,
            SENDER,
            list(RECIPIENTS),
        )
    # keepalived-py's: the same, message for message, in order
    assert [record(m) for m in ours.mails] == [record(m) for m in theirs.mails], (
        f"{[record(m) for m in ours.mails]}\n{ours.log[-3000:]}"
    )
    # and the same notify scripts (the start's quorum_up included)
    assert sorted(theirs.notes) == NOTES, theirs.log[-3000:]
    assert sorted(ours.notes) == NOTES, ours.log[-3000:]

    # the stop (omega): keepalived runs the live real servers' notify_down and the quorum_down
    # (clear_service_rs_list) and queues their "Shutting down" mails, which never leave: its
    # scheduler is already shutting down and serves no mail socket.  keepalived-py delivers them.
    assert "Shutting down service [192.0.2.2]:tcp:80 from VS [203.0.113.10]:tcp:80" in theirs.log
    stop_notes = ["QUORUM_DOWN", "RS1_DOWN", "RS2_DOWN"]
    assert sorted(theirs.notes_after_stop) == stop_notes, theirs.log[-3000:]
    assert sorted(ours.notes_after_stop) == stop_notes, ours.log[-3000:]
    assert theirs.mails_after_stop == []
    assert sorted((subject(m), m.body()) for m in ours.mails_after_stop) == [
        (f"[[unknown]] {RS1} - DOWN", "=> Shutting down <=\r\n\r\n"),
        (f"[[unknown]] {RS2} - DOWN", "=> Shutting down <=\r\n\r\n"),
        (f"[[unknown]] Virtualserver {VS} - DOWN", "=> Shutting down <=\r\n\r\n"),
    ], ours.log[-3000:]
