"""The pure cores import nothing that touches the machine (DESIGN.md section 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "keepalived_py"
PURE = ("config", "vrrp", "check", "notify")
FORBIDDEN = {"asyncio", "socket", "subprocess", "os", "time", "pyroute2", "aiosmtplib", "click", "shutil"}


def _pure_files() -> list[Path]:
    return sorted(p for d in PURE for p in (PKG / d).rglob("*.py"))


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: str(p.relative_to(PKG)))
def test_pure_module_imports(path: Path) -> None:
    tree = ast.parse(path.read_text())
    bad: list[str] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        bad += [n for n in names if n.split(".")[0] in FORBIDDEN]
    assert not bad, f"{path.name} imports {bad}"
