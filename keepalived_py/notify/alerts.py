"""SMTP alerts: who mails, and the mail keepalived 2.2.7 sends for each event (pure).

keepalived mails ``notification_email`` through ``smtp_server`` when a VRRP instance or sync
group changes state, when a real server goes up or down, when a virtual server gains or loses
its quorum, and when a real server is removed or shut down.  This module decides whether an
event mails (``*_smtp_enabled``, ``should_mail_*``) and writes the mail (``Alert`` for the
event, ``render_message`` for the DATA text with its headers); ``runtime``'s SMTP sender does
the talking.  The words, the header order and the date format are keepalived's; so are its
fixed buffer sizes where they cut a long subject, body or ``To:`` line.

An ``Alert`` carries the subject without the ``[router_id]`` prefix: the router id defaults to
the host's canonical name, which the runtime learns asynchronously, so the prefix is added when
the mail is written (``render_message``), as keepalived writes its mail when the DATA command
is answered.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from keepalived_py.config.model.global_defs import GlobalDefs

# keepalived's buffers (smtp.h): the subject and body are cut to one byte less than these, the
# To: line and each command line to SMTP_BUFFER_MAX - 1.
MAX_HEADERS_LENGTH = 256
MAX_BODY_LENGTH = 512
SMTP_BUFFER_MAX = 1024
# keepalived's local name when the host's canonical name cannot be found.
UNKNOWN_NAME = "[unknown]"
DEFAULT_HELO = "localhost"

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Alert:
    """One mail to send: the subject after ``[router_id] `` and the single body line."""

    topic: str
    body: str

    def __post_init__(self) -> None:
        for text in (self.topic, self.body):
            if "\r" in text or "\n" in text:
                raise ValueError("an alert's subject and body are single lines")


@dataclass(frozen=True, slots=True)
class MailIdentity:
    """Who mails whom, with keepalived's defaults resolved (see ``identity``)."""

    router_id: str
    email_from: str
    helo_name: str
    recipients: tuple[str, ...]


# -- who mails ---------------------------------------------------------------------------


def mail_configured(gd: GlobalDefs) -> bool:
    """keepalived sends nothing without recipients and a (resolvable) smtp_server."""
    return bool(gd.notification_email) and gd.smtp_server is not None


def vrrp_smtp_enabled(own: bool | None, gd: GlobalDefs) -> bool:
    """An instance or sync group: its ``smtp_alert``, else ``smtp_alert_vrrp``, else ``smtp_alert``,
    else no mail."""
    for value in (own, gd.smtp_alert_vrrp, gd.smtp_alert):
        if value is not None:
            return value
    return False


def virtual_server_smtp_enabled(own: bool | None, gd: GlobalDefs) -> bool:
    """A virtual server (quorum mails): its ``smtp_alert``, else ``smtp_alert_checker``, else
    ``smtp_alert``, else no mail."""
    for value in (own, gd.smtp_alert_checker, gd.smtp_alert):
        if value is not None:
            return value
    return False


def real_server_smtp_enabled(own: bool | None, gd: GlobalDefs) -> bool:
    """A real server: as a virtual server, but it mails when nothing is set (keepalived's own
    comment calls this inconsistent; it is its behaviour)."""
    for value in (own, gd.smtp_alert_checker, gd.smtp_alert):
        if value is not None:
            return value
    return True


# VRRP states that mail, and the (subject, instance body, group body) of each.  DELETED has no
# group mail; other notifications (MASTER_RX_LOWER_PRI, priority changes) never mail.
_VRRP_WORDS: dict[str, tuple[str, str, str | None]] = {
    "MASTER": (
        "Entering MASTER state",
        "=> VRRP Instance is now owning VRRP VIPs <=",
        "=> All VRRP group instances are now in MASTER state <=",
    ),
    "BACKUP": (
        "Entering BACKUP state",
        "=> VRRP Instance is no longer owning VRRP VIPs <=",
        "=> All VRRP group instances are now in BACKUP state <=",
    ),
    "FAULT": (
        "Entering FAULT state",
        "=> VRRP Instance is no longer owning VRRP VIPs <=",
        "=> All VRRP group instances are now in FAULT state <=",
    ),
    "STOP": ("Stopping", "=> VRRP Instance stopping <=", "=> All VRRP group instances are now stopping <="),
    "DELETED": ("Deleted", "=> VRRP Deleted at reload <=", None),
}
# the state an instance or group starts with (keepalived's last_email_state = INIT)
INITIAL_EMAIL_STATE = "INIT"


def should_mail_vrrp(enabled: bool, state: str, last_email_state: str, no_email_faults: bool) -> bool:
    """keepalived mails a VRRP state once per change of mailed state (``last_email_state``),
    never FAULT with ``no_email_faults``, and only the states that have a mail."""
    if not enabled or state == last_email_state or state not in _VRRP_WORDS:
        return False
    return not (no_email_faults and state == "FAULT")


def should_mail_real_server(enabled: bool, was_alive: bool, alive: bool, no_checker_emails: bool) -> bool:
    """A checker's verdict mails (the checker itself only calls this when its own state flipped);
    with ``no_checker_emails`` only when the real server's alive state changed."""
    return enabled and (was_alive != alive or not no_checker_emails)


# -- the mails ---------------------------------------------------------------------------


def vrrp_instance_alert(name: str, state: str) -> Alert | None:
    """The mail of an instance entering ``state`` (None for states that do not mail)."""
    words = _VRRP_WORDS.get(state)
    if words is None:
        return None
    return Alert(f"VRRP Instance {name} - {words[0]}", words[1])


def vrrp_group_alert(name: str, state: str) -> Alert | None:
    """The mail of a sync group entering ``state`` (None for states that do not mail)."""
    words = _VRRP_WORDS.get(state)
    if words is None or words[2] is None:
        return None
    return Alert(f"VRRP Group {name} - {words[0]}", words[2])


def real_server_alert(rs: str, vs: str, alive: bool, body: str) -> Alert:
    """A checker's verdict on a real server; ``rs`` and ``vs`` as keepalived prints them
    (``[192.0.2.10]:tcp:80``, ``FWM 1``, ``[group]:0``), ``body`` from ``checker_body``."""
    return Alert(f"Realserver {rs} of virtual server {vs} - {'UP' if alive else 'DOWN'}", body)


def real_server_removed_alert(rs: str, vs: str, stopping: bool) -> Alert:
    """A real server taken out of IPVS at shutdown or at a reload."""
    return Alert(
        f"Realserver {rs} of virtual server {vs} - DOWN",
        "=> Shutting down <=" if stopping else "=> Removing <=",
    )


def virtual_server_alert(
    vs: str,
    up: bool,
    *,
    init: bool = False,
    stopping: bool = False,
    quorum: int = 0,
    hysteresis: int = 0,
    threshold: int = 0,
    weight_sum: int = 0,
) -> Alert:
    """A virtual server's quorum changed (``init``: at start), or it is shut down."""
    if stopping:
        body = "=> Shutting down <="
    else:
        if up:
            what = "Starting with quorum up" if init else "Gained quorum"
        else:
            what = "Starting with quorum down" if init else "Lost quorum"
        body = f"=> {what} {quorum}+{hysteresis}={threshold} <= {weight_sum} <="
    # keepalived's message buffer is 80 bytes.
    return Alert(f"Virtualserver {vs} - {'UP' if up else 'DOWN'}", _cut(body, 80))


# Each checker's own words: (up, down).  ``{detail}`` is filled by SMTP_CHECK / BFD / MISC.
_CHECKER_WORDS: dict[str, tuple[str, str]] = {
    "TCP_CHECK": ("=> TCP CHECK succeed on service <=", "=> TCP CHECK failed on service <="),
    "UDP_CHECK": ("=> UDP CHECK succeed on service <=", "=> UDP CHECK failed on service <="),
    "PING_CHECK": ("=> ICMP CHECK succeed on service <=", "=> ICMP CHECK failed on service <="),
    "HTTP_GET": ("=> CHECK succeed on service <=", "=> CHECK failed on service : HTTP request failed <="),
    "SSL_GET": ("=> CHECK succeed on service <=", "=> CHECK failed on service : HTTP request failed <="),
    "DNS_CHECK": ("=> DNS_CHECK: succeed on service <=", "=> DNS_CHECK: failed on service <="),
    "SMTP_CHECK": ("=> CHECK succeed on service <=", "=> CHECK failed on service <="),
    "MISC_CHECK": ("=> MISC CHECK succeeded on service <=", "=> MISC CHECK failed on service <="),
}


def checker_body(kind: str, up: bool, detail: str | None = None) -> str | None:
    """The body line a checker mails; None for a checker that never mails (FILE_CHECK).

    ``detail``: SMTP_CHECK's failure reason (``=> CHECK failed on service : <detail> <=``), the
    BFD instance name for BFD_CHECK, ``timed out`` for a MISC_CHECK script that timed out.
    """
    if kind == "BFD_CHECK":
        return f"=> BFD CHECK {detail or ''} {'succeeded' if up else 'failed'} on service <="
    if kind == "MISC_CHECK" and not up and detail == "timed out":
        return "=> MISC CHECK timed out on service <="
    if kind == "SMTP_CHECK" and not up and detail:
        return _cut(f"=> CHECK failed on service : {detail} <=", MAX_BODY_LENGTH)
    words = _CHECKER_WORDS.get(kind)
    if words is None:
        return None
    return words[0] if up else words[1]


# -- writing the mail ----------------------------------------------------------------------


def identity(gd: GlobalDefs, local_name: str | None, user: str | None) -> MailIdentity:
    """keepalived's defaults for what the configuration leaves unset.

    ``local_name`` is the host's canonical name (``getaddrinfo(uname().nodename, AI_CANONNAME)``)
    or None when it cannot be found; ``user`` the name of the user we run as.  The router id
    defaults to the local name (``[unknown]`` without one); ``notification_email_from`` to
    ``user@local name``; ``smtp_helo_name`` to the local name, else ``localhost``.
    """
    known = local_name if local_name and local_name != UNKNOWN_NAME else None
    router_id = gd.router_id or known or UNKNOWN_NAME
    email_from = gd.email_from
    if email_from is None:
        # keepalived leaves it unset without a local name or user: the envelope is then empty.
        email_from = f"{user}@{known}" if known and user else ""
    helo = gd.smtp_helo_name or known or DEFAULT_HELO
    return MailIdentity(router_id, email_from, helo, tuple(gd.notification_email))


def envelope_address(addr: str) -> str:
    """The address part put between ``<>`` in MAIL FROM / RCPT TO.

    keepalived 2.2.7 puts the configured text there verbatim, which servers refuse for the
    ``Name <addr>`` form; only the ``<addr>`` part is used here (plain addresses are unchanged).
    """
    start, end = addr.rfind("<"), addr.rfind(">")
    if 0 <= start < end:
        return addr[start + 1 : end].strip()
    return addr.strip()


def rfc822_date(now: datetime.datetime) -> str:
    """keepalived's ``Date:`` value: ``strftime("%a, %d %b %Y %H:%M:%S %z")`` of the local time,
    in the C locale (``Mon, 01 Mar 2021 09:44:08 +0000``); ``now`` must be timezone-aware."""
    offset = now.utcoffset()
    if offset is None:
        raise ValueError("now must be timezone-aware")
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return (
        f"{_DAYS[now.weekday()]}, {now.day:02d} {_MONTHS[now.month - 1]} {now.year:04d} "
        f"{now.hour:02d}:{now.minute:02d}:{now.second:02d} {sign}{hours:02d}{mins:02d}"
    )


def to_header(recipients: tuple[str, ...]) -> str:
    """The ``To:`` value: the recipients joined by ``, `` while they fit keepalived's buffer."""
    room = SMTP_BUFFER_MAX - 1
    out: list[str] = []
    for addr in recipients:
        need = len(addr.encode()) + (2 if out else 0)
        if need > room:
            break
        out.append(addr)
        room -= need
    return ", ".join(out)


def subject(alert: Alert, router_id: str) -> str:
    return _cut(f"[{router_id}] {alert.topic}", MAX_HEADERS_LENGTH - 1)


def render_message(alert: Alert, ident: MailIdentity, now: datetime.datetime) -> str:
    """The text keepalived sends after DATA, without the final ``.`` line: its five headers in its
    order, a blank line, the body line and an empty line (keepalived ends the body with CRLF and
    then sends CRLF . CRLF)."""
    body = _cut(alert.body, MAX_BODY_LENGTH - 1)
    return (
        f"Date: {rfc822_date(now)}\r\n"
        f"From: {ident.email_from}\r\n"
        f"Subject: {subject(alert, ident.router_id)}\r\n"
        "X-Mailer: Keepalived\r\n"
        f"To: {to_header(ident.recipients)}\r\n"
        "\r\n"
        f"{body}\r\n"
        "\r\n"
    )


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` bytes of UTF-8 (without splitting a character)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore")
