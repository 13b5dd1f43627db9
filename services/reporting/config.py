"""Reporting's settings; each can be overridden by REPORTING_<NAME> in the environment."""


class Config:
    RECOMPUTE_BATCH = 500
    #: the beat backstop: dirty keys are recomputed at least this often even if a nudge was lost
    RECOMPUTE_EVERY_SECONDS = 10.0
    #: tourist seasons by calendar month; consecutive months of one name make a season
    SEASONS = {"winter": [12, 1, 2, 3], "summer": [6, 7, 8, 9], "shoulder": [4, 5, 10, 11]}
