"""Reporting's settings; each can be overridden by REPORTING_<NAME> in the environment."""


class Config:
    RECOMPUTE_BATCH = 500
    #: the beat backstop: dirty keys are recomputed at least this often even if a nudge was lost
    RECOMPUTE_EVERY_SECONDS = 10.0
    #: tourist seasons by calendar month; consecutive months of one name make a season
    SEASONS = {"winter": [12, 1, 2, 3], "summer": [6, 7, 8, 9], "shoulder": [4, 5, 10, 11]}
    #: the day of the month when last month's statements are issued and the report pack is sent
    STATEMENTS_DAY = 2
    #: the account the payouts leave from (the SEPA file's debtor)
    SEPA_DEBTOR_NAME = "Provincia di Sondrio - rete dei punti vendita"
    SEPA_DEBTOR_IBAN = None
    SEPA_DEBTOR_BIC = None
    #: the seasons that count as tourist seasons in the indicators
    TOURIST_SEASONS = ["winter", "summer"]
    #: the open-data export hides cells built from fewer producers than this
    OPEN_DATA_MIN_PRODUCERS = 3
    #: above this many rows a report file is made by a worker (POST /exports), not in the request
    EXPORT_SYNC_MAX_ROWS = 20_000
    #: the monthly report pack: who gets it and through which SMTP server
    REPORT_PACK_TO: list[str] = []
    REPORT_PACK_FROM = "reports@selling-places.invalid"
    REPORT_PACK_LANGUAGE = "it"
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 25
    SMTP_STARTTLS = False
    SMTP_USER = None
    SMTP_PASSWORD = None
    SMTP_TIMEOUT_SECONDS = 30
