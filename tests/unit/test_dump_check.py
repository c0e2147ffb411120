"""keepalived-py -d: the checker process's part (LVS topology, health checkers).

keepalived's checker process cannot dump here (no IPVS), so these encode what its dump
functions and start-up sequence (check_daemon.c start_check) produce, read from the 2.2.7 C.
"""

from __future__ import annotations

from keepalived_py.config.dump import dump_lines
from tests.configtest import parse_text


def _dump(text: str) -> list[str]:
    result = parse_text(text)
    assert result.config is not None
    return dump_lines(result.config)


def _section(lines: list[str], start: str) -> list[str]:
    i = lines.index(start)
    return lines[i:]


VS = """
virtual_server 192.0.2.1 80 {{
    lb_kind NAT
    protocol TCP
    {vs}
    real_server 198.51.100.10 {{
        {rs}
        TCP_CHECK {{
            {chk}
        }}
    }}
}}
"""


def test_checker_process_global_definitions_form() -> None:
    lines = _dump("global_defs {\n lvs_sync_daemon eth1 inst VI_1\n}\n" + VS.format(vs="", rs="", chk=""))
    assert " Default interface = eth0" not in lines
    assert " LVS syncd vrrp name = VI_1" in lines
    assert " LVS syncd syncid = 4294967295" in lines
    assert " Gratuitous ARP lower priority delay = 4294967295" in lines
    assert lines[lines.index("------< LVS Topology >------") + 1] == " System is compiled with LVS v1.2.1"


def test_real_server_inherits_port_but_checker_keeps_parsed_one() -> None:
    lines = _dump(VS.format(vs="", rs="", chk=""))
    assert "   RIP = 198.51.100.10, RPORT = 80, WEIGHT = 1 EFF WEIGHT = 1" in lines
    assert " [192.0.2.1]:tcp:80 -> [198.51.100.10]:tcp:80" in lines
    # The checker copied the real server's address while parsing (port 0 then).
    assert "     Dest = [198.51.100.10]:0" in lines


def test_alpha_checker_keeps_server_down_and_quorum_lost() -> None:
    lines = _dump(VS.format(vs="alpha\n sorry_server 198.51.100.99 80", rs="", chk=""))
    vs = _section(lines, " ------< Virtual server >------")
    assert "   quorum_state_up = 0" in vs
    assert "   alive = 0" in vs[vs.index("   ------< Real server >------") :]
    assert "   num failed checkers = 1" in vs
    assert "   RS set = 0" in vs
    chk = _section(lines, "------< Health checkers >------")
    assert "   Up = no" in chk and "   Alpha = yes" in chk


def test_inhibited_failed_server_is_set_with_weight_zero() -> None:
    lines = _dump(VS.format(vs="", rs="inhibit_on_failure", chk="alpha"))
    rs = _section(lines, "   ------< Real server >------")
    assert "   alive = 0" in rs and "   RS set = 1" in rs


def test_checker_timings_and_defaults() -> None:
    lines = _dump(VS.format(vs="delay_loop 7", rs="", chk="connect_timeout 2\n retry 0"))
    chk = _section(lines, "------< Health checkers >------")
    assert "   Delay loop = 7000000 us" in chk
    assert "   Retries = 0" in chk
    assert not any(line.startswith("   Delay before retry") for line in chk)
    assert "   Default delay before retry = 1000000 us" in chk
    assert "     Timeout = 2.000000" in chk


def test_group_alive_counts_and_format() -> None:
    text = """
virtual_server_group G {
    192.0.2.10-12 80
    fwmark 5
}
virtual_server group G {
    lb_kind DR
    protocol UDP
    real_server 198.51.100.1 80 {
        weight 2
    }
    real_server 198.51.100.2 80 {
    }
}
"""
    lines = _dump(text)
    assert " Virtual Server Group = G, IPv4 = yes, IPv6 = no" in lines
    assert "   VIP Range = 192.0.2.10-192.0.2.12, VPORT = 80" in lines
    assert "     Alive: 0 tcp, 2 udp, 0 sctp" in lines
    assert "   FWMARK = 5" in lines
    assert "     Alive: 2 IPv4, 0 IPv6" in lines
    assert " VS GROUP = [G]:0" in lines


def test_tunnel_gue_line_has_no_prefix() -> None:
    text = """
virtual_server fwmark 3 {
    lvs_method TUN type gue port 6080 remcsum
    real_server 198.51.100.1 {
    }
}
"""
    lines = _dump(text)
    assert lines.count("   forwarding method = TUN, type = GUE, port = 6080, remote checksum") == 2


def test_http_status_code_ranges_and_regex_options() -> None:
    text = """
virtual_server 192.0.2.1 80 {
    protocol TCP
    real_server 198.51.100.10 80 {
        HTTP_GET {
            url {
                path /x
                status_code 200-202 204 599
                regex abc
                regex_options caseless
            }
        }
    }
}
"""
    lines = _dump(text)
    i = lines.index("     HTTP Status Code(s)")
    assert lines[i + 1 : i + 4] == ["       200-202", "       204", "       599"]
    options = next(line for line in lines if line.startswith("     Regex options:"))
    # keepalived lists all the options it knows once any is set.
    assert options.split(":")[1].split()[:3] == ["allow_empty_class", "alt_bsux", "auto_callout"]
    assert "   Keepalive method = HTTP_GET, http protocol 1.0" in lines


def test_ssl_get_without_ssl_block_uses_autogen_context() -> None:
    text = VS.format(vs="", rs="", chk="").replace("TCP_CHECK {", "SSL_GET {\n url {\n path /\n }")
    lines = _dump(text)
    assert lines[lines.index("------< SSL definitions >------") + 1] == " Using autogen SSL context"
