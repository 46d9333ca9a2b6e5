"""Page HTTP benchmark: warm initiative pages through ``kiemen serve``, with and without cache.

    .venv/bin/python bench/page_http_benchmark.py               # 6,000 initiatives ≈ 370 k triples
    .venv/bin/python bench/page_http_benchmark.py --n 2000 --seconds 3   # a quick run

The store is the portal benchmark's (``bench/portal_benchmark.py``'s ``prepare``: synthetic
initiatives and the bundled data, indexes built). Two ``kiemen serve`` processes run on it: the
peer with ``KIEMEN_PAGE_CACHE_MB=0`` (every page rendered per request) and one with the page
cache as configured by default. Client processes (1, 4 and 16; each its own loopback address
and one keep-alive connection) cycle through the same initiative pages, all requested once
before timing (warm). The two servers are measured in interleaved rounds, one at a time, and the
median round counts. Every answer is checked: status 200, and ``X-Kiemen-Cache: hit`` from the
cached server (absent from the peer), so the ratio compares what it claims to.
Target (issue 18 item 5): ≥ 5× the uncached rate with 4 clients.
Writes ``bench/out/page_http_benchmark.json`` (shape: ``bench/common.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    describe_machine,
    figure,
    format_figure,
    machine,
    stop,
    write_json,
)
from bench.portal_benchmark import BASE, prepare  # noqa: E402
from core.config import Settings  # noqa: E402
from core.store import KiemenStore  # noqa: E402
from portal import listing  # noqa: E402
from portal.resource import page_path  # noqa: E402

#: The installed command (the same one an operator runs), next to this Python.
KIEMEN = Path(sys.executable).with_name("kiemen")
TARGET = 5.0
TARGET_CLIENTS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(store: Path, log: Path, **env: str) -> Iterator[int]:
    """``kiemen serve`` on a free loopback port; stopped (by its own pid) on leaving."""
    port = free_port()
    full = dict(os.environ)
    full.update(
        KIEMEN_STORE=str(store),
        KIEMEN_BASE_URI=BASE,
        KIEMEN_PORT=str(port),
        KIEMEN_AUTO_DUMPS="0",
        **env,
    )
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(KIEMEN), "serve", "--port", str(port)],
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"kiemen serve exited:\n{log.read_text()}")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("kiemen serve did not come up")
                time.sleep(0.2)
            yield port
        finally:
            stop(proc, 15)


def _client(
    port: int, source: str, paths: list[str], seconds: float, cached: bool, result: Any
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    done = errors = 0
    times: list[float] = []
    i = 0
    end = time.monotonic() + seconds
    started_all = time.monotonic()
    while time.monotonic() < end:
        path = paths[i % len(paths)]
        i += 1
        started = time.monotonic()
        conn.request("GET", path, headers={"Accept": "text/html", "Accept-Language": "nl"})
        response = conn.getresponse()
        body = response.read()
        times.append(time.monotonic() - started)
        verdict = response.getheader("X-Kiemen-Cache")
        if response.status != 200 or not body or (verdict == "hit") != cached:
            errors += 1
        done += 1
    result.put(
        {"done": done, "errors": errors, "times": times, "elapsed": time.monotonic() - started_all}
    )


def measure(
    port: int, clients: int, paths: list[str], seconds: float, cached: bool
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    result = ctx.Queue()
    procs = []
    for c in range(clients):
        offset = (len(paths) // clients) * c
        rotated = paths[offset:] + paths[:offset]
        procs.append(
            ctx.Process(
                target=_client,
                args=(port, f"127.0.0.{10 + c}", rotated, seconds, cached, result),
            )
        )
    for p in procs:
        p.start()
    outs = [result.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    times = sorted(t for o in outs for t in o["times"])
    return {
        "rps": sum(o["done"] / o["elapsed"] for o in outs),
        "requests": sum(o["done"] for o in outs),
        "errors": sum(o["errors"] for o in outs),
        "p50_ms": 1000 * times[len(times) // 2] if times else None,
        "p95_ms": 1000 * times[max(0, int(len(times) * 0.95) - 1)] if times else None,
    }


def initiative_paths(store: Path, count: int) -> list[str]:
    settings = Settings.from_env(store_path=store, base_uri=BASE)
    idx = listing.browse_index(KiemenStore(settings))
    step = max(1, idx.size // count)
    return ["/page/" + str(page_path(settings, idx.items[k])) for k in range(0, idx.size, step)][
        :count
    ]


def warm(port: int, paths: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(2):
        for path in paths:
            conn.request("GET", path, headers={"Accept": "text/html", "Accept-Language": "nl"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=6000, help="synthetic initiatives")
    parser.add_argument("--pages", type=int, default=20, help="distinct initiative pages")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and server")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per figure")
    parser.add_argument("--fresh", action="store_true", help="generate and load again")
    args = parser.parse_args(argv)
    info = machine()
    print(f"machine: {describe_machine(info)}", flush=True)

    settings, data = prepare(args.n, args.fresh)
    store = Path(settings.store_path)
    paths = initiative_paths(store, args.pages)
    print(f"{data['triples']:,} triples; {len(paths)} initiative pages", flush=True)
    logs = store.parent
    counts = [int(c) for c in args.clients.split(",")]
    rounds: dict[tuple[int, str], list[dict[str, Any]]] = {}
    with (
        serve(store, logs / "serve-uncached.log", KIEMEN_PAGE_CACHE_MB="0") as plain,
        serve(store, logs / "serve-cached.log") as cached,
    ):
        warm(plain, paths)
        warm(cached, paths)
        for clients in counts:
            for r in range(args.rounds):
                # alternate which server goes first, so neither always gets the quieter half
                order = [("uncached", plain), ("cached", cached)]
                for name, port in order if r % 2 == 0 else order[::-1]:
                    got = measure(port, clients, paths, args.seconds, name == "cached")
                    rounds.setdefault((clients, name), []).append(got)
                    print(
                        f"  {clients:2d} clients, {name:8s} round {r + 1}: {got['rps']:8.1f} req/s"
                        f"  p95 {got['p95_ms']:.1f} ms  errors {got['errors']}",
                        flush=True,
                    )

    figures = []
    details: dict[str, Any] = {"triples": data["triples"], "pages": len(paths), "runs": {}}
    for clients in counts:
        med = {}
        for name in ("uncached", "cached"):
            runs = rounds[(clients, name)]
            med[name] = statistics.median(x["rps"] for x in runs)
            details["runs"][f"{clients} {name}"] = runs
            if any(x["errors"] for x in runs):
                raise SystemExit(f"{clients} clients, {name}: answers were wrong; no figures")
        figures.append(
            figure(
                f"initiative page through HTTP, {clients} client{'s' if clients > 1 else ''}",
                round(med["cached"], 1),
                "req/s",
                peer="same server, KIEMEN_PAGE_CACHE_MB=0",
                peer_value=round(med["uncached"], 1),
                target=TARGET if clients == TARGET_CLIENTS else None,
            )
        )
    print()
    for f in figures:
        print("  " + format_figure(f))
    path = write_json(
        "page_http_benchmark",
        figures,
        title=f"Pages from cache: warm initiative pages through HTTP ({data['triples']:,} triples)",
        machine_info=info,
        details=details,
    )
    print(f"\nwritten: {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
