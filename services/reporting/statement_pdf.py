"""The settlement statement as a PDF (fpdf2), in the producer's language."""

from __future__ import annotations

from services.reporting.models import Statement, StatementLine

WORDS = {
    "title": ("Settlement statement", "Rendiconto di conto vendita"),
    "producer": ("Producer", "Produttore"),
    "month": ("Month", "Mese"),
    "issued": ("Issued", "Emesso il"),
    "columns": (
        ("Date", "Kind", "Qty", "Gross", "VAT", "Comm. %", "Commission"),
        ("Data", "Tipo", "Q.tà", "Lordo", "IVA", "Provv. %", "Provvigione"),
    ),
    "sale": ("sale", "vendita"),
    "refund": ("refund", "reso"),
    "adjustment": (" (late)", " (rettifica)"),
    "gross": ("Gross sales", "Vendite lorde"),
    "vat": ("of which VAT", "di cui IVA"),
    "refunds": ("Refunds", "Resi"),
    "commission": ("Commission", "Provvigione"),
    "commission_vat": ("VAT on commission (22%)", "IVA sulla provvigione (22%)"),
    "payout": ("Payout", "Importo liquidato"),
    "iban": ("Paid to IBAN", "Accredito su IBAN"),
}
WIDTHS = (26, 34, 20, 28, 24, 22, 30)


def _word(key: str, language: str):
    english, italian = WORDS[key]
    return italian if language == "it" else english


def _euro(amount) -> str:
    return f"EUR {amount:,.2f}"


def render(statement: Statement, lines: list[StatementLine], *, language: str = "it") -> bytes:
    """The statement, its lines and its totals as PDF bytes."""
    from fpdf import FPDF  # here, not at import: every reporting process would carry it
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_title(f"{_word('title', language)} {statement.month_start:%Y-%m}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 10, _word("title", language), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    for key, value in (
        ("producer", statement.producer_name),
        ("month", f"{statement.month_start:%Y-%m}"),
        ("issued", f"{statement.issued_at:%Y-%m-%d}"),
    ):
        pdf.cell(0, 6, f"{_word(key, language)}: {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 9)
    for width, title in zip(WIDTHS, _word("columns", language), strict=True):
        pdf.cell(width, 7, title, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    for line in lines:
        kind = _word(line.kind, language) + (_word("adjustment", language) if line.adjustment else "")
        sign = -1 if line.kind == "refund" else 1
        cells = (
            f"{line.business_date:%Y-%m-%d}",
            kind,
            f"{line.quantity.normalize():f}",
            f"{sign * line.gross:,.2f}",
            f"{sign * line.vat:,.2f}",
            f"{line.commission_rate:.2f}",
            f"{sign * line.commission:,.2f}",
        )
        for index, (width, text) in enumerate(zip(WIDTHS, cells, strict=True)):
            pdf.cell(width, 6, text, border=1, align="R" if index >= 2 else "L")
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("Helvetica", size=10)
    for key, amount in (
        ("gross", statement.gross),
        ("vat", statement.vat),
        ("refunds", -statement.refunded_gross),
        ("commission", -statement.commission),
        ("commission_vat", -statement.commission_vat),
    ):
        pdf.cell(90, 6, _word(key, language))
        pdf.cell(50, 6, _euro(amount), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(90, 8, _word("payout", language))
    pdf.cell(50, 8, _euro(statement.payout), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if statement.iban:
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 6, f"{_word('iban', language)}: {statement.iban}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
