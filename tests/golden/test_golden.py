"""Golden tests of ``keepalived-py -d``: each configs/NAME.conf against configs/NAME.dump.

The .dump files are our dump of each config (tests/configtest.py's in-memory host: lo, eth0,
eth1), each checked line by line against real keepalived 2.2.7's start-up dump of the same
config (``keepalived -n -l -d`` in a namespace with eth0/eth1; see README.md for the lines that
differ by design).  Regenerate them after a deliberate change with::

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden

and check the diff against keepalived again before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from keepalived_py.config.dump import dump_text
from keepalived_py.config.host import MemoryHost
from tests.configtest import parse_text

CONFIGS = Path(__file__).parent / "configs"
CASES = sorted(p.stem for p in CONFIGS.glob("*.conf"))


# Executables the golden configs run (root-owned, mode 755, as on the machine keepalived ran on).
PROGRAMS = ("/usr/bin/true", "/usr/bin/false", "/usr/bin/echo", "/usr/bin/logger", "/usr/bin/test")


def render(name: str) -> str:
    host = MemoryHost()
    for path in PROGRAMS:
        host.files[path] = b"\x7fELF"
        host.modes[path] = 0o100755
    result = parse_text((CONFIGS / f"{name}.conf").read_text(), host=host, test_mode=False)
    assert result.fatal_exit is None, f"{name}: config is fatal for keepalived-py"
    assert result.config is not None
    return dump_text(result.config)


@pytest.mark.parametrize("name", CASES)
def test_dump_matches_golden(name: str) -> None:
    got = render(name)
    golden = CONFIGS / f"{name}.dump"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(got)
    assert golden.exists(), f"{golden} missing: run with UPDATE_GOLDEN=1"
    assert got.splitlines() == golden.read_text().splitlines()


def test_every_config_has_a_dump() -> None:
    dumps = sorted(p.stem for p in CONFIGS.glob("*.dump"))
    assert dumps == CASES
