"""Exact money: receipt arithmetic and the fields that carry amounts."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from backbone.fields import Money, Quantity
from services.sales.money import line_gross, to_cents, vat_included


def test_rounding_is_half_up_to_the_cent():
    assert to_cents(D("0.005")) == D("0.01")
    assert to_cents(D("2.675")) == D("2.68")  # a float would say 2.67
    assert line_gross(D("0.333"), D("28.00"), D("0")) == D("9.32")


def test_vat_is_taken_out_of_the_inclusive_price():
    assert vat_included(D("8.50"), D("10")) == D("0.77")
    assert vat_included(D("95.00"), D("22")) == D("17.13")
    assert vat_included(D("7.00"), D("4")) == D("0.27")


@given(
    gross=st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False),
    rate=st.sampled_from([D(4), D(5), D(10), D(22)]),
)
def test_vat_never_exceeds_the_amount_and_is_to_the_cent(gross, rate):
    vat = vat_included(gross, rate)
    assert D(0) <= vat <= gross
    assert vat == vat.quantize(D("0.01"))


class Amounts(Schema):
    price = Money(required=True)
    quantity = Quantity(load_default=None)


@pytest.mark.parametrize(
    "value, message",
    [
        ("8.505", "At most 2 decimal places."),
        (8.5, "Must be a decimal number"),
        ("NaN", "Special numeric values"),
        ("1e12", "Must be smaller"),
        (True, "Must be a decimal number"),
        ("abc", "Not a valid number."),
    ],
)
def test_an_amount_that_is_not_exact_is_refused_naming_the_problem(value, message):
    with pytest.raises(ValidationError) as error:
        Amounts().load({"price": value})
    assert message in " ".join(error.value.messages["price"])


def test_amounts_load_exactly_and_dump_as_strings_to_their_scale():
    loaded = Amounts().load({"price": D("8.5"), "quantity": "0.125"})
    assert loaded == {"price": D("8.5"), "quantity": D("0.125")}
    assert Amounts().dump(loaded) == {"price": "8.50", "quantity": "0.125"}
