"""bfd_instance blocks, as keepalived 2.2.7 -t judges them (expectations checked with the binary)."""

from __future__ import annotations

import pytest

from keepalived_py.config.schema.bfd import instance_table, parse_sockaddr
from tests.configtest import messages, parse_text

E = "Configuration error: BFD instance B1 "


def bfd(text: str) -> tuple[list[str], int]:
    r = parse_text(text, validate=True)
    return messages(r), (r.fatal_exit if r.fatal_exit is not None else r.diags.test_exit_code())


def test_full_instance_and_defaults() -> None:
    r = parse_text(
        "bfd_instance B1 {\n neighbor_ip 192.0.2.1\n source_ip 192.0.2.2\n min_rx 20.5\n"
        " min_tx 30\n idle_tx 2000\n multiplier 3\n passive\n ttl 10\n max_hops 2\n"
        " weight -20 reverse\n vrrp\n}\n"
        "bfd_instance B2 {\n neighbour_ip 2001:db8::1\n}\n"
    )
    assert messages(r) == []
    assert r.diags.test_exit_code() == 0
    assert r.config is not None
    sec = r.config.bfd
    b1 = sec.instance("B1")
    assert b1 is not None
    assert (b1.neighbor, b1.family, b1.source) == ("192.0.2.1", 4, "192.0.2.2")
    assert (b1.min_rx_us, b1.min_tx_us, b1.idle_tx_us) == (20_500, 30_000, 2_000_000)
    assert (b1.multiplier, b1.passive, b1.ttl, b1.max_hops) == (3, True, 10, 2)
    assert (b1.vrrp, b1.checker) == (True, False)
    b2 = sec.instance("B2")
    assert b2 is not None
    assert (b2.min_rx_us, b2.min_tx_us, b2.idle_tx_us, b2.multiplier) == (10_000, 10_000, 1_000_000, 5)
    assert (b2.ttl, b2.max_hops, b2.vrrp, b2.checker, b2.passive) == (64, 0, True, True, False)
    t = sec.vrrp_tracked_bfd("B1")
    assert t is not None and (t.weight, t.weight_reverse) == (-20, True)
    # 'vrrp' only: the checker process forgets B1.
    assert sec.checker_tracked == ("B2",)
    assert sec.have_bfd_config


def test_every_keyword_of_2_2_7_is_known() -> None:
    names = {kw.name for kw in instance_table()}
    assert names == {
        "source_ip", "neighbor_ip", "neighbour_ip", "min_rx", "min_tx", "idle_tx", "multiplier",
        "passive", "ttl", "hoplimit", "max_hops", "weight", "vrrp", "checker",
    }  # fmt: skip


def test_range_messages() -> None:
    msgs, code = bfd(
        "bfd_instance B1 {\n neighbor_ip 192.0.2.1\n min_rx 0\n weight 300 foo\n multiplier 0\n"
        " ttl abc\n max_hops 300\n idle_tx 999\n}\n"
    )
    assert msgs == [
        "number '0' outside range [1.000, 4294967.000]",
        E + "min_rx value 0 is not valid (must be in range [1-4294967]), ignoring",
        "number '300' outside range [-253, 253]",
        E + "weight value 300 not valid (must be in range [-253-253]), ignoring",
        E + "unknown weight option foo",
        "number '0' outside range [1, 255]",
        E + "multiplier value 0 not valid (must be in range [1-255]), ignoring",
        "invalid number 'abc'",
        E + "ttl/hoplimit value abc not valid (must be in range [1-255]), ignoring",
        "number '300' outside range [-1, 255]",
        E + "max_hops value 300 not valid (must be in range [-1-255]), ignoring",
        "number '999' outside range [1000.000, 4294967.000]",
        E + "idle_tx value 999 is not valid (must be in range [1000-4294967]), ignoring",
    ]
    assert code == 5


def test_decimal_rounding_reaches_the_minimum() -> None:
    # 999.9999 has too many decimals and rounds up to 1000.000: accepted.
    r = parse_text("bfd_instance B {\n neighbor_ip 192.0.2.1\n idle_tx 999.9999\n}\n")
    assert messages(r) == ["number '999.9999' has too many decimal places"]
    assert r.config is not None
    inst = r.config.bfd.instance("B")
    assert inst is not None and inst.idle_tx_us == 1_000_000


def test_end_of_block_checks() -> None:
    msgs, code = bfd(
        "bfd_instance B2 {\n}\n"
        "bfd_instance B3 {\n neighbor_ip 2001:db8::1\n source_ip 192.0.2.1\n}\n"
        "bfd_instance B4 {\n neighbor_ip 192.0.2.7/24\n source_ip 192.0.2.1-5\n}\n"
        "bfd_instance B5 {\n neighbor_ip 192.0.2.7\n}\n"
        "bfd_instance B6 {\n neighbor_ip 192.0.2.7\n source_ip 192.0.2.9\n}\n"
        "bfd_instance B7 {\n neighbor_ip 2001:db8::a\n max_hops 70\n hoplimit 65\n}\n"
        "bfd_instance B8 {\n neighbor_ip 2001:db8::a\n source_ip 2001:db8::b\n}\n"
    )
    assert msgs == [
        "Configuration error: BFD instance B2 has no neighbor address set, disabling instance",
        # keepalived prints the source address twice (one static buffer for both).
        "Configuration error: BFD instance B3 source address 192.0.2.1 and neighbor address 192.0.2.1 "
        "are not of the same family, disabling instance",
        "Configuration error: BFD instance B5 has duplicate neighbor address 192.0.2.7, ignoring instance",
        "BFD instance B7: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit",
        "Configuration error: BFD instance B8 has duplicate source/neighbor address 2001:db8::b/2001:db8::a, "
        "ignoring instance",
    ]
    assert code == 5


def test_max_hops_minus_one_is_a_uint8() -> None:
    r = parse_text("bfd_instance B {\n neighbor_ip 2001:db8::1\n max_hops -1\n}\n")
    assert messages(r) == ["BFD instance B: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit"]
    assert r.config is not None
    inst = r.config.bfd.instance("B")
    assert inst is not None and inst.max_hops == 64


def test_duplicates_and_long_names_per_process() -> None:
    long = "A" * 32
    msgs, _ = bfd(
        "bfd_instance B {\n neighbor_ip 192.0.2.1\n}\n"
        "bfd_instance B {\n neighbor_ip 192.0.2.2\n bogus\n}\n"
        f"bfd_instance {long} {{\n neighbor_ip 192.0.2.3\n}}\n"
    )
    assert msgs == [
        "BFD B already specified",
        "BFD B already specified",
        "Configuration error: BFD instance B already configured - ignoring",
        # All three readings skipped the block: nothing inside it is reported.
        f"BFD name {long} too long",
        f"Configuration error: BFD instance {long} name too long (maximum length is 31 characters)"
        " - ignoring",
    ]


def test_malformed_neighbor_drops_the_instance_but_not_the_name() -> None:
    msgs, _ = bfd(
        "bfd_instance B {\n neighbor_ip 192.0.2.300\n min_rx 0\n weight 5\n}\n"
        "bfd_instance B {\n min_rx 1\n}\n"
    )
    assert msgs == [
        "Configuration error: BFD instance B has malformed neighbor address 192.0.2.300, ignoring instance",
        # The BFD reading skipped the rest (no min_rx complaint); the VRRP one still read the weight.
        "BFD B already specified",
        "BFD B already specified",
        # ...and the BFD reading accepts the second B, then finds no neighbor.
        "Configuration error: BFD instance B has no neighbor address set, disabling instance",
    ]
    r = parse_text("bfd_instance B {\n neighbor_ip 192.0.2.300\n weight 5\n}\n")
    assert r.config is not None
    t = r.config.bfd.vrrp_tracked_bfd("B")
    assert t is not None and t.weight == 5
    assert r.config.bfd.instances == ()


def test_neighbour_spelling_quirk() -> None:
    # keepalived switches to "neighbour" only when the *address* is the word neighbour_ip.
    msgs, _ = bfd("bfd_instance A {\n neighbour_ip 192.0.2.1 \n}\nbfd_instance B {\n}\n")
    assert msgs == ["Configuration error: BFD instance B has no neighbor address set, disabling instance"]
    msgs, _ = bfd("bfd_instance A {\n neighbor_ip neighbour_ip\n}\nbfd_instance B {\n}\n")
    assert msgs == [
        "Configuration error: BFD instance A has malformed neighbour address neighbour_ip, ignoring instance",
        "Configuration error: BFD instance B has no neighbour address set, disabling instance",
    ]


def test_events_restrict_the_processes() -> None:
    r = parse_text("bfd_instance B {\n neighbor_ip 192.0.2.1\n checker\n}\n")
    assert r.config is not None
    assert r.config.bfd.vrrp_tracked == ()
    assert r.config.bfd.checker_tracked == ("B",)
    inst = r.config.bfd.instance("B")
    assert inst is not None and (inst.vrrp, inst.checker) == (False, True)


@pytest.mark.parametrize(
    ("words", "exit_code"),
    [("bfd_instance {\n neighbor_ip 192.0.2.1\n}\n", 2), ("bfd_instance B {\n neighbor_ip\n}\n", 2),
     ("bfd_instance B {\n neighbor_ip 192.0.2.1\n weight\n}\n", 2),
     ("bfd_instance B {\n neighbor_ip 192.0.2.1\n min_rx\n}\n", 2)],
)  # fmt: skip
def test_missing_parameters_are_fatal(words: str, exit_code: int) -> None:
    # keepalived 2.2.7 exits 2 for the last two and crashes (SIGSEGV) on the first two.
    _, code = bfd(words)
    assert code == exit_code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", (4, "192.0.2.1")),
        ("192.0.2.1/24", (4, "192.0.2.1")),
        ("192.0.2.1-9", (4, "192.0.2.1")),
        ("192.0.2.01", None),
        ("::", (6, "::")),
        ("::2", (6, "::2")),
        ("::192.0.2.2", (6, "::192.0.2.2")),
        ("::ffff:192.0.2.2", (6, "::ffff:192.0.2.2")),
        ("2001:db8:0:0:1:0:0:1", (6, "2001:db8::1:0:0:1")),
        ("1:0:0:2::", (6, "1:0:0:2::")),
        ("fe80::1%eth0", None),
        ("2001:db8::1/64", (6, "2001:db8::1")),
        ("host.example", None),
        ("", None),
    ],
)
def test_sockaddr(text: str, expected: tuple[int, str] | None) -> None:
    assert parse_sockaddr(text) == expected


def test_no_traceback_on_odd_words() -> None:
    for text in (
        "bfd_instance B\nneighbor_ip 192.0.2.1\n",
        "neighbor_ip 192.0.2.1\n",
        "bfd_instance B {\n neighbor_ip \u00e9\u00e9 \n min_rx 1e3\n max_hops 0x10\n}\n",
        "bfd_instance B {\n bfd_instance C {\n}\n}\n",
        "bfd_instance B",
    ):
        parse_text(text)
