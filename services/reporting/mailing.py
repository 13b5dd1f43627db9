"""The monthly report pack, e-mailed to the province office: the month by village and sector, open data, payouts."""

from __future__ import annotations

import smtplib
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from backbone.web import get_db
from services.reporting import exports, opendata, reports, settlements
from services.reporting.periods import month_end

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def report_pack(*, month: date, language: str) -> EmailMessage:
    """The pack of `month` as an e-mail with three attachments (XLSX, open-data CSV, statements CSV)."""
    config = current_app.config
    last = month_end(month)
    query = reports.ReportQuery(
        date_from=month,
        date_to=last,
        group_by=("village", "sector"),
        compare=("previous", "last_year"),
        seasons=config["SEASONS"],
    )
    with get_db().transaction() as session:
        report = reports.sales_report(session=session, query=query)
        table = opendata.open_data(session=session, date_from=month, date_to=last, k=config["OPEN_DATA_MIN_PRODUCERS"])
        statements = [
            {
                "producer_name": s.producer_name,
                "gross": s.gross,
                "refunded_gross": s.refunded_gross,
                "commission": s.commission,
                "commission_vat": s.commission_vat,
                "payout": s.payout,
            }
            for s in settlements.statements(session=session, month=month)
        ]
    message = EmailMessage()
    message["Subject"] = f"Rete dei punti vendita: report {month:%Y-%m} / network report {month:%Y-%m}"
    message["From"] = config["REPORT_PACK_FROM"]
    message["To"] = ", ".join(config["REPORT_PACK_TO"])
    message["Message-ID"] = make_msgid(domain="selling-places")
    total = sum((row["net_sales"] for row in report["rows"]), start=0)
    message.set_content(
        f"Report del mese {month:%Y-%m}: vendite al netto dei resi EUR {total:,.2f}, "
        f"{len(statements)} rendiconti emessi. Dati aggiornati al {report['watermark']}.\n\n"
        f"Report for {month:%Y-%m}: sales net of refunds EUR {total:,.2f}, {len(statements)} statements issued. "
        f"Figures include events recorded up to {report['watermark']}.\n"
    )
    attachments = (
        (exports.to_xlsx(report["rows"], language, title="Sales"), XLSX, f"sales_{month:%Y-%m}.xlsx"),
        (exports.to_csv(opendata.flat_rows(table), language), ("text", "csv"), f"open_data_{month:%Y-%m}.csv"),
        (exports.to_csv(statements, language), ("text", "csv"), f"statements_{month:%Y-%m}.csv"),
    )
    for content, (maintype, subtype), filename in attachments:
        if maintype == "text":
            message.add_attachment(content.decode("utf-8"), subtype=subtype, filename=filename)
        else:
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def send_report_pack(*, month: date) -> str:
    """Build and send the pack of `month` through the configured SMTP server; returns its Message-ID."""
    config = current_app.config
    if not config["REPORT_PACK_TO"]:
        return "not sent: REPORTING_REPORT_PACK_TO is empty"
    message = report_pack(month=month, language=config["REPORT_PACK_LANGUAGE"])
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT_SECONDS"]) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
    return message["Message-ID"]
