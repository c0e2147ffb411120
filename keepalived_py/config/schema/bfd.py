"""Keyword tables of bfd_instance blocks.

keepalived -t reads a ``bfd_instance`` block three times, once per child process, and each
reading keeps different parts of it:

* the checker process records the name (for ``BFD_CHECK``) and complains about duplicates;
* the VRRP process records the name (for ``track_bfd``), its ``weight``, and complains about
  duplicates and names too long;
* the BFD process reads everything else and checks the session at the end of the block.

A reading can give up on a block (``skip_block``) while the others go on, so this table reads
the block once and keeps one "still reading" flag per process in the block's draft.  Only when
all three gave up is the block really skipped (then keepalived reports nothing inside it).
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

from keepalived_py.config.dispatch import Keyword, ParseContext, Table
from keepalived_py.config.errors import Severity
from keepalived_py.config.model.bfd import (
    HOPLIMIT_DEFAULT_V6,
    IDLE_TX_DEFAULT_US,
    MIN_RX_DEFAULT_US,
    MIN_TX_DEFAULT_US,
    MULTIPLIER_DEFAULT,
    TTL_DEFAULT_V4,
    BfdInstance,
    VrrpTrackedBfd,
)
from keepalived_py.config.schema.common import area
from keepalived_py.config.values import read_decimal, read_int, read_unsigned

# bfd.h: names are kept in char[32].
NAME_MAX = 32
# Interval limits in milliseconds, as keepalived prints them (stored in microseconds).
INTERVAL_MAX_MS = (2**32 - 1) // 1000
MIN_RX_MIN_MS = 1
MIN_TX_MIN_MS = 1
IDLE_TX_MIN_MS = 1000
MULTIPLIER_MIN = 1
MULTIPLIER_MAX = 255
TTL_MAX = 255
WEIGHT_MIN = -253
WEIGHT_MAX = 253

_TAG = "__bfd_instance__"


# -- addresses -------------------------------------------------------------------------------


def _ntop6(addr: ipaddress.IPv6Address) -> str:
    """glibc's inet_ntop for IPv6 (it writes ::a.b.c.d forms Python does not)."""
    words = [int.from_bytes(addr.packed[i : i + 2], "big") for i in range(0, 16, 2)]
    # Longest run of zero words (first one on ties), only if at least 2 long.
    best_base, best_len, cur_base, cur_len = -1, 0, -1, 0
    for i, w in enumerate(words):
        if w == 0:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
            if cur_len > best_len:
                best_base, best_len = cur_base, cur_len
        else:
            cur_base, cur_len = -1, 0
    if best_len < 2:
        best_base = -1
    v4 = ".".join(str(b) for b in addr.packed[12:])
    if best_base == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
        return ("::ffff:" if best_len == 5 else "::") + v4
    parts: list[str] = []
    i = 0
    while i < 8:
        if i == best_base:
            parts.append("" if i else ":")
            i += best_len
            if i == 8:
                parts.append("")
            continue
        parts.append(f"{words[i]:x}")
        i += 1
    return ":".join(parts)


def parse_sockaddr(text: str) -> tuple[int, str] | None:
    """keepalived's inet_stosockaddr(): (family, printed form), or None if malformed.

    The family is IPv6 if there is a ':' anywhere; anything from the first '-' (a range) or else
    the first '/' (a prefix length) on is ignored.
    """
    family = 6 if ":" in text else 4
    cut = text.find("-")
    if cut < 0:
        cut = text.find("/")
    core = text[:cut] if cut >= 0 else text
    if not core.isascii() or "%" in core or not core:
        return None
    try:
        if family == 4:
            return 4, str(ipaddress.IPv4Address(core))
        return 6, _ntop6(ipaddress.IPv6Address(core))
    except ValueError:
        return None


# -- block state -----------------------------------------------------------------------------


def _block(ctx: ParseContext) -> dict[str, Any] | None:
    """The draft of the bfd_instance being read (None if the block was not opened)."""
    if ctx.stack and isinstance(ctx.stack[-1], dict) and ctx.stack[-1].get(_TAG):
        d: dict[str, Any] = ctx.stack[-1]
        return d
    return None


def _bfd_block(ctx: ParseContext) -> dict[str, Any] | None:
    """The draft, if keepalived's BFD process is still reading the block."""
    d = _block(ctx)
    return d if d is not None and d["bfd"] else None


def _name_too_long(name: str) -> bool:
    return len(name.encode("utf-8", "surrogateescape")) >= NAME_MAX


def _open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    a = area(ctx, "bfd")
    a["seen"] = True
    # keepalived 2.2.7 crashes (SIGSEGV) on a bfd_instance without a name.
    name = ctx.word(words, 1)
    checker: dict[str, None] = a.setdefault("checker_tracked", {})
    vrrp: dict[str, VrrpTrackedBfd] = a.setdefault("vrrp_tracked", {})
    instances: dict[str, BfdInstance] = a.setdefault("instances", {})

    # Checker process.
    checker_on = name not in checker
    if checker_on:
        checker[name] = None
    else:
        ctx.report(Severity.GENERAL_ERROR, f"BFD {name} already specified")
    # VRRP process.
    vrrp_on = False
    if _name_too_long(name):
        ctx.report(Severity.GENERAL_ERROR, f"BFD name {name} too long")
    elif name in vrrp:
        ctx.report(Severity.GENERAL_ERROR, f"BFD {name} already specified")
    else:
        vrrp[name] = VrrpTrackedBfd(name, location=ctx.location)
        vrrp_on = True
    # BFD process.
    bfd_on = False
    if _name_too_long(name):
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: BFD instance {name} name too long "
            f"(maximum length is {NAME_MAX - 1} characters) - ignoring",
        )
    elif name in instances:
        ctx.report(
            Severity.GENERAL_ERROR, f"Configuration error: BFD instance {name} already configured - ignoring"
        )
    else:
        bfd_on = True

    if not (checker_on or vrrp_on or bfd_on):
        ctx.skip_block(True)
        return
    ctx.stack.append(
        {
            _TAG: True,
            "name": name,
            "location": ctx.location,
            "checker": checker_on,
            "vrrp": vrrp_on,
            "bfd": bfd_on,
            "events": set(),
            "neighbor": None,
            "source": None,
            "min_rx_us": MIN_RX_DEFAULT_US,
            "min_tx_us": MIN_TX_DEFAULT_US,
            "idle_tx_us": IDLE_TX_DEFAULT_US,
            "multiplier": MULTIPLIER_DEFAULT,
            "passive": False,
            "ttl": 0,
            "max_hops": 0,
        }
    )


def _neighbor_word(ctx: ParseContext) -> str:
    word: str = area(ctx, "bfd").get("neighbor_str", "neighbor")
    return word


def _close(ctx: ParseContext) -> None:
    d = _block(ctx)
    if d is None:
        return
    ctx.stack.pop()
    a = area(ctx, "bfd")
    name: str = d["name"]
    events: set[str] = d["events"]
    # The VRRP and checker processes forget a block that names only the other process.
    if d["vrrp"] and events and "vrrp" not in events:
        a["vrrp_tracked"].pop(name, None)
    if d["checker"] and events and "checker" not in events:
        a["checker_tracked"].pop(name, None)
    if d["bfd"]:
        _close_bfd(ctx, d, events)


def _close_bfd(ctx: ParseContext, d: dict[str, Any], events: set[str]) -> None:
    """keepalived's end-of-block checks of the BFD process."""
    name: str = d["name"]
    nbr_word = _neighbor_word(ctx)
    instances: dict[str, BfdInstance] = area(ctx, "bfd").setdefault("instances", {})
    nbr: tuple[int, str] | None = d["neighbor"]
    src: tuple[int, str] | None = d["source"]
    if nbr is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: BFD instance {name} has no {nbr_word} address set, disabling instance",
        )
        return
    if src is not None and src[0] != nbr[0]:
        # keepalived prints both addresses from one static buffer: the source address twice.
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: BFD instance {name} source address {src[1]} and {nbr_word} address "
            f"{src[1]} are not of the same family, disabling instance",
            hint=f"the {nbr_word} address is {nbr[1]}",
        )
        return
    for other in instances.values():
        if other.family != nbr[0] or other.neighbor != nbr[1]:
            continue
        if other.source is None or src is None or other.source == src[1]:
            if src is not None:
                msg = f"duplicate source/{nbr_word} address {src[1]}/{nbr[1]}"
            else:
                msg = f"duplicate {nbr_word} address {nbr[1]}"
            ctx.report(
                Severity.GENERAL_ERROR,
                f"Configuration error: BFD instance {name} has {msg}, ignoring instance",
            )
            return
    ttl: int = d["ttl"] or (TTL_DEFAULT_V4 if nbr[0] == 4 else HOPLIMIT_DEFAULT_V6)
    max_hops: int = d["max_hops"]
    if max_hops > ttl:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"BFD instance {name}: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit",
        )
        max_hops = ttl
    instances[name] = BfdInstance(
        name=name,
        neighbor=nbr[1],
        family=nbr[0],
        source=src[1] if src is not None else None,
        min_rx_us=d["min_rx_us"],
        min_tx_us=d["min_tx_us"],
        idle_tx_us=d["idle_tx_us"],
        multiplier=d["multiplier"],
        passive=d["passive"],
        ttl=ttl,
        max_hops=max_hops,
        vrrp=not events or "vrrp" in events,
        checker=not events or "checker" in events,
        location=d["location"],
    )


# -- keywords --------------------------------------------------------------------------------


def _neighbor(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _bfd_block(ctx)
    if d is None:
        return
    # keepalived 2.2.7 crashes on a neighbor_ip without address.
    text = ctx.word(words, 1)
    # keepalived compares the *address* with "neighbour_ip" to choose its spelling, so the
    # British spelling appears in its messages only after that odd address (and then for good).
    if text == "neighbour_ip":
        area(ctx, "bfd")["neighbor_str"] = "neighbour"
    addr = parse_sockaddr(text)
    if addr is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: BFD instance {d['name']} has malformed {_neighbor_word(ctx)} "
            f"address {text}, ignoring instance",
        )
        # The BFD process drops the instance and skips the rest of the block.
        d["bfd"] = False
        return
    d["neighbor"] = addr


def _source(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _bfd_block(ctx)
    if d is None:
        return
    text = ctx.word(words, 1)
    addr = parse_sockaddr(text)
    if addr is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: BFD instance {d['name']} has malformed source address {text}, ignoring",
        )
        return
    d["source"] = addr


def _interval(keyword: str, field: str, lo_ms: int) -> Keyword:
    """min_rx / min_tx / idle_tx: milliseconds with up to 3 decimals, stored in microseconds."""

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        d = _bfd_block(ctx)
        if d is None:
            return
        text = ctx.word(words, 1)
        value = read_decimal(ctx, text, lo_ms * 1000, INTERVAL_MAX_MS * 1000, 3)
        if value is None:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"Configuration error: BFD instance {d['name']} {keyword} value {text} is not valid "
                f"(must be in range [{lo_ms}-{INTERVAL_MAX_MS}]), ignoring",
            )
            return
        # Values above 10000 ms get an informational log line only (not shown by -t).
        d[field] = value

    return Keyword(keyword, handler, status="parsed", note="milliseconds, up to 3 decimals")


def _multiplier(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _bfd_block(ctx)
    if d is None:
        return
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, MULTIPLIER_MIN, MULTIPLIER_MAX)
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: BFD instance {d['name']} multiplier value {text} not valid "
            f"(must be in range [{MULTIPLIER_MIN}-{MULTIPLIER_MAX}]), ignoring",
        )
        return
    d["multiplier"] = value


def _passive(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _bfd_block(ctx)
    if d is not None:
        d["passive"] = True


def _ttl(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _bfd_block(ctx)
    if d is None:
        return
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 1, TTL_MAX)
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: BFD instance {d['name']} ttl/hoplimit value {text} not valid "
            f"(must be in range [1-{TTL_MAX}]), ignoring",
        )
        return
    d["ttl"] = value


def _max_hops(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _bfd_block(ctx)
    if d is None:
        return
    text = ctx.word(words, 1)
    value = read_int(ctx, text, -1, TTL_MAX)
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: BFD instance {d['name']} max_hops value {text} not valid "
            f"(must be in range [-1-{TTL_MAX}]), ignoring",
        )
        return
    # keepalived keeps it in a uint8_t: -1 becomes 255 (so it is then capped to the ttl).
    d["max_hops"] = value & 0xFF


def _weight(ctx: ParseContext, words: tuple[str, ...]) -> None:
    """Read by the VRRP process only (the weight a tracking vrrp_instance applies)."""
    d = _block(ctx)
    if d is None or not d["vrrp"]:
        return
    name: str = d["name"]
    tracked: dict[str, VrrpTrackedBfd] = area(ctx, "bfd")["vrrp_tracked"]
    text = ctx.word(words, 1)
    value = read_int(ctx, text, WEIGHT_MIN, WEIGHT_MAX, ignore_error=True)
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: BFD instance {name} weight value {text} not valid "
            f"(must be in range [{WEIGHT_MIN}-{WEIGHT_MAX}]), ignoring",
        )
    elif name in tracked:
        tracked[name] = replace(tracked[name], weight=value)
    if len(words) >= 3:
        if words[2] != "reverse":
            ctx.report(
                Severity.GENERAL_ERROR,
                f"Configuration error: BFD instance {name} unknown weight option {words[2]}",
            )
        elif name in tracked:
            tracked[name] = replace(tracked[name], weight_reverse=True)


def _event(process: str) -> Keyword:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        d = _block(ctx)
        if d is not None:
            d["events"].add(process)

    return Keyword(
        process,
        handler,
        status="parsed",
        note=f"report this session's state to the {process} process only (default: both)",
    )


def instance_table() -> Table:
    return Table(
        "bfd_instance",
        [
            Keyword("source_ip", _source, status="parsed"),
            Keyword("neighbor_ip", _neighbor, status="parsed"),
            Keyword("neighbour_ip", _neighbor, status="parsed", note="same as neighbor_ip"),
            _interval("min_rx", "min_rx_us", MIN_RX_MIN_MS),
            _interval("min_tx", "min_tx_us", MIN_TX_MIN_MS),
            _interval("idle_tx", "idle_tx_us", IDLE_TX_MIN_MS),
            Keyword("multiplier", _multiplier, status="parsed"),
            Keyword("passive", _passive, status="parsed"),
            Keyword("ttl", _ttl, status="parsed"),
            Keyword("hoplimit", _ttl, status="parsed", note="same as ttl"),
            Keyword("max_hops", _max_hops, status="parsed"),
            Keyword("weight", _weight, status="parsed", note="weight [reverse]: used by track_bfd"),
            _event("vrrp"),
            _event("checker"),
        ],
    )


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return [
        Keyword(
            "bfd_instance",
            _open,
            sub=instance_table(),
            close=_close,
            status="parsed",
            note="BFD sessions are read and checked; the BFD process itself comes later",
        )
    ]
