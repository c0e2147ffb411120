"""Logging as keepalived does it: syslog (facility from -S, ident with the PID) and, with -l in
the foreground, the console.

keepalived's console line is ``strftime("%c"): message`` on stderr (lib/logger.c), e.g.
``Sat Nov 28 05:24:54 2026: (VI_1) Entering MASTER STATE``; its syslog ident is
``Keepalived_vrrp`` (VRRP child) with LOG_PID.  Everything goes through the stdlib ``logging``
tree under the ``keepalived_py`` logger; modules use ``logging.getLogger(__name__)`` and the
``(NAME)`` prefix comes from ``InstanceLog``.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import time
from collections.abc import MutableMapping
from typing import Any, TextIO

ROOT = "keepalived_py"
VRRP_IDENT = "Keepalived_vrrp"

_FACILITIES = {
    "daemon": logging.handlers.SysLogHandler.LOG_DAEMON,
    "user": logging.handlers.SysLogHandler.LOG_USER,
    **{f"local{i}": getattr(logging.handlers.SysLogHandler, f"LOG_LOCAL{i}") for i in range(8)},
}


class ConsoleFormatter(logging.Formatter):
    """``<ctime>: <message>`` in the local time zone, as keepalived's -l output."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(record.created))
        return f"{stamp}: {record.getMessage()}"


class InstanceLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes ``(NAME) `` to every message, as keepalived does for instance messages."""

    def __init__(self, logger: logging.Logger, name: str) -> None:
        super().__init__(logger, {"instance": name})
        self.prefix = f"({name}) "

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return f"{self.prefix}{msg}", kwargs


def setup(
    *,
    console: bool,
    syslog: bool,
    facility: str = "daemon",
    ident: str = VRRP_IDENT,
    detail: bool = False,
    stream: TextIO | None = None,
    syslog_address: str = "/dev/log",
) -> logging.Logger:
    """Configure the ``keepalived_py`` logger tree; returns it.

    ``detail`` (-D) lets debug messages through; otherwise INFO and above, as keepalived's
    default log level.
    """
    root = logging.getLogger(ROOT)
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.setLevel(logging.DEBUG if detail else logging.INFO)
    root.propagate = False
    if console:
        console_handler = logging.StreamHandler(stream or sys.stderr)
        console_handler.setFormatter(ConsoleFormatter())
        root.addHandler(console_handler)
    if syslog and os.path.exists(syslog_address):
        try:
            sys_handler = logging.handlers.SysLogHandler(
                address=syslog_address, facility=_FACILITIES.get(facility, _FACILITIES["daemon"])
            )
        except OSError:
            pass  # no syslog daemon listening: keepalived carries on too
        else:
            sys_handler.ident = f"{ident}[{os.getpid()}]: "
            sys_handler.setFormatter(logging.Formatter("%(message)s"))
            root.addHandler(sys_handler)
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    return root
