"""SMTP alerts against a real SMTP server (aiosmtpd) on loopback: each kind of mail arrives as
keepalived writes it; refused, silent, 5xx and hung-up servers are logged with keepalived's lines
and the alert dropped, while the caller's loop keeps ticking (a periodic task with a deadline).
No root; the misbehaving servers are given up after 0.5 s."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
import re
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from keepalived_py.adapters.smtp import SmtpSender
from keepalived_py.check.health import CheckerCore, CheckerTiming, PoolState, QuorumChanged, ServerChanged
from keepalived_py.config.model import Config
from keepalived_py.config.model.global_defs import GlobalDefs
from keepalived_py.notify import alerts
from keepalived_py.notify.alerts import Alert
from keepalived_py.runtime.smtp_alerts import Mailer
from keepalived_py.runtime.vrrp_notify import Notifier, ScriptRunner
from tests.configtest import parse_text
from tests.smtp_sink import Sink, start_sink

NOW = datetime.datetime(2026, 11, 28, 7, 30, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
TIMEOUT_US = 500_000
LOGGER = "keepalived_py.adapters.smtp"


def _config(port: int, host: str = "127.0.0.1", extra: str = "") -> Config:
    r = parse_text(
        'global_defs {\n notification_email {\n  ops@example.com\n  "Net Team <net@example.com>"\n }\n'
        " notification_email_from keepalived@lb1.example.com\n router_id LB1\n"
        " smtp_helo_name lb1.example.com\n"
        f" smtp_server {host} {port}\n smtp_alert\n{extra}}}\n"
        "vrrp_sync_group G1 {\n group {\n  VI_1\n }\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n"
        " virtual_ipaddress {\n  192.0.2.100\n }\n}\n"
        "virtual_server 192.0.2.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n quorum 2\n hysteresis 1\n"
        " real_server 192.0.2.10 80 {\n  weight 3\n  TCP_CHECK {\n  }\n }\n}\n"
    )
    assert r.config is not None
    gd = dataclasses.replace(r.config.global_defs, smtp_connect_timeout=TIMEOUT_US)
    return dataclasses.replace(r.config, global_defs=gd)


def _sender(gd: GlobalDefs, **kw: object) -> SmtpSender:
    return SmtpSender(gd, clock=lambda: NOW, **kw)  # type: ignore[arg-type]


async def _until(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not pred():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


class Ticker:
    """A periodic task (every 10 ms) that records the largest gap between its ticks."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            now = loop.time()
            self.worst = max(self.worst, now - last)
            self.ticks += 1
            last = now

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


# -- each kind of mail ---------------------------------------------------------------------


def test_each_kind_of_mail_arrives_as_keepalived_writes_it() -> None:
    async def scenario() -> None:
        sink = await start_sink("127.0.0.1")
        config = _config(sink.port)
        gd = config.global_defs
        mailer = Mailer(config, sender=_sender(gd))
        mailer.start()
        inst = config.vrrp.instances[0]
        (group,) = config.vrrp.sync_groups
        vs = config.lvs.virtual_servers[0]
        rs = vs.real_servers[0]
        assert mailer.vrrp_instance(inst, "MASTER")
        assert mailer.vrrp_group(group, "BACKUP")
        assert mailer.real_server(vs, rs, kind="TCP_CHECK", up=False, was_alive=True, alive=False)
        assert mailer.virtual_server_quorum(vs, up=False, weight_sum=0)
        assert mailer.real_server_removed(vs, rs, stopping=False)
        await _until(lambda: len(sink.mails) == 5)
        await mailer.stop()
        await sink.close()

        by_subject = {m.headers()["Subject"]: m for m in sink.mails}
        assert set(by_subject) == {
            "[LB1] VRRP Instance VI_1 - Entering MASTER state",
            "[LB1] VRRP Group G1 - Entering BACKUP state",
            "[LB1] Realserver [192.0.2.10]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - DOWN",
            "[LB1] Virtualserver [192.0.2.1]:tcp:80 - DOWN",
        }
        bodies = sorted(m.body() for m in sink.mails)
        assert bodies == sorted(
            [
                "=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n",
                "=> All VRRP group instances are now in BACKUP state <=\r\n\r\n",
                "=> TCP CHECK failed on service <=\r\n\r\n",
                "=> Lost quorum 2+1=1 <= 0 <=\r\n\r\n",
                "=> Removing <=\r\n\r\n",
            ]
        )
        for mail in sink.mails:
            assert mail.helo == "lb1.example.com" and not mail.esmtp  # HELO, never EHLO
            assert mail.mail_from == "keepalived@lb1.example.com"
            assert mail.rcpt_tos == ["ops@example.com", "net@example.com"]
            head = mail.data.decode().split("\r\n\r\n")[0].split("\r\n")
            assert [h.split(":")[0] for h in head] == ["Date", "From", "Subject", "X-Mailer", "To"]
            assert mail.headers()["Date"] == "Sat, 28 Nov 2026 07:30:05 +0100"
            assert mail.headers()["From"] == "keepalived@lb1.example.com"
            assert mail.headers()["X-Mailer"] == "Keepalived"
            assert mail.headers()["To"] == "ops@example.com, Net Team <net@example.com>"
        master = by_subject["[LB1] VRRP Instance VI_1 - Entering MASTER state"]
        ident = alerts.MailIdentity(
            "LB1", "keepalived@lb1.example.com", "lb1.example.com", tuple(gd.notification_email)
        )
        expected = alerts.vrrp_instance_alert("VI_1", "MASTER")
        assert expected is not None
        assert master.data == alerts.render_message(expected, ident, NOW).encode()

    run(scenario)


def test_vrrp_mails_once_per_mailed_state_and_not_without_smtp_alert() -> None:
    async def scenario() -> None:
        sink = await start_sink("127.0.0.1")
        config = _config(sink.port)
        mailer = Mailer(config, sender=_sender(config.global_defs))
        mailer.start()
        inst = config.vrrp.instances[0]
        sent = [mailer.vrrp_instance(inst, s) for s in ("BACKUP", "BACKUP", "MASTER_RX_LOWER_PRI", "MASTER")]
        assert sent == [True, False, False, True]
        off = dataclasses.replace(inst, name="VI_OFF", smtp_alert=False)
        assert not mailer.vrrp_instance(off, "MASTER")
        await _until(lambda: len(sink.mails) == 2)
        await mailer.stop()
        await sink.close()

    run(scenario)


def test_no_mail_without_recipients_or_server() -> None:
    config = _config(25)
    bare = dataclasses.replace(
        config, global_defs=dataclasses.replace(config.global_defs, notification_email=())
    )
    mailer = Mailer(bare)
    assert mailer.sender is None
    assert not mailer.vrrp_instance(config.vrrp.instances[0], "MASTER")


def test_host_name_resolved_and_detail_logged(caplog: pytest.LogCaptureFixture) -> None:
    host = str(socket.getaddrinfo("localhost", None, type=socket.SOCK_STREAM)[0][4][0])

    async def scenario() -> None:
        sink = await start_sink(host)
        config = _config(sink.port, host="localhost")
        sender = _sender(config.global_defs, log_detail=True)
        sender.start()
        sender.send(Alert("t", ".leading dot"))
        await _until(lambda: sender.sent == 1)
        await sender.stop()
        await sink.close()
        assert sink.mails[0].body() == ".leading dot\r\n\r\n"  # dot-stuffed on the wire

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(scenario)
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        line.startswith(f"Remote SMTP server [{host}]:") and line.endswith(" connected.") for line in lines
    )
    assert "SMTP alert successfully sent." in lines


# -- failures: logged, dropped, the loop never waits ---------------------------------------


def _any_fd(line: str) -> str:
    return re.sub(r"^smtp fd \d+ ", "smtp fd N ", line)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("mode", "lines"),
    [
        ("refused", ["smtp fd {fd} returned write error"]),
        ("hang", ["Timeout reading data to remote SMTP server [127.0.0.1]:{port}."]),
        ("close", ["Remote SMTP server [127.0.0.1]:{port} has closed the connection."]),
        (
            "greet-554",
            ["Error processing (E)SMTP cmd on SMTP server [127.0.0.1]:{port}. SMTP status code = 554"],
        ),
        (
            "refuse-mail",
            ["Error processing MAIL cmd on SMTP server [127.0.0.1]:{port}. SMTP status code = 550"],
        ),
    ],
)
def test_failures_logged_dropped_and_loop_responsive(
    mode: str, lines: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    port = 0

    async def scenario() -> None:
        nonlocal port
        sink: Sink | None = None
        if mode == "refused":
            port = _free_port()
        else:
            sink = await start_sink("127.0.0.1", mode=mode)
            port = sink.port
        config = _config(port)
        sender = _sender(config.global_defs)
        sender.start()
        with Ticker() as ticker:
            loop = asyncio.get_running_loop()
            before = loop.time()
            for _ in range(3):
                assert sender.send(Alert("VRRP Instance VI_1 - Entering MASTER state", "b"))
            assert loop.time() - before < 0.05  # queued, not sent
            await _until(lambda: sender.failed == 3 and ticker.ticks >= 5)
        assert sender.sent == 0
        # the ticker ran all along: no gap near the SMTP timeout (0.5 s)
        assert ticker.ticks > 0 and ticker.worst < 0.4, ticker.worst
        await sender.stop()
        if sink is not None:
            await sink.close()

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(scenario)
    got = [_any_fd(r.getMessage()) for r in caplog.records if r.name == LOGGER]
    assert got == [line.format(port=port, fd="N") for line in lines] * 3


def test_unresolvable_name_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        config = _config(25, host="no-such-host.invalid")
        sender = _sender(config.global_defs)
        sender.start()
        sender.send(Alert("t", "b"))
        await _until(lambda: sender.failed == 1)
        await sender.stop()

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(scenario)
    assert [r.getMessage() for r in caplog.records] == ["Invalid smtp server no-such-host.invalid 25"]


def test_queue_is_bounded_and_send_never_waits(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        sink = await start_sink("127.0.0.1", mode="hang")
        config = _config(sink.port)
        sender = _sender(config.global_defs, queue_size=2, workers=1)
        sender.start()
        with Ticker() as ticker:
            accepted = [sender.send(Alert(f"n{i}", "b")) for i in range(50)]
            await asyncio.sleep(0.05)
        assert accepted[:2] == [True, True] and accepted.count(True) <= 3
        assert sender.dropped == accepted.count(False)
        assert ticker.worst < 0.4
        # stopping cuts the hung dialogue short
        loop = asyncio.get_running_loop()
        start = loop.time()
        await sender.stop(grace=0.05)
        assert loop.time() - start < 1.0
        await sink.close()

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(scenario)
    assert "SMTP alert queue full - dropping alert 'n49'" in [r.getMessage() for r in caplog.records]


def test_retries_then_dropped(caplog: pytest.LogCaptureFixture) -> None:
    port = _free_port()

    async def scenario() -> None:
        config = _config(port)
        sender = _sender(config.global_defs, retries=2, retry_delay=0.01)
        sender.start()
        sender.send(Alert("t", "b"))
        await _until(lambda: sender.failed == 1)
        await sender.stop()

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(scenario)
    assert [_any_fd(r.getMessage()) for r in caplog.records] == ["smtp fd N returned write error"] * 3


def test_default_identity_from_the_host() -> None:
    async def scenario() -> None:
        sink = await start_sink("127.0.0.1")
        config = _config(sink.port)
        gd = dataclasses.replace(config.global_defs, router_id=None, email_from=None, smtp_helo_name=None)
        sender = _sender(gd)
        sender.start()
        sender.send(Alert("VRRP Instance VI_1 - Stopping", "=> VRRP Instance stopping <="))
        await _until(lambda: len(sink.mails) == 1)
        await sender.stop()
        await sink.close()
        mail = sink.mails[0]
        # keepalived: the canonical host name everywhere, and user@name as the sender; without
        # one: HELO localhost, router id [unknown], an empty sender
        try:
            name = socket.getaddrinfo(socket.gethostname(), None, flags=socket.AI_CANONNAME)[0][3]
        except OSError:
            name = ""
        assert mail.helo == (name or "localhost")
        assert mail.headers()["Subject"] == f"[{name or '[unknown]'}] VRRP Instance VI_1 - Stopping"
        assert mail.mail_from.endswith(f"@{name}") if name else mail.mail_from == ""

    run(scenario)


def test_notifier_mails_instance_and_group_transitions() -> None:
    """runtime.vrrp_notify.Notifier: the mail comes after the scripts and the FIFO, once per state."""

    async def scenario() -> None:
        sink = await start_sink("127.0.0.1")
        config = _config(sink.port)
        notifier = Notifier(config, ScriptRunner(config))
        notifier.start()
        inst = config.vrrp.instances[0]
        (group,) = config.vrrp.sync_groups
        notifier.instance(inst, "BACKUP", 100)
        notifier.group(group, "BACKUP")
        notifier.instance(inst, "MASTER_PRIORITY", 100)
        notifier.instance(inst, "MASTER", 100)
        notifier.group(group, "MASTER")
        await _until(lambda: len(sink.mails) == 4)
        await notifier.flush_mail()
        notifier.close()
        await sink.close()
        assert sorted(m.headers()["Subject"] for m in sink.mails) == [
            "[LB1] VRRP Group G1 - Entering BACKUP state",
            "[LB1] VRRP Group G1 - Entering MASTER state",
            "[LB1] VRRP Instance VI_1 - Entering BACKUP state",
            "[LB1] VRRP Instance VI_1 - Entering MASTER state",
        ]

    run(scenario)


def test_real_server_failure_from_the_health_core_mails() -> None:
    """The checker side, ready for the checker process: a TCP_CHECK verdict in check.health's pool
    (retries spent) gives the real server DOWN and quorum lost mails, then UP and gained."""

    async def scenario() -> None:
        sink = await start_sink("127.0.0.1")
        config = _config(sink.port)
        vs = config.lvs.virtual_servers[0]
        rs = vs.real_servers[0]
        mailer = Mailer(config, sender=_sender(config.global_defs))
        mailer.start()
        pool = PoolState(vs)
        pool.start()
        checker = CheckerCore(CheckerTiming(delay_loop_us=5_000_000, retry=1), alpha=False)
        checker.start(0, 0.0)

        def attempt(success: bool, now: int) -> None:
            outcome = checker.result(success, now)
            if outcome.verdict is None:
                return
            was_alive = pool.servers[rs.address].alive
            for event in pool.checker_verdict(rs.address, 0, outcome.verdict):
                if isinstance(event, ServerChanged):
                    mailer.real_server(
                        vs, rs, kind="TCP_CHECK", up=event.alive, was_alive=was_alive, alive=event.alive
                    )
                elif isinstance(event, QuorumChanged):
                    mailer.virtual_server_quorum(
                        vs,
                        up=event.up,
                        init=event.init,
                        threshold=event.threshold,
                        weight_sum=event.weight_sum,
                    )

        attempt(True, 1_000_000)  # first success: the server was up already, no mail
        attempt(False, 6_000_000)  # a failure, one retry left
        attempt(False, 7_000_000)  # retries spent: DOWN, quorum lost
        attempt(True, 12_000_000)  # UP again, quorum gained
        await _until(lambda: len(sink.mails) == 4)
        await mailer.stop()
        await sink.close()
        got = [(m.headers()["Subject"], m.body()) for m in sink.mails]
        assert sorted(got) == sorted(
            [
                (
                    "[LB1] Realserver [192.0.2.10]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - DOWN",
                    "=> TCP CHECK failed on service <=\r\n\r\n",
                ),
                ("[LB1] Virtualserver [192.0.2.1]:tcp:80 - DOWN", "=> Lost quorum 2+1=1 <= 0 <=\r\n\r\n"),
                (
                    "[LB1] Realserver [192.0.2.10]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - UP",
                    "=> TCP CHECK succeed on service <=\r\n\r\n",
                ),
                ("[LB1] Virtualserver [192.0.2.1]:tcp:80 - UP", "=> Gained quorum 2+1=3 <= 3 <=\r\n\r\n"),
            ]
        )

    run(scenario)


def test_hung_server_with_detail_logs_as_keepalived(caplog: pytest.LogCaptureFixture) -> None:
    """keepalived -D: "connected" once TCP is up, then the read time-out (keepalived logs that line
    a second time after its QUIT also goes unanswered; aiosmtplib closes after the first)."""
    port = 0

    async def scenario() -> None:
        nonlocal port
        sink = await start_sink("127.0.0.1", mode="hang")
        port = sink.port
        sender = _sender(_config(port).global_defs, log_detail=True)
        sender.start()
        sender.send(Alert("t", "b"))
        await _until(lambda: sender.failed == 1)
        await sender.stop()
        await sink.close()

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(scenario)
    assert [r.getMessage() for r in caplog.records] == [
        f"Remote SMTP server [127.0.0.1]:{port} connected.",
        f"Timeout reading data to remote SMTP server [127.0.0.1]:{port}.",
    ]
