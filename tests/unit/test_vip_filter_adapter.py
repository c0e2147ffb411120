"""adapters/vip_filter.py without root: a stand-in ``nft`` that records its scripts and a
stand-in netfilter socket that records the element batches and answers with ACKs."""

from __future__ import annotations

import ipaddress
import logging
import stat
import struct
from pathlib import Path

import pytest

from keepalived_py.adapters import vip_filter as vf_mod
from keepalived_py.adapters.vip_filter import InstanceFilter, VipFilter, ack_error, element_batch
from keepalived_py.vrrp.vip_filter_rules import ElementChange, FilterEntry, FilterOptions, filter_entry


def fake_nft(tmp_path: Path, *, tables: str = "", fail: bool = False) -> Path:
    """An ``nft`` that appends each call (argv, then stdin) to calls.log."""
    log = tmp_path / "calls.log"
    script = tmp_path / "nft"
    listing = tmp_path / "tables.txt"
    listing.write_text(tables)
    script.write_text(
        "#!/bin/sh\n"
        f'echo "ARGS $*" >> "{log}"\n'
        f'if [ "$1" = list ]; then cat "{listing}"; exit 0; fi\n'
        f'cat >> "{log}"\n'
        + ('echo "Error: No such file or directory" >&2; exit 1\n' if fail else "exit 0\n")
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def calls(tmp_path: Path) -> str:
    path = tmp_path / "calls.log"
    return path.read_text() if path.exists() else ""


class FakeSocket:
    """Records what is sent; answers each batch with the ACK of its element message."""

    def __init__(self, error: int = 0) -> None:
        self.sent: list[bytes] = []
        self.error = error
        self.closed = False

    def send(self, data: bytes) -> int:
        self.sent.append(data)
        return len(data)

    def recv(self, size: int) -> bytes:
        seq = struct.unpack_from("=I", self.sent[-1], 8)[0] + 1
        return struct.pack("=IHHIIi", 36, 2, 0, seq, 0, -self.error) + bytes(16)

    def close(self) -> None:
        self.closed = True


def make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **kw: object) -> tuple[VipFilter, FakeSocket]:
    error = int(kw.pop("error", 0))  # type: ignore[call-overload]
    vf = VipFilter(FilterOptions(), nft=str(fake_nft(tmp_path, **kw)))  # type: ignore[arg-type]
    sock = FakeSocket(error)
    monkeypatch.setattr(vf, "_socket", lambda: sock)
    vf._sock = sock  # type: ignore[assignment]
    return vf, sock


def v4(text: str) -> FilterEntry:
    return filter_entry(ipaddress.ip_address(text), ifname="eth0")


def elements_of(batch: bytes) -> tuple[int, list[bytes]]:
    """(message type, element keys) of the middle message of a batch."""
    first = struct.unpack_from("=I", batch, 0)[0]
    length, kind = struct.unpack_from("=IH", batch, first)
    body = batch[first + 16 + 4 : first + length]
    keys = []
    offset = 0
    while offset < len(body):
        alen, atype = struct.unpack_from("=HH", body, offset)
        if atype & 0x7FFF == 3:
            inner = body[offset + 4 : offset + alen]
            pos = 0
            while pos < len(inner):
                elen = struct.unpack_from("=H", inner, pos)[0]
                # LIST_ELEM > KEY > DATA_VALUE
                vlen = struct.unpack_from("=H", inner, pos + 8)[0]
                keys.append(inner[pos + 12 : pos + 8 + vlen])
                pos += (elen + 3) & ~3
        offset += (alen + 3) & ~3
    return kind, keys


def test_structure_by_nft_elements_by_netlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    vf, sock = make(
        tmp_path, monkeypatch, tables="table ip keepalived\ntable ip6 other\ntable inet keepalived\n"
    )
    one = InstanceFilter(vf, "VI_1", (v4("192.0.2.1"),), detail=True)
    two = InstanceFilter(vf, "VI_2", (v4("192.0.2.2"),), detail=False)
    with caplog.at_level(logging.INFO):
        one.add()
        two.add()
        one.remove()
        vf.close()
        one.add()  # after close: ignored
        vf.close()
    parts = calls(tmp_path).split("ARGS ")
    assert parts[1] == "list tables\n"
    assert parts[2].startswith("-f -\ndelete table ip keepalived\nadd table ip keepalived\n")
    assert parts[2].endswith("add rule ip keepalived out ip saddr @vips drop\n")
    assert parts[3] == "-f -\ndelete table ip keepalived\n"
    assert len(parts) == 4
    assert [elements_of(b) for b in sock.sent] == [
        (0xA0C, [bytes([192, 0, 2, 1])]),
        (0xA0C, [bytes([192, 0, 2, 2])]),
        (0xA0E, [bytes([192, 0, 2, 1])]),
    ]
    assert sock.closed and vf.errors == 0
    messages = [r.getMessage() for r in caplog.records]
    assert "Deleting old ip keepalived table" in messages
    assert "(VI_1) setting firewall drop rule" in messages
    assert "(VI_1) removing firewall drop rule" in messages
    assert not any("VI_2" in m for m in messages)


def test_nft_failure_sends_no_elements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    vf, sock = make(tmp_path, monkeypatch, fail=True)
    with caplog.at_level(logging.INFO):
        vf.add("VI_1", (v4("192.0.2.1"),))
    assert vf.errors == 1 and sock.sent == []
    failed = "nft -f failed (1): Error: No such file or directory"
    assert any(failed in r.getMessage() for r in caplog.records)


def test_netlink_error_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    vf, _ = make(tmp_path, monkeypatch, error=2)
    with caplog.at_level(logging.INFO):
        vf.add("VI_1", (v4("192.0.2.1"),))
    assert vf.errors == 1
    want = "nftables: add element ip keepalived vips { 192.0.2.1 }: No such file or directory"
    assert want in [r.getMessage() for r in caplog.records]


def test_missing_nft(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    vf = VipFilter(FilterOptions(), nft=str(tmp_path / "no-nft"))
    with caplog.at_level(logging.INFO):
        vf.add("VI_1", (v4("192.0.2.1"),))
        vf.add("VI_2", (v4("192.0.2.2"),))
        vf.close()
    assert len([r for r in caplog.records if "cannot run" in r.getMessage()]) == 1


def test_element_batch_layout() -> None:
    ll = filter_entry(ipaddress.ip_address("fe80::1"), ifname="eth0", ifindex=7)
    change = ElementChange(True, "ip6", "vips_link_local", (ll,))
    batch = element_batch("keepalived", change, [ll.key()], 100)
    # begin (seq 100, AF_UNSPEC, res_id NFTABLES big endian), element message, end
    assert struct.unpack_from("=IHHI", batch, 0) == (20, 0x10, 1, 100)
    assert batch[16:20] == bytes([0, 0, 0, 10])
    first = 20
    length, kind, flags, seq = struct.unpack_from("=IHHI", batch, first)
    assert (kind, flags, seq) == (0xA0C, 0x405, 101)
    assert batch[first + 16] == 10  # NFPROTO_IPV6
    assert b"keepalived\0" in batch and b"vips_link_local\0" in batch
    assert elements_of(batch) == (0xA0C, [ll.key()])
    end = first + length
    assert struct.unpack_from("=IHHI", batch, end) == (20, 0x11, 1, 102)
    assert len(batch) == end + 20
    delete = element_batch("k", ElementChange(False, "ip", "vips", ()), [], 1)
    assert struct.unpack_from("=H", delete, 24)[0] == 0xA0E


def test_ack_error() -> None:
    ack = struct.pack("=IHHIIi", 36, 2, 0, 5, 0, 0) + bytes(16)
    err = struct.pack("=IHHIIi", 36, 2, 0, 6, 0, -17) + bytes(16)
    assert ack_error(ack + err, 5) == 0
    assert ack_error(ack + err, 6) == 17
    assert ack_error(ack, 7) is None
    # the batch refused at its begin message (seq 4 for element message 5)
    refused = struct.pack("=IHHIIi", 36, 2, 0, 4, 0, -1) + bytes(16)
    assert ack_error(refused, 5) == 1
    assert ack_error(struct.pack("=IHHIIi", 36, 2, 0, 4, 0, 0) + bytes(16), 5) is None
    assert ack_error(b"\0" * 16, 1) is None
    assert vf_mod.NFPROTO == {"ip": 2, "ip6": 10}


def test_prepare_lists_old_tables_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vf, _ = make(tmp_path, monkeypatch, tables="table ip6 keepalived\n")
    vf.prepare()
    vf.add("VI_1", (v4("192.0.2.1"),))
    parts = calls(tmp_path).split("ARGS ")
    assert parts[1] == "list tables\n"
    assert parts[2].startswith("-f -\ndelete table ip6 keepalived\nadd table ip keepalived\n")
    assert len(parts) == 3
