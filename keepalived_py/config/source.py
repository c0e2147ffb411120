"""keepalived's line pre-processing: physical lines of keepalived.conf -> logical lines.

keepalived 2.2.7 reads its configuration twice in ``-t`` mode (and at every start): the parent
reads the real files, acts on ``include`` lines and writes a consolidated copy (every physical
line decommented, include lines blanked, ``# FILE`` when a file is opened, ``!`` when it is
closed, ``#! MESSAGE`` for include errors); the VRRP, checker and BFD parsers then read that
copy with the same ``read_line()``, which pre-processes the (already decommented) lines once
more.  Almost every message about keywords comes from that second reading, so its view is
the one we return.  We run both readings, because they differ in corner cases that keepalived
users do hit: a line longer than 1023 bytes is cut into pieces and shifts the line numbers of
the second reading, ``\\#`` / ``\\!`` at the start of a line turn into file markers, a comment
line ends a multi-line definition, and an ``include`` produced by ``@id``, ``$NAME``, ``~SEQ``
or text after a brace is included again by the second reading, from disk, with comment lines
taken as file markers.

The first reading only matters for what it does to files: include errors (and the
``include_check`` keyword) are reported from it; everything else is reported from the second.
"""

from __future__ import annotations

import posixpath
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from keepalived_py.config.errors import (
    EXIT_CONFIG,
    ConfigError,
    Diagnostic,
    Diagnostics,
    Location,
    Severity,
)
from keepalived_py.config.host import Host

# keepalived reads with fgets() into a MAXBUF (1024) buffer: at most 1023 bytes at a time.
_FGETS = 1023
MAXBUF = 1024
# keepalived has no include-loop protection (it nests until fopen() fails with EMFILE).
MAX_INCLUDE_DEPTH = 64
# ... and a file including itself twice doubles at every level: cap the files read in total.
MAX_INCLUDED_FILES = 10_000
# ~SEQ/~LST can describe billions of lines; keepalived would run for ever.
MAX_SEQ_LINES = 200_000
# "$A=$A" makes keepalived's replace_param() loop for ever.
MAX_REPLACEMENTS = 1000
# Lines whose substitution overflowed keepalived's line buffer, before we call it a runaway.
MAX_OVERLONG_SUBSTITUTIONS = 10_000

# include types (keepalived's include_t bits)
INCLUDE_R = 0x01
INCLUDE_M = 0x02
INCLUDE_W = 0x04
INCLUDE_B = 0x08
INCLUDE_ALL = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B

_INCLUDE_TYPES = {
    "r": INCLUDE_R,
    "a": INCLUDE_ALL,
    "w": INCLUDE_R | INCLUDE_M | INCLUDE_W,
    "m": INCLUDE_R | INCLUDE_M,
    "b": INCLUDE_R | INCLUDE_B,
}
_SPACE = " \t\n\v\f\r"  # C isspace()
_BLANK_RE = re.compile(r"[ \t]")
_COMMENT_RE = re.compile(r"[#!]")
_SPECIAL_RE = re.compile(r'[#!"]')
_STRTOUL = re.compile(r"[ \t\n\v\f\r]*([0-9]+)")
_BLANK = " \t"  # C isblank()


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
    # Seed for ${_RANDOM}: keepalived seeds with time() (its random_seed keyword has no effect
    # in 2.2.7: init_data() forgets it before seeding); None = unpredictable.
    random_seed: int | None = None


@dataclass
class SourceState:
    """What the reading found besides lines (optional out-parameter of read_source)."""

    # An include error of a class made fatal by include_check / -e / includer...: keepalived's
    # parent exits with KEEPALIVED_EXIT_NO_CONFIG (6) right after reading, before any check.
    config_file_error: bool = False
    # The consolidated copy, as the parent writes it (for debugging and tests).
    copy: list[str] = field(default_factory=list)
    # The parent's own logical lines, kept when its line numbers can differ from the children's
    # (lines longer than keepalived's buffer, NUL bytes, escaped comment characters at the
    # start of a line): keepalived's parent reports top-level unknown keywords at its numbers.
    parent_lines: list[SourceLine] | None = None


EXIT_NO_CONFIG = 6


# --------------------------------------------------------------------------------------------
# small C helpers


def _is_alpha(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _is_name_char(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or ("0" <= c <= "9") or c == "_"


def _span(s: str, i: int, chars: str = _BLANK) -> int:
    """strspn from index i: first index >= i whose char is not in chars."""
    n = len(s)
    while i < n and s[i] in chars:
        i += 1
    return i


_STRTOL = re.compile(r"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_LONG_MAX = (1 << 63) - 1
_LONG_MIN = -(1 << 63)


def _strtol(s: str, i: int) -> tuple[int, int]:
    """C strtol(s + i, &end, 0): (value, end index); no digits -> (0, i)."""
    m = _STRTOL.match(s, i)
    if not m:
        return 0, i
    digits = m.group(2)
    if digits[:2] in ("0x", "0X"):
        val = int(digits[2:], 16)
    elif len(digits) > 1 and digits[0] == "0":
        val = int(digits, 8)
    else:
        val = int(digits)
    if m.group(1) == "-":
        val = -val
    return max(_LONG_MIN, min(_LONG_MAX, val)), m.end()


def _strtoul(s: str, i: int) -> tuple[int, int]:
    m = _STRTOUL.match(s, i)
    if not m:
        return 0, i
    return min(int(m.group(1)), (1 << 64) - 1), m.end()


def _to_long(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


# --------------------------------------------------------------------------------------------
# decomment


def _decomment_slow(s: str) -> tuple[str, str | None]:
    out: list[str] = []
    quote = False
    skip = -1
    cont = False
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == '"':
            if skip < 0:
                quote = not quote
            out.append(c)
            i += 1
        elif c == "\\":
            if i + 1 < n:
                nxt = s[i + 1]
                if not quote and (nxt == "#" or nxt == "!"):
                    out.append(nxt)
                else:
                    out.append(c)
                    out.append(nxt)
                i += 2
            else:
                cont = True
                break
        else:
            if skip < 0 and not quote and (c == "#" or c == "!"):
                skip = len(out)
            out.append(c)
            i += 1
    full = "".join(out)
    unterminated = full if quote else None
    res = (full[:skip] if skip >= 0 else full).rstrip(_BLANK)
    if cont:
        res += "\\"
    return res, unterminated


def decomment(line: str) -> tuple[str, str | None]:
    """keepalived's decomment(): (text, text of an unterminated quote to report or None).

    Cuts at '#' or '!' outside double quotes, turns \\# and \\! into # and ! (outside quotes),
    strips leading and trailing blanks and keeps a final backslash (definition continuation).
    """
    s = line.lstrip(_BLANK)
    if "\\" in s:
        return _decomment_slow(s)
    if '"' not in s:
        if "#" not in s and "!" not in s:
            return s.rstrip(_BLANK), None
        m = _COMMENT_RE.search(s)
        return (s[: m.start()].rstrip(_BLANK) if m else s.rstrip(_BLANK)), None
    quote = False
    for m in _SPECIAL_RE.finditer(s):
        if m.group() == '"':
            quote = not quote
        elif not quote:
            return s[: m.start()].rstrip(_BLANK), None
    return s.rstrip(_BLANK), (s if quote else None)


# --------------------------------------------------------------------------------------------
# physical lines: fgets() into a 1024-byte buffer


class _Stream:
    """The fgets() pieces of one file: text without the newline, and which pieces had one."""

    __slots__ = ("closed", "lines", "no_nl", "pos")

    def __init__(self, lines: list[str], no_nl: set[int]) -> None:
        self.lines = lines
        self.no_nl = no_nl
        self.pos = 0
        self.closed = False

    @classmethod
    def from_bytes(cls, data: bytes) -> _Stream:
        parts = data.split(b"\n")
        last_has_nl = parts[-1] == b""
        if last_has_nl:
            parts.pop()
        no_nl: set[int] = set()
        if b"\0" not in data and all(len(p) < _FGETS for p in parts):
            lines = data.decode("utf-8", "surrogateescape").split("\n")
            if last_has_nl:
                lines.pop()
            elif lines:
                no_nl.add(len(lines) - 1)
            return cls(lines, no_nl)
        out: list[str] = []
        for idx, part in enumerate(parts):
            nl = last_has_nl or idx < len(parts) - 1
            raw = part + b"\n" if nl else part
            for j in range(0, len(raw), _FGETS):
                piece = raw[j : j + _FGETS]
                piece = piece.split(b"\0", 1)[0]
                if piece.endswith(b"\n"):
                    piece = piece[:-1]
                else:
                    no_nl.add(len(out))
                out.append(piece.decode("utf-8", "surrogateescape"))
        return cls(out, no_nl)

    @classmethod
    def from_copy(cls, copy: list[str]) -> _Stream:
        if all(len(s) < 255 for s in copy):
            return cls(copy, set())
        return cls.from_bytes("".join(s + "\n" for s in copy).encode("utf-8", "surrogateescape"))


class _File:
    """One entry of keepalived's include stack."""

    __slots__ = (
        "glob_next",
        "include_type",
        "is_copy",
        "line_no",
        "matches",
        "name",
        "num_matches",
        "path",
        "pattern",
        "sav_include_check",
        "saved_cwd",
        "stream",
    )

    def __init__(self, include_type: int, sav_include_check: int) -> None:
        self.matches: list[str] = []
        self.glob_next = 0
        self.pattern = ""
        self.stream: _Stream | None = None
        self.num_matches = 0
        self.name: str | None = None
        # the absolute path of the file being read, to see an include loop before it explodes
        self.path: str | None = None
        self.line_no = 0
        self.include_type = include_type
        self.sav_include_check = sav_include_check
        self.saved_cwd: str | None = None
        self.is_copy = False


class _Def:
    __slots__ = ("fn", "max_params", "multiline", "name", "value")

    def __init__(self, name: str, value: str = "", multiline: bool = False) -> None:
        self.name = name
        self.value = value
        self.multiline = multiline
        self.fn: Callable[[str | None], str] | None = None
        self.max_params = 0


class _Seq:
    __slots__ = ("hex", "last", "next", "params", "step", "text", "values", "var", "vidx")

    def __init__(self, text: str) -> None:
        self.var = ""
        self.next = 0
        self.last = 0
        self.step = 0
        self.hex = False
        self.text = text
        self.params: list[str] = []
        self.values: list[list[str]] = []
        self.vidx = 0


# --------------------------------------------------------------------------------------------
# globbing (glob(3) with GLOB_MARK | GLOB_BRACE | GLOB_ALTDIRFUNC, as keepalived calls it)


def expand_braces(pattern: str) -> list[str]:
    """glibc's GLOB_BRACE expansion; an unbalanced '{' leaves the pattern as it is."""
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            break
        i += 1
    else:
        return [pattern]
    depth = 0
    alts: list[str] = []
    start = i + 1
    j = i
    while j < n:
        c = pattern[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                alts.append(pattern[start:j])
                break
        elif c == "," and depth == 1:
            alts.append(pattern[start:j])
            start = j + 1
        j += 1
    else:
        return [pattern]
    prefix = pattern[:i]
    rest = pattern[j + 1 :]
    out: list[str] = []
    for alt in alts:
        out.extend(expand_braces(prefix + alt + rest))
    return out


def _has_brace(pattern: str) -> bool:
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "{":
            return True
        i += 1
    return False


def _has_magic(comp: str) -> bool:
    i = 0
    n = len(comp)
    while i < n:
        c = comp[i]
        if c == "\\":
            i += 2
            continue
        if c == "*" or c == "?":
            return True
        if c == "[" and "]" in comp[i + 1 :]:
            return True
        i += 1
    return False


def _unescape(comp: str) -> str:
    return re.sub(r"\\(.)", r"\1", comp) if "\\" in comp else comp


def _escape_for_fnmatch(comp: str) -> str:
    return re.sub(r"\\(.)", lambda m: "[" + m.group(1) + "]", comp) if "\\" in comp else comp


def _join(base: str, comp: str) -> str:
    if not base:
        return comp
    return base + comp if base.endswith("/") else base + "/" + comp


@dataclass
class _GlobResult:
    matches: list[str] = field(default_factory=list)
    missing_files: int = 0
    missing_dirs: int = 0
    have_wildcards: bool = False


# --------------------------------------------------------------------------------------------
# the reader


class _Reader:
    """keepalived's read_line() and include stack, for one reading (parent or copy reader)."""

    def __init__(
        self,
        host: Host,
        diags: Diagnostics,
        config_id: str | None,
        rng: random.Random,
        include_check: int,
        *,
        copy_reader: bool,
        copy: list[str] | None,
        state: SourceState,
    ) -> None:
        self.host = host
        self.diags = diags
        self.config_id = config_id
        self.rng = rng
        self.include_check = include_check
        self.copy_reader = copy_reader
        self.copy = copy  # parent: the consolidated copy being written
        self.state = state
        self.cwd = posixpath.normpath(host.getcwd())
        self.stack: list[_File] = []
        self.files_opened = 0
        self.overlong_substitutions = 0
        self.residue: str | None = None
        self.seqs: list[_Seq] = []
        self.seq_lines = 0
        self.ml_seq_depth = 0
        self.next_ptr: str | None = None
        self.ml_stack: list[tuple[str, int]] = []
        self.ml_def: _Def | None = None  # multi-line definition being read
        self.defs: dict[str, _Def] = {}
        self._std_defs()

    # -- messages -----------------------------------------------------------------------------

    def location(self) -> Location:
        for f in reversed(self.stack):
            if f.name is not None:
                return Location(f.name, f.line_no)
        top = self.stack[-1] if self.stack else None
        return Location("", top.line_no if top else 0)

    def report(self, severity: Severity, message: str, hint: str | None = None) -> None:
        """Pre-processing messages come from the copy reader (the parent's are duplicates)."""
        if self.copy_reader:
            self.diags.report(severity, message, self.location() if self.stack else None, hint)

    def file_error(self, error_type: int, message: str, hint: str | None = None) -> None:
        top = self.stack[-1] if self.stack else None
        flags = self.include_check | (top.include_type if top else 0)
        severity = Severity.FILE_NOT_FOUND if flags & error_type else Severity.OK
        if not self.copy_reader and severity != Severity.OK:
            self.state.config_file_error = True
        loc = None
        if self.stack:
            # keepalived names the including file while a new include is being opened.
            entry = self.stack[-1]
            if entry.name is None and len(self.stack) > 1:
                entry = self.stack[-2]
            loc = Location(entry.name or self.stack[0].pattern, entry.line_no)
        # A configuration error even when not fatal: keepalived -t prints it.
        self.diags.report(severity, message, loc, hint, test_visible=True)
        if self.copy is not None:
            self.copy.append("#! " + message)

    # -- standard definitions -----------------------------------------------------------------

    def _std_defs(self) -> None:
        pwd = _Def("_PWD")
        pwd.fn = lambda params: self.cwd
        inst = _Def("_INSTANCE")
        inst.fn = lambda params: self.config_id or ""
        rnd = _Def("_RANDOM")
        rnd.fn = self._random
        rnd.max_params = 2
        for d in (pwd, inst, rnd, _Def("_HASH", "#"), _Def("_BANG", "!")):
            self.defs[d.name] = d

    def _random(self, params: str | None) -> str:
        lo, hi = 0, 32767
        if params is not None:
            lo, end = _strtoul(params, 0)
            if end < len(params):
                hi, end = _strtoul(params, end)
                if end != len(params):
                    self.report(Severity.OK, f"Too many parameters or extra text for ${{_RANDOM {params}}}")
        span = (hi - lo + 1) & ((1 << 64) - 1)
        r = self.rng.randrange(1 << 31)
        val = _to_long((r % span if span else r) + lo)
        width = len(str(abs(_to_long(hi))))
        return str(val)[:width]

    # -- files --------------------------------------------------------------------------------

    def _abs(self, path: str) -> str:
        return path if path.startswith("/") else posixpath.join(self.cwd, path)

    def _glob(self, pattern: str) -> _GlobResult:
        res = _GlobResult()
        for alt in expand_braces(pattern):
            self._glob_one(alt, res)
        return res

    def _glob_one(self, pattern: str, res: _GlobResult) -> None:
        host = self.host
        if pattern.startswith("/"):
            comps = pattern[1:].split("/")
            cur = ["/"]
        else:
            comps = pattern.split("/")
            cur = [""]
        magic_seen = False
        last_i = len(comps) - 1
        for i, comp in enumerate(comps):
            last = i == last_i
            new: list[str] = []
            if _has_magic(comp):
                res.have_wildcards = True
                fn_comp = _escape_for_fnmatch(comp)
                for base in cur:
                    d_abs = posixpath.normpath(self._abs(base or "."))
                    st = host.stat(d_abs)
                    if st is None or not st.is_dir:
                        res.missing_dirs += 1
                        continue
                    found: list[str] = []
                    for m in host.glob(posixpath.join(d_abs, fn_comp)):
                        head, tail = posixpath.split(m)
                        if posixpath.normpath(head) != d_abs or not tail:
                            continue
                        if tail[0] == "." and comp[0] != ".":
                            continue
                        if not last:
                            mst = host.stat(m)
                            if mst is None or not mst.is_dir:
                                continue
                        found.append(tail)
                    new.extend(_join(base, t) for t in sorted(found))
                magic_seen = True
            else:
                lit = _unescape(comp)
                for base in cur:
                    path = _join(base, lit)
                    if (last or magic_seen) and host.stat(self._abs(path)) is None:
                        res.missing_files += 1
                        continue
                    new.append(path)
            cur = new
            if not cur:
                return
        for path in cur:
            st = host.stat(self._abs(path))
            if st is not None and st.is_dir and not path.endswith("/"):
                path += "/"
            res.matches.append(path)

    def _open_and_check_glob(self, pattern: str, include_type: int) -> list[str] | None:
        res = self._glob(pattern)
        flags = self.include_check | include_type
        if not res.matches:
            if res.missing_files or res.missing_dirs:
                self.file_error(
                    INCLUDE_B if _has_brace(pattern) else INCLUDE_M, f"Config files missing '{pattern}'."
                )
            elif res.have_wildcards and flags & INCLUDE_W:
                self.file_error(INCLUDE_W, f"No config files matched '{pattern}'.")
            return None
        if res.missing_files or res.missing_dirs:
            self.file_error(INCLUDE_B, f'Some config files missing: "{pattern}".')
            if flags & INCLUDE_B:
                return None
        return res.matches

    def _check_glob_file(self, name: str) -> bool:
        if name.endswith("/"):
            self.file_error(INCLUDE_R, f"Configuration file '{name}' is a directory - skipping")
            return False
        st = self.host.stat(self._abs(name))
        if st is None or not st.is_file or st.mode & 0o111:
            self.file_error(
                INCLUDE_R, f"Configuration file '{name}' is not a regular non-executable file - skipping"
            )
            return False
        return True

    def _open_conf_file(self, entry: _File) -> bool:
        while entry.glob_next < len(entry.matches):
            name = entry.matches[entry.glob_next]
            entry.glob_next += 1
            if not self._check_glob_file(name):
                continue
            path = posixpath.normpath(self._abs(name))
            chain = [e.path for e in self.stack if e is not entry and e.path is not None]
            if path in chain:
                # keepalived would recurse until it runs out of file descriptors, one level per
                # include, which with two includes a level never ends: say what it is at once
                self.file_error(
                    INCLUDE_R,
                    f"Configuration file '{name}' includes itself (an include loop) - skipping",
                    hint=" -> ".join([*chain[chain.index(path) :], path]),
                )
                continue
            if len(self.stack) > MAX_INCLUDE_DEPTH:
                self.file_error(
                    INCLUDE_R,
                    f"Configuration file '{name}' open problem (Too many open files) - skipping",
                    hint=f"includes nested deeper than {MAX_INCLUDE_DEPTH}: an include loop?",
                )
                continue
            self.files_opened += 1
            if self.files_opened > MAX_INCLUDED_FILES:
                self.file_error(
                    INCLUDE_R,
                    f"Configuration file '{name}' open problem (Too many open files) - skipping",
                    hint=f"more than {MAX_INCLUDED_FILES} files included in all: an include loop?",
                )
                continue
            try:
                data = self.host.read_file(self._abs(name))
            except OSError as exc:
                self.file_error(
                    INCLUDE_R,
                    f"Configuration file '{name}' open problem ({exc.strerror or exc}) - skipping",
                )
                continue
            if self.copy is not None:
                self.copy.append("# " + name)
            entry.stream = _Stream.from_bytes(data)
            entry.path = path
            entry.num_matches += 1
            if entry is not self.stack[0] or len(entry.matches) > 1:
                entry.name = name
            entry.line_no = 0
            if "/" in name:
                entry.saved_cwd = self.cwd
                self.cwd = posixpath.normpath(posixpath.join(self.cwd, posixpath.dirname(name)))
            else:
                entry.saved_cwd = None
            return True
        return False

    def open_glob_file(self, pattern: str, include_type: int) -> bool:
        entry = _File(include_type, self.include_check)
        entry.pattern = pattern
        self.stack.append(entry)
        matches = self._open_and_check_glob(pattern, include_type)
        if matches is None:
            self.stack.pop()
            return False
        entry.matches = matches
        if not self._open_conf_file(entry):
            self.stack.pop()
            return False
        return True

    def _end_file(self, entry: _File) -> None:
        if entry.stream is not None and not entry.is_copy:
            entry.stream.closed = True
        if self.copy is not None:
            self.copy.append("!")
        self.include_check = entry.sav_include_check
        if entry.saved_cwd is not None:
            self.cwd = entry.saved_cwd
            entry.saved_cwd = None

    def _next_file(self) -> bool:
        entry = self.stack[-1]
        self._end_file(entry)
        if self._open_conf_file(entry):
            return True
        self.stack.pop()
        return bool(self.stack)

    def push_copy(self, copy: list[str], name: str) -> None:
        entry = _File(0, self.include_check)
        entry.stream = _Stream.from_copy(copy)
        entry.is_copy = True
        entry.name = name
        entry.pattern = name
        entry.num_matches = 1
        self.stack.append(entry)

    # -- physical lines -----------------------------------------------------------------------

    def _physical(self) -> str | None:
        """The next non-blank decommented line (None at the end of everything)."""
        while True:
            if not self.stack:
                return None
            entry = self.stack[-1]
            stream = entry.stream
            if stream is None or stream.closed or stream.pos >= len(stream.lines):
                if not self._next_file():
                    self.stack.clear()
                    return None
                continue
            idx = stream.pos
            text = stream.lines[idx]
            stream.pos = idx + 1
            nl = idx not in stream.no_nl if stream.no_nl else True
            if (
                self.copy_reader
                and text
                and (text[0] == "#" or text[0] == "!")
                and self._marker(entry, stream, text, nl)
            ):
                continue
            if nl:
                entry.line_no += 1
            if text and text[-1] == "\r":
                text = text.rstrip("\r")
            if not text:
                if self.ml_def is not None:
                    if not self.ml_def.value:
                        self.ml_def.multiline = False
                    self.ml_def = None
                if self.copy is not None:
                    self.copy.append("")
                continue
            text, unterminated = decomment(text)
            if unterminated is not None:
                self.report(Severity.GENERAL_ERROR, f"Unterminated quote '{unterminated}'")
            if self.copy is not None:
                self.copy.append("" if _is_include(text) else text)
            if text:
                return text

    def _marker(self, entry: _File, stream: _Stream, text: str, nl: bool) -> bool:
        """The copy reader's file markers (any line starting '#' or '!'); True if consumed."""
        if text[0] == "#":
            if text[1:2] == "!":
                return True  # the parent reported it
            raw = text + "\n" if nl else text
            name = raw[:-1][2:]
            pseudo = _File(0, self.include_check)
            pseudo.stream = stream
            pseudo.is_copy = True
            pseudo.name = name
            pseudo.pattern = name
            pseudo.num_matches = 1
            if "/" in name:
                pseudo.saved_cwd = self.cwd
                self.cwd = posixpath.normpath(posixpath.join(self.cwd, posixpath.dirname(name)))
            self.stack.append(pseudo)
            return True
        # '!': the end of an included file
        if entry.saved_cwd is not None:
            self.cwd = entry.saved_cwd
        self.stack.pop()
        if not self.stack:
            # keepalived then reads through a dangling pointer; we stop.
            self.report(Severity.GENERAL_ERROR, "More file ends than file starts in the configuration copy")
        return True

    # -- definitions --------------------------------------------------------------------------

    def _find_def(self, s: str, i: int) -> tuple[_Def, int, str | None] | None:
        """find_definition() for a use at s[i:] (s[i-1] is '$'): (def, end index, params)."""
        n = len(s)
        braces = s[i] == "{"
        j = i + 1 if braces else i
        if j >= n or not (_is_alpha(s[j]) or s[j] == "_"):
            return None
        k = j + 1
        while k < n and _is_name_char(s[k]):
            k += 1
        name = s[j:k]
        params: str | None = None
        p = k
        if braces:
            pstart = -1
            pend = -1
            while p < n and (s[p] == " " or "0" <= s[p] <= "9"):
                if s[p] != " ":
                    if pstart < 0:
                        pstart = p
                    pend = p
                p += 1
            if pstart >= 0 and pend + 1 != p:
                return None
            if p >= n or s[p] != "}":
                return None
            if pstart >= 0:
                params = s[pstart : pend + 1]
            end = p + 1
            at_end = k + 1 >= n if params is None else False
        else:
            if k < n and s[k] not in " \t,)":
                return None
            end = k
            at_end = k >= n
        d = self.defs.get(name)
        if d is None or (d.multiline and not at_end):
            return None
        if params is not None and not d.max_params:
            return None
        return d, end, params

    def set_definition(self, name: str, value: str) -> None:
        d = self.defs.get(name)
        if d is None:
            self.defs[name] = _Def(name, value)
        else:
            d.value = value
            d.fn = None
            d.multiline = False

    def _check_definition(self, buf: str) -> _Def | None:
        n = len(buf)
        if n < 2 or not (_is_alpha(buf[1]) or buf[1] == "_"):
            return None
        p = 2
        while p < n and buf[p] != "=":
            if not _is_name_char(buf[p]):
                return None
            p += 1
        if p >= n:
            return None
        name = buf[1:p]
        value = buf[_span(buf, p + 1) :]
        multiline = False
        if value.endswith("\\"):
            value = value[:-1].rstrip(_BLANK)
            value = value + "\n" if value else ""
            multiline = True
        d = self.defs.get(name)
        if d is None:
            d = _Def(name)
            self.defs[name] = d
        d.value = value
        d.fn = None
        d.multiline = multiline
        return d

    def _replace_param(self, buf: str, max_len: int, multiline: list[str | None]) -> tuple[str, bool]:
        """replace_param(): expand $NAME / ${NAME} uses; multiline[0] is the multiline pointer."""
        cur = 0
        found = False
        next_ptr: str | None = None
        ml_ptr = multiline[0]
        count = 0
        while True:
            cur = buf.find("$", cur)
            if cur < 0 or cur + 1 >= len(buf):
                break
            hit = self._find_def(buf, cur + 1)
            if hit is None:
                cur += 1
                continue
            count += 1
            if count > MAX_REPLACEMENTS:
                self.report(
                    Severity.GENERAL_ERROR,
                    f"Definition expansion does not end on line '{buf}'",
                    hint="a definition refers to itself; keepalived would loop for ever",
                )
                return buf, False
            d, end, params = hit
            found = True
            next_ptr = ml_ptr
            if d.multiline and ml_ptr is not None:
                self.ml_stack.append((ml_ptr, self.ml_seq_depth))
            if d.multiline:
                self.ml_seq_depth = len(self.seqs)
            if d.fn is not None:
                d.value = d.fn(params)
            if d.multiline:
                first, _, rest = d.value.partition("\n")
                replacement = first
                next_ptr = ml_ptr = rest
            else:
                replacement = d.value
            new_len = len(buf) - (end - cur) + len(replacement)
            if new_len >= max_len:
                self.report(
                    Severity.OK, f"Parameter substitution on line '{buf}' would exceed maximum line length"
                )
                self.overlong_substitutions += 1
                if self.overlong_substitutions > MAX_OVERLONG_SUBSTITUTIONS:
                    # A definition that doubles itself ($Y=${Y}${Y}) fills every line it makes
                    # with more uses of itself: keepalived never finishes; we stop.
                    diag = Diagnostic(
                        Severity.FATAL,
                        f"Definition expansion does not end (line '{buf[:80]}...')",
                        self.location() if self.stack else None,
                        "a definition refers to itself; keepalived would loop for ever",
                    )
                    self.diags.add(diag)
                    raise ConfigError(diag, EXIT_CONFIG)
                return buf, False
            buf = buf[:cur] + replacement + buf[end:]
            if d.value.lstrip(_BLANK)[:1] == "~":
                break
        if found:
            multiline[0] = next_ptr
        return buf, found

    # -- ~SEQ / ~LST --------------------------------------------------------------------------

    def _add_seq(self, buf: str) -> bool:
        p = 4
        hex_ = False
        if buf[p : p + 1] == "x":
            p += 1
            hex_ = True
        p = _span(buf, p)
        if buf[p : p + 1] != "(":
            return False
        p = _span(buf, p + 1)
        var_start = p
        while p < len(buf) and buf[p] not in " \t,)":
            p += 1
        var = buf[var_start:p]
        p = _span(buf, p)
        if p >= len(buf) or buf[p] == ")" or p == var_start:
            self.report(Severity.GENERAL_ERROR, f"Invalid ~SEQ definition '{buf}'")
            return False
        p = _span(buf, p + 1)
        end_seq = buf.find(")", p)
        if end_seq < 0 or end_seq + 1 - p + 1 > 64:
            self.report(Severity.GENERAL_ERROR, f"~SEQ parameter strings too long '{buf}'")
            return False
        ml: list[str | None] = [None]
        seq_buf, _ = self._replace_param(buf[p : end_seq + 1], 64, ml)
        if ml[0] is not None:
            self.report(Severity.GENERAL_ERROR, f"~SEQ parameter is multiline definition '{buf}'")
            return False
        invalid = f"Invalid ~SEQ definition '{buf}'"
        one, q = _strtol(seq_buf, 0)
        q = _span(seq_buf, q)
        if seq_buf[q : q + 1] == ")":
            end = one
            step = -1 if end < 1 else 1
            start = -1 if end < 0 else 1
        else:
            if seq_buf[q : q + 1] != ",":
                self.report(Severity.GENERAL_ERROR, invalid)
                return False
            two, q = _strtol(seq_buf, q + 1)
            q = _span(seq_buf, q)
            if seq_buf[q : q + 1] == ")":
                start, end = one, two
                step = 1 if start <= end else -1
            else:
                if seq_buf[q : q + 1] != ",":
                    self.report(Severity.GENERAL_ERROR, invalid)
                    return False
                three, q = _strtol(seq_buf, q + 1)
                q = _span(seq_buf, q)
                if seq_buf[q : q + 1] != ")":
                    self.report(Severity.GENERAL_ERROR, invalid)
                    return False
                start, step, end = one, two, three
                if not step or (start < end and step < 0) or (start > end and step > 0):
                    self.report(Severity.GENERAL_ERROR, f"Invalid ~SEQ values '{buf}'")
                    return False
        if hex_ and (start < 0 or end < 0):
            self.report(Severity.GENERAL_ERROR, f"~SEQx is only valid for positive numbers '{buf}'")
            return False
        seq = _Seq(buf[_span(buf, end_seq + 1) :])
        seq.var = var
        seq.next = start
        seq.step = step
        seq.last = end
        seq.hex = hex_
        self.seqs.append(seq)
        return True

    def _add_lst(self, buf: str) -> bool:
        n = len(buf)

        def ch(i: int) -> str:
            return buf[i] if i < n else ""

        p = _span(buf, 4)
        if ch(p) != "(":
            return False
        p = _span(buf, p + 1)
        end_char = ","
        if ch(p) == "{":
            end_char = "}"
            p = _span(buf, p + 1)
        params: list[str] = []
        while True:
            start = p
            while p < n and buf[p] not in " \t,}":
                p += 1
            params.append(buf[start:p])
            p = _span(buf, p)
            if ch(p) == end_char:
                break
            if ch(p) != ",":
                return False
            p = _span(buf, p + 1)
        num_vars = len(params) - 1
        if ch(p) == "}":
            p = _span(buf, p + 1)
        if ch(p) != ",":
            return False
        p = _span(buf, p + 1)
        values: list[list[str]] = []
        while True:
            end_char = ","
            if ch(p) == "{":
                end_char = "}"
                p = _span(buf, p + 1)
            vals: list[str] = []
            num_values = 0
            while True:
                start = p
                while p < n and buf[p] not in " \t,})":
                    p += 1
                vals.append(buf[start:p])
                p = _span(buf, p)
                if ch(p) == end_char or (ch(p) == ")" and end_char == ","):
                    break
                if ch(p) != ",":
                    return False
                p = _span(buf, p + 1)
                num_values += 1
                if num_values > num_vars:
                    self.report(Severity.GENERAL_ERROR, f"~LST specification has too many values '{buf}'")
                    return False
            while len(vals) < len(params):
                vals.append("")
            values.append(vals)
            if ch(p) == "}" and end_char == "}":
                p = _span(buf, p + 1)
            if ch(p) == ")":
                break
            if ch(p) != ",":
                return False
            p = _span(buf, p + 1)
        seq = _Seq(buf[_span(buf, p + 1) :])
        seq.params = params
        seq.values = values
        self.seqs.append(seq)
        return True

    def _next_seq(self) -> str:
        seq = self.seqs[-1]
        self.seq_lines += 1
        if self.seq_lines > MAX_SEQ_LINES:
            self.report(
                Severity.GENERAL_ERROR,
                f"~SEQ/~LST produced more than {MAX_SEQ_LINES} lines - stopping '{seq.text}'",
            )
            self.seqs.clear()
            return ""
        if not seq.params:
            val = format(seq.next & ((1 << 64) - 1), "x") if seq.hex else str(seq.next)
            self.set_definition(seq.var, val)
            seq.next += seq.step
            if (seq.step > 0 and seq.next > seq.last) or (seq.step < 0 and seq.next < seq.last):
                self.seqs.pop()
        else:
            for name, value in zip(seq.params, seq.values[seq.vidx], strict=False):
                self.set_definition(name, value)
            seq.vidx += 1
            if seq.vidx >= len(seq.values):
                self.seqs.pop()
        return seq.text

    # -- read_line ----------------------------------------------------------------------------

    def read_line(self) -> str | None:
        """The next logical line, or None at the end."""
        buf = ""
        while True:
            if self.residue is not None:
                buf = self.residue
                self.residue = None
            elif self.seqs and len(self.seqs) > self.ml_seq_depth:
                buf = self._next_seq()
            elif self.next_ptr is not None:
                buf, sep, rest = self.next_ptr.partition("\n")
                if sep:
                    self.next_ptr = rest
                elif self.ml_stack:
                    self.next_ptr, self.ml_seq_depth = self.ml_stack.pop()
                else:
                    self.next_ptr = None
                    self.ml_seq_depth = 0
            else:
                got = self._physical()
                if got is None:
                    return None
                buf = got

            d = self.ml_def
            if d is not None:
                seg = buf
                if seg.endswith("\\"):
                    seg = seg[:-1].rstrip(_BLANK) + "\n"
                else:
                    self.ml_def = None
                    if not d.value:
                        d.multiline = False
                if len(seg) >= 2 or (seg and self.ml_def is None):
                    d.value += seg
                continue
            if not buf:
                continue

            if buf[0] in "@$~" or "$" in buf:
                buf = self._special(buf)
                if not buf:
                    continue
            if buf[0] == "i" and _is_include(buf):
                self._check_include(buf)
                continue
            break

        # '{' or '}' outside quotes: text before it, the brace, and the rest come separately
        c0 = buf[0]
        if c0 == "{" or c0 == "}":
            if len(buf) > 1:
                rest = buf[1:].strip(_BLANK)
                if rest:
                    self.residue = rest
                buf = c0
            return buf
        if "{" not in buf and "}" not in buf:
            return buf
        p = 0
        n = len(buf)
        while p < n:
            c = buf[p]
            if c == "{" or c == "}":
                self.residue = buf[p:].rstrip(_BLANK)
                return buf[:p].rstrip(_BLANK)
            if c == '"':
                q = buf.find('"', p + 1)
                if q < 0:
                    break
                p = q + 1
                continue
            p += 1
        return buf.rstrip(_BLANK)

    def _special(self, buf: str) -> str:
        """@id, $NAME=, ~SEQ/~LST and definition use; '' when the line is consumed."""
        while True:
            recheck = False
            if buf[0] == "@":
                rev = buf[1:2] == "^"
                ofs = 2 if rev else 1
                m = _BLANK_RE.search(buf, ofs)
                if m is None:
                    return ""
                ident = buf[ofs : m.start()]
                matched = self.config_id is not None and ident == self.config_id
                if matched == rev:
                    return ""
                buf = buf[_span(buf, m.start()) :]
                if not buf:
                    return ""
            if buf[0] == "$":
                d = self._check_definition(buf)
                if d is not None:
                    if d.multiline:
                        self.ml_def = d
                    return ""
            if buf.startswith("~SEQ"):
                if not self._add_seq(buf):
                    self.report(Severity.GENERAL_ERROR, f"Invalid ~SEQ specification '{buf}'")
                return ""
            if buf.startswith("~LST"):
                if not self._add_lst(buf):
                    self.report(Severity.GENERAL_ERROR, f"Invalid ~LST specification '{buf}'")
                return ""
            if buf[0] == "~":
                return buf
            if "$" in buf:
                ml: list[str | None] = [self.next_ptr]
                buf, changed = self._replace_param(buf, MAXBUF, ml)
                if not changed:
                    return buf
                self.next_ptr = ml[0]
                buf, unterminated = decomment(buf)
                if unterminated is not None:
                    self.report(Severity.GENERAL_ERROR, f"Unterminated quote '{unterminated}'")
                if not buf:
                    return ""
                if buf[0] == "@" or "$" in buf:
                    recheck = True
            if not recheck:
                return buf

    def _check_include(self, buf: str) -> None:
        if buf[7] in _SPACE:
            p = 8
            include_type = 0
        else:
            p = 9
            include_type = _INCLUDE_TYPES[buf[7]]
        self.open_glob_file(buf[_span(buf, p) :], include_type)

    # -- include_check (global_defs) ----------------------------------------------------------

    def include_check_set(self, words: list[str]) -> None:
        if len(words) <= 1:
            self.include_check = INCLUDE_ALL
            return
        loc = self.location()
        for i, word in enumerate(words[1:], start=1):
            add_remove = 0
            offset = 1
            if word[:1] == "-":
                add_remove = -1
            elif word[:1] == "+":
                add_remove = 1
            else:
                offset = 0
                if i == 1:
                    self.include_check = 0
                else:
                    self.diags.report(
                        Severity.GENERAL_ERROR, f"Duplicate include_check '{word}' specified - ignoring", loc
                    )
                    continue
            flag = {"read": INCLUDE_R, "match": INCLUDE_M, "wildcard_match": INCLUDE_W}.get(word[offset:])
            if word[offset:] == "brace_match":
                flag = INCLUDE_B
            if flag is None:
                self.diags.report(
                    Severity.GENERAL_ERROR, f"Unknown include_check type '{word[offset:]}' - ignoring", loc
                )
                continue
            if not add_remove:
                self.include_check = INCLUDE_R | flag
            elif add_remove == 1:
                self.include_check |= flag
            else:
                self.include_check &= ~flag


def _is_include(buf: str) -> bool:
    if not buf.startswith("include") or len(buf) < 8:
        return False
    c = buf[7]
    if c in _SPACE:
        return True
    return len(buf) > 8 and buf[8] in _SPACE and c in "rmwba"


def _words(text: str) -> list[str]:
    """Words of a line as keepalived's alloc_strvec() splits them (enough for include_check)."""
    return [w.strip('"') for w in re.findall(r'"[^"]*"?|[^ \t"]+', text)]


# --------------------------------------------------------------------------------------------


def read_source(
    path: str,
    host: Host,
    diags: Diagnostics,
    options: SourceOptions | None = None,
    state: SourceState | None = None,
) -> list[SourceLine]:
    """All logical lines of the configuration rooted at ``path``, in keepalived's order.

    Raises ConfigError when keepalived would stop before parsing (the main file is missing or
    unusable); the exit status is then the ``-t`` one.  ``state.config_file_error`` tells that
    keepalived's parent would exit with status 6 after reading (an include error made fatal by
    include_check, -e or an include variant).
    """
    opts = options or SourceOptions()
    st = state if state is not None else SourceState()
    config_id = opts.config_id
    if config_id is None:
        config_id = host.hostname().split(".", 1)[0]
    include_check = INCLUDE_ALL if opts.all_config else 0
    seed = opts.random_seed
    # One generator for both readings: keepalived re-seeds with time() for each reading, so
    # both see the same values when they run within the same second.
    rng_state = random.Random(seed).getstate() if seed is not None else random.Random().getstate()

    def rng() -> random.Random:
        r = random.Random()
        r.setstate(rng_state)
        return r

    try:
        copy: list[str] = []
        parent = _Reader(host, diags, config_id, rng(), include_check, copy_reader=False, copy=copy, state=st)
        if not _check_conf_file(parent, path):
            last = (
                diags.items[-1]
                if diags.items
                else Diagnostic(Severity.OK, f"No config files matched '{path}'.")
            )
            raise ConfigError(last, diags.test_exit_code())
        simple = _simple_copy(parent, path)
        if simple is not None:
            copy = simple
        else:
            if not parent.open_glob_file(path, INCLUDE_R | INCLUDE_M | INCLUDE_W):
                parent.file_error(INCLUDE_R, "Failed to open configuration file")
            parent_lines: list[SourceLine] = []
            while (text := parent.read_line()) is not None:
                if text.startswith("include_check") and (len(text) == 13 or text[13] in _SPACE):
                    parent.include_check_set(_words(text))
                parent_lines.append(SourceLine(parent.location(), text))
            st.parent_lines = parent_lines
        st.copy = copy

        child = _Reader(host, diags, config_id, rng(), include_check, copy_reader=True, copy=None, state=st)
        child.include_check = parent.include_check
        child.push_copy(copy, path)
        out: list[SourceLine] = []
        append = out.append
        last_key: tuple[str | None, int] = (None, -1)
        loc = Location(path, 0)
        stack = child.stack
        while (text := child.read_line()) is not None:
            top = stack[-1] if stack else None
            if top is not None and top.name is not None:
                key = (top.name, top.line_no)
                if key != last_key:
                    last_key = key
                    loc = Location(top.name, top.line_no)
            else:
                loc = child.location()
            append(SourceLine(loc, text))
        return out
    except RecursionError:  # pragma: no cover - brace expansion of absurd patterns
        diags.report(Severity.GENERAL_ERROR, "Configuration too deeply nested to read")
        return []


def _simple_copy(reader: _Reader, path: str) -> list[str] | None:
    """The parent's copy of a lone main file without the word "include" (the common case).

    The parent's reading can then do nothing but write the copy, so we write it directly.
    """
    res = reader._glob(path)
    if len(res.matches) != 1 or res.missing_files or res.missing_dirs:
        return None
    name = res.matches[0]
    try:
        data = reader.host.read_file(reader._abs(name))
    except OSError:
        return None
    if b"include" in data or b"\0" in data or b"\\" in data:
        return None
    if any(len(line) > _FGETS for line in data.split(b"\n")):
        return None
    copy = ["# " + name]
    append = copy.append
    for text in _Stream.from_bytes(data).lines:
        if text and text[-1] == "\r":
            text = text.rstrip("\r")
        append(decomment(text)[0] if text else "")
    append("!")
    return copy


def _check_conf_file(reader: _Reader, path: str) -> bool:
    """keepalived's check_conf_file(), made before anything is read."""
    matches = reader._open_and_check_glob(path, 0)
    if matches is None:
        return False
    ok = True
    num = 0
    for name in matches:
        if not reader._check_glob_file(name):
            ok = False
            continue
        if not reader.host.access_readable(reader._abs(name)):
            reader.diags.report(Severity.FILE_NOT_FOUND, f"Unable to read configuration file {name}")
            ok = False
            break
        num += 1
    if ok:
        if num > 1:
            reader.diags.report(
                Severity.MULTIPLE_FILES,
                f"WARNING, multiple configuration file matches of {path}, starting with {matches[0]}",
            )
        elif num == 0:
            reader.diags.report(Severity.FILE_NOT_FOUND, f"Unable to find configuration file {path}")
            ok = False
    if reader.copy is not None:
        reader.copy.clear()
    return ok
