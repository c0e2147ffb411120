"""Typed model of the checker blocks of a real_server (TCP_CHECK, HTTP_GET, SSL_GET, ...)."""

from __future__ import annotations
