"""The channels a message goes out on: e-mail (SMTP), SMS (an HTTP gateway), signed webhooks, Telegram.

Each sender returns only once the channel confirmed the message, and raises ChannelError
otherwise; ChannelUnavailable means this service is not set up for the channel, so retrying
cannot help. Settings are the service's config (NOTIFICATIONS_SMTP_HOST and so on).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import requests


class ChannelError(Exception):
    """The channel did not confirm the message."""


class ChannelUnavailable(ChannelError):
    """The channel is not configured on this service."""


@dataclass(frozen=True)
class Outgoing:
    """One message to send: where, what, and the structured payload a webhook receives."""

    delivery_id: str
    channel: str
    target: str
    subject: str
    text: str
    payload: dict


def send(message: Outgoing, settings: Mapping) -> None:
    """Send `message` on its channel; returns once the channel confirmed it."""
    SENDERS[message.channel](message, settings)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature: HMAC-SHA256 of "<timestamp>.<body>", hex, prefixed "sha256="."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_email(message: Outgoing, settings: Mapping) -> None:
    """Send an e-mail through the configured SMTP server (STARTTLS and login when configured)."""
    host = settings.get("SMTP_HOST")
    if not host:
        raise ChannelUnavailable("e-mail is not configured on this service (NOTIFICATIONS_SMTP_HOST)")
    sender = settings["SMTP_FROM"]
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.target
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    # one Message-ID per delivery: a mail system that sees it twice can tell it is the same message
    email["Message-ID"] = f"<{message.delivery_id}@{sender.rpartition('@')[2] or 'selling-places'}>"
    email.set_content(message.text)
    try:
        with smtplib.SMTP(host, int(settings["SMTP_PORT"]), timeout=settings["SEND_TIMEOUT_SECONDS"]) as smtp:
            if settings["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if settings.get("SMTP_USERNAME"):
                smtp.login(settings["SMTP_USERNAME"], settings.get("SMTP_PASSWORD") or "")
            smtp.send_message(email)
    except (smtplib.SMTPException, OSError) as error:
        raise ChannelError(f"SMTP: {error!r}") from error


def send_sms(message: Outgoing, settings: Mapping) -> None:
    """Send an SMS through the configured HTTP gateway; a 2xx answer is its confirmation."""
    url = settings.get("SMS_GATEWAY_URL")
    if not url:
        raise ChannelUnavailable("SMS is not configured on this service (NOTIFICATIONS_SMS_GATEWAY_URL)")
    username = settings.get("SMS_GATEWAY_USERNAME")
    auth = (username, settings.get("SMS_GATEWAY_PASSWORD") or "") if username else None
    body = {"to": message.target, "from": settings["SMS_SENDER"], "text": message.text, "reference": message.delivery_id}
    try:
        response = requests.post(
            url,
            json=body,
            auth=auth,
            timeout=settings["SEND_TIMEOUT_SECONDS"],
            # gateways that honour it drop a second copy whose confirmation we never got
            headers={"Idempotency-Key": message.delivery_id},
        )
        response.raise_for_status()
    except requests.RequestException as error:
        raise ChannelError(f"SMS gateway: {error}") from error


def send_telegram(message: Outgoing, settings: Mapping) -> None:
    """Send a message through a Telegram-bot-compatible API (sendMessage); `ok: true` confirms it."""
    token = settings.get("TELEGRAM_BOT_TOKEN")
    if not token:
        raise ChannelUnavailable("Telegram is not configured on this service (NOTIFICATIONS_TELEGRAM_BOT_TOKEN)")
    url = f"{settings['TELEGRAM_API_URL'].rstrip('/')}/bot{token}/sendMessage"
    try:
        response = requests.post(
            url, json={"chat_id": message.target, "text": message.text}, timeout=settings["SEND_TIMEOUT_SECONDS"]
        )
        answer = response.json() if response.content else {}
        if not response.ok or answer.get("ok") is not True:
            raise ChannelError(f"Telegram: {response.status_code} {answer.get('description', '')}".strip())
    except (requests.RequestException, ValueError) as error:
        # the URL carries the bot's token: never let it reach a stored error
        raise ChannelError(f"Telegram: {str(error).replace(token, '<token>')}") from None


def send_webhook(message: Outgoing, settings: Mapping) -> None:
    """POST the payload as JSON, signed (HMAC-SHA256 over timestamp and body) so the receiver can refuse replays."""
    body = json.dumps({"delivery_id": message.delivery_id, **message.payload}).encode()
    timestamp = str(int(time.time()))
    try:
        response = requests.post(
            message.target,
            data=body,
            timeout=settings["SEND_TIMEOUT_SECONDS"],
            headers={
                "Content-Type": "application/json",
                "X-SP-Delivery": message.delivery_id,
                "X-SP-Timestamp": timestamp,
                "X-SP-Signature": sign(settings["WEBHOOK_SECRET"], timestamp, body),
            },
        )
        response.raise_for_status()
    except requests.RequestException as error:
        raise ChannelError(f"webhook: {error}") from error


SENDERS = {"email": send_email, "sms": send_sms, "telegram": send_telegram, "webhook": send_webhook}
