"""Config -> text in keepalived's ``-d`` dump layout (placeholder)."""

from __future__ import annotations

from keepalived_py.config.model import Config


def dump_text(config: Config) -> str:
    return f"{config!r}\n"
