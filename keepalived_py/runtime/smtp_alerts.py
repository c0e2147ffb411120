"""The SMTP alerts of one process (VRRP or checker): decide with ``notify.alerts``, queue on
``adapters.smtp.SmtpSender``.

Every method returns at once (the sender only queues) and says whether a mail was queued.
Without ``notification_email`` or ``smtp_server`` nothing is ever sent, as in keepalived.

VRRP: ``vrrp_instance`` / ``vrrp_group`` are called for every notification of an instance or a
sync group (``runtime.vrrp_notify.Notifier``); they mail once per change of mailed state
(keepalived's ``last_email_state``), honour ``no_email_faults`` and the ``smtp_alert``
precedence (own keyword, ``smtp_alert_vrrp``, ``smtp_alert``, off).

Checker: ``real_server`` after a checker's verdict flipped (the checker knows whether its own
state changed: keepalived mails only then), ``real_server_removed`` when a live real server is
taken out of IPVS, ``virtual_server_quorum`` when a virtual server's quorum changes or at stop.
"""

from __future__ import annotations

from keepalived_py.adapters.smtp import SmtpSender
from keepalived_py.config.model import Config
from keepalived_py.config.model.lvs import RealServer, VirtualServer, trio
from keepalived_py.config.model.vrrp import VrrpInstance, VrrpSyncGroup
from keepalived_py.notify import alerts


class Mailer:
    def __init__(self, config: Config, *, log_detail: bool = False, sender: SmtpSender | None = None) -> None:
        self.gd = config.global_defs
        if sender is None and alerts.mail_configured(self.gd):
            sender = SmtpSender(self.gd, log_detail=log_detail)
        self.sender = sender
        # ("INSTANCE" | "GROUP", name) -> last mailed state
        self._last: dict[tuple[str, str], str] = {}

    def start(self) -> None:
        if self.sender is not None:
            self.sender.start()

    async def stop(self, grace: float = 1.0) -> None:
        if self.sender is not None:
            await self.sender.stop(grace)

    def _send(self, alert: alerts.Alert | None) -> bool:
        if alert is None or self.sender is None:
            return False
        return self.sender.send(alert)

    # -- VRRP ----------------------------------------------------------------------------

    def _vrrp(self, key: tuple[str, str], own: bool | None, state: str, alert: alerts.Alert | None) -> bool:
        if self.sender is None or alert is None:
            return False
        enabled = alerts.vrrp_smtp_enabled(own, self.gd)
        last = self._last.get(key, alerts.INITIAL_EMAIL_STATE)
        if not alerts.should_mail_vrrp(enabled, state, last, self.gd.no_email_faults):
            return False
        self._last[key] = state
        return self._send(alert)

    def vrrp_instance(self, inst: VrrpInstance, state: str) -> bool:
        alert = alerts.vrrp_instance_alert(inst.name, state)
        return self._vrrp(("INSTANCE", inst.name), inst.smtp_alert, state, alert)

    def vrrp_group(self, group: VrrpSyncGroup, state: str) -> bool:
        alert = alerts.vrrp_group_alert(group.name, state)
        return self._vrrp(("GROUP", group.name), group.smtp_alert, state, alert)

    # -- checker -------------------------------------------------------------------------

    def real_server(
        self,
        vs: VirtualServer,
        rs: RealServer,
        *,
        kind: str,
        up: bool,
        was_alive: bool,
        alive: bool,
        detail: str | None = None,
    ) -> bool:
        """A checker of ``kind`` (``TCP_CHECK``, ``HTTP_GET``...) changed its verdict to ``up``;
        ``was_alive``/``alive``: the real server's state before and after."""
        enabled = alerts.real_server_smtp_enabled(rs.smtp_alert, self.gd)
        if not alerts.should_mail_real_server(enabled, was_alive, alive, self.gd.no_checker_emails):
            return False
        body = alerts.checker_body(kind, up, detail)
        if body is None:
            return False
        return self._send(alerts.real_server_alert(trio(rs.address, vs.protocol), vs.describe(), alive, body))

    def real_server_removed(self, vs: VirtualServer, rs: RealServer, *, stopping: bool) -> bool:
        """A live real server taken out of IPVS (at a reload, or at stop with ``omega``)."""
        if stopping and not vs.omega:
            return False
        if not alerts.real_server_smtp_enabled(rs.smtp_alert, self.gd):
            return False
        rs_text = trio(rs.address, vs.protocol)
        return self._send(alerts.real_server_removed_alert(rs_text, vs.describe(), stopping))

    def virtual_server_quorum(
        self,
        vs: VirtualServer,
        *,
        up: bool,
        weight_sum: int,
        init: bool = False,
        stopping: bool = False,
        threshold: int | None = None,
    ) -> bool:
        """The quorum of ``vs`` is now ``up`` (``init``: first verdict at start), or ``vs`` stops;
        ``threshold`` as ``check.health.QuorumChanged`` gives it (else computed as keepalived)."""
        if stopping and not vs.omega:
            return False
        if not alerts.virtual_server_smtp_enabled(vs.smtp_alert, self.gd):
            return False
        # keepalived's threshold is taken before the change: + hysteresis while the quorum was down
        if threshold is None:
            threshold = vs.quorum + vs.hysteresis if up or init else vs.quorum - vs.hysteresis
        alert = alerts.virtual_server_alert(
            vs.describe(),
            up,
            init=init,
            stopping=stopping,
            quorum=vs.quorum,
            hysteresis=vs.hysteresis,
            threshold=threshold,
            weight_sum=weight_sum,
        )
        return self._send(alert)
