"""The VM runner's pure parts, on the host (no boot): the initramfs archive and the guest script."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ipvs import vm


def test_cpio_archive_lists_its_entries(tmp_path: Path) -> None:
    busybox = shutil.which("busybox") or str(vm.BUSYBOX)
    if not Path(busybox).exists():
        pytest.skip("busybox (busybox-static) is needed to read the archive")
    data = vm._cpio([("bin", 0o040755, b""), ("bin/sh", 0o120777, b"busybox"), ("init", 0o100755, b"#!x\n")])
    listing = subprocess.run([busybox, "cpio", "-t"], input=data, capture_output=True, check=True).stdout
    assert listing.decode().split() == ["bin", "bin/sh", "init"]
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run([busybox, "cpio", "-i"], input=data, cwd=out, capture_output=True, check=True)
    assert (out / "init").read_bytes() == b"#!x\n"
    assert (out / "bin/sh").is_symlink() and str((out / "bin/sh").readlink()) == "busybox"


def test_guest_script_quotes_environment_and_cwd() -> None:
    script = vm._script('echo "$A"', "/srv/it's here", {"A": "x y'z", "BAD-NAME": "1", "B": ""})
    out = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "export A='x y'\"'\"'z'" in script
    assert "BAD-NAME" not in script
    assert script.endswith('echo "$A"\n')


def test_initramfs_is_built_once_and_cached(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if vm.missing():
        pytest.skip("no kernel with IPVS installed")
    kernel = vm.find_kernel()
    assert Path("/lib/modules", kernel.version, "kernel/net/netfilter/ipvs").is_dir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = vm.initramfs(kernel)
    assert first.parent == tmp_path / "keepalived-py-ipvs-vm"
    assert vm.initramfs(kernel) == first  # cached
