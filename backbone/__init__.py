"""The backbone every service shares: the event contract, the outbox, the relay and the consumer.

A service imports from here and never from another service.
"""
