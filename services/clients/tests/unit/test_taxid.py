"""INN (10/12 digits with check digits) and KPP validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldline_clients.domain.taxid import (
    inn_with_check_digits,
    is_valid_inn,
    validate_inn,
    validate_kpp,
)
from fieldline_kit.errors import InvalidArgument

# Real, published INNs of well-known organisations and individual entrepreneurs.
REAL_ORGANISATION_INNS = [
    "7707083893",  # Sberbank
    "7736050003",  # Gazprom
    "7702070139",  # VTB
    "7728168971",  # Alfa-Bank
    "7830002293",
]
REAL_PERSON_INNS = ["500100732259", "784806113663"]

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def reference_is_valid(inn: str) -> bool:
    """The published algorithm, written independently of the code under test."""

    def control(number: str, weights: list[int]) -> int:
        total = 0
        for i, weight in enumerate(weights):
            total += int(number[i]) * weight
        return (total % 11) % 10

    n = [int(c) for c in inn]
    if len(inn) == 10:
        return control(inn, [2, 4, 10, 3, 5, 9, 4, 6, 8]) == n[9]
    if len(inn) == 12:
        first = control(inn, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
        second = control(inn, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
        return first == n[10] and second == n[11]
    return False


def remainder(number: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(number, weights, strict=False)) % 11


# ------------------------------------------------------------------------------------ INN
@pytest.mark.parametrize("inn", REAL_ORGANISATION_INNS + REAL_PERSON_INNS)
def test_real_inns_are_valid(inn: str) -> None:
    assert is_valid_inn(inn)
    assert validate_inn("client.inn", inn) == inn


def test_validate_inn_strips_surrounding_whitespace() -> None:
    assert validate_inn("client.inn", "  7707083893\n") == "7707083893"


@pytest.mark.parametrize("inn", ["7707083894", "7707083890", "500100732258", "500100732269"])
def test_wrong_check_digit_is_rejected(inn: str) -> None:
    assert not is_valid_inn(inn)
    with pytest.raises(InvalidArgument) as err:
        validate_inn("client.inn", inn)
    assert err.value.field == "client.inn"
    assert "checksum" in err.value.problem
    assert inn in err.value.problem


@pytest.mark.parametrize(
    "inn",
    [
        "77070838a3",
        "7707-083893",
        "7707 083893",
        "+707083893",
        "７７０７０８３８９３",  # full-width digits: isdigit() but not ASCII
        "٧٧٠٧٠٨٣٨٩٣",  # Arabic-Indic digits
        "50010073225x",
    ],
)
def test_non_digits_are_rejected(inn: str) -> None:
    assert not is_valid_inn(inn)
    with pytest.raises(InvalidArgument) as err:
        validate_inn("client.inn", inn)
    assert err.value.field == "client.inn"
    assert "must be 10 or 12 digits" in err.value.problem


@pytest.mark.parametrize("inn", ["1", "770708389", "77070838931", "5001007322591", "0" * 20])
def test_wrong_length_is_rejected(inn: str) -> None:
    assert not is_valid_inn(inn)
    with pytest.raises(InvalidArgument) as err:
        validate_inn("x", inn)
    assert "must be 10 or 12 digits" in err.value.problem


def test_long_garbage_is_truncated_in_the_message() -> None:
    with pytest.raises(InvalidArgument) as err:
        validate_inn("x", "9" * 500)
    assert len(err.value.problem) < 80


@pytest.mark.parametrize("inn", ["", "   ", None])
def test_inn_is_required(inn: str | None) -> None:
    with pytest.raises(InvalidArgument) as err:
        validate_inn("client.inn", inn)  # type: ignore[arg-type]
    assert (err.value.field, err.value.problem) == ("client.inn", "is required")


def test_is_valid_inn_never_raises_on_empty() -> None:
    assert not is_valid_inn("")


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_ten_digit_validity_matches_the_published_algorithm(inn: str) -> None:
    assert is_valid_inn(inn) == reference_is_valid(inn)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_twelve_digit_validity_matches_the_published_algorithm(inn: str) -> None:
    assert is_valid_inn(inn) == reference_is_valid(inn)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_inn_with_check_digits_completes_a_nine_digit_prefix(prefix: str) -> None:
    inn = inn_with_check_digits(prefix)
    assert len(inn) == 10
    assert inn.startswith(prefix)
    assert is_valid_inn(inn)
    assert validate_inn("x", inn) == inn


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_inn_with_check_digits_completes_a_ten_digit_prefix(prefix: str) -> None:
    inn = inn_with_check_digits(prefix)
    assert len(inn) == 12
    assert inn.startswith(prefix)
    assert is_valid_inn(inn)
    assert reference_is_valid(inn)


@pytest.mark.parametrize("prefix", ["", "12345678", "12345678901", "123456789012"])
def test_inn_with_check_digits_needs_nine_or_ten_digits(prefix: str) -> None:
    with pytest.raises(ValueError, match="9 or 10 digits"):
        inn_with_check_digits(prefix)


def _mutate(inn: str, position: int, digit: str) -> str:
    return inn[:position] + digit + inn[position + 1 :]


@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=9, max_size=9),
        st.text(alphabet="0123456789", min_size=10, max_size=10),
    ),
    st.data(),
)
def test_changing_a_check_digit_always_breaks_the_checksum(
    prefix: str, data: st.DataObject
) -> None:
    inn = inn_with_check_digits(prefix)
    position = data.draw(st.integers(min_value=len(prefix), max_value=len(inn) - 1))
    digit = data.draw(digits.filter(lambda d: d != inn[position]))
    assert not is_valid_inn(_mutate(inn, position, digit))


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.data())
def test_changing_one_digit_of_a_ten_digit_inn_breaks_the_checksum(
    prefix: str, data: st.DataObject
) -> None:
    """Every weight is coprime to 11, so a single changed digit always changes the weighted
    sum mod 11. The only escape is the published `% 11 % 10` step, which maps both 10 and 0
    to check digit 0; a mutation survives only by moving between those two remainders."""
    inn = inn_with_check_digits(prefix)
    position = data.draw(st.integers(min_value=0, max_value=8))
    digit = data.draw(digits.filter(lambda d: d != inn[position]))
    mutated = _mutate(inn, position, digit)
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    assert remainder(mutated, weights) != remainder(inn, weights)
    if is_valid_inn(mutated):
        assert inn[9] == "0"
        assert {remainder(inn, weights), remainder(mutated, weights)} == {0, 10}


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.data())
def test_changing_one_digit_of_a_twelve_digit_inn_breaks_the_checksum(
    prefix: str, data: st.DataObject
) -> None:
    inn = inn_with_check_digits(prefix)
    position = data.draw(st.integers(min_value=0, max_value=9))
    digit = data.draw(digits.filter(lambda d: d != inn[position]))
    mutated = _mutate(inn, position, digit)
    if is_valid_inn(mutated):
        # Possible only through the same 10 ↔ 0 remainder collision, on both check digits.
        assert inn[10:] == "00"


def test_single_digit_collision_of_the_published_algorithm() -> None:
    """Documents the known weakness: weighted sums 10 and 22 both give check digit 0."""
    assert is_valid_inn("1000000010")
    assert is_valid_inn("7000000010")


@given(st.text(min_size=0, max_size=14))
def test_is_valid_inn_never_raises(text: str) -> None:
    assert is_valid_inn(text) in (True, False)


@given(st.text(min_size=1, max_size=14).filter(lambda t: not (t.isascii() and t.isdigit())))
def test_anything_but_ascii_digits_is_invalid(text: str) -> None:
    assert not is_valid_inn(text)


# ------------------------------------------------------------------------------------ KPP
ORG_INN = "7707083893"
PERSON_INN = "500100732259"


@pytest.mark.parametrize(
    ("kpp", "expected"),
    [
        ("773601001", "773601001"),
        ("7736AB001", "7736AB001"),
        ("7736ab001", "7736AB001"),  # normalised to upper case
        (" 773601001 ", "773601001"),
        ("77365Z001", "77365Z001"),
    ],
)
def test_valid_kpp_for_an_organisation(kpp: str, expected: str) -> None:
    assert validate_kpp("client.kpp", kpp, ORG_INN) == expected


@pytest.mark.parametrize("kpp", ["", "   ", None])
def test_kpp_is_required_for_a_ten_digit_inn(kpp: str | None) -> None:
    with pytest.raises(InvalidArgument) as err:
        validate_kpp("client.kpp", kpp, ORG_INN)  # type: ignore[arg-type]
    assert err.value.field == "client.kpp"
    assert "required" in err.value.problem
    assert "10-digit" in err.value.problem


@pytest.mark.parametrize(
    "kpp",
    [
        "77360100",  # 8 characters
        "7736010011",  # 10 characters
        "77A601001",  # letter in the tax-office part
        "773601A01",  # letter in the sequence part
        "7736-1001",
        "7736 1001",
        "773601\u0661\u0660\u0661",  # Arabic-Indic digits are not KPP digits
        "٧٧٣٦٠١٠٠١",
        "７７３６０１００１",  # full-width digits
        "7736ß001",  # upper() turns ß into SS; the input is still not a KPP
        "7736ЖЖ001",  # Cyrillic letters
    ],
)
def test_malformed_kpp_is_rejected(kpp: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        validate_kpp("client.kpp", kpp, ORG_INN)
    assert err.value.field == "client.kpp"
    assert "NNNNXXNNN" in err.value.problem


@pytest.mark.parametrize("kpp", ["773601001", "x"])
def test_kpp_is_forbidden_for_a_twelve_digit_inn(kpp: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        validate_kpp("client.kpp", kpp, PERSON_INN)
    assert err.value.field == "client.kpp"
    assert "12-digit" in err.value.problem


@pytest.mark.parametrize("kpp", ["", "  ", None])
def test_empty_kpp_is_fine_for_a_twelve_digit_inn(kpp: str | None) -> None:
    assert validate_kpp("client.kpp", kpp, PERSON_INN) == ""  # type: ignore[arg-type]


@given(
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_every_well_formed_kpp_is_accepted(office: str, reason: str, seq: str) -> None:
    kpp = office + reason + seq
    assert validate_kpp("k", kpp, ORG_INN) == kpp
    assert validate_kpp("k", kpp.lower(), ORG_INN) == kpp
