"""virtual_server / virtual_server_group / real_server / SSL as keepalived 2.2.7 -t judges them.

Each case's expected lines and exit status were captured from the real keepalived 2.2.7
(``ip netns exec kpt0 keepalived -t -f case.conf``); lines keepalived only logs (Severity.OK
here) are not compared.
"""

# ruff: noqa: E501

from __future__ import annotations

import pytest

from keepalived_py.config.errors import Severity
from keepalived_py.config.loader import LoadResult
from tests.configtest import parse_text


def rendered(r: LoadResult) -> list[str]:
    return [
        (f"(Line {d.location.line}) " if d.location else "") + d.message
        for d in r.diags.items
        if d.severity != Severity.OK and not d.message.startswith("There are ")
    ]


def exit_status(r: LoadResult) -> int:
    return r.fatal_exit if r.fatal_exit is not None else r.diags.test_exit_code()


CASES: list[tuple[str, str, list[str], int]] = [
    (
        "dupvs",
        """\
virtual_server 192.0.2.1 80 {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  real_server 192.0.2.2 80 {
  }
}
virtual_server 192.0.2.1 80 {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  real_server 192.0.2.2 80 {
  }
}
virtual_server 192.0.2.1/24 80 {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  real_server 192.0.2.2-5 80 {
  }
  real_server 2001:db8::5 80 {
    lvs_method TUN
  }
}
virtual_server fwmark 12 {
  lb_algo rr
  lb_kind TUN
  real_server 2001:db8::5 80 {
  }
  real_server 192.0.2.5 80 {
  }
}
""",
        [
            "WARNING - fwmark virtual server FWM 12, real server [2001:db8::5]:none:80 has port specified - clearing",
            "WARNING - fwmark virtual server FWM 12, real server [192.0.2.5]:none:80 has port specified - clearing",
        ],
        5,
    ),
    (
        "fwd",
        """\
virtual_server 192.0.2.1 80 {
  protocol UdP
  lb_algo foo
  lb_algo wrr
  lb_kind XX
  lb_kind TUN type
  lb_kind TUN type vxlan
  lb_kind TUN port
  lb_kind TUN port 0
  lb_kind TUN port 70000
  lb_kind TUN type gue
  lb_kind TUN port 80
  lb_kind TUN csum
  lb_kind TUN foo
  lb_kind TUN type gue port 6080 remcsum
  sorry_server_inhibit
  sorry_server_lvs_method DR
  sorry_server 192.0.2.x 80
  sorry_server 192.0.2.9 8080
  sorry_server_lvs_method NAT
  sorry_server_inhibit
  real_server 192.0.2.2 80 {
    lvs_method DR
  }
  real_server 192.0.2.3 81 {
    lvs_method TUN
  }
  real_server 192.0.2.4 82 {
    lvs_method NAT
  }
  real_server 192.0.2.9 8080 {
  }
}
""",
        [
            "(Line 3) Invalid lvs_scheduler 'foo' - ignoring",
            "(Line 5) PARSER : unknown [XX] routing method for virtual server.",
            "(Line 6) Missing tunnel type for virtual server.",
            "(Line 7) Unknown tunnel type vxlan for virtual server.",
            "(Line 8) Missing port for virtual server gue tunnel.",
            "(Line 9) number '0' outside range [1, 65535]",
            "(Line 9) Invalid gue tunnel port 0 for virtual server.",
            "(Line 10) number '70000' outside range [1, 65535]",
            "(Line 10) Invalid gue tunnel port 70000 for virtual server.",
            "(Line 11) gue tunnels require port, otherwise cannot have port.",
            "(Line 12) gue tunnels require port, otherwise cannot have port.",
            "(Line 13) ipip tunnels do not support checksum option.",
            "(Line 14) Invalid tunnel option foo for virtual server.",
            "(Line 16) Ignoring sorry_server inhibit used before or without sorry_server",
            "(Line 17) sorry_server forwarding used without sorry_server",
            "(Line 18) Invalid sorry server IP address 192.0.2.x - skipping",
            "Virtual server [192.0.2.1]:udp:80: real server [192.0.2.9]:udp:8080 matches sorry server, but inhibit setting differs, clearing on sorry server",
            "WARNING - virtual server [192.0.2.1]:udp:80 and real server [192.0.2.3]:udp:81 ports don't match - resetting",
            "WARNING - virtual server [192.0.2.1]:udp:80 and real server [192.0.2.9]:udp:8080 ports don't match - resetting",
        ],
        5,
    ),
    (
        "pers",
        """\
virtual_server 192.0.2.1 0 {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  persistence_timeout
  persistence_timeout 0
  persistence_timeout 2678401
  persistence_granularity 255.255.x.0
  persistence_granularity 64
  persistence_engine sip
  real_server 192.0.2.2 {
  }
}
virtual_server 2001:db8::1 80 {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  ip_family inet
  ip_family inet6
  ip_family foo
  persistence_granularity 129
  persistence_granularity 64
  real_server 2001:db8::2 {
  }
}
virtual_server fwmark 9 {
  lb_algo rr
  lb_kind NAT
  ip_family inet6
  persistence_granularity 255.255.255.0
  real_server 2001:db8::2 {
  }
}
""",
        [
            "(Line 6) number '0' outside range [1, 2678400]",
            "(Line 6) persistence_timeout invalid",
            "(Line 7) number '2678401' outside range [1, 2678400]",
            "(Line 7) persistence_timeout invalid",
            "(Line 8) Invalid IPv4 persistence_granularity specified - 255.255.x.0",
            "(Line 18) Virtual server specified family inet conflicts with server family",
            "(Line 20) unknown address family foo",
            "(Line 21) number '129' outside range [1, 128]",
            "(Line 21) Invalid IPv6 persistence_granularity specified - 129",
            "(Line 30) invalid number '255.255.255.0'",
            "(Line 30) Invalid IPv6 persistence_granularity specified - 255.255.255.0",
        ],
        5,
    ),
    (
        "proto",
        """\
virtual_server 192.0.2.1 80 {
  protocol icmp
  ops
  real_server 192.0.2.2 80 {
  }
}
virtual_server 192.0.2.1 81 {
  protocol tcp
  ops
  lb_algo sh
  sh-port
  sh-fallback
  mh-port
  hashed
  flag-3
  real_server 192.0.2.2 81 {
  }
}
virtual_server fwmark 7 {
  protocol sctp
  ha_suspend
  lb_algo mh
  mh-port
  sh-port
  lb_kind DR
  real_server 192.0.2.2 81 {
  }
  real_server 192.0.2.3 {
  }
  sorry_server 192.0.2.4 90
}
virtual_server fwmark 8 {
  lb_kind NAT
  lb_algo rr
  real_server 192.0.2.2 81 {
  }
  sorry_server 192.0.2.4 90
}
""",
        [
            "(Line 2) Unknown protocol icmp - ignoring",
            "Virtual server [192.0.2.1]:none:80: no protocol set - defaulting to UDP",
            "Virtual server [192.0.2.1]:udp:80: no scheduler set, setting default 'wlc'",
            "Virtual server [192.0.2.1]:udp:80: no forwarding method set, setting default NAT",
            "Virtual server [192.0.2.1]:tcp:81: one packet scheduling requires UDP - resetting",
            "Virtual server [192.0.2.1]:tcp:81: no forwarding method set, setting default NAT",
            "Virtual server FWM 7: cannot use ha_suspend with fwmarks - clearing ha_suspend",
            "Warning: Virtual server FWM 7: protocol specified for fwmark - protocol will be ignored",
            "WARNING - fwmark virtual server FWM 7, real server [192.0.2.2]:none:81 has port specified - clearing",
            "WARNING - virtual server FWM 7, sorry server has port specified - clearing",
        ],
        5,
    ),
    (
        "quorum",
        """\
virtual_server 192.0.2.1 80 {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  quorum 10
  hysteresis 3
  weight 2
  real_server 192.0.2.2 80 {
  }
  real_server 192.0.2.3 80 {
    weight 3
  }
}
virtual_server 192.0.2.1 81 {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  quorum 2
  hysteresis 2
  real_server 192.0.2.2 81 {
    weight 0
  }
}
virtual_server 192.0.2.1 82 {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  quorum 3
  hysteresis 3
  real_server 192.0.2.2 80 {
    weight 5
    inhibit_on_failure
  }
  sorry_server 192.0.2.2 80
}
virtual_server 192.0.2.1 83 {
  protocol tcp
  lb_algo rr
  lb_kind DR
  inhibit_on_failure
  real_server 192.0.2.2 83 {
    inhibit_on_failure off
  }
  sorry_server 192.0.2.2 83
  sorry_server_inhibit
}
""",
        [
            "Warning - quorum 10 for [192.0.2.1]:tcp:80 exceeds total weight of real servers 5, reducing quorum to 5",
            "Warning - quorum 2 for [192.0.2.1]:tcp:81 exceeds total weight of real servers 0, reducing quorum to 0",
            "Virtual server [192.0.2.1]:tcp:81: hysteresis 2 >= quorum 0; setting hysteresis to 4294967295",
            "Virtual server [192.0.2.1]:tcp:82: real server [192.0.2.2]:tcp:80 matches sorry server, but inhibit setting differs, setting on sorry server",
            "Virtual server [192.0.2.1]:tcp:82: hysteresis 3 >= quorum 3; setting hysteresis to 2",
            "Virtual server [192.0.2.1]:tcp:83: real server [192.0.2.2]:tcp:83 matches sorry server, but inhibit setting differs, clearing on sorry server",
        ],
        5,
    ),
    (
        "ssl",
        """\
SSL {
  password secret
  ca /etc/ca.pem
  certificate
  key /k1
  key /k2
}
SSL {
}
""",
        [
            "(Line 4) SSL certfile missing",
            "(Line 6) SSL keyfile already specified - replacing",
            "(Line 8) SSL context already specified - replacing",
        ],
        5,
    ),
    (
        "timers",
        """\
virtual_server 192.0.2.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind DR
  delay_loop 0
  delay_loop 1.5
  connect_timeout 0
  connect_timeout 5000
  connect_timeout 2.1234567
  warmup -1
  warmup 3
  delay_before_retry x
  retry 0
  retry 3
  weight 0
  weight 5
  quorum 0
  hysteresis -2
  real_server 192.0.2.2 80 {
    weight -1
    weight 2147483648
    uthreshold x
    lthreshold 4294967296
    retry abc
    delay_loop 0
    connect_timeout 0.0000001
    warmup 1
    delay_before_retry 2
    inhibit_on_failure maybe
    alpha what
    smtp_alert perhaps
    virtualhost
    snmp_name a b
  }
  virtualhost
  snmp_name
  smtp_alert hmm
}
""",
        [
            "(Line 5) number '0' outside range [0.000001, 18446744073709.551614]",
            "(Line 5) virtual server delay loop '0' invalid - ignoring",
            "(Line 7) number '0' outside range [0.000001, 4294.967295]",
            "(Line 7) virtual server connect_timeout 0 invalid - ignoring",
            "(Line 8) number '5000' outside range [0.000001, 4294.967295]",
            "(Line 8) virtual server connect_timeout 5000 invalid - ignoring",
            "(Line 9) number '2.1234567' has too many decimal places",
            "(Line 10) negative number '-1'",
            "(Line 10) virtual server warmup '-1' invalid - ignoring",
            "(Line 12) invalid number 'x'",
            "(Line 13) number '0' outside range [1, 4294967295]",
            "(Line 13) retry value invalid - 0",
            "(Line 15) number '0' outside range [1, 2147483647]",
            "(Line 15) Virtual server weight 0 is outside range 1-2147483647",
            "(Line 17) number '0' outside range [1, 4294967295]",
            "(Line 17) Quorum 0 must be in [1, 4294967295]. Setting to 1.",
            "(Line 18) negative number '-2'",
            "(Line 18) Hysteresis -2 must be in [0, 4294967295] - ignoring",
            "(Line 20) negative number '-1'",
            "(Line 20) Real server weight -1 is outside range 0-2147483647",
            "(Line 21) number '2147483648' outside range [0, 2147483647]",
            "(Line 21) Real server weight 2147483648 is outside range 0-2147483647",
            "(Line 22) invalid number 'x'",
            "(Line 22) Invalid real_server uthreshold 'x' - ignoring",
            "(Line 23) number '4294967296' outside unsigned integer range",
            "(Line 23) Invalid real_server lthreshold '4294967296' - ignoring",
            "(Line 24) invalid number 'abc'",
            "(Line 24) retry value invalid - abc",
            "(Line 25) number '0' outside range [0.000001, 18446744073709.551614]",
            "(Line 25) real server delay_loop '0' invalid - ignoring",
            "(Line 26) number '0.0000001' has too many decimal places",
            "(Line 26) number '0.0000001' outside range [0.000001, 4294.967295]",
            "(Line 26) real server connect_timeout 0.0000001 invalid - ignoring",
            "(Line 29) Invalid inhibit_on_failure parameter maybe",
            "(Line 30) Invalid alpha parameter what",
            "(Line 31) Invalid real_server smtp_alert parameter perhaps",
            "(Line 32) real server virtualhost missing",
            "(Line 33) real server snmp_name missing or extra parameters",
            "(Line 35) virtual server virtualhost missing",
            "(Line 36) virtual server snmp_name missing or extra parameters",
            "(Line 37) Invalid virtual_server smtp_alert parameter hmm",
        ],
        5,
    ),
    (
        "vsg",
        """\
virtual_server_group A {
  192.0.2.1 80
  192.0.2.2 0
}
virtual_server_group B {
  fwmark 3
}
virtual_server_group C {
  2001:db8::1 80
}
virtual_server_group D {
  fwmark 1 inet
  fwmark 2 inet6
}
virtual_server group A {
  lb_algo rr
  lb_kind TUN
  ha_suspend
  real_server 192.0.2.10 81 {
  }
  sorry_server 192.0.2.11 82
}
virtual_server group B {
  lb_algo rr
  lb_kind DR
  protocol tcp
  ha_suspend
  real_server 192.0.2.10 81 {
  }
  sorry_server 192.0.2.11 82
}
virtual_server group C {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  real_server 192.0.2.10 81 {
  }
}
virtual_server group D {
  lb_algo rr
  lb_kind TUN
  real_server 192.0.2.10 81 {
  }
}
virtual_server group A {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  persistence_timeout 30
  real_server 192.0.2.10 81 {
  }
}
""",
        [
            "Virtual server [A]:0: no protocol set - defaulting to UDP",
            "Virtual server [A]:0: zero port only valid for persistent services - setting",
            "virtual server [A]:0:[192.0.2.1,80] and real server [192.0.2.10]:udp:81 ports don't match",
            "WARNING - virtual server [A]:0, sorry server has port specified - port will be ignored",
            "virtual server [A]:0:[192.0.2.2,0] and real server [192.0.2.10]:udp:81 ports don't match",
            "WARNING - virtual server [A]:0, sorry server has port specified - port will be ignored",
            "Virtual server [B]:0: cannot use ha_suspend with fwmarks - clearing ha_suspend",
            "Warning: Virtual server [B]:0: protocol specified for fwmark - protocol will be ignored",
            "WARNING - fwmark virtual server [B]:0, real server [192.0.2.10]:none:81 has port specified - port will be ignored",
            "WARNING - fwmark virtual server [B]:0, sorry server has port specified - port will be ignored",
            "WARNING - fwmark virtual server [D]:0, real server [192.0.2.10]:none:81 has port specified - port will be ignored",
        ],
        5,
    ),
    (
        "a",
        """\
virtual_server 192.0.2.1 80 {
  snmp_name foo
  hashed
  flag-1
  sh-port
  mh-fallback
  lvs_method TUN type gue port 6080 csum
  ip_family inet
  real_server 192.0.2.10 80 {
    snmp_name bar
    lvs_method TUN type gre remcsum
  }
  real_server 192.0.2.11 80 {
    lvs_method TUN type gre csum
  }
}
""",
        [
            "(Line 3) hashed only applies to sh scheduler - ignoring",
            "(Line 5) sh-port only applies to sh scheduler - ignoring",
            "(Line 6) mh-fallback only applies to sh scheduler - ignoring",
            "(Line 11) gre tunnels do not support remote checksum option.",
            "Virtual server [192.0.2.1]:none:80: no protocol set - defaulting to UDP",
            "Virtual server [192.0.2.1]:udp:80: no scheduler set, setting default 'wlc'",
        ],
        5,
    ),
    (
        "p1",
        """\
virtual_server 192.0.2.1 80 {
  protocol tcp
  lb_algo rr
  persistence_granularity 255.255.255
  persistence_engine abcdefghijklmnopqrstu
  real_server 2001:db8::1 80 {
    lvs_method TUN
  }
  real_server 2001:db8::2 80 {
  }
  real_server 192.0.2.2 80 {
    weight 0
  }
  real_server 192.0.2.2 80 {
  }
  sorry_server 2001:db8::3 80
}
virtual_server 192.0.2.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  persistence_granularity 0xffffff00
  real_server 192.0.2.2 80 {
  }
}
virtual_server fwmark 5 {
  persistence_granularity 64
  ha_suspend
  ops
  quorum 5
  hysteresis 7
  real_server 192.0.2.2 80 {
    lvs_method DR
  }
}

""",
        [
            "(Line 5) persistence_name too long, truncating - abcdefghijklmnopqrstu",
            "(Line 10) Address family of virtual server and real server 2001:db8::2 don't match - skipping real server.",
            "(Line 17) Address family of virtual server and sorry server 2001:db8::3 don't match - skipping sorry server.",
            "(Line 34) Address family of virtual server and real server 192.0.2.2 don't match - skipping real server.",
            "Virtual server [192.0.2.1]:tcp:80: no forwarding method set, setting default NAT",
            "VS [192.0.2.1]:tcp:80: real server [192.0.2.2]:tcp:80 is duplicated - removing second rs",
            "Virtual server FWM 5 has no real servers - ignoring",
        ],
        5,
    ),
    (
        "e4",
        """\
virtual_server 192.0.2.300 80 {
real_server 192.0.2.1 80 {
weight 2
}
}
virtual_server 192.0.2.3 80x {
}
virtual_server 192.0.2.3 0 {
protocol tcp
lb_algo rr
lb_kind DR
real_server 192.0.2.1 81 {
}
real_server 192.0.2.1 {
}
real_server 192.0.2.1 0x {
}
}
""",
        [
            "(Line 1) Invalid virtual server IP address/port 192.0.2.300/80 - skipping",
            "(Line 6) invalid number '80x'",
            "(Line 6) Invalid virtual server IP address/port 192.0.2.3/80x - skipping",
            "(Line 16) invalid number '0x'",
            "(Line 16) Invalid real server ip address/port 192.0.2.1/0x - skipping",
            "Virtual server [192.0.2.3]:tcp:0: zero port only valid for persistent services - setting",
            "WARNING - virtual server [192.0.2.3]:tcp:0 and real server [192.0.2.1]:tcp:81 ports don't match - resetting",
        ],
        5,
    ),
    (
        "e5",
        """\
virtual_server fwmark 0 {
protocol TCP
real_server 192.0.2.1 80 {
}
}
virtual_server fwmark 4294967296 {
real_server 192.0.2.1 80 {
}
}
virtual_server fwmark -1 {
}
virtual_server group NOPE {
real_server 192.0.2.1 80 {
}
}

""",
        [
            "(Line 6) number '4294967296' outside unsigned integer range",
            "(Line 6) virtual server fwmark '4294967296' must be in [0, 4294967295] - ignoring",
            "(Line 10) negative number '-1'",
            "(Line 10) virtual server fwmark '-1' must be in [0, 4294967295] - ignoring",
            "Virtual server []:tcp:0: zero port only valid for persistent services - setting",
            "Virtual server []:tcp:0: no scheduler set, setting default 'wlc'",
            "Virtual server []:tcp:0: no forwarding method set, setting default NAT",
        ],
        5,
    ),
    (
        "g1",
        """\
virtual_server_group G1 {
  192.0.2.1 80
  192.0.2.0/24 80
  192.0.2.1/24 80
  192.0.2.0/0 80
  192.0.2.0/33 80
  192.0.2.0/x 80
  192.0.2.5-10 80
  192.0.2.5-4 80
  192.0.2.5-5 80
  192.0.2.5-256 80
  192.0.2.5-1x 80
  192.0.2.5-192.0.2.9 80
  192.0.2.5-192.0.2.1 80
  192.0.2.5-2001:db8::1 80
  192.0.2.5-192.0.2.x 80
  2001:db8::1-ff 80
  2001:db8::1-10000 80
  2001:db8::/64 80
  2001:db8::1/64 80
  192.0.2.1 0
  192.0.2.1 00
  192.0.2.1 x
  192.0.2.x 80
  192.0.2.9
  fwmark 1
  fwmark 2 inet
  fwmark 3 inet6
  fwmark 4 foo
  fwmark x
}
virtual_server_group G2 {
}
virtual_server_group G3 extra {
  fwmark 1
}
virtual_server_group G4 {
  fwmark 1 inet
  fwmark 2 inet6
  fwmark 3
}

""",
        [
            "(Line 4) Address mask bits not empty - 192.0.2.1/24 - skipping",
            "(Line 5) Invalid netmask - 192.0.2.0/0 - skipping",
            "(Line 6) Invalid netmask - 192.0.2.0/33 - skipping",
            "(Line 7) Invalid netmask - 192.0.2.0/x - skipping",
            "(Line 9) Address range end is not greater than address range start - 192.0.2.5-4 - skipping",
            "(Line 10) Address range end is not greater than address range start - 192.0.2.5-5 - skipping",
            "(Line 11) Virtual server group range '192.0.2.5-256' end '256' too large",
            "(Line 12) Virtual server group range '192.0.2.5-1x' has extra characters at end 'x'",
            "(Line 14) Address range end is less than address range start - 192.0.2.5-192.0.2.1 - skipping",
            "(Line 15) Invalid virtual server group IP address 192.0.2.5-2001:db8::1 /port/80 - skipping",
            "(Line 16) Invalid range end 192.0.2.5-192.0.2.x - skipping",
            "(Line 18) Virtual server group range '2001:db8::1-10000' end '10000' too large",
            "(Line 20) Address mask bits not empty - 2001:db8::1/64 - skipping",
            "(Line 23) invalid number 'x'",
            "(Line 23) Invalid virtual server group IP address 192.0.2.1 /port/x - skipping",
            "(Line 24) Invalid virtual server group IP address 192.0.2.x /port/80 - skipping",
            "(Line 29) (G1): fwmark '4' family foo unknown - ignoring",
            "(Line 30) invalid number 'x'",
            "(Line 30) (G1): fwmark 'x' must be in [0, 4294967295] - ignoring",
            "(Line 31) virtual server group G1 cannot have IPv4, IPv6 and fwmark without family - removing",
            "(Line 33) virtual server group G2 has no entries - removing",
            "(Line 34) *** Configuration line starting `***MISSING ***` is missing a parameter at word position 1",
        ],
        2,
    ),
    (
        "s1",
        """\
global_defs {
  script_user root
  enable_script_security
}
virtual_server 192.0.2.1 80 {
  protocol tcp
  lb_algo rr
  lb_kind NAT
  quorum_up /bin/true
  quorum_up /bin/false
  quorum_down /bin/echo
  real_server 192.0.2.2 80 {
    notify_up /bin/true
    notify_up /bin/false
    notify_down /bin/true
  }
}
virtual_server group G {
  real_server 192.0.2.2 80 {
    notify_down /bin/true
    notify_down /bin/true
  }
}
""",
        [
            "(Line 10) ((null)) quorum_up script already specified - ignoring /bin/false",
            "(Line 14) ((null)) notify_up script already specified - ignoring /bin/false",
            "(Line 21) (G) notify_down script already specified - ignoring /bin/true",
        ],
        5,
    ),
]


@pytest.mark.parametrize(("name", "text", "expected", "status"), CASES, ids=[c[0] for c in CASES])
def test_same_verdict_as_keepalived(name: str, text: str, expected: list[str], status: int) -> None:
    r = parse_text(text)
    assert rendered(r) == expected
    assert exit_status(r) == status
