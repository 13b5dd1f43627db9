"""A real HTTP server that receives webhooks in a test, verifies their signature, and can fail on cue."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """Listens on 127.0.0.1; each POST is verified (HMAC-SHA256 over "<timestamp>.<body>") and kept."""

    def __init__(self, secret: str, *, fail_first: int = 0, max_age_seconds: int = 300):
        self.secret = secret
        self.fail_first = fail_first
        self.max_age_seconds = max_age_seconds
        self.received: list[dict] = []
        self.rejected: list[str] = []
        self.attempts = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver._receive(self.headers, body)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _receive(self, headers, body: bytes) -> int:
        with self._lock:
            self.attempts += 1
            if self.attempts <= self.fail_first:
                return 503
            timestamp = headers.get("X-SP-Timestamp", "")
            expected = "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, headers.get("X-SP-Signature", "")):
                self.rejected.append("bad signature")
                return 401
            if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.max_age_seconds:
                self.rejected.append("stale timestamp")
                return 401
            self.received.append({"delivery_id": headers.get("X-SP-Delivery"), **json.loads(body)})
            return 204

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
