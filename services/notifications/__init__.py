"""Notifications: tells the producer who owns the goods when they run low, on the producer's channels."""
