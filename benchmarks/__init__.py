"""Benchmarks: each measures a figure and, in the same run, the baseline it is compared with."""
