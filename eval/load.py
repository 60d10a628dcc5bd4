"""`werkmatch load-bench`: many clients at once against `werkmatch serve` on loopback.

Each client loops, until the time is up, over the three things users do most: a
matchmaker's shortlist, an account manager's fit check and a werkcoach's read of a profile,
each with its own key and scope (users made for the run: a matchmaker and an account manager
serving every region, a werkcoach with a caseload of sampled jobseekers). Reported: requests,
errors (any status but the expected 200), throughput and p50/p99 per operation.
Every loop is bounded in time and the server is ended when the run ends.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from eval.bench_http import serving, staff_keys, tls
from matching.config import Settings
from matching.directory import User
from matching.records import Kind
from matching.store import Store

OPERATIONS = ("shortlist", "fit_check", "read_profile")


@dataclass
class LoadResult:
    clients: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def summary(self) -> dict[str, object]:
        total = sum(len(v) for v in self.latencies.values())
        out: dict[str, object] = {
            "clients": self.clients,
            "seconds": round(self.seconds, 1),
            "requests": total,
            "errors": sum(self.errors.values()),
            "throughput_rps": round(total / self.seconds, 1),
        }
        for op, values in sorted(self.latencies.items()):
            out[f"{op}_p50_ms"] = round(float(np.percentile(values, 50)), 1)
            out[f"{op}_p99_ms"] = round(float(np.percentile(values, 99)), 1)
            out[f"{op}_errors"] = self.errors.get(op, 0)
        return out


def _staff(store: Store, seed: int) -> tuple[dict[str, str], list[str], list[str]]:
    """Keys of the run's users, the vacancies and the caseload they work on."""
    keys = staff_keys(store, "load")
    coach = User("load-werkcoach", "Load werkcoach", "werkcoach", "Load team", ())
    store.directory.put_user(coach)
    rng = random.Random(seed)
    people = rng.sample(store.ids(Kind.JOBSEEKERS), min(1000, store.count(Kind.JOBSEEKERS)))
    store.directory.assign(people, coach)
    keys["werkcoach"] = store.ledger.create_key("werkcoach", "load", coach.user_id).key
    return keys, store.ids(Kind.VACANCIES), people


def run_load(settings: Settings, clients: int = 50, seconds: float = 60.0, seed: int = 0):
    """Serve the data directory in its own process and load it; returns a LoadResult."""
    keys, vacancies, people = _staff(Store(settings.db_url), seed)
    result = LoadResult(clients, seconds)
    lock = threading.Lock()
    with serving(settings.home, settings.embedding_model_dir, settings.tracking_uri) as served:
        url = served[0]
        stop = time.monotonic() + seconds
        threads = [
            threading.Thread(
                target=_client, args=(url, keys, vacancies, people, stop, seed + i, result, lock)
            )
            for i in range(clients)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 120)
        result.seconds = time.monotonic() - started
    return result


def _client(url, keys, vacancies, people, stop, seed, result: LoadResult, lock) -> None:
    rng = random.Random(seed)
    clients = {
        role: httpx.Client(
            base_url=url,
            timeout=60,
            headers={"Authorization": f"Bearer {key}", "X-Purpose": "load benchmark"},
            verify=tls(),
        )
        for role, key in keys.items()
    }
    try:
        n = seed  # clients start on different operations, so each is measured from the start
        while time.monotonic() < stop:
            op = OPERATIONS[n % len(OPERATIONS)]
            n += 1
            vid, pid = rng.choice(vacancies), rng.choice(people)
            role, path = {
                "shortlist": ("matchmaker", f"/v1/vacancies/{vid}/shortlist"),
                "fit_check": ("accountmanager", f"/v1/vacancies/{vid}/fit/{pid}"),
                "read_profile": ("werkcoach", f"/v1/jobseekers/{pid}"),
            }[op]
            start = time.perf_counter()
            try:
                ok = clients[role].get(path).status_code == 200
            except httpx.HTTPError:
                ok = False
            ms = (time.perf_counter() - start) * 1000
            with lock:
                result.latencies[op].append(ms)
                if not ok:
                    result.errors[op] += 1
    finally:
        for c in clients.values():
            c.close()


def markdown(summary: dict[str, object], home: Path) -> str:
    lines = [
        f"Load on `werkmatch serve` ({home.name}): {summary['clients']} clients for "
        f"{summary['seconds']} s, {summary['requests']} requests, {summary['errors']} errors, "
        f"{summary['throughput_rps']} requests/s.",
        "",
        "| operation | p50 ms | p99 ms | errors |",
        "|---|---|---|---|",
    ]
    for op in OPERATIONS:
        if f"{op}_p50_ms" in summary:
            lines.append(
                f"| {op} | {summary[f'{op}_p50_ms']} | {summary[f'{op}_p99_ms']} "
                f"| {summary[f'{op}_errors']} |"
            )
    return "\n".join(lines) + "\n"
