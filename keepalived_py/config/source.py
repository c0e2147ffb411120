"""keepalived's line pre-processing: physical lines of keepalived.conf -> logical lines.

(Minimal first version: comments, brace splitting, plain includes. The full pipeline —
definitions, conditional lines, ~SEQ/~LST, include variants — replaces it.)
"""

from __future__ import annotations

from dataclasses import dataclass

from keepalived_py.config.errors import Diagnostics, Location, Severity
from keepalived_py.config.host import Host


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One logical line: pre-processed text and the physical line it came from."""

    location: Location
    text: str


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Command-line options that change pre-processing."""

    config_id: str | None = None  # -i; None: the host name up to its first '.'
    all_config: bool = False  # -e: every include must match


def decomment(line: str) -> str:
    out: list[str] = []
    quote = False
    i = 0
    while i < len(line):
        c = line[i]
        if c == '"':
            quote = not quote
        elif not quote and c == "\\" and i + 1 < len(line) and line[i + 1] in "#!":
            out.append(line[i + 1])
            i += 2
            continue
        elif not quote and c in "#!":
            break
        out.append(c)
        i += 1
    return "".join(out).strip(" \t")


def split_braces(text: str) -> list[str]:
    parts: list[str] = []
    while text:
        p = 0
        if text[0] not in "{}":
            quote = False
            p = -1
            for i, c in enumerate(text):
                if c == '"':
                    quote = not quote
                elif not quote and c in "{}":
                    p = i
                    break
        if p == -1:
            parts.append(text.rstrip(" \t"))
            break
        if p == 0:
            parts.append(text[0])
            text = text[1:].strip(" \t")
        else:
            parts.append(text[:p].rstrip(" \t"))
            text = text[p:]
    return [x for x in parts if x]


def read_source(
    path: str, host: Host, diags: Diagnostics, options: SourceOptions | None = None
) -> list[SourceLine]:
    """All logical lines of the configuration rooted at ``path``, in keepalived's order."""
    out: list[SourceLine] = []
    _read_file(path, host, diags, out, 0)
    return out


def _read_file(path: str, host: Host, diags: Diagnostics, out: list[SourceLine], depth: int) -> None:
    try:
        data = host.read_file(path)
    except OSError:
        diags.report(Severity.FILE_NOT_FOUND, f"Config files missing '{path}'.")
        return
    text = data.decode("utf-8", "surrogateescape")
    for n, raw in enumerate(text.split("\n"), start=1):
        line = decomment(raw.rstrip("\r\n"))
        if not line:
            continue
        if line.startswith("include ") and depth < 32:
            for match in host.glob(line.split(None, 1)[1].strip()):
                _read_file(match, host, diags, out, depth + 1)
            continue
        loc = Location(path, n)
        for part in split_braces(line):
            out.append(SourceLine(loc, part))
