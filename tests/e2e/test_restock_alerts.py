"""Restock alerts through the whole network: a sale in the shop reaches the producer on the producer's channels."""

from decimal import Decimal

from tests.e2e.flows import register_shop, restock, sell, wait_for_stock
from tests.support import wait_for
from tests.support.peers import SmtpServer
from tests.support.receiver import WebhookReceiver

SECRET = "change-me"  # the notifications service's default webhook secret


def test_a_producer_hears_of_low_stock_by_e_mail_and_webhook_in_english(make_network):
    with SmtpServer() as smtp, WebhookReceiver(SECRET) as receiver:
        network = make_network(service_settings={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port)})
        network.start()
        network.wait_ready()
        # given a shop whose producer the village office registered with a webhook only
        shop = register_shop(network, webhook_url=receiver.url, threshold="3")
        producer_id = shop["producer"]["id"]

        # ... and an operator who adds the producer's e-mail and English in notifications
        def preferences_set():
            response = network.request(
                "PATCH",
                "notifications",
                f"/producers/{producer_id}/preferences",
                json={"language": "en", "contacts": {"email": "miele@bianchi.example"}},
            )
            assert response.status_code == 200, response.text
            return response.json()

        body = wait_for(preferences_set, timeout=30, interval=0.3, message="notifications to know the producer")
        assert body["active_channels"] == ["email", "webhook"]

        # when the shop sells 3 of its 5 jars
        restock(network, shop, "5")
        sell(network, shop, "3")
        wait_for_stock(network, shop, Decimal("2"))

        # then one alert reaches the producer once on each channel
        def delivered():
            alerts = network.get("notifications", "/alerts", params={"producer_id": producer_id}).json()
            assert len(alerts) == 1 and [d["status"] for d in alerts[0]["deliveries"]] == ["sent", "sent"], alerts
            return alerts[0]

        alert = wait_for(delivered, timeout=60, interval=0.3, message="the alert on both channels")
    assert [d["channel"] for d in alert["deliveries"]] == ["email", "webhook"]
    assert len(smtp.messages) == 1 and len(receiver.received) == 1 and not receiver.rejected
    text = smtp.messages[0].get_content().strip()
    assert text.startswith("Low stock: Miele di castagno at Bottega di Dazio. 2 left") and "suggested delivery 4" in text
    assert receiver.received[0]["message"] == text
