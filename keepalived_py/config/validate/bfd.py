"""Checks keepalived makes on bfd_instance blocks after parsing (they decide the `-t` status).

keepalived 2.2.7 makes every BFD check at the end of each block (neighbor set, families,
duplicates, max_hops against ttl: see ``schema/bfd.py``) and none after the whole file is read;
whether ``track_bfd`` names an existing instance is a VRRP check (``validate/vrrp.py``).
"""

from __future__ import annotations

from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    """Nothing to do after parsing: kept so every area has the same shape."""
