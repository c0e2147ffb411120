"""A tiny real_server table for testing the checker keywords on their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keepalived_py.config import dispatch, model, source, statements
from keepalived_py.config.errors import ConfigError, Diagnostics
from keepalived_py.config.host import MemoryHost
from keepalived_py.config.schema.checkers import checker_keywords
from keepalived_py.config.schema.common import block

CONF = "/etc/keepalived/keepalived.conf"


@dataclass
class Parsed:
    diags: Diagnostics
    servers: list[dict[str, Any]]
    result: dict[str, Any]
    fatal: int | None = None

    @property
    def checkers(self) -> list[Any]:
        return [c for rs in self.servers for c in rs.get("checkers", [])]

    @property
    def messages(self) -> list[str]:
        return [d.message for d in self.diags.items]

    @property
    def exit_code(self) -> int:
        return self.fatal if self.fatal is not None else self.diags.test_exit_code()


def _table(servers: list[dict[str, Any]]) -> dispatch.Table:
    def vs_open(ctx: dispatch.ParseContext, words: tuple[str, ...]) -> None:
        ctx.stack.append({"protocol": "tcp"})

    def vs_close(ctx: dispatch.ParseContext) -> None:
        ctx.stack.pop()

    def rs_open(ctx: dispatch.ParseContext, words: tuple[str, ...]) -> None:
        ctx.stack.append({"address": words[1], "port": int(words[2]) if len(words) > 2 else 0})

    def rs_close(ctx: dispatch.ParseContext) -> None:
        servers.append(ctx.stack.pop())

    rs = block("real_server", dispatch.Table("real_server", checker_keywords()), rs_open, rs_close)
    vs = block("virtual_server", dispatch.Table("virtual_server", [rs]), vs_open, vs_close)
    return dispatch.Table("top", [vs])


def parse(
    body: str,
    *,
    rs: str = "192.0.2.20 80",
    track_files: tuple[str, ...] = (),
    bfds: tuple[str, ...] = (),
    host: MemoryHost | None = None,
    test_mode: bool = True,
) -> Parsed:
    """Parse ``body`` as the inside of one real_server of one virtual_server."""
    text = f"virtual_server 192.0.2.10 80 {{\n real_server {rs} {{\n{body}\n }}\n}}\n"
    h = host or MemoryHost()
    h.files[CONF] = text.encode()
    diags = Diagnostics()
    servers: list[dict[str, Any]] = []
    result = model.new_draft()
    result["trackers"]["track_files"] = [{"name": n} for n in track_files]
    result["bfd"]["checker_tracked"] = dict.fromkeys(bfds)
    lines = source.read_source(CONF, h, diags, source.SourceOptions())
    stmts = statements.parse_statements(lines, diags)
    ctx = dispatch.ParseContext(stmts, diags, h, result, dispatch.ParseOptions(test_mode=test_mode))
    try:
        dispatch.run(ctx, _table(servers))
    except ConfigError as exc:
        return Parsed(diags, servers, result, exc.exit_code)
    return Parsed(diags, servers, result)
