"""Inventory: the network's catalogue (villages, selling places, producers, products) and the stock
on every shelf, kept as a ledger; publishes catalogue and stock events, consumes sales."""
