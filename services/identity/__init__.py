"""Identity: API keys per principal (stored hashed), exchanged for short-lived signed tokens."""
