"""Seed the demo network through the APIs: `python -m deploy.seed` (URLs from <SERVICE>_URL)."""

import os
import sys
import time

import requests

from deploy import demo
from deploy.network import DEFAULT_PORTS, SERVICES


def main() -> int:
    urls = {s: os.environ.get(f"{s.upper()}_URL", f"http://127.0.0.1:{DEFAULT_PORTS[s]}") for s in SERVICES}
    deadline = time.monotonic() + 180
    for service, url in urls.items():
        while True:
            try:
                if requests.get(f"{url}/health/ready", timeout=3).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                print(f"{service} at {url} is not ready", file=sys.stderr)
                return 1
            time.sleep(1)
    api_key = os.environ.get("SP_API_KEY")
    if not api_key:
        print("set SP_API_KEY to an administrator key (flask --app services.identity.app keys create-admin)", file=sys.stderr)
        return 2
    print("demo network seeded" if demo.seed(urls, api_key) else "demo network already there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
