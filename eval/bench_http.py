"""The benchmark over HTTP: `werkmatch serve` in its own process, cold shortlists by N clients.

A cold HTTP query is a vacancy that did not exist a moment ago: it is POSTed (by an account
manager; the POST itself is timed on its own), then its shortlist is asked once (by a
matchmaker), so the server encodes its text for the query. Each level of concurrency gets
its own fresh vacancies, every one asked exactly once, from a shared queue; warm-up requests
come first and are not counted. With a second checkout, both servers run on the same data
directory and get the same vacancy texts (under their own ids), alternately, level by level.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from matching.directory import User
from matching.geo import geography
from matching.store import Store

REPO = Path(__file__).resolve().parents[1]
LEVELS = (1, 4, 16, 50)
WARMUP = 5  # requests of each kind per server before anything is counted
Fresh = Callable[[int, str], list[dict]]  # n vacancy bodies, ids ending in the suffix


@functools.cache
def tls() -> ssl.SSLContext:
    """One verifying TLS context for every client: each new one reads the CA bundle (~20 ms
    of CPU), which 50 clients per level and a poll every half second add up."""
    return httpx.create_ssl_context()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (a server's worker processes), in
    MB (Linux; memory they share is counted once per process)."""
    total = 0.0
    for p in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text().splitlines()
        except FileNotFoundError:  # ended meanwhile
            continue
        total += sum(int(x.split()[1]) / 1024 for x in status if x.startswith("VmRSS:"))
    return total if total else float("nan")


def descendants(pid: int) -> list[int]:
    """Pids of a process's children, their children, ... (Linux)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return []
    children = [int(c) for t in tasks for c in _read(t / "children").split()]
    return children + [d for c in children for d in descendants(c)]


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the benchmark dies, so none is left running."""
    with suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


START_ATTEMPTS = 3  # a port found free can be taken before the server binds it


@contextmanager
def serving(
    home: Path,
    model_dir: Path,
    tracking_uri: str | None,
    checkout: Path = REPO,
    workers: int = 1,
) -> Iterator[tuple[str, int, float]]:
    """`python -m api.cli serve` of `checkout` (default: this one) on a data directory, in
    its own process (`workers` > 1: that many server processes), as in production. The
    embedder is the one the directory serves; with `tracking_uri` the server loads that
    MLflow store's champion ranker. Yields (URL, server pid, seconds until /health
    answered). A server that could not bind its port (another process took it after it was
    found free) is started again on another one."""
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "WERKMATCH_HOME": str(home),
        "WERKMATCH_MODEL_DIR": str(model_dir),
        "WERKMATCH_FOLLOW_EMBEDDER_CHAMPION": "false",
    }
    if tracking_uri:
        env["WERKMATCH_MLFLOW_URI"] = tracking_uri
    started = time.monotonic()
    for attempt in range(1, START_ATTEMPTS + 1):
        port = _free_port()
        cmd = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--workers", str(workers)] if workers > 1 else []
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(
                cmd,
                cwd=checkout,
                env=env,
                preexec_fn=_die_with_parent,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
            try:
                _wait_healthy(url, proc, started + 900, err)
                _wait_started(workers, proc, started + 900, err)
                break
            except PortTaken:
                _stop(proc)
                if attempt == START_ATTEMPTS:
                    raise RuntimeError(
                        f"werkmatch serve found no free port in {attempt} tries"
                    ) from None
            except BaseException:
                _stop(proc)
                raise
    try:
        yield url, proc.pid, time.monotonic() - started
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop a server; if it does not stop within a minute, kill it and its workers (they
    would otherwise keep the port and their memory)."""
    workers = descendants(proc.pid)
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        for pid in workers:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class PortTaken(RuntimeError):
    """The server exited because its port was in use."""


def _wait_healthy(url: str, proc: subprocess.Popen, deadline: float, err) -> None:
    """Until /health answers; `err` is the server's stderr, read when it exits early."""
    while True:
        if proc.poll() is not None:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            if any("address already in use" in line.lower() for line in tail):
                raise PortTaken(url)
            raise RuntimeError(f"werkmatch serve exited during start-up: {' | '.join(tail)}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=5, verify=tls()).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError("werkmatch serve did not start in 900 s")
        time.sleep(0.5)


STARTED = b"Application startup complete"  # uvicorn's line when a worker serves


def _wait_started(workers: int, proc: subprocess.Popen, deadline: float, err) -> None:
    """With several workers, /health answers once the first serves: wait until every one
    has said so on stderr, so that no level is measured while workers are still loading."""
    if workers < 2:
        return
    fd = err.fileno()
    while True:  # pread: the server's processes write through the same file offset
        if os.pread(fd, os.fstat(fd).st_size, 0).count(STARTED) >= workers:
            return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"not all {workers} workers of werkmatch serve started")
        time.sleep(0.5)


def staff_keys(store: Store, prefix: str) -> dict[str, str]:
    """API keys of a matchmaker and an account manager serving every region, by role."""
    regions = tuple(sorted(set(geography().region_codes.tolist())))
    keys = {}
    for role in ("matchmaker", "accountmanager"):
        user = User(f"{prefix}-{role}", f"{prefix} {role}", role, None, regions)
        store.directory.put_user(user)
        keys[role] = store.ledger.create_key(role, prefix, user.user_id).key
    return keys


def client(url: str, key: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}", "X-Purpose": "benchmark"}
    return httpx.Client(base_url=url, headers=headers, timeout=300, verify=tls())


def post_all(url: str, key: str, bodies: list[dict]) -> list[float]:
    """POST each vacancy, one after the other; latencies in ms."""
    out = []
    with client(url, key) as c:
        for body in bodies:
            start = time.perf_counter()
            c.post("/v1/vacancies", json=body).raise_for_status()
            out.append((time.perf_counter() - start) * 1000)
    return out


def shortlists(
    url: str, key: str, ids: list[str], clients: int, k: int = 20
) -> tuple[list[float], float]:
    """Each vacancy's shortlist asked once by `clients` concurrent clients taking the next id
    from one queue; returns latencies (ms) and the wall-clock seconds of the whole batch."""
    queue, lock, latencies = iter(ids), threading.Lock(), []
    errors: list[BaseException] = []

    def work(c: httpx.Client) -> None:
        while not errors:
            with lock:
                vid = next(queue, None)
            if vid is None:
                return
            start = time.perf_counter()
            try:
                c.get(f"/v1/vacancies/{vid}/shortlist", params={"k": k}).raise_for_status()
            except httpx.HTTPError as e:
                errors.append(e)
                return
            with lock:
                latencies.append((time.perf_counter() - start) * 1000)

    with ExitStack() as stack:
        pool = [stack.enter_context(client(url, key)) for _ in range(clients)]
        threads = [threading.Thread(target=work, args=(c,)) for c in pool]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"shortlist over HTTP failed: {errors[0]}")
    return latencies, wall


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


@dataclass
class Served:
    """One running server and what was measured on it."""

    name: str  # "this" or "other"
    url: str
    pid: int
    figures: dict[str, float]
    posts: list[float] = field(default_factory=list)


def _warm_up(s: Served, keys: dict[str, str], fresh: Fresh, warm_ids: list[str]) -> None:
    """Uncounted: a few cold (POST then shortlist) and warm requests."""
    bodies = fresh(WARMUP, f"-w{s.name[0]}")
    post_all(s.url, keys["accountmanager"], bodies)
    shortlists(s.url, keys["matchmaker"], [b["id"] for b in bodies], 1)
    shortlists(s.url, keys["matchmaker"], warm_ids[:WARMUP], 1)


def _level(s: Served, keys: dict[str, str], bodies: list[dict], clients: int) -> None:
    post = post_all(s.url, keys["accountmanager"], bodies)
    lat, wall = shortlists(s.url, keys["matchmaker"], [b["id"] for b in bodies], clients)
    s.posts += post
    s.figures[f"http_p50_ms_{clients}_clients"] = _pct(lat, 50)
    s.figures[f"http_p99_ms_{clients}_clients"] = _pct(lat, 99)
    s.figures[f"http_rps_{clients}_clients"] = len(lat) / wall


def measure(
    servers: list[Served],
    keys: dict[str, str],
    fresh: Fresh,
    warm_ids: list[str],
    n: int,
    levels: tuple[int, ...] = LEVELS,
) -> None:
    """Warm shortlists by one client, then cold ones at each level of concurrency: every
    server gets the same vacancy texts, the servers taking turns to go first."""
    for s in servers:
        _warm_up(s, keys, fresh, warm_ids)
        lat, _ = shortlists(s.url, keys["matchmaker"], warm_ids, 1)
        s.figures |= {"http_p50_ms": _pct(lat, 50), "http_p99_ms": _pct(lat, 99)}
    for i, clients in enumerate(levels):
        batch = fresh(n, f"-c{clients}")
        order = servers if i % 2 == 0 else servers[::-1]
        for s in order:
            suffix = "" if len(servers) == 1 else f"-{s.name[0]}"
            _level(s, keys, [{**b, "id": b["id"] + suffix} for b in batch], clients)
    for s in servers:
        s.figures["http_post_p50_ms"] = _pct(s.posts, 50)
        s.figures["http_post_p99_ms"] = _pct(s.posts, 99)
        s.figures["server_rss_mb"] = rss_mb(s.pid)


def _commit(checkout: Path) -> str:
    run = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(checkout), "status", "--porcelain"], capture_output=True, text=True
    ).stdout.strip()
    return (run.stdout.strip() or "unknown") + ("+changes" if dirty else "")


def http_figures(
    home: Path,
    model_dir: Path,
    tracking_uri: str | None,
    keys: dict[str, str],
    fresh: Fresh,
    warm_ids: list[str],
    n: int,
    compare: Path | None = None,
    compare_tracking_uri: str | None = None,
    levels: tuple[int, ...] = LEVELS,
    workers: int = 1,
) -> dict[str, object]:
    """Every HTTP figure of this checkout's server (`workers` processes); with `compare`, the
    other checkout's server (one process, its ranker from `compare_tracking_uri`, default
    the same store) measured in the same run on the same data and texts, and the ratios
    other/this."""
    with ExitStack() as stack:
        servers: list[Served] = []
        for name, checkout, uri, processes in (
            ("this", REPO, tracking_uri, workers),
            ("other", compare, compare_tracking_uri or tracking_uri, 1),
        ):
            if checkout is None:
                continue
            started = serving(home, model_dir, uri, checkout, processes)
            url, pid, start_s = stack.enter_context(started)
            figures = {"server_start_s": start_s, "server_workers": float(processes)}
            servers.append(Served(name, url, pid, figures))
        measure(servers, keys, fresh, warm_ids, n, levels)
    out: dict[str, object] = dict(servers[0].figures)
    if compare is not None:
        this, other = servers[0].figures, servers[1].figures
        out["compare"] = {
            "checkout": str(compare),
            "commit": _commit(compare),
            "this_commit": _commit(REPO),
            "other": other,
            "ratio": {
                k: other[k] / this[k]
                for k in this
                if k in other and this[k] and k != "server_workers"
            },
        }
    return out
