"""Verification codes: Crockford base32, a Luhn mod 32 check symbol, forgiving input rules."""

from __future__ import annotations

import itertools
import random

import pytest

from microcred.issuance import codes
from microcred.issuance.codes import ALPHABET, InvalidCode

MISTYPED = "This code looks mistyped: its check character does not match. Please check it again."
SAMPLE_SIZE = 2_000


def _with_check(payload: str) -> str:
    return payload + codes.check_symbol(payload)


def _is_accepted(code: str) -> bool:
    try:
        codes.normalize(code)
    except InvalidCode:
        return False
    return True


@pytest.fixture(scope="module")
def generated() -> list[str]:
    return [codes.generate() for _ in range(SAMPLE_SIZE)]


def test_generated_codes_are_ten_crockford_symbols_that_normalize_to_themselves(
    generated: list[str],
) -> None:
    for code in generated:
        assert len(code) == 10
        assert set(code) <= set(ALPHABET)
        assert codes.normalize(code) == code
        assert codes.normalize(codes.display(code)) == code


def test_generated_codes_are_random_not_repeated(generated: list[str]) -> None:
    # 45 random bits: a repeat among 2,000 codes would mean the randomness is broken.
    assert len(set(generated)) == SAMPLE_SIZE
    # Every symbol shows up in the payload positions (no skewed alphabet).
    assert set("".join(code[:-1] for code in generated)) == set(ALPHABET)


def test_alphabet_is_crockford_base32() -> None:
    assert len(ALPHABET) == 32
    assert len(set(ALPHABET)) == 32
    assert not set(ALPHABET) & set("ILOU")


def test_display_groups_the_code_in_two_halves() -> None:
    assert codes.display("0123456789") == "01234-56789"


def test_normalize_forgives_case_separators_and_lookalike_letters() -> None:
    code = _with_check("01AB01CD1")
    typed = f"  {code[:5].lower()} - {code[5:]}  ".replace("0", "o").replace("1", "I", 1)
    typed = typed.replace("1", "l")  # the remaining 1s typed as lower-case L
    assert typed != code

    assert codes.normalize(typed) == code
    assert codes.normalize(code.lower()) == code
    assert codes.normalize(code.replace("0", "O")) == code
    assert codes.normalize(code.replace("1", "i")) == code
    assert codes.normalize(code.replace("1", "L")) == code
    assert codes.normalize(" ".join(code)) == code
    assert codes.normalize(f"{code[:3]}-{code[3:6]}-{code[6:]}") == code
    assert codes.normalize(f"{code[:5]}\t{code[5:]}\n") == code


def test_every_single_symbol_substitution_is_rejected(generated: list[str]) -> None:
    """Luhn mod N maps each symbol to a distinct addend, so one wrong symbol always shows."""
    tried = rejected = 0
    for code in generated[:300]:
        for position, wrong in itertools.product(range(len(code)), ALPHABET):
            if wrong == code[position]:
                continue
            typo = code[:position] + wrong + code[position + 1 :]
            tried += 1
            with pytest.raises(InvalidCode) as excinfo:
                codes.normalize(typo)
            assert str(excinfo.value) == MISTYPED
            rejected += 1
    assert tried == 300 * 10 * 31
    assert rejected / tried == 1.0


def _valid_code_with(position: int, first: str, second: str, filler: random.Random) -> str:
    """A valid code holding ``first`` and ``second`` at ``position`` and ``position + 1``.

    Another position is varied until the check holds; each position's addend runs through every
    residue mod 32, so one of the 32 symbols always fits.
    """
    symbols = [filler.choice(ALPHABET) for _ in range(10)]
    symbols[position], symbols[position + 1] = first, second
    free = next(i for i in range(10) if i not in (position, position + 1))
    for symbol in ALPHABET:
        symbols[free] = symbol
        candidate = "".join(symbols)
        if codes.check_symbol(candidate[:-1]) == candidate[-1]:
            return candidate
    raise AssertionError("no symbol completes the check")  # pragma: no cover


def test_adjacent_transpositions_are_rejected_except_the_luhn_blind_pair() -> None:
    """Every ordered pair of distinct symbols, swapped at each of the 9 adjacent positions.

    Luhn mod N misses exactly one transposition, the analogue of ``09`` <-> ``90`` in decimal
    Luhn: the first and the last symbol of the alphabet (``0`` and ``Z``), whose
    "doubled minus plain" values coincide mod 32. Found empirically here: 990 of the 992
    ordered pairs (99.8 %) are caught, at every position, including swaps with the check symbol.
    """
    filler = random.Random(20250131)
    missed: set[tuple[str, str]] = set()
    tried = caught = 0
    for position in range(9):
        for first, second in itertools.permutations(ALPHABET, 2):
            code = _valid_code_with(position, first, second, filler)
            swapped = code[:position] + second + first + code[position + 2 :]
            tried += 1
            if _is_accepted(swapped):
                missed.add((first, second))
            else:
                caught += 1

    assert tried == 9 * 32 * 31
    assert missed == {("0", "Z"), ("Z", "0")}
    assert caught / tried >= 990 / 992
    assert caught == 9 * 990


def test_adjacent_transpositions_in_generated_codes(generated: list[str]) -> None:
    for code in generated:
        for position in range(9):
            first, second = code[position], code[position + 1]
            if first == second:
                continue
            swapped = code[:position] + second + first + code[position + 2 :]
            assert _is_accepted(swapped) == ({first, second} == {"0", "Z"})


@pytest.mark.parametrize(
    ("typed", "length"),
    [("ABCDE", 5), ("ABCDE-FGHJ", 9), ("0123456789A", 11), ("ABCDE-FGHJK-M", 11)],
)
def test_wrong_length_is_named(typed: str, length: int) -> None:
    with pytest.raises(InvalidCode) as excinfo:
        codes.normalize(typed)
    assert str(excinfo.value) == f"A verification code has 10 characters; this one has {length}."


@pytest.mark.parametrize("typed", ["", "   ", " - - "])
def test_empty_input_asks_for_a_code(typed: str) -> None:
    with pytest.raises(InvalidCode) as excinfo:
        codes.normalize(typed)
    assert str(excinfo.value) == "Enter a verification code."


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("ABCDU-FGHJK", "U"),
        ("abcdu-fghjk", "U"),
        ("ABCD.-FGHJK", "."),
        ("ABCDE_FGHJK", "_"),
        ("ABC!E-FGHU?", "!?U"),
        ("ÄBCDE-FGHJK", "Ä"),
        ("AB", None),  # a short code with only valid symbols is a length problem
    ],
)
def test_invalid_characters_are_named(typed: str, named: str | None) -> None:
    with pytest.raises(InvalidCode) as excinfo:
        codes.normalize(typed)
    message = str(excinfo.value)
    if named is None:
        assert message.startswith("A verification code has 10 characters")
    else:
        assert message == (
            "A verification code only uses the digits 0–9 and the letters A–Z except I, L, O "
            f"and U; “{named}” is not one of them."
        )
