"""Small servers for the checker tests, run inside a lab node:

python -m tests.netns.checker_servers http ADDR PORT DIR         (HTTP/1.0, files from DIR)
python -m tests.netns.checker_servers https ADDR PORT DIR CERT KEY
python -m tests.netns.checker_servers dns ADDR PORT [RCODE]      (answers every query)
python -m tests.netns.checker_servers udp-echo ADDR PORT
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import ssl
import sys
from typing import cast

from keepalived_py.check.probes import dns


def serve_http(
    addr: str,
    port: int,
    directory: str,
    cert: str | None = None,
    key: str | None = None,
    ca: str | None = None,
) -> None:
    class Handler(http.server.SimpleHTTPRequestHandler):
        # buffered: headers and a small body leave in one write, so every reader sees one read
        wbufsize = 1 << 16

        def date_time_string(self, timestamp: float | None = None) -> str:
            # a fixed Date header: responses are byte for byte the same from one run to the next
            return (
                super().date_time_string(timestamp)
                if timestamp is not None
                else "Sat, 01 Jan 2000 00:00:00 GMT"
            )

    handler = functools.partial(Handler, directory=directory)
    cls = http.server.ThreadingHTTPServer
    if ":" in addr:

        class V6(http.server.ThreadingHTTPServer):
            address_family = __import__("socket").AF_INET6

        cls = V6
    server = cls((addr, port), handler)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

        def sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
            print(f"sni {name}", flush=True)

        ctx.sni_callback = sni
        if ca:
            ctx.load_verify_locations(ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("ready", flush=True)
    server.serve_forever()


class _Dns(asyncio.DatagramProtocol):
    def __init__(self, rcode: int) -> None:
        self.rcode = rcode
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            q = dns.decode_query(data)
        except dns.DnsDecodeError:
            return
        rdata = b"\xc0\x00\x02\x02" if q.qtype == 1 else b""
        assert self.transport is not None
        self.transport.sendto(
            dns.build_response(q, rcode=self.rcode, answers=1 if rdata else 0, rdata=rdata), addr
        )


class _Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)


async def serve_udp(
    addr: str, port: int, factory: type[asyncio.DatagramProtocol] | functools.partial[_Dns]
) -> None:
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(factory, local_addr=(addr, port))
    print("ready", flush=True)
    await asyncio.Event().wait()


async def serve_peers(addr: str, port: int) -> None:
    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, pport = writer.get_extra_info("peername")[:2]
        print(f"peer {host} {pport}", flush=True)
        writer.close()

    server = await asyncio.start_server(peer, addr, port)
    print("ready", flush=True)
    await server.serve_forever()


def main(argv: list[str]) -> None:
    kind, addr, port = argv[0], argv[1], int(argv[2])
    if kind == "http":
        serve_http(addr, port, argv[3])
    elif kind == "https":
        serve_http(addr, port, argv[3], argv[4], argv[5], argv[6] if len(argv) > 6 else None)
    elif kind == "dns":
        rcode = int(argv[3]) if len(argv) > 3 else 0
        asyncio.run(serve_udp(addr, port, functools.partial(_Dns, rcode)))
    elif kind == "udp-echo":
        asyncio.run(serve_udp(addr, port, _Echo))
    elif kind == "tcp-peers":
        asyncio.run(serve_peers(addr, port))
    else:
        raise SystemExit(f"unknown server {kind}")


if __name__ == "__main__":
    main(sys.argv[1:])
