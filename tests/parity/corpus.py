"""The parity corpus: Debian's keepalived samples, the repository's examples and our crafted configs.

A config may give extra command line arguments for both programs in a first-line comment
``# args: -i node1``.  Files under ``configs/inc/`` are only reached through ``include``.
"""

from __future__ import annotations

import glob
import shlex
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CRAFTED_DIR = HERE / "configs"
DEBIAN_SAMPLES = "/usr/share/doc/keepalived/samples/keepalived.conf.*"


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    path: str
    args: tuple[str, ...]


def extra_args(path: str) -> tuple[str, ...]:
    with open(path, "rb") as f:
        first = f.readline().decode("latin-1").strip()
    if first.startswith("# args:"):
        return tuple(shlex.split(first[len("# args:") :]))
    return ()


def crafted() -> list[str]:
    return sorted(str(p) for p in CRAFTED_DIR.glob("*.conf"))


def entries() -> list[Entry]:
    found: list[Entry] = []
    for p in sorted(glob.glob(DEBIAN_SAMPLES)):
        if not p.endswith(".gz"):
            found.append(Entry("debian/" + Path(p).name, p, ()))
    for p in sorted((REPO / "examples").rglob("*.conf")):
        rel = p.relative_to(REPO / "examples").as_posix()
        found.append(Entry("examples/" + rel, str(p), extra_args(str(p))))
    for p in crafted():
        found.append(Entry("crafted/" + Path(p).name, p, extra_args(p)))
    return found
