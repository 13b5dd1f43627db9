"""The event contract of the network: every event type, the stream it travels on, who listens.

Streams are families of events, one per producing domain. Each subscribing service reads a stream
through its own consumer group; the groups are declared here, so that whoever touches a stream
first creates every group from the stream's very first entry and no service ever misses an event
because it was deployed late.
"""

from backbone.contract import catalogue, sales, stock  # noqa: F401  (registers the event types)

CATALOGUE = "catalogue"
STOCK = "stock"
SALES = "sales"

#: stream family -> the services that consume it (one consumer group each)
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    CATALOGUE: ("sales", "notifications", "reporting"),
    STOCK: ("notifications", "reporting"),
    SALES: ("inventory", "notifications", "reporting"),
}


def streams_read_by(service: str) -> tuple[str, ...]:
    """The stream families `service` consumes, in a fixed order (catalogue first)."""
    return tuple(stream for stream, groups in SUBSCRIPTIONS.items() if service in groups)


def groups_of(stream: str) -> tuple[str, ...]:
    """The consumer groups that must exist on `stream`."""
    return SUBSCRIPTIONS.get(stream, ())
