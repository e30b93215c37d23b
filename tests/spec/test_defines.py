"""-D NAME=VALUE and string values in the Python API's consts: ASCII decimal, 0x hex,
true/false or "?", and one error for a bad value, never errors of its consequences."""

from __future__ import annotations

import pytest

from mmcheck import spec
from mmcheck.spec.checker import parse_const_text
from mmcheck.spec.errors import SpecErrors

# N sizes an array: a bad value taken as 0 made a second error, "empty range 1..0"
SIZED = "const N = 2\nconst FIXED = false\nvar a : [1..N] -> bool = [i in 1..N |-> FIXED]\n"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("-3", -3),
        ("0", 0),
        ("0x1F", 31),
        ("0X1f", 31),
        ("-0x10", -16),
        ("true", True),
        ("false", False),
        ("?", "?"),
        (" 7 ", 7),
    ],
)
def test_accepted_values(text: str, value: int | bool | str):
    parsed = parse_const_text(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    "text",
    [
        "\u0663",
        "1\u0662",
        "\uff13",
        "2_0",
        "0x_1",
        "+2",
        "--2",
        "- 2",
        "010",
        "0b11",
        "0o7",
        "0x",
        "1e3",
        "2.0",
        "True",
        "TRUE",
        "yes",
        "",
    ],
)
def test_refused_values(text: str):
    assert isinstance(parse_const_text(text), str)


@pytest.mark.parametrize("text", ["\u0663", "2_0", "+2", "010", "x"])
def test_a_bad_integer_is_one_error(run_cli, text: str):
    rc, out, err = run_cli(SIZED, "-D", f"N={text}")
    assert rc == 2 and "1 error" in err, err
    assert f"-D N={text}: N is an int constant, give an integer" in err
    assert "empty range" not in err


@pytest.mark.parametrize("value", ["\u0663", "+2", True, "?"])
def test_a_bad_value_through_the_api_is_one_error(value: object):
    with pytest.raises(SpecErrors) as info:
        spec.load(SIZED, {"N": value})
    (e,) = info.value.errors
    assert e.message.startswith("-D N=")


def test_a_bad_bool_is_one_error(run_cli):
    rc, out, err = run_cli(SIZED, "-D", "FIXED=1")
    assert rc == 2 and "1 error" in err, err


def test_hex_and_negative_values_load():
    p = spec.load(SIZED + "const M = 0\n", {"N": "0x3", "M": "-1", "FIXED": "true"})
    assert (p.const_value("N"), p.const_value("M"), p.const_value("FIXED")) == (3, -1, True)


@pytest.mark.parametrize("defines", [(), ("-D", "N=+2")])
def test_a_constant_without_a_value_is_one_error(run_cli, defines: tuple[str, ...]):
    text = "const N\nvar a : [1..N] -> bool = [i in 1..N |-> false]\ninvariant I: a[1]\n"
    rc, out, err = run_cli(text, *defines)
    assert rc == 2 and "1 error" in err, err


@pytest.mark.parametrize("text", ["9223372036854775808", "-9223372036854775809",
                                  "0x8000000000000000", "9" * 5001, "-0x" + "f" * 5000])  # fmt: skip
def test_a_value_past_int64_is_one_error(run_cli, text: str):
    rc, out, err = run_cli(SIZED, "-D", f"N={text}")
    assert rc == 2 and "1 error" in err and "Traceback" not in err, err
    assert "outside -2^63 .. 2^63 - 1 (value came from -D)" in err


def test_int64_bounds_are_accepted():
    assert parse_const_text("9223372036854775807") == 2**63 - 1
    assert parse_const_text("-9223372036854775808") == -(2**63)
