"""Fixtures for tests run inside the IPVS VM: one adapter for the session, an empty table per test."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from keepalived_py.adapters.ipvs import IpvsAdapter


def ipvsadm_save() -> list[str]:
    """``ipvsadm -Sn``: the kernel's table as ipvsadm's restore commands."""
    out = subprocess.run(["ipvsadm", "-Sn"], check=True, capture_output=True, text=True).stdout
    return out.splitlines()


@pytest.fixture(scope="session")
def session_adapter() -> Iterator[IpvsAdapter]:
    with IpvsAdapter() as adapter:
        yield adapter


@pytest.fixture
def adapter(session_adapter: IpvsAdapter) -> Iterator[IpvsAdapter]:
    session_adapter.flush()
    session_adapter.sent.clear()
    yield session_adapter
    session_adapter.flush()
