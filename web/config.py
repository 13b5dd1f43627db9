"""The web app's settings: defaults, overridden by `WEB_<NAME>` in the environment."""

#: the services the pages call, by the name used in /api/<service>/...
SERVICES = ("inventory", "sales", "notifications", "reporting", "identity")


class Defaults:
    INVENTORY_URL = "http://127.0.0.1:5001"
    SALES_URL = "http://127.0.0.1:5002"
    NOTIFICATIONS_URL = "http://127.0.0.1:5003"
    REPORTING_URL = "http://127.0.0.1:5004"
    IDENTITY_URL = "http://127.0.0.1:5005"
    #: seconds to connect to a service, and to wait for its answer (a year's report takes a while)
    PROXY_CONNECT_TIMEOUT_SECONDS = 3.0
    PROXY_READ_TIMEOUT_SECONDS = 60.0
    #: the largest body passed on: a till's offline batch of 1,000 receipts fits, the services cap their own
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    LOG_LEVEL = "INFO"
    #: static files are revalidated on every load; the till's service worker keeps its own copy for offline use
    SEND_FILE_MAX_AGE_DEFAULT = 0
