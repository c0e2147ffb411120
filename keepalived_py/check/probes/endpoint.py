"""Where a checker connects to and from, after keepalived's defaults (check_api.c, check_data.c).

keepalived copies the real server's address (with the port as written) into the checker's
connection when the checker block opens; ``connect_ip`` replaces the address and keeps that
port, ``connect_port`` replaces the port.  ``bind_port`` only takes effect with a ``bindto``
(without it the source sockaddr stays AF_UNSPEC and no bind() is made).  The connection timeout
comes from the checker, else the real server, else the virtual server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from keepalived_py.config.model.checkers import Connection
from keepalived_py.config.model.lvs import RealServer, VirtualServer

IpAddress = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class Endpoint:
    """``dst`` None: keepalived cleared the address (a rejected connect_ip); no socket can be made."""

    dst: IpAddress | None
    port: int
    bind: IpAddress | None = None
    bind_port: int = 0
    bind_if: str | None = None
    fwmark: int = 0
    timeout_us: int = 5_000_000
    # the destination as text, formatted once (sockets take text addresses)
    dst_text: str = field(init=False, default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dst_text", "" if self.dst is None else str(self.dst))

    @property
    def family(self) -> int:
        return 0 if self.dst is None else self.dst.version

    def pair(self) -> str:
        """keepalived's inet_sockaddrtopair: ``[addr]:port``."""
        return f"[{self.dst if self.dst is not None else ''}]:{self.port}"


def _addr(text: str | None) -> IpAddress | None:
    if text is None:
        return None
    # keepalived drops a range or mask suffix before inet_pton
    for sep in "-/":
        text = text.split(sep, 1)[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def resolve_endpoint(vs: VirtualServer, rs: RealServer, checker: Any) -> Endpoint:
    """The endpoint of ``checker`` (a config model checker with a ``connection``)."""
    conn: Connection = getattr(checker, "connection", Connection())
    port = rs.parsed_port if rs.parsed_port is not None else rs.address.port
    dst: IpAddress | None = rs.address.ip
    if conn.connect_ip is not None:
        dst = _addr(conn.connect_ip)
    if conn.dst_cleared:
        dst = None
    if conn.connect_port is not None:
        port = conn.connect_port
    timeout = conn.connect_timeout
    if timeout is None:
        timeout = rs.connect_timeout if rs.connect_timeout is not None else vs.connect_timeout
    bind = _addr(conn.bindto)
    if bind is not None and dst is not None and bind.version != dst.version:
        bind = None
    return Endpoint(
        dst=dst,
        port=port,
        bind=bind,
        bind_port=conn.bind_port or 0 if bind is not None else 0,
        bind_if=conn.bind_if,
        fwmark=conn.fwmark,
        timeout_us=timeout,
    )
