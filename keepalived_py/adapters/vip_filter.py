"""The only code that talks to nftables: accept mode's drop rules.

keepalived 2.2.7 sends its own netlink batches, synchronously, so the drop rules are in before
the VIPs are added.  We split the work (the pure ``keepalived_py.vrrp.vip_filter_rules`` decides
what changes):

* the structure (tables, chains, sets, rules; created the first time an address of a kind needs
  it, deleted at exit) goes through ``nft -f -``, which builds the same objects and byte code;
  that is at most a few runs per process lifetime, each a few milliseconds;
* the set elements, which change at every MASTER transition, go as one small nfnetlink batch
  on a netlink socket, as keepalived sends them: no subprocess, well under a millisecond, and
  done before the driver adds the VIPs.

Everything here is synchronous; errors are logged, never raised to the driver.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import socket
import struct
import subprocess

from keepalived_py.vrrp.vip_filter_rules import (
    IP,
    IP6,
    Change,
    ElementChange,
    FilterEntry,
    FilterOptions,
    VipFilterTables,
    VmacLink,
)

log = logging.getLogger(__name__)

NFT = "nft"
# seconds nft may take for one script
NFT_TIMEOUT = 10.0

# linux/netlink.h, linux/netfilter/nfnetlink.h, linux/netfilter/nf_tables.h
NETLINK_NETFILTER = 12
NLMSG_ERROR = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_CREATE = 0x400
NLA_F_NESTED = 0x8000
NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN = 0x10
NFNL_MSG_BATCH_END = 0x11
NFT_MSG_NEWSETELEM = 12
NFT_MSG_DELSETELEM = 14
NFTA_SET_ELEM_LIST_TABLE = 1
NFTA_SET_ELEM_LIST_SET = 2
NFTA_SET_ELEM_LIST_ELEMENTS = 3
NFTA_LIST_ELEM = 1
NFTA_SET_ELEM_KEY = 1
NFTA_DATA_VALUE = 1
NFPROTO = {IP: 2, IP6: 10}


def _nla(kind: int, payload: bytes) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + bytes(-len(data) % 4)


def _nlmsg(kind: int, flags: int, seq: int, payload: bytes) -> bytes:
    return struct.pack("=IHHII", 16 + len(payload), kind, flags, seq, 0) + payload


def _nfgen(family: int, res_id: int = 0) -> bytes:
    return struct.pack("=BBH", family, 0, socket.htons(res_id))


def element_batch(table: str, change: ElementChange, keys: list[bytes], seq: int) -> bytes:
    """One nfnetlink batch (begin, NEWSETELEM/DELSETELEM with ACK, end) for ``change``."""
    elements = b"".join(
        _nla(
            NFTA_LIST_ELEM | NLA_F_NESTED,
            _nla(NFTA_SET_ELEM_KEY | NLA_F_NESTED, _nla(NFTA_DATA_VALUE, key)),
        )
        for key in keys
    )
    body = (
        _nfgen(NFPROTO[change.family])
        + _nla(NFTA_SET_ELEM_LIST_TABLE, table.encode() + b"\0")
        + _nla(NFTA_SET_ELEM_LIST_SET, change.set_name.encode() + b"\0")
        + _nla(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED, elements)
    )
    kind = (NFNL_SUBSYS_NFTABLES << 8) | (NFT_MSG_NEWSETELEM if change.add else NFT_MSG_DELSETELEM)
    flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_CREATE if change.add else 0)
    return (
        _nlmsg(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, _nfgen(socket.AF_UNSPEC, NFNL_SUBSYS_NFTABLES))
        + _nlmsg(kind, flags, seq + 1, body)
        + _nlmsg(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq + 2, _nfgen(socket.AF_UNSPEC, NFNL_SUBSYS_NFTABLES))
    )


def ack_error(data: bytes, seq: int) -> int | None:
    """The answer in ``data`` to the batch whose element message has ``seq``: its errno (0:
    done), an error refusing the whole batch (begin ``seq - 1``, end ``seq + 1``), or None."""
    offset = 0
    while offset + 16 <= len(data):
        length, kind, _flags, msg_seq, _pid = struct.unpack_from("=IHHII", data, offset)
        if length < 16:
            break
        if kind == NLMSG_ERROR and length >= 20 and seq - 1 <= msg_seq <= seq + 1:
            error: int = -struct.unpack_from("=i", data, offset + 16)[0]
            if msg_seq == seq or error:
                return error
        offset += (length + 3) & ~3
    return None


class VipFilter:
    """keepalived's VRRP firewall for one process: the tables, nft, a netfilter socket."""

    def __init__(self, options: FilterOptions, *, nft: str = NFT) -> None:
        self.tables = VipFilterTables(options)
        # keepalived needs no nft binary; we look beyond a PATH without the sbin directories
        self.nft = shutil.which(nft) or shutil.which(nft, path="/usr/sbin:/sbin") or nft
        self._sock: socket.socket | None = None
        self._seq = 0
        self._closed = False
        self._no_nft = False
        # families with an old table of our name, listed by prepare() (None: not yet)
        self._existing: tuple[str, ...] | None = None
        # use_vmac: each VMAC's link and tables, to follow a re-created one
        self._vmacs: dict[str, tuple[VmacLink, tuple[str, ...]]] = {}
        # changes that failed (tests and stats)
        self.errors = 0

    # -- requests (from the drivers) ------------------------------------------------------

    def prepare(self) -> None:
        """At start: look for old tables now rather than on the first MASTER transition, so
        that transition runs one nft (keepalived looks then; nothing else touches our tables
        between the two moments unless a second keepalived runs)."""
        self._existing = self._existing_tables()

    def add(self, instance: str, entries: tuple[FilterEntry, ...]) -> None:
        if self._closed or not entries:
            return
        existing: tuple[str, ...] = ()
        if self.tables.first_setup_pending:
            existing = self._existing if self._existing is not None else self._existing_tables()
        self._apply(self.tables.add(instance, entries, existing=existing))

    def add_vmac(self, vmac: VmacLink, families: tuple[str, ...]) -> None:
        """A use_vmac instance's VMAC exists (keepalived: when it creates or takes it over)."""
        if self._closed or not families:
            return
        self._vmacs[vmac.name] = (vmac, families)
        existing: tuple[str, ...] = ()
        if self.tables.first_setup_pending:
            existing = self._existing if self._existing is not None else self._existing_tables()
        self._apply(self.tables.add_vmac(vmac, families, existing=existing))

    def vmac_recreated(self, name: str, ifindex: int) -> None:
        """A VMAC was made again (deleted behind our back): its elements follow its new index."""
        found = self._vmacs.get(name)
        if found is not None and found[0].ifindex != ifindex:
            vmac, families = found
            self.add_vmac(VmacLink(vmac.name, vmac.base, ifindex), families)

    def remove(self, instance: str, entries: tuple[FilterEntry, ...]) -> None:
        if self._closed or not entries:
            return
        self._apply(self.tables.remove(instance, entries))

    def close(self) -> None:
        """Delete our tables (keepalived's firewall_fini at exit); safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._apply(self.tables.cleanup())
        finally:
            if self._sock is not None:
                self._sock.close()
                self._sock = None

    # -- carrying a change out --------------------------------------------------------------

    def _apply(self, change: Change) -> None:
        for line in change.logs:
            log.info("%s", line)
        if change.script and not self._run_nft(change.script):
            return
        for element in change.elements:
            self._send(change.table, element)

    def _run_nft(self, script: str) -> bool:
        code, err = self._nft_command(["-f", "-"], script)
        if code != 0:
            self.errors += 1
            log.info("nftables: nft -f failed (%d): %s", code, " ".join(err.split()) or "no message")
        return code == 0

    def _nft_command(self, args: list[str], stdin: str | None) -> tuple[int, str]:
        """Run nft; (status, stdout if it succeeded else stderr).  A missing nft is said once."""
        if self._no_nft:
            return 127, "nft not available"
        try:
            done = subprocess.run(
                [self.nft, *args],
                input=(stdin or "").encode(),
                capture_output=True,
                timeout=NFT_TIMEOUT,
                check=False,
            )
        except OSError as exc:
            self._no_nft = True
            log.info("nftables: cannot run %s (%s) - no firewall drop rules", self.nft, exc.strerror)
            return 127, "nft not available"
        except subprocess.TimeoutExpired:
            return -1, "timed out"
        out = done.stdout if done.returncode == 0 else done.stderr
        return done.returncode, out.decode(errors="replace")

    def _existing_tables(self) -> tuple[str, ...]:
        """The families in which a table of our name is left (a crash): keepalived deletes them."""
        code, out = self._nft_command(["list", "tables"], None)
        if code != 0:
            return ()
        found = set()
        for line in out.splitlines():
            words = line.split()
            if len(words) == 3 and words[0] == "table" and words[2] == self.tables.options.table:
                found.add(words[1])
        return tuple(f for f in (IP, IP6) if f in found)

    def _socket(self) -> socket.socket:
        if self._sock is None:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_NETFILTER)
            sock.settimeout(1.0)
            sock.bind((0, 0))
            self._sock = sock
            self._seq = int.from_bytes(os.urandom(2), "big") << 8
        return self._sock

    def _send(self, table: str, change: ElementChange) -> None:
        """One element batch on the netfilter socket, and its ACK."""
        keys = []
        for entry in change.entries:
            ifindex = None
            if entry.link_local and not entry.by_name:
                with contextlib.suppress(OSError):
                    ifindex = socket.if_nametoindex(entry.ifname)
            keys.append(entry.key(ifindex))
        try:
            sock = self._socket()
            self._seq = (self._seq + 3) & 0xFFFFFFFF or 3
            seq = self._seq
            sock.send(element_batch(table, change, keys, seq))
            error = None
            while error is None:
                error = ack_error(sock.recv(65536), seq + 1)
        except OSError as exc:
            error = exc.errno or errno.EIO
        if error:
            self.errors += 1
            log.info("nftables: %s: %s", change.nft(table), os.strerror(error))


class InstanceFilter:
    """One instance's part: what its driver calls around adding and removing its addresses."""

    def __init__(
        self, vip_filter: VipFilter, name: str, entries: tuple[FilterEntry, ...], *, detail: bool
    ) -> None:
        self.vip_filter = vip_filter
        self.name = name
        self.entries = entries
        self.detail = detail

    def add(self) -> None:
        """Becoming MASTER: before the VIPs go on."""
        if self.detail:
            log.info("(%s) setting firewall drop rule", self.name)
        self.vip_filter.add(self.name, self.entries)

    def remove(self) -> None:
        """Leaving MASTER: after the VIPs are off."""
        if self.detail:
            log.info("(%s) removing firewall drop rule", self.name)
        self.vip_filter.remove(self.name, self.entries)
