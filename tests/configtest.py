"""Helpers for config tests: parse text with an in-memory host."""

from __future__ import annotations

from keepalived_py.config.host import MemoryHost
from keepalived_py.config.loader import LoadOptions, LoadResult, load

CONF = "/etc/keepalived/keepalived.conf"


def parse_text(
    text: str,
    *,
    files: dict[str, bytes] | None = None,
    host: MemoryHost | None = None,
    test_mode: bool = True,
    config_id: str | None = None,
    all_config: bool = False,
    validate: bool = True,
) -> LoadResult:
    """Load ``text`` as /etc/keepalived/keepalived.conf on a MemoryHost (eth0, eth1, lo)."""
    h = host or MemoryHost()
    h.files[CONF] = text.encode()
    for path, data in (files or {}).items():
        h.files[path] = data
    return load(
        CONF,
        h,
        LoadOptions(config_id=config_id, all_config=all_config, test_mode=test_mode, validate=validate),
    )


def messages(result: LoadResult) -> list[str]:
    return [d.message for d in result.diags.items]
