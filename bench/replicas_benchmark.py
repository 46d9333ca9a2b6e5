"""Replicas benchmark: requests per second through nginx with 1 and with 2 ``kiemen serve``.

    .venv/bin/python bench/replicas_benchmark.py                 # 3 rounds of 10 s, 8 clients
    .venv/bin/python bench/replicas_benchmark.py --rounds 5 --clients 4

Loads the bundled data into a temporary store once, then for 1 and for 2 read-only replicas
(``KIEMEN_READ_ONLY=1``) behind Debian's nginx (an ``upstream`` of them) runs the same mixed
workload from ``--clients`` threads, in alternating rounds: an entity page, a SPARQL query
through the worker pool, the browse list and a data document, in turn. Reports requests/s,
p50 and p95 (the median round of each) and the ratio 2 vs 1. The peers run in the same run
on the same machine, so the ratio is what the second process adds there (on 2 cores, shared
with the clients and nginx, expect well under 2).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WORK = [
    "/page/initiative/lokaal-natuurbeheer",
    "/sparql?query=SELECT%20%3Fi%20WHERE%20%7B%20%3Fi%20a%20km%3AInitiative%20%7D%20LIMIT%2050",
    "/browse",
    "/data/initiative/lokaal-natuurbeheer.ttl",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


@contextlib.contextmanager
def replicas(store: Path, n: int) -> Iterator[list[int]]:
    env = dict(
        os.environ,
        KIEMEN_STORE=str(store),
        KIEMEN_READ_ONLY="1",
        KIEMEN_MAX_CONCURRENT="64",
        KIEMEN_TRUSTED_PROXIES="127.0.0.1",
    )
    ports = [free_port() for _ in range(n)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(p)],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    try:
        for p in ports:
            wait(f"http://127.0.0.1:{p}/healthz")
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)


@contextlib.contextmanager
def nginx(workdir: Path, upstreams: list[int]) -> Iterator[int]:
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    servers = "".join(f"server 127.0.0.1:{p};" for p in upstreams)
    (workdir / "nginx.conf").write_text(
        f"""daemon off; master_process off; worker_processes 1; pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn; events {{ worker_connections 1024; }}
http {{ access_log off; client_body_temp_path {workdir}; proxy_temp_path {workdir};
  upstream kiemen {{ {servers} keepalive 32; }}
  server {{ listen 127.0.0.1:{port};
    location / {{ proxy_pass http://kiemen; proxy_http_version 1.1;
      proxy_set_header Connection ""; proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffer_size 32k; proxy_buffers 8 32k; }} }} }}
"""
    )
    proc = subprocess.Popen([NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf")])
    try:
        wait(f"http://127.0.0.1:{port}/healthz")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def hammer(base: str, clients: int, seconds: float) -> dict[str, float]:
    times: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        nonlocal failures
        session = requests.Session()
        i = n
        while time.monotonic() < stop:
            started = time.monotonic()
            ok = session.get(base + WORK[i % len(WORK)], timeout=60).status_code == 200
            took = time.monotonic() - started
            i += 1
            with lock:
                times.append(took)
                failures += not ok

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    return {
        "requests_per_s": len(times) / seconds,
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * times[int(0.95 * (len(times) - 1))],
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        subprocess.run(
            [sys.executable, "-m", "cli", "load"],
            env=dict(os.environ, KIEMEN_STORE=str(store)),
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        # Both setups run side by side, measured in alternating rounds (1, 2, 1, 2, ...), so a
        # change in the machine's other load hits both alike; the median round is reported.
        rounds: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        with contextlib.ExitStack() as stack:
            bases = {}
            for n in (1, 2):
                ports = stack.enter_context(replicas(store, n))
                port = stack.enter_context(nginx(Path(tmp) / f"nginx{n}", ports))
                bases[n] = f"http://127.0.0.1:{port}"
                hammer(bases[n], args.clients, 3)  # warm: workers started, caches filled
            for _ in range(args.rounds):
                for n in (1, 2):
                    rounds[n].append(hammer(bases[n], args.clients, args.seconds))
        results = {
            n: sorted(rs, key=lambda r: r["requests_per_s"])[len(rs) // 2]
            for n, rs in rounds.items()
        }
        for n, rs in rounds.items():
            per_round = [round(r["requests_per_s"]) for r in rs]
            print(f"{n} replica(s), requests/s per round: {per_round}")
        print(f"| replicas | requests/s | p50 ms | p95 ms | failures |  ({args.clients} clients)")
        print("|---|---|---|---|---|")
        for n, r in results.items():
            print(
                f"| {n} | {r['requests_per_s']:.0f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} "
                f"| {r['failures']:.0f} |"
            )
        ratio = results[2]["requests_per_s"] / results[1]["requests_per_s"]
        print(f"2 replicas vs 1: {ratio:.2f}x requests/s")


if __name__ == "__main__":
    main()
