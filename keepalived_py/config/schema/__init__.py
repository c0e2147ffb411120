"""Keyword tables: one module per area; the root table joins their top-level keywords."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from keepalived_py.config.dispatch import Table
from keepalived_py.config.schema import bfd, global_defs, lvs, static, trackers, vrrp


@cache
def root_table() -> Table:
    """The top level of keepalived.conf (built once; tables are never mutated after)."""
    table = Table("top level")
    for area in (global_defs, static, trackers, vrrp, lvs, bfd):
        name = area.__name__.rsplit(".", 1)[-1]
        table.extend(replace(kw, area=name) for kw in area.root_keywords())
    return table
