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
