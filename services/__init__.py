"""The four services of the network; each owns its data and talks to the others only through events."""
