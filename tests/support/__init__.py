"""Helpers the tests share: real infrastructure, waiting on conditions, the network harness."""

import time


def wait_for(condition, *, timeout: float = 30.0, interval: float = 0.05, message: str = "condition"):
    """Poll `condition` until it returns a truthy value (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except AssertionError as error:  # a condition may assert to explain what it saw
            last_error = error
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}" + (f": {last_error}" if last_error else ""))
        time.sleep(interval)
