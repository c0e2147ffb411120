"""Post-parse checks, in the order keepalived's processes make them under ``-t``.

keepalived validates the checker configuration, then VRRP, then BFD; the global checks
(script security) come with the process that owns the scripts.
"""

from __future__ import annotations

from keepalived_py.config.validate import bfd, global_defs, lvs, static, trackers, vrrp
from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    for area in (global_defs, lvs, static, trackers, vrrp, bfd):
        area.validate(vctx)
