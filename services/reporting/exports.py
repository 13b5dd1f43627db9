"""Reports as files: CSV and XLSX (typed cells, Italian or English headers)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from decimal import Decimal

#: column -> (English, Italian) header
HEADERS = {
    "period": ("Period", "Periodo"),
    "period_start": ("From", "Dal"),
    "period_end": ("To", "Al"),
    "village": ("Village id", "Id comune"),
    "village_name": ("Village", "Comune"),
    "selling_place": ("Selling place id", "Id punto vendita"),
    "selling_place_name": ("Selling place", "Punto vendita"),
    "sector": ("Sector", "Settore"),
    "producer": ("Producer id", "Id produttore"),
    "producer_name": ("Producer", "Produttore"),
    "product": ("Product id", "Id prodotto"),
    "product_name": ("Product", "Prodotto"),
    "mountain_product": ("Mountain product", "Prodotto di montagna"),
    "vat_rate": ("VAT rate %", "Aliquota IVA %"),
    "quantity": ("Quantity", "Quantità"),
    "gross": ("Gross (EUR)", "Lordo (EUR)"),
    "vat": ("VAT (EUR)", "IVA (EUR)"),
    "net": ("Net of VAT (EUR)", "Imponibile (EUR)"),
    "lines": ("Lines", "Righe"),
    "receipts": ("Receipts", "Scontrini"),
    "average_basket": ("Average basket (EUR)", "Scontrino medio (EUR)"),
    "refunded_quantity": ("Refunded quantity", "Quantità resa"),
    "refunded_gross": ("Refunds (EUR)", "Resi (EUR)"),
    "refunded_vat": ("VAT refunded (EUR)", "IVA resa (EUR)"),
    "refunds": ("Refunded lines", "Righe rese"),
    "net_sales": ("Sales net of refunds (EUR)", "Vendite al netto dei resi (EUR)"),
    "commission": ("Commission (EUR)", "Provvigione (EUR)"),
    "commission_vat": ("VAT on commission (EUR)", "IVA sulla provvigione (EUR)"),
    "payout": ("Producer payout (EUR)", "Liquidazione produttori (EUR)"),
    "restocked_quantity": ("Restocked quantity", "Quantità rifornita"),
    "sell_through": ("Sell-through %", "Venduto su rifornito %"),
    "days_out_of_stock": ("Days out of stock", "Giorni senza scorta"),
    "producers": ("Producers", "Produttori"),
}
_SKIPPED = {"vat_by_rate", "previous", "last_year"}


def columns(rows: list[dict]) -> list[str]:
    """The exported columns, in the order of the first row (nested figures flattened to growth)."""
    if not rows:
        return ["period"]
    names = []
    for name in rows[0]:
        if name in _SKIPPED or (name.endswith("_name") and name[: -len("_name")] in rows[0]):
            continue
        names.append(name)
        if f"{name}_name" in rows[0]:
            names.append(f"{name}_name")  # the name beside its id
    for comparison in ("previous", "last_year"):
        if comparison in rows[0]:
            names += [f"{comparison}_net_sales", f"{comparison}_growth"]
    return names


def header(name: str, language: str) -> str:
    """A column's header in `language` (en or it)."""
    for comparison, (en, it) in (
        ("previous_", ("previous period", "periodo precedente")),
        ("last_year_", ("last year", "anno prima")),
    ):
        if name.startswith(comparison):
            base = name[len(comparison) :]
            label = {"net_sales": HEADERS["net_sales"], "growth": ("Growth %", "Crescita %")}[base]
            return f"{label[0]}, {en}" if language == "en" else f"{label[1]}, {it}"
    english, italian = HEADERS.get(name, (name, name))
    return english if language == "en" else italian


def _value(row: dict, name: str):
    for comparison in ("previous", "last_year"):
        if name.startswith(comparison + "_"):
            return row[comparison][name[len(comparison) + 1 :]]
    return row.get(name)


def to_csv(rows: list[dict], language: str) -> bytes:
    """The rows as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the accents)."""
    names = columns(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header(name, language) for name in names])
    for row in rows:
        writer.writerow([_text(_value(row, name)) for name in names])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _cell(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def to_xlsx(rows: list[dict], language: str, *, title: str = "Report") -> bytes:
    """The rows as an XLSX workbook: numbers as numbers, dates as dates, one header row."""
    names = columns(rows)
    from openpyxl import Workbook  # here, not at import: every reporting process would carry it

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([header(name, language) for name in names])
    for row in rows:
        sheet.append([_cell(_value(row, name)) for name in names])
    for index, name in enumerate(names, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sample = next((_value(row, name) for row in rows if _value(row, name) is not None), None)
        if isinstance(sample, Decimal):
            number_format = "0.000" if "quantity" in name else "#,##0.00"
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        elif isinstance(sample, date):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"
        sheet.column_dimensions[letter].width = max(12, len(header(name, language)) + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render(rows: list[dict], file_format: str, language: str, *, title: str = "Report") -> bytes:
    """The rows as a file of `file_format` (csv or xlsx)."""
    if file_format == "csv":
        return to_csv(rows, language)
    return to_xlsx(rows, language, title=title)
