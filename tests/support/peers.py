"""Real peers for the notification channels, started in a test: an SMTP server, an SMS gateway, a Telegram bot API.

Each listens on 127.0.0.1, keeps what it received with the moment it arrived, and the HTTP ones
can fail a number of times first, like a gateway that is briefly down.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from deploy.network import free_port


class SmtpServer:
    """aiosmtpd on a free port: every message it accepts is kept, parsed."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        #: when each message arrived (time.time())
        self.arrived: list[float] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.arrived.append(time.time())
        return "250 Message accepted for delivery"

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class _HttpPeer:
    """A threaded HTTP server that answers POSTs through `answer(path, headers, body)`."""

    def __init__(self, *, fail_first: int = 0):
        self.fail_first = fail_first
        self.attempts = 0
        self.received: list[dict] = []
        self._lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with peer._lock:
                    peer.attempts += 1
                    if peer.attempts <= peer.fail_first:
                        status, answer = 503, {"error": "try again later"}
                    else:
                        status, answer = peer.answer(self.path, self.headers, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, headers, body: bytes) -> tuple[int, dict]:
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmsGateway(_HttpPeer):
    """An SMS gateway: POST /sms with HTTP basic auth and {"to", "from", "text", "reference"}."""

    def __init__(self, *, username: str, password: str, fail_first: int = 0):
        super().__init__(fail_first=fail_first)
        self.expected_auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    @property
    def url(self) -> str:
        return f"{self.base_url}/sms"

    def answer(self, path, headers, body):
        if path != "/sms" or headers.get("Authorization") != self.expected_auth:
            return 401, {"error": "unauthorised"}
        message = json.loads(body)
        self.received.append({**message, "idempotency_key": headers.get("Idempotency-Key"), "at": time.time()})
        return 202, {"id": f"sms-{len(self.received)}", "status": "queued"}


class TelegramBot(_HttpPeer):
    """A Telegram-bot-compatible API: POST /bot<token>/sendMessage answers {"ok": true} for the right token."""

    def __init__(self, token: str, *, fail_first: int = 0):
        super().__init__(fail_first=fail_first)
        self.token = token

    def answer(self, path, headers, body):
        if path != f"/bot{self.token}/sendMessage":
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        message = json.loads(body)
        self.received.append({**message, "at": time.time()})
        return 200, {"ok": True, "result": {"message_id": len(self.received), "chat": {"id": message["chat_id"]}}}
