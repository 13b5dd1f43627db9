"""Fault 8: a bounded chaos run, for the tests and on demand (`python -m tests.faults.chaos --minutes N`).

Several shops post sales, refunds and restocks through the HTTP API, as tills do: a write whose
response is lost is sent again with the same id. Meanwhile a chaos thread SIGKILLs and restarts
every kind of process (APIs, relays, consumers, Celery workers, beat) and restarts the private
Redis. At the end the network is left to become quiet and the invariant checker compares what
was accepted with what every service holds.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import redis
import requests
import sqlalchemy as sa

from deploy.invariants import Report, check
from deploy.network import PrivateRedis
from tests.e2e.flows import register_shop, restock, wait_until_quiet
from tests.support.network import Network

#: a write is accepted once one of these comes back (200: the same id was already recorded)
ACCEPTED = (200, 201)
#: worth sending again with the same id: the service is restarting, or its answer was lost
RETRYABLE = (401, 429, 500, 502, 503, 504)
#: the APIs the tills write to
WRITE_PATH = ("sales-api", "inventory-api")


def kind_of(name: str) -> str | None:
    """The kind of a process of the network by its name (None for those the chaos leaves alone)."""
    for suffix, kind in (
        ("-api", "api"),
        ("-relay", "relay"),
        ("-consumer", "consumer"),
        ("-worker", "worker"),
        ("-beat", "beat"),
    ):
        if suffix in name:
            return kind
    return None


def kill_tree(pid: int) -> None:
    """SIGKILL a process and every process under it (gunicorn and Celery fork workers)."""
    children: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children") as file:
                    found = [int(child) for child in file.read().split()]
                children += found
                stack += found
        except OSError:
            continue
    for target in [pid, *children]:
        try:
            os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Client:
    """HTTP calls of one till: its own session, tokens refreshed when they expire."""

    def __init__(self, network: Network):
        self.network = network
        self.http = requests.Session()
        self.tokens: dict[str, str] = {}

    def _token(self, service: str) -> str:
        if service not in self.tokens:
            response = self.http.post(
                f"{self.network.url('identity')}/auth/token",
                json={"api_key": self.network.bootstrap_admin(), "audience": service},
                timeout=10,
            )
            response.raise_for_status()
            self.tokens[service] = response.json()["access_token"]
        return self.tokens[service]

    def post(self, service: str, path: str, body: dict) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._token(service)}"}
        response = self.http.post(f"{self.network.url(service)}{path}", json=body, headers=headers, timeout=10)
        if response.status_code == 401:
            self.tokens.pop(service, None)
        return response

    def close(self) -> None:
        self.http.close()


@dataclass
class Tally:
    """What the shops did: writes accepted (by kind, with their ids), retries, refusals."""

    accepted: Counter = field(default_factory=Counter)
    ids: dict[str, set] = field(default_factory=lambda: {"sale": set(), "refund": set(), "restock": set()})
    retries: int = 0
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, kind: str, id_: str) -> None:
        with self.lock:
            self.accepted[kind] += 1
            self.ids[kind].add(id_)


class Shop(threading.Thread):
    """A till posting sales, refunds and restocks until stopped.

    With `retry`, a write that found the service down or lost its answer is sent again with the
    same id until it is accepted; without, every write must be accepted the first time.
    """

    def __init__(self, network: Network, shop: dict, tally: Tally, *, retry: bool, seed: int, pause: float = 0.0):
        super().__init__(daemon=True, name=f"shop-{seed}")
        self.client = Client(network)
        self.shop = shop
        self.tally = tally
        self.retry = retry
        self.random = random.Random(seed)
        self.pause = pause
        self.stopping = threading.Event()
        self.receipts: list[str] = []

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                roll = self.random.random()
                if roll < 0.12:
                    self._restock()
                elif roll < 0.25 and self.receipts:
                    self._refund()
                else:
                    self._sell()
                if self.pause:
                    self.stopping.wait(self.pause)
        finally:
            self.client.close()

    def _send(self, kind: str, id_: str, service: str, path: str, body: dict) -> bool:
        delay = 0.1
        while True:
            try:
                response = self.client.post(service, path, body)
                status, text = response.status_code, response.text[:200]
            except requests.RequestException as error:
                status, text = None, repr(error)[:200]
            if status in ACCEPTED:
                self.tally.accept(kind, id_)
                return True
            if not self.retry or (status is not None and status not in RETRYABLE):
                with self.tally.lock:
                    self.tally.refused.append(f"{kind} {id_}: {status} {text}")
                return False
            with self.tally.lock:
                self.tally.retries += 1
            time.sleep(delay)  # the service is restarting: the till tries again, with the same id
            delay = min(delay * 2, 2.0)

    def _sell(self) -> None:
        receipt_id = str(uuid.uuid4())
        body = {
            "receipt_id": receipt_id,
            "selling_place_id": self.shop["place"]["id"],
            "till_id": self.name,
            "sold_at": datetime.now(timezone.utc).isoformat(),
            "payment_method": self.random.choice(("cash", "card")),
            "lines": [{"product_id": self.shop["product"]["id"], "quantity": str(self.random.randint(1, 3))}],
        }
        if self._send("sale", receipt_id, "sales", "/receipts", body):
            self.receipts.append(receipt_id)

    def _refund(self) -> None:
        receipt_id = self.receipts.pop(self.random.randrange(len(self.receipts)))  # each receipt refunded once at most
        refund_id = str(uuid.uuid4())
        body = {"refund_id": refund_id, "lines": [{"line_no": 1, "quantity": "1"}], "till_id": self.name}
        self._send("refund", refund_id, "sales", f"/receipts/{receipt_id}/refunds", body)

    def _restock(self) -> None:
        delivery_id = str(uuid.uuid4())
        body = {"delivery_id": delivery_id, "lines": [{"product_id": self.shop["product"]["id"], "quantity": "10"}]}
        self._send("restock", delivery_id, "inventory", f"/selling-places/{self.shop['place']['id']}/restocks", body)


class Chaos(threading.Thread):
    """SIGKILL a random process of a random kind, restart it shortly after; now and then restart Redis."""

    def __init__(
        self, network: Network, private_redis: PrivateRedis | None, *, seed: int, every: tuple[float, float] = (0.8, 2.5)
    ):
        super().__init__(daemon=True, name="chaos")
        self.network = network
        self.private_redis = private_redis
        self.random = random.Random(seed)
        self.every = every
        self.stopping = threading.Event()
        self.faults: Counter = Counter()
        #: the processes killed, by name
        self.killed: Counter = Counter()
        self.turns: dict[str, list[str]] = {}
        self.by_kind: dict[str, list[str]] = {}
        for name in network.commands:
            kind = kind_of(name)
            if kind:
                self.by_kind.setdefault(kind, []).append(name)
        if private_redis is not None:
            self.by_kind["redis"] = ["redis"]

    def run(self) -> None:
        kinds: list[str] = []
        while not self.stopping.wait(self.random.uniform(*self.every)):
            if not kinds:  # every kind once per round, in a random order
                kinds = sorted(self.by_kind)
                self.random.shuffle(kinds)
            kind = kinds.pop()
            if not self.turns.get(kind):  # each process of a kind in turn, in a random order
                names = list(self.by_kind[kind])
                self.random.shuffle(names)
                if kind == "api":  # the tills' own APIs first: every run resends writes whose answer was lost
                    names.sort(key=lambda name: name in WRITE_PATH)
                self.turns[kind] = names
            name = self.turns[kind].pop()
            down = self.random.uniform(0.2, 2.0)
            if kind == "redis":
                self.private_redis.stop()
                self.stopping.wait(down)
                self.private_redis.start()
            else:
                process = self.network.processes.get(name)
                if process is None or process.poll() is not None:
                    continue
                kill_tree(process.pid)
                process.wait()
                self.stopping.wait(down)
                self.network.start(name)
            self.faults[kind] += 1
            self.killed[name] += 1


@dataclass
class Outcome:
    """What a chaos run did and what the checker found."""

    seconds: float
    accepted: Counter
    faults: Counter
    killed: Counter
    retries: int
    refused: list[str]
    lost: list[str]
    report: Report

    @property
    def doubled(self) -> list[str]:
        return [
            str(d) for d in self.report.differences if "doubled" in d.kind or "extra" in d.kind or "more than once" in d.message
        ]

    @property
    def other_differences(self) -> list[str]:
        doubled = set(self.doubled)
        return [str(d) for d in self.report.differences if str(d) not in doubled]

    @property
    def ok(self) -> bool:
        return not (self.refused or self.lost or self.report.differences)

    def summary(self) -> str:
        operations = sum(self.accepted.values())
        faults = sum(self.faults.values())
        return "\n".join(
            [
                f"chaos run of {self.seconds:.0f}s",
                f"operations accepted by the API: {operations} ({', '.join(f'{k} {v}' for k, v in sorted(self.accepted.items()))}), "
                f"{self.retries} retries with the same id, {len(self.refused)} refused",
                f"faults injected: {faults} ({', '.join(f'{k} {v}' for k, v in sorted(self.faults.items()))})",
                f"  by process: {', '.join(f'{k} {v}' for k, v in sorted(self.killed.items()))}",
                f"checker: {self.report.summary()}",
                f"lost effects: {len(self.lost) + len(self.other_differences)}, doubled effects: {len(self.doubled)}",
                *[f"  refused: {line}" for line in self.refused[:20]],
                *[f"  lost: {line}" for line in self.lost[:20]],
                *[f"  difference: {line}" for line in [str(d) for d in self.report.differences][:50]],
            ]
        )


def _stored(network: Network) -> dict[str, set]:
    """The ids of every receipt, refund and delivery the oracle databases hold."""
    found = {}
    for kind, service, query in (
        ("sale", "sales", "SELECT id FROM receipt"),
        ("refund", "sales", "SELECT id FROM refund"),
        ("restock", "inventory", "SELECT id FROM stock_document WHERE kind = 'delivery'"),
    ):
        engine = sa.create_engine(network.settings.database_urls[service], poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                found[kind] = {str(row[0]) for row in connection.execute(sa.text(query))}
        finally:
            engine.dispose()
    return found


def run(network: Network, private_redis: PrivateRedis, *, seconds: float, shops: int = 3, seed: int | None = None) -> Outcome:
    """Start the network on `private_redis`, post from `shops` tills under chaos for `seconds`, check."""
    seed = random.randrange(1 << 30) if seed is None else seed
    print(f"chaos seed {seed}", flush=True)
    network.start()
    network.wait_ready(timeout=180)
    places = []
    for _ in range(shops):
        shop = register_shop(network, threshold="15")
        restock(network, shop, "30")  # sales outrun restocks: shelves run low, out, and below zero
        places.append(shop)
    tally = Tally()
    tills = [Shop(network, shop, tally, retry=True, seed=seed + n) for n, shop in enumerate(places)]
    chaos = Chaos(network, private_redis, seed=seed)
    started = time.monotonic()
    for till in tills:
        till.start()
    chaos.start()
    time.sleep(seconds)
    chaos.stopping.set()
    chaos.join()
    if private_redis.process is None:
        private_redis.start()
    network.start()  # whatever the chaos left down, so that the tills' last writes get through
    for till in tills:
        till.stopping.set()
    for till in tills:
        till.join(timeout=180)
    elapsed = time.monotonic() - started
    stuck = [f"{till.name} still retrying a write after 180s" for till in tills if till.is_alive()]
    network.wait_ready(timeout=180)
    network._tokens.clear()  # a long run outlives the administrator's first tokens
    client = redis.Redis.from_url(private_redis.url, decode_responses=True)
    try:
        wait_until_quiet(network, client, network.settings.prefix, timeout=180)
    finally:
        client.close()
    stored = _stored(network)
    lost = [f"{kind} {id_} accepted but not stored" for kind, ids in tally.ids.items() for id_ in sorted(ids - stored[kind])]
    return Outcome(
        elapsed, tally.accepted, chaos.faults, chaos.killed, tally.retries, tally.refused + stuck, lost, check(network.settings)
    )


def main(argv: list[str] | None = None) -> int:
    """python -m tests.faults.chaos --minutes N: a chaos run on fresh databases and a private Redis."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--shops", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)

    from backbone.auth import generate_private_key_pem
    from tests.conftest import SERVICES, migrations_of
    from tests.support.infra import Infrastructure

    if not PrivateRedis.available():
        print("redis-server is needed for a chaos run", file=sys.stderr)
        return 2
    infra = Infrastructure()
    directory = Path(tempfile.mkdtemp(prefix="sp-chaos-"))
    private = PrivateRedis(directory / "redis").start()
    network = Network.build(
        redis_url=private.url,
        database_urls={service: infra.database(service, migrations_of(service)) for service in SERVICES},
        prefix=f"chaos{uuid.uuid4().hex[:8]}:",
        tmp_path=directory,
        signing_key=generate_private_key_pem(),
    )
    try:
        outcome = run(network, private, seconds=args.minutes * 60, shops=args.shops, seed=args.seed)
        print(outcome.summary())
        print(f"logs: {network.log_dir}")
        return 0 if outcome.ok else 1
    finally:
        network.close()
        private.stop()
        infra.close()


if __name__ == "__main__":
    sys.exit(main())
