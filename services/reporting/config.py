"""Reporting's settings; each can be overridden by REPORTING_<NAME> in the environment."""


class Config:
    RECOMPUTE_BATCH = 500
    #: the beat backstop: dirty keys are recomputed at least this often even if a nudge was lost
    RECOMPUTE_EVERY_SECONDS = 10.0
