"""The kernel's IPVS table over generic netlink: read it as an ``IpvsTable``, apply ops to it.

Thin: ``check/ipvs_diff.py`` decides what to change; this module turns each operation into one
IPVS generic-netlink command and reports the kernel's refusals with keepalived's words
(``IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Destination already exists(17) (...)``).  As
keepalived does, "already exists" on an add and "not found" on a delete count as done, and an
edit of a destination the kernel does not have becomes an add.

pyroute2 provides the generic-netlink socket; the messages are declared here rather than taken
from ``pyroute2.ipvs``, whose 0.9 API maps ``update`` to a delete, types the service netmask as
an IPv4 address (the kernel wants a u32 prefix length for IPv6, and fwmark services need one
too), encodes the GUE tunnel port in host byte order, and builds dump results from its own
defaults rather than the kernel's values (forwarding method, flags, timeout, thresholds).  A
message class with the attributes typed as the kernel's ``linux/ip_vs.h`` types them avoids all
four.  (A subclass of pyroute2's ``ipvsmsg`` would not: the parent's compiled map wins.)

The connection-sync daemons (``lvs_sync_daemon``) are started, listed and stopped here too; note
their multicast port is a host-order u16, unlike every other port of the family.  The connection
timeouts (``lvs_timeouts``, ``ipvsadm --set``) are read and set with IPVS_CMD_GET_CONFIG /
IPVS_CMD_SET_CONFIG, which pyroute2 0.9's ipvs module does not offer.

The commands a health change sends (``apply``: add/edit/delete a service or destination) go
on a plain netlink socket of the adapter's own, encoded here with ``struct`` and acknowledged by
the kernel before ``apply`` returns: tens of microseconds, cheap enough to call from the event
loop (pyroute2 spends ~100 us of Python per message on encoding alone, and its synchronous
socket runs an event loop of its own per request).  Everything else (family resolution, dumps,
flush, sync daemons, timeouts) stays on pyroute2, whose synchronous socket must not be used
from a thread that runs an asyncio loop: call those from a worker thread (as
``adapters/addresses.py`` does).  A lock makes the adapter safe to share between the two.
"""

from __future__ import annotations

import errno as errnos
import os
import struct
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from pyroute2.netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, genlmsg, nla
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.generic import GenericNetlinkSocket

from keepalived_py.adapters.netlink_acks import AckedRequests, attr
from keepalived_py.check.ipvs_diff import AddDest, AddService, DelDest, DelService, EditDest, EditService, Op
from keepalived_py.check.ipvs_model import (
    AF_INET6,
    DestAttrs,
    DestKey,
    Forwarding,
    IpAddress,
    IpvsTable,
    Service,
    ServiceAttrs,
    ServiceKey,
    TunnelFlag,
    TunnelType,
)

# linux/ip_vs.h: generic netlink commands
CMD_NEW_SERVICE, CMD_SET_SERVICE, CMD_DEL_SERVICE, CMD_GET_SERVICE = 1, 2, 3, 4
CMD_NEW_DEST, CMD_SET_DEST, CMD_DEL_DEST, CMD_GET_DEST = 5, 6, 7, 8
CMD_NEW_DAEMON, CMD_DEL_DAEMON, CMD_GET_DAEMON = 9, 10, 11
CMD_SET_CONFIG, CMD_GET_CONFIG = 12, 13
CMD_FLUSH = 17
STATE_MASTER, STATE_BACKUP = 1, 2
GENL_VERSION = 1
SVC_F_HASHED = 0x0002

# The sockopt command numbers keepalived names in its log lines (IP_VS_BASE_CTL = 1152).
SO_SET = {
    "ADD": 1154,
    "EDIT": 1155,
    "DEL": 1156,
    "FLUSH": 1157,
    "ADDDEST": 1159,
    "DELDEST": 1160,
    "EDITDEST": 1161,
    "STARTDAEMON": 1163,
    "STOPDAEMON": 1164,
}


class _IpvsMsg(genlmsg):  # type: ignore[misc]
    """An IPVS generic-netlink message with the kernel's attribute types."""

    prefix = "IPVS_CMD_ATTR_"
    nla_map = (
        ("IPVS_CMD_ATTR_UNSPEC", "none"),
        ("IPVS_CMD_ATTR_SERVICE", "service"),
        ("IPVS_CMD_ATTR_DEST", "dest"),
        ("IPVS_CMD_ATTR_DAEMON", "daemon"),
        ("IPVS_CMD_ATTR_TIMEOUT_TCP", "uint32"),
        ("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", "uint32"),
        ("IPVS_CMD_ATTR_TIMEOUT_UDP", "uint32"),
    )

    class daemon(nla):  # type: ignore[misc]
        prefix = "IPVS_DAEMON_ATTR_"
        nla_map = (
            ("IPVS_DAEMON_ATTR_UNSPEC", "none"),
            ("IPVS_DAEMON_ATTR_STATE", "uint32"),
            ("IPVS_DAEMON_ATTR_MCAST_IFN", "asciiz"),
            ("IPVS_DAEMON_ATTR_SYNC_ID", "uint32"),
            ("IPVS_DAEMON_ATTR_SYNC_MAXLEN", "uint16"),
            ("IPVS_DAEMON_ATTR_MCAST_GROUP", "ip4addr"),
            ("IPVS_DAEMON_ATTR_MCAST_GROUP6", "ip6addr"),
            ("IPVS_DAEMON_ATTR_MCAST_PORT", "uint16"),  # host order, unlike the other ports
            ("IPVS_DAEMON_ATTR_MCAST_TTL", "uint8"),
        )

    class service(nla):  # type: ignore[misc]
        prefix = "IPVS_SVC_ATTR_"
        nla_map = (
            ("IPVS_SVC_ATTR_UNSPEC", "none"),
            ("IPVS_SVC_ATTR_AF", "uint16"),
            ("IPVS_SVC_ATTR_PROTOCOL", "uint16"),
            ("IPVS_SVC_ATTR_ADDR", "cdata"),  # union nf_inet_addr: 4 or 16 bytes
            ("IPVS_SVC_ATTR_PORT", "be16"),
            ("IPVS_SVC_ATTR_FWMARK", "uint32"),
            ("IPVS_SVC_ATTR_SCHED_NAME", "asciiz"),
            ("IPVS_SVC_ATTR_FLAGS", "flags"),
            ("IPVS_SVC_ATTR_TIMEOUT", "uint32"),
            ("IPVS_SVC_ATTR_NETMASK", "uint32"),  # IPv4: the mask's bytes; IPv6: a prefix length
            ("IPVS_SVC_ATTR_STATS", "hex"),
            ("IPVS_SVC_ATTR_PE_NAME", "asciiz"),
            ("IPVS_SVC_ATTR_STATS64", "hex"),
        )

        class flags(nla):  # type: ignore[misc]
            fields = (("flags", "I"), ("mask", "I"))

    class dest(nla):  # type: ignore[misc]
        prefix = "IPVS_DEST_ATTR_"
        nla_map = (
            ("IPVS_DEST_ATTR_UNSPEC", "none"),
            ("IPVS_DEST_ATTR_ADDR", "cdata"),
            ("IPVS_DEST_ATTR_PORT", "be16"),
            ("IPVS_DEST_ATTR_FWD_METHOD", "uint32"),
            ("IPVS_DEST_ATTR_WEIGHT", "uint32"),
            ("IPVS_DEST_ATTR_U_THRESH", "uint32"),
            ("IPVS_DEST_ATTR_L_THRESH", "uint32"),
            ("IPVS_DEST_ATTR_ACTIVE_CONNS", "uint32"),
            ("IPVS_DEST_ATTR_INACT_CONNS", "uint32"),
            ("IPVS_DEST_ATTR_PERSIST_CONNS", "uint32"),
            ("IPVS_DEST_ATTR_STATS", "hex"),
            ("IPVS_DEST_ATTR_ADDR_FAMILY", "uint16"),
            ("IPVS_DEST_ATTR_STATS64", "hex"),
            ("IPVS_DEST_ATTR_TUN_TYPE", "uint8"),
            ("IPVS_DEST_ATTR_TUN_PORT", "be16"),
            ("IPVS_DEST_ATTR_TUN_FLAGS", "uint16"),
        )


@dataclass(frozen=True, slots=True)
class SyncDaemon:
    """An IPVS connection-synchronisation daemon (keepalived's ``lvs_sync_daemon``).

    0 / None mean "the kernel's default" when starting one (maxlen from the MTU, group
    224.0.0.81, port 8848, TTL 1); read back, they are the kernel's values.
    """

    state: int  # STATE_MASTER or STATE_BACKUP
    ifname: str
    syncid: int
    maxlen: int = 0
    group: IpAddress | None = None
    port: int = 0
    ttl: int = 0


class IpvsError(Exception):
    """IPVS cannot be used, or the kernel refused commands; ``str()`` is keepalived's log line(s)."""

    def __init__(self, lines: list[str], errnos_seen: list[int]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.errnos = errnos_seen


# -- encoding -----------------------------------------------------------------------------------


def _af_of(address: IpAddress) -> int:
    return AF_INET6 if address.version == 6 else 2


def _netmask_wire(af: int, netmask: int) -> int:
    # IPv4: the kernel keeps the mask as a __be32, carried in a u32 attribute (native order)
    return netmask if af == AF_INET6 else int.from_bytes(netmask.to_bytes(4, "big"), "little")


def _netmask_model(af: int, value: int) -> int:
    return value if af == AF_INET6 else int.from_bytes(value.to_bytes(4, "little"), "big")


def _service_key_attrs(key: ServiceKey) -> list[tuple[str, Any]]:
    attrs: list[tuple[str, Any]] = [("IPVS_SVC_ATTR_AF", key.af)]
    if key.fwmark:
        attrs.append(("IPVS_SVC_ATTR_FWMARK", key.fwmark))
    else:
        attrs += [
            ("IPVS_SVC_ATTR_PROTOCOL", key.protocol),
            ("IPVS_SVC_ATTR_ADDR", key.address.packed),
            ("IPVS_SVC_ATTR_PORT", key.port),
        ]
    return attrs


def _service_attrs(key: ServiceKey, attrs: ServiceAttrs) -> list[tuple[str, Any]]:
    out = [
        *_service_key_attrs(key),
        ("IPVS_SVC_ATTR_SCHED_NAME", attrs.scheduler),
        ("IPVS_SVC_ATTR_FLAGS", {"flags": attrs.flags, "mask": 0xFFFFFFFF}),
        ("IPVS_SVC_ATTR_TIMEOUT", attrs.timeout),
        ("IPVS_SVC_ATTR_NETMASK", _netmask_wire(key.af, attrs.netmask)),
    ]
    if attrs.pe_name:
        out.append(("IPVS_SVC_ATTR_PE_NAME", attrs.pe_name))
    return out


def _dest_attrs(dest: DestKey, attrs: DestAttrs | None) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [
        ("IPVS_DEST_ATTR_ADDR", dest.address.packed),
        ("IPVS_DEST_ATTR_PORT", dest.port),
        ("IPVS_DEST_ATTR_ADDR_FAMILY", _af_of(dest.address)),
    ]
    if attrs is not None:
        out += [
            ("IPVS_DEST_ATTR_FWD_METHOD", int(attrs.forwarding)),
            ("IPVS_DEST_ATTR_WEIGHT", attrs.weight),
            ("IPVS_DEST_ATTR_U_THRESH", attrs.u_threshold),
            ("IPVS_DEST_ATTR_L_THRESH", attrs.l_threshold),
            ("IPVS_DEST_ATTR_TUN_TYPE", int(attrs.tun_type)),
            ("IPVS_DEST_ATTR_TUN_PORT", attrs.tun_port),
            ("IPVS_DEST_ATTR_TUN_FLAGS", int(attrs.tun_flags)),
        ]
    return out


def _message(cmd: int, service: list[tuple[str, Any]] | None, dest: list[tuple[str, Any]] | None) -> Any:
    msg = _IpvsMsg()
    msg["cmd"] = cmd
    msg["version"] = GENL_VERSION
    msg["attrs"] = []
    if service is not None:
        msg["attrs"].append(("IPVS_CMD_ATTR_SERVICE", {"attrs": service}))
    if dest is not None:
        msg["attrs"].append(("IPVS_CMD_ATTR_DEST", {"attrs": dest}))
    return msg


def _daemon_message(cmd: int, daemon: SyncDaemon | None) -> Any:
    msg = _message(cmd, None, None)
    if daemon is None:
        return msg
    attrs: list[tuple[str, Any]] = [("IPVS_DAEMON_ATTR_STATE", daemon.state)]
    if cmd == CMD_NEW_DAEMON:
        attrs += [("IPVS_DAEMON_ATTR_MCAST_IFN", daemon.ifname), ("IPVS_DAEMON_ATTR_SYNC_ID", daemon.syncid)]
        if daemon.maxlen:
            attrs.append(("IPVS_DAEMON_ATTR_SYNC_MAXLEN", daemon.maxlen))
        if daemon.group is not None:
            kind = (
                "IPVS_DAEMON_ATTR_MCAST_GROUP6"
                if daemon.group.version == 6
                else "IPVS_DAEMON_ATTR_MCAST_GROUP"
            )
            attrs.append((kind, str(daemon.group)))
        if daemon.port:
            attrs.append(("IPVS_DAEMON_ATTR_MCAST_PORT", daemon.port))
        if daemon.ttl:
            attrs.append(("IPVS_DAEMON_ATTR_MCAST_TTL", daemon.ttl))
    msg["attrs"].append(("IPVS_CMD_ATTR_DAEMON", {"attrs": attrs}))
    return msg


# -- the per-operation commands, on the wire ------------------------------------------------------

NETLINK_GENERIC = 16  # linux/netlink.h
_REQUEST = struct.Struct("=IHHIIBBH")  # nlmsghdr + genlmsghdr: command, version, reserved
_U8, _U16, _U32, _BE16 = struct.Struct("=B"), struct.Struct("=H"), struct.Struct("=I"), struct.Struct("!H")
_FLAGS = struct.Struct("=II")  # struct ip_vs_flags: flags, mask


def _wire_service_key(key: ServiceKey) -> bytes:
    # the IPVS_SVC_ATTR_* numbers of linux/ip_vs.h, in _IpvsMsg.service's order
    out = attr(1, _U16.pack(key.af))
    if key.fwmark:
        return out + attr(5, _U32.pack(key.fwmark))
    return (
        out + attr(2, _U16.pack(key.protocol)) + attr(3, key.address.packed) + attr(4, _BE16.pack(key.port))
    )


def _wire_service(key: ServiceKey, attrs: ServiceAttrs) -> bytes:
    out = (
        _wire_service_key(key)
        + attr(6, attrs.scheduler.encode() + b"\0")
        + attr(7, _FLAGS.pack(attrs.flags, 0xFFFFFFFF))
        + attr(8, _U32.pack(attrs.timeout))
        + attr(9, _U32.pack(_netmask_wire(key.af, attrs.netmask)))
    )
    if attrs.pe_name:
        out += attr(11, attrs.pe_name.encode() + b"\0")
    return out


def _wire_dest(dest: DestKey, attrs: DestAttrs | None) -> bytes:
    # the IPVS_DEST_ATTR_* numbers, in _IpvsMsg.dest's order
    out = (
        attr(1, dest.address.packed)
        + attr(2, _BE16.pack(dest.port))
        + attr(11, _U16.pack(_af_of(dest.address)))
    )
    if attrs is None:
        return out
    return (
        out
        + attr(3, _U32.pack(int(attrs.forwarding)))
        + attr(4, _U32.pack(attrs.weight))
        + attr(5, _U32.pack(attrs.u_threshold))
        + attr(6, _U32.pack(attrs.l_threshold))
        + attr(13, _U8.pack(int(attrs.tun_type)))
        + attr(14, _BE16.pack(attrs.tun_port))
        + attr(15, _U16.pack(int(attrs.tun_flags)))
    )


def encode_op(op: Op, family: int, seq: int) -> bytes:
    """The netlink request for ``op`` (acknowledged) to the IPVS generic-netlink ``family``."""
    create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    flags = NLM_F_REQUEST | NLM_F_ACK
    if isinstance(op, AddService):
        cmd, flags, body = CMD_NEW_SERVICE, create, attr(1, _wire_service(op.key, op.attrs))
    elif isinstance(op, EditService):
        cmd, body = CMD_SET_SERVICE, attr(1, _wire_service(op.key, op.attrs))
    elif isinstance(op, DelService):
        cmd, body = CMD_DEL_SERVICE, attr(1, _wire_service_key(op.key))
    else:
        service = attr(1, _wire_service_key(op.service))
        if isinstance(op, AddDest):
            cmd, flags, body = CMD_NEW_DEST, create, service + attr(2, _wire_dest(op.dest, op.attrs))
        elif isinstance(op, EditDest):
            cmd, body = CMD_SET_DEST, service + attr(2, _wire_dest(op.dest, op.attrs))
        else:
            cmd, body = CMD_DEL_DEST, service + attr(2, _wire_dest(op.dest, None))
    return _REQUEST.pack(_REQUEST.size + len(body), family, flags, seq, 0, cmd, GENL_VERSION, 0) + body


# -- decoding -----------------------------------------------------------------------------------


def _address(af: int, raw: bytes) -> IpAddress:
    return IPv6Address(raw[:16]) if af == AF_INET6 else IPv4Address(raw[:4])


def _decode_service(attrs: Any) -> tuple[ServiceKey, ServiceAttrs]:
    af = attrs.get_attr("IPVS_SVC_ATTR_AF")
    fwmark = attrs.get_attr("IPVS_SVC_ATTR_FWMARK") or 0
    if fwmark:
        key = ServiceKey(af, 0, _address(af, bytes(16)), 0, fwmark)
    else:
        key = ServiceKey(
            af,
            attrs.get_attr("IPVS_SVC_ATTR_PROTOCOL"),
            _address(af, attrs.get_attr("IPVS_SVC_ATTR_ADDR")),
            attrs.get_attr("IPVS_SVC_ATTR_PORT"),
        )
    flags = attrs.get_attr("IPVS_SVC_ATTR_FLAGS")
    return key, ServiceAttrs(
        scheduler=attrs.get_attr("IPVS_SVC_ATTR_SCHED_NAME") or "",
        flags=(flags["flags"] if flags else 0) & ~SVC_F_HASHED,
        timeout=attrs.get_attr("IPVS_SVC_ATTR_TIMEOUT") or 0,
        netmask=_netmask_model(af, attrs.get_attr("IPVS_SVC_ATTR_NETMASK") or 0),
        pe_name=attrs.get_attr("IPVS_SVC_ATTR_PE_NAME") or "",
    )


def _decode_dest(service_af: int, attrs: Any) -> tuple[DestKey, DestAttrs]:
    af = attrs.get_attr("IPVS_DEST_ATTR_ADDR_FAMILY") or service_af
    key = DestKey(_address(af, attrs.get_attr("IPVS_DEST_ATTR_ADDR")), attrs.get_attr("IPVS_DEST_ATTR_PORT"))
    return key, DestAttrs(
        forwarding=Forwarding(attrs.get_attr("IPVS_DEST_ATTR_FWD_METHOD") & 0x7),
        weight=attrs.get_attr("IPVS_DEST_ATTR_WEIGHT"),
        u_threshold=attrs.get_attr("IPVS_DEST_ATTR_U_THRESH") or 0,
        l_threshold=attrs.get_attr("IPVS_DEST_ATTR_L_THRESH") or 0,
        tun_type=TunnelType(attrs.get_attr("IPVS_DEST_ATTR_TUN_TYPE") or 0),
        tun_port=attrs.get_attr("IPVS_DEST_ATTR_TUN_PORT") or 0,
        tun_flags=TunnelFlag(attrs.get_attr("IPVS_DEST_ATTR_TUN_FLAGS") or 0),
    )


# -- keepalived's log words ------------------------------------------------------------------


def _strerror(kind: str, code: int) -> str:
    """libipvs's ipvs_strerror: some errnos are worded per command."""
    specific = {
        ("ADD", errnos.EEXIST): "Service already exists",
        ("ADD", errnos.ENOENT): "Scheduler or persistence engine not found",
        ("EDIT", errnos.ENOENT): "Scheduler or persistence engine not found",
        ("ADDDEST", errnos.EEXIST): "Destination already exists",
        ("EDITDEST", errnos.ENOENT): "No such destination",
        ("DELDEST", errnos.ENOENT): "No such destination",
    }
    general = {
        errnos.ESRCH: "No such service",
        errnos.EPERM: "Permission denied (you must be root)",
        errnos.EINVAL: "Invalid operation.  Possibly wrong module version, address not unicast, ...",
        errnos.ENOPROTOOPT: "Protocol not available",
        errnos.ENOMEM: "Memory allocation problem",
        errnos.EOPNOTSUPP: "Operation not supported with IPv6",
        errnos.EAFNOSUPPORT: "Operation not supported with specified address family",
        errnos.EMSGSIZE: "Module is wrong version",
    }
    return specific.get((kind, code)) or general.get(code) or os.strerror(code)


def _format_service(key: ServiceKey) -> str:
    if key.fwmark:
        return f"Fwm {key.fwmark}" + (" inet6" if key.af == AF_INET6 else "")
    proto = {6: "tcp", 17: "udp", 132: "sctp"}.get(key.protocol, str(key.protocol))
    return f"{key.address}:{proto}:{key.port}"


def error_line(op: Op, code: int) -> str:
    """keepalived's ``IPVS cmd ... error`` line for ``op`` refused with ``code``."""
    kind = _KIND[type(op)]
    if isinstance(op, AddService | EditService | DelService):
        what = _format_service(op.key)
    else:
        what = f"{_format_service(op.service)} -> {op.dest.address}:{op.dest.port}"
    return f"IPVS cmd IP_VS_SO_SET_{kind}({SO_SET[kind]}) error: {_strerror(kind, code)}({code}) ({what})"


_KIND: dict[type, str] = {
    AddService: "ADD",
    EditService: "EDIT",
    DelService: "DEL",
    AddDest: "ADDDEST",
    EditDest: "EDITDEST",
    DelDest: "DELDEST",
}


# -- the adapter ----------------------------------------------------------------------------------


class IpvsAdapter:
    """One generic-netlink socket bound to the kernel's IPVS family.

    ``sent`` counts the commands sent by kind (``"ADD"``, ``"DELDEST"`` ...), so callers and tests
    can tell what a reconciliation touched.
    """

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self._lock = threading.Lock()  # one request at a time on pyroute2's socket, from any thread
        self._sock = GenericNetlinkSocket()
        # pyroute2 logs a missing family at error level on the root logger; we report it ourselves
        self._sock.asyncore.module_err_level = "debug"
        try:
            # resolving the family makes the kernel load ip_vs when it is a module
            self._sock.bind("IPVS", _IpvsMsg)
            self._family = int(self._sock.prid)
            self._nl = AckedRequests.open(NETLINK_GENERIC, "the kernel's IPVS")
        except (NetlinkError, OSError) as exc:
            self._sock.close()
            code = getattr(exc, "code", None) or getattr(exc, "errno", None) or errnos.ENOENT
            raise IpvsError([f"IPVS: Can't initialize ipvs: {_strerror('', code)}"], [code]) from exc

    def close(self) -> None:
        self._nl.close()
        self._sock.close()

    def __enter__(self) -> IpvsAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, msg: Any, flags: int) -> list[Any]:
        with self._lock:
            return list(self._sock.nlm_request(msg, msg_type=self._sock.prid, msg_flags=flags))

    def _command(self, op: Op) -> int:
        """Send ``op`` on the plain socket; the errno of the kernel's answer (0: done)."""
        return self._nl.call(lambda seq: encode_op(op, self._family, seq))

    def read(self) -> IpvsTable:
        """The kernel's table, normalised as ``ipvs_desired`` builds tables."""
        dump = NLM_F_REQUEST | NLM_F_DUMP
        services: dict[ServiceKey, Service] = {}
        try:
            for msg in self._request(_message(CMD_GET_SERVICE, None, None), dump):
                key, attrs = _decode_service(msg.get_attr("IPVS_CMD_ATTR_SERVICE"))
                dests = dict(
                    _decode_dest(key.af, d.get_attr("IPVS_CMD_ATTR_DEST"))
                    for d in self._request(_message(CMD_GET_DEST, _service_key_attrs(key), None), dump)
                )
                services[key] = Service(attrs, dests)
        except NetlinkError as exc:
            raise IpvsError([f"IPVS: Can't read the table: {os.strerror(exc.code)}"], [exc.code]) from exc
        return IpvsTable(services)

    def apply(self, ops: Iterable[Op]) -> None:
        """Send ``ops`` in order; all are tried, then any refusals are raised together."""
        lines: list[str] = []
        codes: list[int] = []
        for op in ops:
            code = self._send(op)
            if code:
                lines.append(error_line(op, code))
                codes.append(code)
        if lines:
            raise IpvsError(lines, codes)

    def flush(self) -> None:
        """Remove every service (ipvsadm -C)."""
        self.sent["FLUSH"] += 1
        try:
            self._request(_message(CMD_FLUSH, None, None), NLM_F_REQUEST | NLM_F_ACK)
        except NetlinkError as exc:
            line = (
                f"IPVS cmd IP_VS_SO_SET_FLUSH({SO_SET['FLUSH']}) error: {_strerror('', exc.code)}({exc.code})"
            )
            raise IpvsError([line], [exc.code]) from exc

    def sync_daemons(self) -> list[SyncDaemon]:
        """The sync daemons running (``ipvsadm -L --daemon``)."""
        try:
            found = self._request(_daemon_message(CMD_GET_DAEMON, None), NLM_F_REQUEST | NLM_F_DUMP)
        except NetlinkError as exc:
            raise IpvsError(
                [f"IPVS: Can't read the sync daemons: {os.strerror(exc.code)}"], [exc.code]
            ) from exc
        out = []
        for msg in found:
            d = msg.get_attr("IPVS_CMD_ATTR_DAEMON")
            group = d.get_attr("IPVS_DAEMON_ATTR_MCAST_GROUP6") or d.get_attr("IPVS_DAEMON_ATTR_MCAST_GROUP")
            out.append(
                SyncDaemon(
                    state=d.get_attr("IPVS_DAEMON_ATTR_STATE"),
                    ifname=d.get_attr("IPVS_DAEMON_ATTR_MCAST_IFN"),
                    syncid=d.get_attr("IPVS_DAEMON_ATTR_SYNC_ID"),
                    maxlen=d.get_attr("IPVS_DAEMON_ATTR_SYNC_MAXLEN") or 0,
                    group=ip_address(group) if group else None,
                    port=d.get_attr("IPVS_DAEMON_ATTR_MCAST_PORT") or 0,
                    ttl=d.get_attr("IPVS_DAEMON_ATTR_MCAST_TTL") or 0,
                )
            )
        return out

    def timeouts(self) -> tuple[int, int, int]:
        """The connection timeouts in seconds: TCP, TCP FIN, UDP (``ipvsadm -L --timeout``)."""
        try:
            found = self._request(_message(CMD_GET_CONFIG, None, None), NLM_F_REQUEST)
        except NetlinkError as exc:
            raise IpvsError([f"IPVS: Can't read the timeouts: {os.strerror(exc.code)}"], [exc.code]) from exc
        msg = found[0]
        return (
            msg.get_attr("IPVS_CMD_ATTR_TIMEOUT_TCP") or 0,
            msg.get_attr("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN") or 0,
            msg.get_attr("IPVS_CMD_ATTR_TIMEOUT_UDP") or 0,
        )

    def set_timeouts(self, tcp: int, tcp_fin: int, udp: int) -> None:
        """Set the connection timeouts (seconds; 0 leaves that one as it is, as in the kernel)."""
        self.sent["SET_TIMEOUT"] += 1
        msg = _message(CMD_SET_CONFIG, None, None)
        msg["attrs"] += [
            ("IPVS_CMD_ATTR_TIMEOUT_TCP", tcp),
            ("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", tcp_fin),
            ("IPVS_CMD_ATTR_TIMEOUT_UDP", udp),
        ]
        try:
            self._request(msg, NLM_F_REQUEST | NLM_F_ACK)
        except NetlinkError as exc:
            raise IpvsError([f"IPVS: Can't set the timeouts: {os.strerror(exc.code)}"], [exc.code]) from exc

    def start_sync_daemon(self, daemon: SyncDaemon) -> None:
        self._daemon_command(CMD_NEW_DAEMON, "STARTDAEMON", daemon)

    def stop_sync_daemon(self, daemon: SyncDaemon) -> None:
        """Stop the daemon of ``daemon.state`` (the kernel runs at most one master and one backup)."""
        self._daemon_command(CMD_DEL_DAEMON, "STOPDAEMON", daemon)

    def _daemon_command(self, cmd: int, kind: str, daemon: SyncDaemon) -> None:
        self.sent[kind] += 1
        try:
            self._request(_daemon_message(cmd, daemon), NLM_F_REQUEST | NLM_F_ACK)
        except NetlinkError as exc:
            code = int(exc.code)
            words = {
                ("STARTDAEMON", errnos.EEXIST): "Daemon has already run",
                ("STOPDAEMON", errnos.ESRCH): "No daemon is running",
            }.get((kind, code)) or _strerror("", code)
            raise IpvsError(
                [f"IPVS cmd IP_VS_SO_SET_{kind}({SO_SET[kind]}) error: {words}({code})"], [code]
            ) from exc

    def _send(self, op: Op) -> int:
        """One command; 0 when done (or nothing to do, as keepalived counts it), else the errno."""
        kind = _KIND[type(op)]
        self.sent[kind] += 1
        code = self._command(op)
        if isinstance(op, EditDest) and code == errnos.ENOENT:
            return self._send(AddDest(op.service, op.dest, op.attrs))
        if (kind in ("ADD", "ADDDEST") and code == errnos.EEXIST) or (
            kind in ("DEL", "DELDEST") and code == errnos.ENOENT
        ):
            return 0
        return code
