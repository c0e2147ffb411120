"""SMTP alerts (pure): who mails, and each mail's subject, body, headers and date as keepalived 2.2.7
(core/smtp.c, vrrp/vrrp_notify.c, check/check_*.c, check/ipwrapper.c)."""

from __future__ import annotations

import datetime

import pytest

from keepalived_py.config.model.global_defs import GlobalDefs, SmtpServer
from keepalived_py.notify import alerts
from keepalived_py.notify.alerts import Alert, MailIdentity
from tests.configtest import parse_text

UTC = datetime.UTC
CET = datetime.timezone(datetime.timedelta(hours=1))
NEWFOUNDLAND = datetime.timezone(-datetime.timedelta(hours=3, minutes=30))


def _gd(**kw: object) -> GlobalDefs:
    return GlobalDefs(**kw)  # type: ignore[arg-type]


# -- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "text"),
    [
        (datetime.datetime(2021, 3, 1, 9, 44, 8, tzinfo=UTC), "Mon, 01 Mar 2021 09:44:08 +0000"),
        (datetime.datetime(2026, 11, 28, 7, 5, 9, 999999, tzinfo=CET), "Sat, 28 Nov 2026 07:05:09 +0100"),
        (datetime.datetime(2024, 2, 29, 23, 0, 0, tzinfo=NEWFOUNDLAND), "Thu, 29 Feb 2024 23:00:00 -0330"),
        (datetime.datetime(1999, 12, 5, 0, 0, 0, tzinfo=UTC), "Sun, 05 Dec 1999 00:00:00 +0000"),
    ],
)
def test_rfc822_date_as_keepalived_strftime(now: datetime.datetime, text: str) -> None:
    assert alerts.rfc822_date(now) == text


def test_rfc822_date_matches_c_locale_strftime() -> None:
    # Python's strftime in the C locale is the same as keepalived's: check a year of days.
    start = datetime.datetime(2025, 1, 1, 12, 30, 1, tzinfo=CET)
    for day in range(366):
        now = start + datetime.timedelta(days=day, seconds=day * 97)
        assert alerts.rfc822_date(now) == now.strftime("%a, %d %b %Y %H:%M:%S %z")


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        alerts.rfc822_date(datetime.datetime(2021, 3, 1))


# -- VRRP mails ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "topic", "body"),
    [
        (
            "MASTER",
            "VRRP Instance VI_1 - Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        (
            "BACKUP",
            "VRRP Instance VI_1 - Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        (
            "FAULT",
            "VRRP Instance VI_1 - Entering FAULT state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        ("STOP", "VRRP Instance VI_1 - Stopping", "=> VRRP Instance stopping <="),
        ("DELETED", "VRRP Instance VI_1 - Deleted", "=> VRRP Deleted at reload <="),
    ],
)
def test_instance_mail(state: str, topic: str, body: str) -> None:
    assert alerts.vrrp_instance_alert("VI_1", state) == Alert(topic, body)


@pytest.mark.parametrize(
    ("state", "topic", "body"),
    [
        (
            "MASTER",
            "VRRP Group G1 - Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        (
            "BACKUP",
            "VRRP Group G1 - Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        (
            "FAULT",
            "VRRP Group G1 - Entering FAULT state",
            "=> All VRRP group instances are now in FAULT state <=",
        ),
        ("STOP", "VRRP Group G1 - Stopping", "=> All VRRP group instances are now stopping <="),
    ],
)
def test_group_mail(state: str, topic: str, body: str) -> None:
    assert alerts.vrrp_group_alert("G1", state) == Alert(topic, body)


@pytest.mark.parametrize("state", ["INIT", "MASTER_RX_LOWER_PRI", "MASTER_PRIORITY", "BACKUP_PRIORITY"])
def test_states_without_mail(state: str) -> None:
    assert alerts.vrrp_instance_alert("VI_1", state) is None
    assert alerts.vrrp_group_alert("G1", state) is None
    assert not alerts.should_mail_vrrp(True, state, "MASTER", False)


def test_group_has_no_deleted_mail() -> None:
    assert alerts.vrrp_group_alert("G1", "DELETED") is None


def test_mail_once_per_change_of_mailed_state() -> None:
    last = alerts.INITIAL_EMAIL_STATE
    sent = []
    for state in ("BACKUP", "BACKUP", "MASTER", "MASTER", "BACKUP", "STOP"):
        if alerts.should_mail_vrrp(True, state, last, False):
            sent.append(state)
            last = state
    assert sent == ["BACKUP", "MASTER", "BACKUP", "STOP"]


def test_no_email_faults() -> None:
    assert alerts.should_mail_vrrp(True, "FAULT", "MASTER", False)
    assert not alerts.should_mail_vrrp(True, "FAULT", "MASTER", True)
    # a FAULT not mailed leaves last_email_state: the next BACKUP after MASTER still mails
    assert alerts.should_mail_vrrp(True, "BACKUP", "MASTER", True)
    assert not alerts.should_mail_vrrp(False, "MASTER", "BACKUP", False)


# -- precedence ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("own", "vrrp", "general", "expected"),
    [
        (None, None, None, False),
        (None, None, True, True),
        (None, False, True, False),
        (None, True, False, True),
        (False, True, True, False),
        (True, False, False, True),
    ],
)
def test_vrrp_precedence(own: bool | None, vrrp: bool | None, general: bool | None, expected: bool) -> None:
    gd = _gd(smtp_alert_vrrp=vrrp, smtp_alert=general, smtp_alert_checker=not expected)
    assert alerts.vrrp_smtp_enabled(own, gd) is expected


@pytest.mark.parametrize(
    ("own", "checker", "general", "vs", "rs"),
    [
        (None, None, None, False, True),  # real servers alert by default, virtual servers not
        (None, None, False, False, False),
        (None, None, True, True, True),
        (None, False, True, False, False),
        (None, True, False, True, True),
        (True, False, False, True, True),
        (False, True, True, False, False),
    ],
)
def test_checker_precedence(
    own: bool | None, checker: bool | None, general: bool | None, vs: bool, rs: bool
) -> None:
    gd = _gd(smtp_alert_checker=checker, smtp_alert=general, smtp_alert_vrrp=not vs)
    assert alerts.virtual_server_smtp_enabled(own, gd) is vs
    assert alerts.real_server_smtp_enabled(own, gd) is rs


def test_precedence_from_a_config() -> None:
    r = parse_text(
        "global_defs {\n notification_email {\n  ops@example.com\n }\n smtp_server 192.0.2.9\n"
        " smtp_alert\n smtp_alert_vrrp false\n}\n"
        "vrrp_sync_group G1 {\n group {\n  VI_1\n }\n smtp_alert\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n"
        " virtual_ipaddress {\n  192.0.2.100\n }\n}\n"
        "vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 2\n smtp_alert true\n"
        " virtual_ipaddress {\n  192.0.2.101\n }\n}\n"
    )
    assert r.config is not None
    gd = r.config.global_defs
    assert alerts.mail_configured(gd)
    by_name = {i.name: i for i in r.config.vrrp.instances}
    assert not alerts.vrrp_smtp_enabled(by_name["VI_1"].smtp_alert, gd)
    assert alerts.vrrp_smtp_enabled(by_name["VI_2"].smtp_alert, gd)
    (group,) = r.config.vrrp.sync_groups
    assert alerts.vrrp_smtp_enabled(group.smtp_alert, gd)


def _checker_config(global_extra: str) -> dict[str, tuple[bool, bool]]:
    """Per virtual server: (its quorum mails, its first real server's mails) as enabled."""
    vs_lines = {
        "VS_unset": ("", ""),
        "VS_on": ("smtp_alert", ""),
        "VS_off": ("smtp_alert off", "smtp_alert"),
        "VS_rs_off": ("", "smtp_alert no"),
    }
    text = (
        "global_defs {\n notification_email {\n  ops@example.com\n }\n smtp_server 192.0.2.9\n"
        f"{global_extra}}}\n"
    )
    for port, (vs_kw, rs_kw) in enumerate(vs_lines.values(), start=80):
        text += (
            f"virtual_server 192.0.2.10 {port} {{\n protocol TCP\n {vs_kw}\n"
            f" real_server 198.51.100.1 {port} {{\n  {rs_kw}\n  TCP_CHECK {{\n  }}\n }}\n}}\n"
        )
    r = parse_text(text)
    assert r.config is not None, [d.message for d in r.diags.items]
    gd = r.config.global_defs
    out = {}
    for name, vs in zip(vs_lines, r.config.lvs.virtual_servers, strict=True):
        rs = vs.real_servers[0]
        out[name] = (
            alerts.virtual_server_smtp_enabled(vs.smtp_alert, gd),
            alerts.real_server_smtp_enabled(rs.smtp_alert, gd),
        )
    return out


@pytest.mark.parametrize(
    ("global_extra", "expected"),
    [
        # nothing global: virtual servers do not mail, real servers do (check_data.c's defaults)
        (
            "",
            {
                "VS_unset": (False, True),
                "VS_on": (True, True),
                "VS_off": (False, True),
                "VS_rs_off": (False, False),
            },
        ),
        # smtp_alert off: both off unless their own keyword says otherwise
        (
            " smtp_alert off\n",
            {
                "VS_unset": (False, False),
                "VS_on": (True, False),
                "VS_off": (False, True),
                "VS_rs_off": (False, False),
            },
        ),
        # smtp_alert_checker wins over smtp_alert; smtp_alert_vrrp plays no part
        (
            " smtp_alert off\n smtp_alert_checker\n smtp_alert_vrrp off\n",
            {
                "VS_unset": (True, True),
                "VS_on": (True, True),
                "VS_off": (False, True),
                "VS_rs_off": (True, False),
            },
        ),
        (
            " smtp_alert\n smtp_alert_checker false\n",
            {
                "VS_unset": (False, False),
                "VS_on": (True, False),
                "VS_off": (False, True),
                "VS_rs_off": (False, False),
            },
        ),
    ],
)
def test_checker_precedence_from_a_config(global_extra: str, expected: dict[str, tuple[bool, bool]]) -> None:
    """keepalived's check_data.c: own ``smtp_alert`` (bare = on), else ``smtp_alert_checker``,
    else ``smtp_alert``, else off for a virtual server and ON for a real server."""
    assert _checker_config(global_extra) == expected


def test_mail_configured_needs_recipients_and_server() -> None:
    assert not alerts.mail_configured(_gd())
    assert not alerts.mail_configured(_gd(notification_email=("a@example.com",)))
    assert not alerts.mail_configured(_gd(smtp_server=SmtpServer("192.0.2.9")))
    assert alerts.mail_configured(_gd(notification_email=("a@example.com",), smtp_server=SmtpServer("mx")))


def test_no_checker_emails() -> None:
    assert alerts.should_mail_real_server(True, True, True, False)  # a checker flipped, RS still alive
    assert not alerts.should_mail_real_server(True, True, True, True)
    assert alerts.should_mail_real_server(True, True, False, True)
    assert not alerts.should_mail_real_server(False, True, False, False)


# -- checker mails -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "up", "detail", "body"),
    [
        ("TCP_CHECK", True, None, "=> TCP CHECK succeed on service <="),
        ("TCP_CHECK", False, None, "=> TCP CHECK failed on service <="),
        ("UDP_CHECK", False, None, "=> UDP CHECK failed on service <="),
        ("PING_CHECK", True, None, "=> ICMP CHECK succeed on service <="),
        ("HTTP_GET", True, None, "=> CHECK succeed on service <="),
        ("HTTP_GET", False, None, "=> CHECK failed on service : HTTP request failed <="),
        ("SSL_GET", False, None, "=> CHECK failed on service : HTTP request failed <="),
        ("DNS_CHECK", True, None, "=> DNS_CHECK: succeed on service <="),
        ("DNS_CHECK", False, None, "=> DNS_CHECK: failed on service <="),
        ("SMTP_CHECK", True, None, "=> CHECK succeed on service <="),
        ("SMTP_CHECK", False, None, "=> CHECK failed on service <="),
        ("SMTP_CHECK", False, "Bad greeting", "=> CHECK failed on service : Bad greeting <="),
        ("MISC_CHECK", True, None, "=> MISC CHECK succeeded on service <="),
        ("MISC_CHECK", False, None, "=> MISC CHECK failed on service <="),
        ("MISC_CHECK", False, "timed out", "=> MISC CHECK timed out on service <="),
        ("BFD_CHECK", True, "bfd1", "=> BFD CHECK bfd1 succeeded on service <="),
        ("BFD_CHECK", False, "bfd1", "=> BFD CHECK bfd1 failed on service <="),
        ("FILE_CHECK", False, None, None),
    ],
)
def test_checker_bodies(kind: str, up: bool, detail: str | None, body: str | None) -> None:
    assert alerts.checker_body(kind, up, detail) == body


def test_real_server_mails() -> None:
    up = alerts.real_server_alert(
        "[192.0.2.10]:tcp:80", "[192.0.2.1]:tcp:80", True, "=> TCP CHECK succeed on service <="
    )
    assert up.topic == "Realserver [192.0.2.10]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - UP"
    down = alerts.real_server_alert("[192.0.2.10]:tcp:80", "FWM 3", False, "x")
    assert down.topic == "Realserver [192.0.2.10]:tcp:80 of virtual server FWM 3 - DOWN"
    gone = alerts.real_server_removed_alert("[2001:db8::10]:udp:53", "[2001:db8::1]:udp:53", stopping=True)
    assert gone == Alert(
        "Realserver [2001:db8::10]:udp:53 of virtual server [2001:db8::1]:udp:53 - DOWN",
        "=> Shutting down <=",
    )
    assert alerts.real_server_removed_alert("r", "v", stopping=False).body == "=> Removing <="


@pytest.mark.parametrize(
    ("up", "init", "stopping", "body"),
    [
        (True, False, False, "=> Gained quorum 2+1=3 <= 4 <="),
        (False, False, False, "=> Lost quorum 2+1=1 <= 0 <="),
        (True, True, False, "=> Starting with quorum up 2+1=3 <= 4 <="),
        (False, True, False, "=> Starting with quorum down 2+1=1 <= 0 <="),
        (False, False, True, "=> Shutting down <="),
    ],
)
def test_quorum_mails(up: bool, init: bool, stopping: bool, body: str) -> None:
    threshold, weight = (3, 4) if up else (1, 0)
    alert = alerts.virtual_server_alert(
        "[192.0.2.1]:tcp:80",
        up,
        init=init,
        stopping=stopping,
        quorum=2,
        hysteresis=1,
        threshold=threshold,
        weight_sum=weight,
    )
    assert alert == Alert(f"Virtualserver [192.0.2.1]:tcp:80 - {'UP' if up else 'DOWN'}", body)


# -- identity and the whole message --------------------------------------------------------


def test_identity_defaults() -> None:
    gd = _gd(notification_email=("a@example.com", "b@example.com"), smtp_server=SmtpServer("192.0.2.9"))
    assert alerts.identity(gd, "lb1.example.com", "root") == MailIdentity(
        "lb1.example.com", "root@lb1.example.com", "lb1.example.com", ("a@example.com", "b@example.com")
    )
    # without a local name: router id [unknown], HELO localhost, no sender
    assert alerts.identity(gd, None, "root") == MailIdentity(
        "[unknown]", "", "localhost", ("a@example.com", "b@example.com")
    )
    set_ = _gd(router_id="R1", email_from="ka@example.com", smtp_helo_name="helo.example.com")
    assert alerts.identity(set_, "lb1", "root") == MailIdentity(
        "R1", "ka@example.com", "helo.example.com", ()
    )


def test_envelope_address() -> None:
    assert alerts.envelope_address("ops@example.com") == "ops@example.com"
    assert alerts.envelope_address("Ops Team <ops@example.com>") == "ops@example.com"
    assert alerts.envelope_address("") == ""


def test_message_as_keepalived() -> None:
    ident = MailIdentity("LB1", "keepalived@example.com", "lb1", ("a@example.com", "b@example.com"))
    alert = alerts.vrrp_instance_alert("VI_1", "MASTER")
    assert alert is not None
    now = datetime.datetime(2021, 3, 1, 9, 44, 8, tzinfo=UTC)
    assert alerts.render_message(alert, ident, now) == (
        "Date: Mon, 01 Mar 2021 09:44:08 +0000\r\n"
        "From: keepalived@example.com\r\n"
        "Subject: [LB1] VRRP Instance VI_1 - Entering MASTER state\r\n"
        "X-Mailer: Keepalived\r\n"
        "To: a@example.com, b@example.com\r\n"
        "\r\n"
        "=> VRRP Instance is now owning VRRP VIPs <=\r\n"
        "\r\n"
    )


def test_long_fields_are_cut_as_keepalived() -> None:
    ident = MailIdentity(
        "R" * 300, "f@example.com", "h", tuple(f"user{i:03d}@example.com" for i in range(100))
    )
    alert = Alert("x", "b" * 600)
    text = alerts.render_message(alert, ident, datetime.datetime(2021, 3, 1, tzinfo=UTC))
    headers = dict(line.split(": ", 1) for line in text.split("\r\n\r\n")[0].split("\r\n"))
    assert len(headers["Subject"]) == alerts.MAX_HEADERS_LENGTH - 1
    assert len(headers["To"]) <= alerts.SMTP_BUFFER_MAX - 1
    assert headers["To"].count("@") == (alerts.SMTP_BUFFER_MAX - 1 + 2) // (len("user000@example.com") + 2)
    assert text.split("\r\n\r\n")[1] == "b" * (alerts.MAX_BODY_LENGTH - 1)
    # a multi-byte character is never split
    assert alerts.subject(Alert("é" * 200, "b"), "R") == "[R] " + "é" * 125


def test_alert_is_one_line() -> None:
    with pytest.raises(ValueError):
        Alert("a\r\nBcc: x@example.com", "b")
    with pytest.raises(ValueError):
        Alert("a", "b\n.")
