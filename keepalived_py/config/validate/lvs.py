"""Checks keepalived makes on virtual_server, virtual_server_group, real_server and SSL."""

from __future__ import annotations

from keepalived_py.config.validate.context import ValidationContext


def validate(vctx: ValidationContext) -> None:
    """Report problems and apply keepalived's corrections to ``vctx.config``."""
