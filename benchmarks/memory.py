"""Memory: the whole network at idle, and each API worker after a load.

Targets (issue 9, item 6): the whole network (every process of deploy.network.process_commands,
started as `make run` starts it) under 1 GB at idle, counted as PSS (shared pages split among the
processes sharing them; RSS is shown too); each API process (gunicorn worker) under 80 MB RSS after
a load. The load: BENCH_MEMORY_SECONDS of 3-line receipts posted to sales with a clerk's token
(wrk), and the same time of GET /openapi.json on every other API (the largest answer each makes).
The baseline is one bare Python interpreter with nothing imported, for scale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

import redis

from benchmarks.common import REDIS_URL, SERVER, Result, at_most, drop_database, drop_prefix, scratch_prefix
from benchmarks.sales_http import children, need_wrk, rss_mb, script_args, wrk
from deploy.network import (
    DEFAULT_PORTS,
    ROOT,
    SERVICES,
    Settings,
    environment,
    free_port,
    migrate_all,
    postgres_database,
    process_commands,
    wait_ready,
)

SECONDS = int(os.environ.get("BENCH_MEMORY_SECONDS", 5))


def _kb(pid: int, path: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    found = [pid]
    for child in children(pid):
        found += tree(child)
    return found


def footprint(pids: list[int]) -> tuple[float, float]:
    """PSS and RSS of these processes together, in MB."""
    pss = sum(_kb(pid, "smaps_rollup", "Pss") for pid in pids) / 1024
    rss = sum(_kb(pid, "status", "VmRSS") for pid in pids) / 1024
    return pss, rss


def bare_interpreter_rss() -> float:
    """The RSS of a bare `python -c` on this machine, in MB: the floor every process starts from."""
    output = subprocess.run(
        [sys.executable, "-c", "import pathlib; print(pathlib.Path('/proc/self/status').read_text())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _settled(processes: dict[str, subprocess.Popen], timeout: float = 60.0) -> tuple[float, float]:
    """The network's PSS and RSS once it stops growing (every worker has finished starting)."""
    deadline = time.monotonic() + timeout
    previous = (0.0, 0.0)
    while True:
        pids = [pid for process in processes.values() for pid in tree(process.pid)]
        now = footprint(pids)
        if abs(now[0] - previous[0]) < 0.01 * now[0] or time.monotonic() > deadline:
            return now
        previous = now
        time.sleep(2)


def run() -> list[Result]:
    need_wrk()
    run_id = uuid.uuid4().hex[:8]
    names = {service: f"bench_{run_id}_net_{service}" for service in SERVICES}
    prefix = scratch_prefix()
    processes: dict[str, subprocess.Popen] = {}
    from backbone.auth import CLERK, Principal, TokenSigner, generate_private_key_pem

    with TemporaryDirectory(prefix="bench-memory-") as var_dir:
        key = generate_private_key_pem()
        settings = Settings(
            redis_url=REDIS_URL,
            database_urls={service: postgres_database(SERVER, name) for service, name in names.items()},
            var_dir=Path(var_dir),
            prefix=prefix,
            ports={name: free_port() for name in DEFAULT_PORTS},
            log_level="WARNING",
            signing_key=key,
        )
        try:
            migrate_all(settings)
            env = environment(settings)
            for name, command in process_commands(settings).items():
                processes[name] = subprocess.Popen(
                    command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            wait_ready(settings, processes, timeout=180.0)
            idle_pss, idle_rss = _settled(processes)
            idle_count = sum(len(tree(process.pid)) for process in processes.values())
            per_process = {name: round(footprint(tree(process.pid))[0], 1) for name, process in sorted(processes.items())}

            from benchmarks.sales_batch import _app, seed

            app = _app(settings.database_urls["sales"])
            place, products = seed(app)
            app.extensions["db"].dispose()
            token = TokenSigner(key).sign(Principal(key_id="bench-clerk", role=CLERK, selling_place_id=place), "sales")[0]
            wrk(settings.url("sales"), script_args(products, token, 0), seconds=SECONDS)
            for service in SERVICES:
                if service != "sales":
                    subprocess.run(
                        [need_wrk(), "-t1", "-c4", f"-d{SECONDS}s", f"{settings.url(service)}/openapi.json"],
                        capture_output=True,
                        check=True,
                    )
            workers = {
                f"{service}-api": [rss_mb(pid) for pid in children(processes[f"{service}-api"].pid)] for service in SERVICES
            }
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for name in names.values():
                drop_database(name)
            client = redis.Redis.from_url(REDIS_URL)
            drop_prefix(client, prefix)
            client.close()

    floor = bare_interpreter_rss()
    largest_name, largest = max(((name, max(rss)) for name, rss in workers.items()), key=lambda item: item[1])
    idle_note = f"{len(processes)} commands, {idle_count} processes; RSS {idle_rss:,.0f} MB"
    if idle_pss >= 1024:
        idle_note += f"; {idle_pss - 1024:,.0f} MB over"
    worker_note = f"largest: {largest_name}"
    if largest >= 80:
        worker_note += f"; {largest - 80:.0f} MB over"
    return [
        Result(
            "memory", "whole network at idle: PSS", idle_pss, "MB", floor, "bare python", "< 1 GB",
            at_most(idle_pss, 1024), idle_note, details={"pss_by_process": per_process, "rss": idle_rss},
        ),
        Result(
            "memory", "API worker RSS after a load (largest)", largest, "MB", floor, "bare python", "< 80 MB",
            at_most(largest, 80), worker_note, details={"rss_by_worker": workers},
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    from benchmarks.run import main

    sys.exit(main(["memory"]))
