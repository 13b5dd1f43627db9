"""Bring every service's database (from <SERVICE>_DATABASE_URL) to its newest schema: `python -m deploy.migrate`."""

import os
import sys

from backbone.db import migrate
from deploy.network import ROOT, SERVICES


def main() -> int:
    missing = [f"{s.upper()}_DATABASE_URL" for s in SERVICES if not os.environ.get(f"{s.upper()}_DATABASE_URL")]
    if missing:
        print(f"set {', '.join(missing)}", file=sys.stderr)
        return 2
    for service in SERVICES:
        migrate(os.environ[f"{service.upper()}_DATABASE_URL"], ROOT / "services" / service / "migrations")
        print(f"{service}: migrated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
