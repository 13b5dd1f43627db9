"""Running the network: the process table, the local launcher, and the demo data."""
