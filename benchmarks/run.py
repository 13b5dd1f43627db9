"""Run every benchmark and print its table: `make bench` (python -m benchmarks.run)."""

import sys

from benchmarks import pipeline, sales_batch

BENCHMARKS = {"pipeline": pipeline.main, "sales_batch": sales_batch.main}


def main() -> int:
    failed = []
    for name, run in BENCHMARKS.items():
        print(f"\n== {name} ==")
        if run() != 0:
            failed.append(name)
    print(
        f"\n{len(BENCHMARKS) - len(failed)} of {len(BENCHMARKS)} benchmarks met their targets"
        + (f"; missed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
