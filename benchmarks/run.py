"""Run every benchmark, print one table and write benchmarks/results/latest.json: `make bench`.

`python -m benchmarks.run pipeline sales_batch` runs only those.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback

from benchmarks.common import Result, print_table, write_json

#: module names under benchmarks/, in the order they run; each exposes run() -> list[Result]
BENCHMARKS = [
    "pipeline",
    "sales_batch",
    "sales_http",
    "memory",
    "reports",
    "end_to_end",
]


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    results: list[Result] = []
    started = time.monotonic()
    for name in names:
        print(f"== {name} ...", flush=True)
        began = time.monotonic()
        try:
            found = importlib.import_module(f"benchmarks.{name}").run()
        except Exception as error:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            traceback.print_exc()
            found = [Result(name, "did not finish", float("nan"), "", target="runs", passed=False, note=repr(error))]
        print(f"   {name}: {time.monotonic() - began:.0f} s", flush=True)
        results.extend(found)
    print()
    print_table(results)
    path = write_json(results)
    missed = [f"{r.benchmark}: {r.name}" for r in results if r.passed is False]
    print(f"\n{len(results)} figures in {time.monotonic() - started:.0f} s; written to {path}")
    print("every target met" if not missed else f"{len(missed)} target(s) missed:\n  " + "\n  ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
