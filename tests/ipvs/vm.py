"""Run a command inside a throw-away VM whose kernel has IPVS (standard library only).

The machines the project is developed and tested on run a kernel without ``CONFIG_IP_VS`` and
without modules, so the IPVS adapter cannot be exercised on them directly.  Debian's stock kernel
has every ``ip_vs*`` module; this runner boots it in QEMU (KVM when the CPU offers it, software
emulation otherwise) with the host's ``/`` shared read-only over virtio-9p under a tmpfs overlay,
and runs one command there with the caller's working directory and environment.  The same
absolute paths work inside (the virtualenv, the checkout, ``ipvsadm``, ``keepalived``); whatever
the command writes vanishes at power-off.  See ../shared/notes/ipvs-testing.md for the recipe
and its measurements (about 6 s from start to power-off under emulation).

    python -m tests.ipvs.vm 'ipvsadm -A -t 192.0.2.1:80; ipvsadm -Ln'
    python -m tests.ipvs.vm .venv/bin/python -m pytest -q tests/ipvs/in_vm

The exit status is the command's, 124 on timeout (``IPVS_VM_TIMEOUT`` seconds, default 900) and
125 when the VM died before reporting one (the kernel console is then printed).  The command's
stdout and stderr stream to the caller's as it runs.  A directory shared writable with the
guest at the same absolute path is in ``$IPVS_VM_XCHG`` inside (for result files such as a
JUnit report); ``run(..., xchg=DIR)`` chooses it.

Knobs: ``IPVS_VM_TIMEOUT`` (seconds), ``IPVS_VM_NICE`` (QEMU's niceness, default 10),
``IPVS_VM_SMP`` (virtual CPUs, default 1: under emulation a second one only competes with the
host's other work), ``IPVS_VM_VERBOSE=1`` (print the kernel console).  QEMU dies with the
runner: on timeout, exceptions, Ctrl-C, SIGTERM, and through ``PR_SET_PDEATHSIG`` when the
runner itself is killed.

Needs (Debian packages): qemu-system-x86, linux-image-amd64, busybox-static, kmod; ipvsadm for
the tests.  The initramfs (busybox, an init script and the modules that reach the host's
filesystem) is built once and cached under ``$XDG_CACHE_HOME/keepalived-py-ipvs-vm/``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gzip
import hashlib
import io
import lzma
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

PACKAGES = ("qemu-system-x86", "linux-image-amd64", "busybox-static", "kmod", "ipvsadm")
QEMU = "qemu-system-x86_64"
BUSYBOX = Path("/bin/busybox")
BOOT_MODULES = ("virtio_pci", "9pnet_virtio", "9p", "overlay")
GUEST_MARK = "KEEPALIVED_PY_IPVS_VM"
EXIT_TIMEOUT = 124
EXIT_NO_REPORT = 125
PR_SET_PDEATHSIG = 1

# The guest's /init.  It mounts the host's / read-only under a tmpfs overlay, puts fresh /proc,
# /sys, /dev, /run in it, mounts the exchange share at the host's path, then runs the command
# chrooted with its output written into the exchange share (which the host tails), and powers off.
INIT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.list); do insmod "/modules/$m" || echo "ipvs-vm: insmod $m failed" >&2; done
mkdir -p /lower /rw /newroot /xchg
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose host /lower
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 xchg /xchg
XCHG=$(cat /xchg/.path)
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mkdir -p /newroot/run/lock "/newroot$XCHG"
mount --bind /xchg "/newroot$XCHG"
ip link set lo up
printf '#!/bin/sh\nexec chroot /newroot /sbin/modprobe "$@"\n' > /sbin/modprobe-chroot
chmod 755 /sbin/modprobe-chroot
echo /sbin/modprobe-chroot > /proc/sys/kernel/modprobe
echo ipvs-vm: running >&2
chroot /newroot /bin/bash "$XCHG/.run.sh" < /dev/null > /xchg/.stdout 2> /xchg/.stderr
echo $? > /xchg/.rc
sync
poweroff -f
"""


class VmError(RuntimeError):
    """The VM cannot be started here (a package is missing, no usable kernel)."""


@dataclass(frozen=True)
class Kernel:
    version: str
    image: Path


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "keepalived-py-ipvs-vm"


def find_kernel() -> Kernel:
    """The newest installed kernel image that has IPVS modules."""
    found = []
    for image in Path("/boot").glob("vmlinuz-*"):
        version = image.name.removeprefix("vmlinuz-")
        ipvs = Path("/lib/modules", version, "kernel/net/netfilter/ipvs")
        if any(ipvs.glob("ip_vs.ko*")) and os.access(image, os.R_OK):
            found.append(Kernel(version, image))
    if not found:
        raise VmError(f"no kernel with IPVS modules in /boot (install {', '.join(PACKAGES)})")

    def key(k: Kernel) -> list[int | str]:
        return [int(p) if p.isdigit() else p for p in re.split(r"[.-]", k.version)]

    return max(found, key=key)


def missing() -> list[str]:
    """What this machine lacks to run the VM (empty when it can)."""
    lacks = []
    if shutil.which(QEMU) is None:
        lacks.append(QEMU)
    if not BUSYBOX.is_file():
        lacks.append(str(BUSYBOX))
    if shutil.which("modprobe") is None and not Path("/sbin/modprobe").exists():
        lacks.append("modprobe")
    try:
        find_kernel()
    except VmError as exc:
        lacks.append(str(exc))
    return lacks


def _modprobe() -> str:
    return shutil.which("modprobe") or "/sbin/modprobe"


def _boot_modules(kernel: Kernel) -> list[Path]:
    out = subprocess.run(
        [_modprobe(), "-S", kernel.version, "--show-depends", "-a", *BOOT_MODULES],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seen: list[Path] = []
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "insmod" and Path(words[1]) not in seen:
            seen.append(Path(words[1]))
    return seen


def _cpio(entries: Sequence[tuple[str, int, bytes]]) -> bytes:
    """A "newc" cpio archive of (name, mode, data) entries (data of a symlink = its target)."""
    out = io.BytesIO()
    for ino, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], start=1):
        encoded = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0]
        out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + encoded)
        out.write(b"\0" * (-(110 + len(encoded)) % 4))
        out.write(data)
        out.write(b"\0" * (-len(data) % 4))
    return out.getvalue()


def initramfs(kernel: Kernel) -> Path:
    """The cached initramfs for ``kernel``, built when the kernel, busybox or this script changed."""
    modules = _boot_modules(kernel)
    digest = hashlib.sha256()
    for part in (kernel.version, INIT, *map(str, modules)):
        digest.update(part.encode() + b"\0")
    for path in (BUSYBOX, *modules):
        st = path.stat()
        digest.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    target = cache_dir() / f"initramfs-{kernel.version}-{digest.hexdigest()[:16]}.cpio.gz"
    if target.exists():
        return target
    entries: list[tuple[str, int, bytes]] = [
        (d, 0o040755, b"") for d in ("bin", "dev", "proc", "sys", "modules", "sbin", "usr", "tmp")
    ]
    entries.append(("bin/busybox", 0o100755, BUSYBOX.read_bytes()))
    entries.append(("bin/sh", 0o120777, b"busybox"))
    entries.append(("init", 0o100755, INIT.encode()))
    names = []
    for path in modules:
        data = path.read_bytes()
        name = path.name
        if name.endswith(".xz"):
            data, name = lzma.decompress(data), name[:-3]
        elif name.endswith(".zst"):
            raise VmError(f"zstd-compressed module {path} is not supported")
        entries.append((f"modules/{name}", 0o100644, data))
        names.append(name)
    entries.append(("modules.list", 0o100644, "\n".join(names).encode() + b"\n"))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".initramfs-")
    with os.fdopen(fd, "wb") as f:
        f.write(gzip.compress(_cpio(entries), compresslevel=6))
    os.replace(tmp, target)
    for old in target.parent.glob(f"initramfs-{kernel.version}-*.cpio.gz"):
        if old != target:
            with contextlib.suppress(OSError):
                old.unlink()
    return target


def _use_kvm() -> bool:
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return re.search(r"^flags\s*:.*\b(vmx|svm)\b", cpuinfo, re.M) is not None


def qemu_command(kernel: Kernel, initrd: Path, xchg: Path, console: Path, memory_mb: int = 1024) -> list[str]:
    accel = ["-accel", "kvm", "-cpu", "host"] if _use_kvm() else ["-accel", "tcg", "-cpu", "max"]
    return [
        QEMU,
        *accel,
        "-m",
        f"{memory_mb}M",
        "-smp",
        os.environ.get("IPVS_VM_SMP", "1"),
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-no-reboot",
        "-kernel",
        str(kernel.image),
        "-initrd",
        str(initrd),
        "-append",
        "console=ttyS0 quiet loglevel=4 panic=-1",
        "-serial",
        f"file:{console}",
        "-fsdev",
        "local,id=host,path=/,security_model=none,readonly=on,multidevs=remap",
        "-device",
        "virtio-9p-pci,fsdev=host,mount_tag=host",
        "-fsdev",
        f"local,id=xchg,path={xchg},security_model=none",
        "-device",
        "virtio-9p-pci,fsdev=xchg,mount_tag=xchg",
    ]


def _script(command: str, cwd: str, env: Mapping[str, str]) -> str:
    lines = ["# written by tests/ipvs/vm.py"]
    for name, value in env.items():
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            lines.append(f"export {name}={shlex.quote(value)}")
    lines.append(f"cd -- {shlex.quote(cwd)} || exit 126")
    lines.append(command)
    return "\n".join(lines) + "\n"


class _Tail(threading.Thread):
    """Copies what the guest appends to a file of the exchange share to a stream, as it comes."""

    def __init__(self, path: Path, sink: BinaryIO) -> None:
        super().__init__(daemon=True)
        self.path, self.sink = path, sink
        self.done = threading.Event()

    def run(self) -> None:
        offset = 0
        while True:
            finished = self.done.is_set()
            try:
                with open(self.path, "rb") as f:
                    f.seek(offset)
                    chunk = f.read()
            except FileNotFoundError:
                chunk = b""
            if chunk:
                offset += len(chunk)
                self.sink.write(chunk)
                self.sink.flush()
            if finished:
                return
            self.done.wait(0.05)


def _qemu_child_setup() -> None:
    """In the child before exec: the kernel kills QEMU if the runner dies (SIGKILL included), and
    QEMU runs niced: under emulation it takes a whole core, and the tests running beside it (a
    parallel pytest worker with timing-sensitive tests) must not be the ones to wait."""
    with contextlib.suppress(OSError, ValueError):
        os.nice(int(os.environ.get("IPVS_VM_NICE", "10")))
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Result:
    returncode: int
    seconds: float
    console: str


def run(
    command: str,
    *,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    stdout: BinaryIO | None = None,
    stderr: BinaryIO | None = None,
    xchg: Path | None = None,
) -> Result:
    """Boot the VM, run ``command`` (a bash command line) in it, power off; always stops QEMU."""
    started = time.monotonic()
    if timeout is None:
        timeout = float(os.environ.get("IPVS_VM_TIMEOUT", "900"))
    kernel = find_kernel()
    initrd = initramfs(kernel)
    environment = dict(os.environ if env is None else env)
    environment[GUEST_MARK] = "1"
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kpy-ipvs-vm-")))
        if xchg is None:
            xchg = work / "xchg"
            xchg.mkdir()
        xchg = xchg.resolve()
        environment["IPVS_VM_XCHG"] = str(xchg)
        for name in (".rc", ".stdout", ".stderr"):
            with contextlib.suppress(FileNotFoundError):
                (xchg / name).unlink()
        (xchg / ".path").write_text(str(xchg))
        (xchg / ".run.sh").write_text(_script(command, cwd or os.getcwd(), environment))
        console = work / "console.log"
        argv = qemu_command(kernel, initrd, xchg, console)
        tails = [
            _Tail(xchg / ".stdout", stdout or sys.stdout.buffer),
            _Tail(xchg / ".stderr", stderr or sys.stderr.buffer),
        ]
        for tail in tails:
            tail.start()
        qemu = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_qemu_child_setup,
        )
        try:
            try:
                qemu_out, _ = qemu.communicate(timeout=timeout)
                rc: int | None = None
            except subprocess.TimeoutExpired:
                rc = EXIT_TIMEOUT
                qemu_out = b""
        finally:
            if qemu.poll() is None:
                qemu.kill()
                qemu.wait()
            for tail in tails:
                tail.done.set()
            for tail in tails:
                tail.join(5)
        text = console.read_text(errors="replace") if console.exists() else ""
        if rc is None:
            try:
                rc = int((xchg / ".rc").read_text().strip())
            except (FileNotFoundError, ValueError):
                rc = EXIT_NO_REPORT
        if rc in (EXIT_TIMEOUT, EXIT_NO_REPORT) or os.environ.get("IPVS_VM_VERBOSE") == "1":
            err = stderr or sys.stderr.buffer
            why = "timed out" if rc == EXIT_TIMEOUT else "kernel console"
            err.write(f"ipvs-vm: {why}; qemu: {' '.join(argv)}\n".encode())
            err.write(qemu_out[-4000:])
            err.write(text[-6000:].encode())
            err.flush()
        return Result(rc, time.monotonic() - started, text)


def install_packages() -> None:
    """apt-get install what the VM needs (as root, on Debian)."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES], check=True, env=env
    )


def _main(argv: Iterator[str] | Sequence[str]) -> int:
    args = list(argv)
    if args == ["--setup"]:
        if missing():
            install_packages()
        return 0
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    lacks = missing()
    if lacks:
        print(
            f"ipvs-vm: cannot run here, missing: {'; '.join(lacks)} (run with --setup as root)",
            file=sys.stderr,
        )
        return EXIT_NO_REPORT
    command = args[0] if len(args) == 1 else shlex.join(args)
    # a SIGTERM unwinds like Ctrl-C, so QEMU is stopped on the way out
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run(command).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
