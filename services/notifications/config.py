"""Notifications' settings; each can be overridden by NOTIFICATIONS_<NAME> in the environment."""


class Config:
    #: signs every webhook (HMAC-SHA256); set a real secret in production
    WEBHOOK_SECRET = "change-me"
    SEND_TIMEOUT_SECONDS = 10.0
    #: retries wait about 2, 4, 8 ... seconds (capped at 10 minutes), randomised so senders spread out
    SEND_RETRY_BACKOFF = 2
    SEND_RETRY_JITTER = True
    SEND_MAX_RETRIES = 6
    #: a pending delivery untouched for this long has lost its task and is queued again
    SWEEP_AFTER_SECONDS = 900
    SWEEP_EVERY_SECONDS = 60.0
