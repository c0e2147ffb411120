"""Request building and response judging per checker kind (pure: bytes in, verdict out).

One module per protocol: ``http`` (HTTP_GET/SSL_GET and genhash), ``smtp`` (SMTP_CHECK
dialogue), ``dns`` (DNS_CHECK query codec), ``udp`` (UDP_CHECK reply matching), ``icmp``
(PING_CHECK echo codec), ``endpoint`` (where a checker connects from and to).  The sockets that
carry these bytes live in ``keepalived_py/adapters/probes.py``; the retry and verdict rules in
``keepalived_py/check/rules.py``.
"""
