"""Reporting: stores every sale as facts and builds the aggregates the province pulls."""
