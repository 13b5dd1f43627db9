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
    #: how often held deliveries (quiet hours) are released and lost ones queued again
    SWEEP_EVERY_SECONDS = 60.0

    #: e-mail: no host, no e-mail (such deliveries fail at once, visibly)
    SMTP_HOST = None
    SMTP_PORT = 25
    SMTP_STARTTLS = False
    SMTP_USERNAME = None
    SMTP_PASSWORD = None
    SMTP_FROM = "avvisi@selling-places.invalid"

    #: SMS: the gateway receives POST {"to", "from", "text", "reference"}, HTTP basic auth if a username is set
    SMS_GATEWAY_URL = None
    SMS_GATEWAY_USERNAME = None
    SMS_GATEWAY_PASSWORD = None
    SMS_SENDER = "SellingPlcs"

    #: Telegram: POST {TELEGRAM_API_URL}/bot{TELEGRAM_BOT_TOKEN}/sendMessage
    TELEGRAM_API_URL = "https://api.telegram.org"
    TELEGRAM_BOT_TOKEN = None

    #: where producers live: their quiet hours and the digest's day are in this time zone
    TIMEZONE = "Europe/Rome"
    #: the daily digest covers yesterday and goes out from this hour (local time) on
    DIGEST_HOUR = 7
    #: how often beat asks for the digest (made once per day, whatever the number of asks or beats)
    DIGEST_CHECK_EVERY_SECONDS = 600.0
