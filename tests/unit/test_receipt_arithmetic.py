"""A receipt's totals and VAT: exact to the cent on awkward cases, and consistent for any lines."""

import uuid
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.sales.catalogue import Catalogue
from services.sales.money import allocate, pro_rata, to_cents, vat_breakdown
from services.sales.pricing import price_receipt

RATES = [D(4), D(5), D(10), D(22)]


def priced(*lines: tuple[str, str, str, str]) -> tuple[dict, list[dict]]:
    """Price (quantity, unit price, discount, VAT rate) lines as a till would send them."""
    receipt = {
        "receipt_id": uuid.uuid4(),
        "selling_place_id": uuid.uuid4(),
        "till_id": "till-1",
        "sold_at": datetime(2026, 7, 14, 8, 30, tzinfo=timezone.utc),
        "payment_method": "cash",
        "lines": [
            {"product_id": uuid.uuid4(), "quantity": D(q), "unit_price": D(p), "discount": D(d), "vat_rate": D(r)}
            for q, p, d, r in lines
        ],
    }
    return price_receipt(receipt, Catalogue())


def test_three_for_a_price_is_exact():
    # three jars at 3.50, sold as "three for 10 euro": the till sends the discount on the line
    row, (line,) = priced(("3", "3.50", "0.50", "22"))
    assert (row["total"], line["gross"], line["vat"]) == (D("10.00"), D("10.00"), D("1.80"))


def test_three_for_a_price_split_over_three_lines_still_adds_up():
    # the same offer printed as one line per jar: 3.33 + 3.33 + 3.34
    row, lines = priced(("1", "3.33", "0", "22"), ("1", "3.33", "0", "22"), ("1", "3.34", "0", "22"))
    assert row["total"] == D("10.00") and row["vat_total"] == D("1.80")
    assert [line["vat"] for line in lines] == [D("0.60"), D("0.60"), D("0.60")]


def test_kilograms_with_three_decimals_round_half_up_per_line():
    row, lines = priced(
        ("0.333", "28.00", "0", "4"),  # 9.324
        ("1.235", "12.90", "0", "4"),  # 15.9315
        ("0.125", "0.10", "0", "10"),  # 0.0125
        ("0.005", "1.00", "0", "10"),  # 0.005: half a cent goes up
    )
    assert [line["gross"] for line in lines] == [D("9.32"), D("15.93"), D("0.01"), D("0.01")]
    assert row["total"] == D("25.27")
    # VAT per rate on the rate's total: 25.25 at 4 % -> 0.97; 0.02 at 10 % -> 0.00
    assert [(s.vat_rate, s.gross, s.vat, s.net) for s in vat_breakdown((line["gross"], line["vat_rate"]) for line in lines)] == [
        (D(4), D("25.25"), D("0.97"), D("24.28")),
        (D(10), D("0.02"), D("0.00"), D("0.02")),
    ]
    assert row["vat_total"] == D("0.97") and sum(line["vat"] for line in lines) == D("0.97")


def test_vat_is_taken_out_of_each_rates_total_not_line_by_line():
    # ten lollipops at 0.05: line by line each would carry 0.01 of VAT (0.10 in all); on the total, 0.09
    row, lines = priced(*[("1", "0.05", "0", "22")] * 10)
    assert row["total"] == D("0.50") and row["vat_total"] == D("0.09")
    assert sum(line["vat"] for line in lines) == D("0.09")
    assert sorted(line["vat"] for line in lines) == [D("0.00")] + [D("0.01")] * 9


def test_allocation_gives_the_odd_cents_to_the_largest_remainders():
    assert allocate(D("1.00"), [D("1"), D("1"), D("1")]) == [D("0.34"), D("0.33"), D("0.33")]
    assert allocate(D("0.05"), [D("0.30"), D("0.70")]) == [D("0.02"), D("0.03")]  # 1.5 and 3.5 cents: tie, earlier first
    assert allocate(D("0.00"), [D("0"), D("0")]) == [D("0.00"), D("0.00")]
    with pytest.raises(ValueError):
        allocate(D("0.01"), [D("0")])


def test_refunding_a_line_in_thirds_gives_back_exactly_its_amount():
    paid, sold = D("10.00"), D("3")
    after_each = [pro_rata(paid, D(n), sold) for n in (1, 2, 3)]
    assert after_each == [D("3.33"), D("6.67"), D("10.00")]
    assert [b - a for a, b in zip([D("0.00")] + after_each, after_each, strict=False)] == [D("3.33"), D("3.34"), D("3.33")]


quantities = st.decimals(min_value=D("0.001"), max_value=D("500"), places=3)
prices = st.decimals(min_value=D("0"), max_value=D("2000"), places=2)


@st.composite
def receipt_lines(draw):
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=25))):
        quantity, price = draw(quantities), draw(prices)
        discount = draw(st.decimals(min_value=D("0"), max_value=to_cents(quantity * price), places=2))
        lines.append((str(quantity), str(price), str(discount), str(draw(st.sampled_from(RATES)))))
    return lines


@settings(max_examples=300, deadline=None)
@given(lines=receipt_lines())
def test_for_any_lines_the_vat_breakdown_adds_up_to_the_total(lines):
    row, priced_lines = priced(*lines)
    shares = vat_breakdown((line["gross"], line["vat_rate"]) for line in priced_lines)
    assert sum(share.gross for share in shares) == row["total"] == sum(line["gross"] for line in priced_lines)
    assert sum(share.vat for share in shares) == row["vat_total"] == sum(line["vat"] for line in priced_lines)
    assert sum(share.net + share.vat for share in shares) == row["total"]
    for share in shares:
        at_rate = [line for line in priced_lines if line["vat_rate"] == share.vat_rate]
        assert sum(line["vat"] for line in at_rate) == share.vat
        assert share.vat == to_cents(share.gross * share.vat_rate / (100 + share.vat_rate))
    for line in priced_lines:
        exact = line["gross"] * line["vat_rate"] / (100 + line["vat_rate"])
        assert D(0) <= line["vat"] <= line["gross"] and line["vat"] == to_cents(line["vat"])
        assert abs(line["vat"] - exact) < D("0.015")  # never more than a cent and a half from its own share


@given(weights=st.lists(st.decimals(min_value=D("0"), max_value=D("1000"), places=2), min_size=1, max_size=30))
def test_an_allocation_always_adds_up_exactly(weights):
    amount = to_cents(sum(weights, D(0)) * D("0.18"))
    if sum(weights) == 0:
        amount = D("0.00")
    shares = allocate(amount, weights)
    assert sum(shares) == amount and all(share >= 0 for share in shares)
    assert all(share == 0 for share, weight in zip(shares, weights, strict=True) if weight == 0)


@given(
    paid=st.decimals(min_value=D("0"), max_value=D("10000"), places=2),
    sold=st.decimals(min_value=D("0.001"), max_value=D("100"), places=3),
    cuts=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=8),
)
def test_partial_refunds_of_a_line_never_exceed_and_finally_equal_what_was_paid(paid, sold, cuts):
    # split the sold quantity into refunds in proportion to `cuts`, the last taking the rest
    whole = sum(cuts)
    parts = [(sold * cut / whole).quantize(D("0.001"), rounding="ROUND_DOWN") for cut in cuts[:-1]]
    parts.append(sold - sum(parts, D(0)))
    given_back, so_far = D("0.00"), D(0)
    for part in parts:
        so_far += part
        refund = pro_rata(paid, so_far, sold) - given_back
        assert refund >= 0
        given_back += refund
        assert given_back <= paid
    assert given_back == paid
