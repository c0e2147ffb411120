"""Post-parse checks of static_* blocks, track_group, garp_group, linkbeat/up-down delays."""

from __future__ import annotations

from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    """Nothing to check after parsing.

    Interfaces named by static addresses/routes that do not exist are reported by
    validate/vrrp.py together with the instances' ones: keepalived's VRRP process makes one
    "Non-existent interface" check for all of them once the whole file is read.
    """
