"""Queries per second through Kiemen's /sparql, against the Oxigraph server and direct pyoxigraph.

One run, same data, same query sequence for every target:

* **kiemen** — ``kiemen serve`` (waitress, worker processes, time limit, row cap, per-client
  limit): the endpoint as the public meets it;
* **oxigraph** — ``oxigraph serve-read-only --union-default-graph`` (PyPI package ``oxigraph``)
  on the same published generation: the peer the target is measured against;
* **direct** — ``pyoxigraph.Store.read_only`` in the client process, results serialised to JSON:
  the floor of what any HTTP layer costs.

The mix: the portal's own stored queries (``queries/*.rq`` marked ``example: true``, parameters
unbound) and BSBM-like lookups (describe an initiative, its actors and roles, its facts, a label
lookup, a filtered list) on synthetic data from ``bench/generate.py``. Each client is its own
process with a keep-alive connection from its own loopback address (127.0.0.1x), so the
per-client limit sees distinct clients, as it would in production.

    .venv/bin/python bench/sparql_benchmark.py --initiatives 4000 --seconds 8

Prints queries/s per target with 1 and 4 clients and the ratio kiemen / oxigraph (target: at
least 0.70), and writes the figures to bench/out/sparql-benchmark.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import pyoxigraph as ox  # noqa: E402

from core.config import CANONICAL_BASE, Settings  # noqa: E402
from core.store import KiemenStore, graph_iri  # noqa: E402

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
ACCEPT = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- data --------------------------------------------------------------------------------------


def build_store(root: Path, base: str, initiatives: int) -> KiemenStore:
    """The bundled ontology and curated data plus synthetic initiatives, one generation."""
    import generate  # bench/generate.py

    shutil.rmtree(root, ignore_errors=True)
    settings = Settings.from_env(store_path=root, base_uri=base)
    kstore = KiemenStore(settings)
    nt = root.parent / f"synthetic-{initiatives}.nt"
    count = generate.write_nt(initiatives, nt, base)
    groups = {
        "ontology": [
            REPO / "ontology" / "kiemen.ttl",
            *sorted((REPO / "ontology" / "schemes").glob("*.ttl")),
        ],
        "curated": sorted((REPO / "data" / "curated").glob("*.ttl")),
    }
    with kstore.writing() as gen:
        gen.store.bulk_load(
            path=str(nt), format=ox.RdfFormat.N_TRIPLES, to_graph=graph_iri(settings, "synthetic")
        )
        for name, files in groups.items():
            for file in files:
                text = file.read_text(encoding="utf-8").replace(CANONICAL_BASE, base)
                try:
                    gen.store.bulk_load(
                        text.encode(),
                        format=ox.RdfFormat.TURTLE,
                        to_graph=graph_iri(settings, name),
                    )
                except SyntaxError as exc:
                    print(f"skipping {file.name}: {exc}", file=sys.stderr)
    print(f"store: {count} synthetic triples + bundled data at {root}", file=sys.stderr)
    return kstore


def workload(base: str, initiatives: int, lookups: int, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, query text) in a fixed order: every example query once, then the lookups."""
    from queries import catalogue

    out: list[tuple[str, str]] = []
    for q in catalogue().values():
        if q.example:
            text, _subs = q.bind({})
            out.append(("portal", text.replace(CANONICAL_BASE, base)))
    rng = random.Random(seed)
    km, idn = base + "def/", base + "id/"
    pre = (
        f"PREFIX km: <{km}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX prov: <http://www.w3.org/ns/prov#> "
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
    )
    templates = [
        "SELECT ?p ?o WHERE {{ <{ini}> ?p ?o }}",
        "SELECT ?actor ?label ?role WHERE {{ ?inv km:initiative <{ini}> ; km:actor ?actor ; "
        "km:hasRole ?role . ?actor skos:prefLabel ?label FILTER(lang(?label) = 'nl') }}",
        "SELECT ?fact ?measure ?value ?date WHERE {{ <{ini}> km:hasFact ?fact . "
        "?fact km:hasMeasure ?measure ; rdf:value ?value ; dcterms:date ?date }}",
        "SELECT ?i ?name WHERE {{ <{ini}> skos:prefLabel ?name . ?i skos:prefLabel ?name }}",
        "SELECT ?i ?label WHERE {{ ?i km:statedForm <{km}form/{form}> ; "
        "dcterms:subject <{km}theme/{theme}> ; skos:prefLabel ?label "
        "FILTER(lang(?label) = 'en') }} LIMIT 10",
        "SELECT ?place ?lat ?long WHERE {{ <{ini}> dcterms:spatial ?place . "
        "?place <http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?lat ; "
        "<http://www.w3.org/2003/01/geo/wgs84_pos#long> ?long }}",
    ]
    forms = ["crowdsourcing", "co-creation", "civic-initiative", "open-data", "sharing-economy"]
    themes = ["energy", "food", "care", "mobility", "housing", "nature"]
    for k in range(lookups):
        ini = f"{idn}initiative/synthetic-{rng.randrange(initiatives)}"
        text = templates[k % len(templates)].format(
            ini=ini, km=km, form=rng.choice(forms), theme=rng.choice(themes)
        )
        out.append(("lookup", pre + text))
    return out


# -- clients -----------------------------------------------------------------------------------


def _http_client(
    target: str, source: str, queries: list[tuple[str, str]], seconds: float, result: Any
) -> None:
    url = urllib.parse.urlparse(target)
    conn = http.client.HTTPConnection(
        url.hostname or "127.0.0.1", url.port, timeout=120, source_address=(source, 0)
    )
    done = {"portal": 0, "lookup": 0}
    spent = {"portal": 0.0, "lookup": 0.0}
    errors = 0
    i = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kind, text = queries[i % len(queries)]
        i += 1
        started = time.monotonic()
        conn.request(
            "POST",
            url.path,
            body=text.encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": ACCEPT},
        )
        response = conn.getresponse()
        response.read()
        if response.status != 200 or response.getheader("Kiemen-Truncated"):
            errors += 1
        done[kind] += 1
        spent[kind] += time.monotonic() - started
    result.put(
        {
            "done": done,
            "spent": spent,
            "errors": errors,
            "elapsed": seconds + max(0.0, time.monotonic() - end),
        }
    )


def _direct_client(
    location: str, _source: str, queries: list[tuple[str, str]], seconds: float, result: Any
) -> None:
    store = ox.Store.read_only(location)
    done = {"portal": 0, "lookup": 0}
    spent = {"portal": 0.0, "lookup": 0.0}
    i = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kind, text = queries[i % len(queries)]
        i += 1
        started = time.monotonic()
        res: Any = store.query(text, use_default_graph_as_union=True)
        res.serialize(format=ox.QueryResultsFormat.JSON)
        done[kind] += 1
        spent[kind] += time.monotonic() - started
    result.put(
        {
            "done": done,
            "spent": spent,
            "errors": 0,
            "elapsed": seconds + max(0.0, time.monotonic() - end),
        }
    )


def measure(
    fn: Any, target: str, clients: int, queries: list[tuple[str, str]], seconds: float
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    result = ctx.Queue()
    procs = []
    for c in range(clients):
        # each client starts at another point of the sequence, like independent users
        offset = (len(queries) // clients) * c
        rotated = queries[offset:] + queries[:offset]
        procs.append(
            ctx.Process(target=fn, args=(target, f"127.0.0.{10 + c}", rotated, seconds, result))
        )
    for p in procs:
        p.start()
    outs = [result.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    done = {k: sum(o["done"][k] for o in outs) for k in ("portal", "lookup")}
    spent = {k: sum(o["spent"][k] for o in outs) for k in ("portal", "lookup")}
    total = sum(done.values())
    return {
        # each client's own rate over the time it really ran, summed
        "qps": sum(sum(o["done"].values()) / o["elapsed"] for o in outs),
        "queries": total,
        "errors": sum(o["errors"] for o in outs),
        "ms_per_portal_query": 1000 * spent["portal"] / max(1, done["portal"]),
        "ms_per_lookup": 1000 * spent["lookup"] / max(1, done["lookup"]),
    }


# -- servers -----------------------------------------------------------------------------------


def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    parsed = urllib.parse.urlparse(url)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            host = parsed.hostname or "127.0.0.1"
            conn = http.client.HTTPConnection(host, parsed.port, timeout=5)
            conn.request("GET", parsed.path + "?query=ASK%7B%7D", headers={"Accept": ACCEPT})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--initiatives", type=int, default=4000, help="synthetic initiatives")
    parser.add_argument("--lookups", type=int, default=60, help="lookups in one pass of the mix")
    parser.add_argument("--seconds", type=float, default=8.0, help="per target and client count")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per figure")
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "out" / "sparql-benchmark.json"
    )
    args = parser.parse_args(argv)

    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    root = REPO / "bench" / "out" / "sparql-bench" / "store"
    kstore = build_store(root, base, args.initiatives)
    gen = kstore.current_generation()
    assert gen is not None
    location = str(gen / "oxigraph")
    queries = workload(base, args.initiatives, args.lookups)
    print(
        f"mix: {sum(1 for k, _ in queries if k == 'portal')} portal queries + "
        f"{sum(1 for k, _ in queries if k == 'lookup')} lookups",
        file=sys.stderr,
    )

    # The same work for every target: no row cap (the Oxigraph server has none), generous time.
    env = dict(
        os.environ,
        KIEMEN_STORE=str(root),
        KIEMEN_BASE_URI=base,
        KIEMEN_PORT=str(port),
        KIEMEN_MAX_ROWS="100000000",
        KIEMEN_QUERY_TIMEOUT="300",
    )
    kiemen = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ox_port = free_port()
    oxigraph = subprocess.Popen(
        [
            str(OXIGRAPH),
            "serve-read-only",
            "--location",
            location,
            "--bind",
            f"127.0.0.1:{ox_port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    targets = {
        "kiemen": (_http_client, f"http://127.0.0.1:{port}/sparql"),
        "oxigraph": (_http_client, f"http://127.0.0.1:{ox_port}/query"),
        "direct": (_direct_client, location),
    }
    portal = [q for q in queries if q[0] == "portal"]
    lookups = [q for q in queries if q[0] == "lookup"]
    figures: dict[str, Any] = {
        "initiatives": args.initiatives,
        "triples": len(kstore.reader()),
        "seconds": args.seconds,
        "mix": {"portal": len(portal), "lookup": len(lookups)},
        "cpus": os.cpu_count(),
        "results": {},
    }
    client_counts = [int(c) for c in args.clients.split(",")]
    try:
        wait_for(targets["kiemen"][1], kiemen)
        wait_for(targets["oxigraph"][1], oxigraph)
        for name in ("kiemen", "oxigraph"):  # warm caches and the worker pool
            measure(targets[name][0], targets[name][1], 4, queries, 3.0)
        for clients in client_counts:
            # rounds interleave the targets, so that a passing load on the machine hits all alike
            runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for n_round in range(args.rounds):
                # each round its own order of the queries, the same for every target
                order = random.Random(n_round)
                parts = [
                    (p, order.sample(items, len(items)))
                    for p, items in (("portal", portal), ("lookup", lookups))
                ]
                for name, (fn, target) in targets.items():
                    for part, items in parts:
                        r = measure(fn, target, clients, items, args.seconds / args.rounds)
                        runs.setdefault((name, part), []).append(r)
            for name in targets:
                row: dict[str, Any] = {}
                for part in ("portal", "lookup"):
                    rs = runs[(name, part)]
                    row[part] = {
                        "qps": sum(r["qps"] for r in rs) / len(rs),
                        "queries": sum(r["queries"] for r in rs),
                        "errors": sum(r["errors"] for r in rs),
                    }
                # one pass of the mix (every portal query once, every lookup once) takes
                # n_portal / qps_portal + n_lookup / qps_lookup seconds
                seconds_per_mix = (
                    len(portal) / row["portal"]["qps"] + len(lookups) / row["lookup"]["qps"]
                )
                row["mix_qps"] = (len(portal) + len(lookups)) / seconds_per_mix
                figures["results"][f"{name}/{clients}"] = row
                print(
                    f"{name:9} {clients} client(s): mix {row['mix_qps']:7.1f} q/s   portal "
                    f"{row['portal']['qps']:7.1f} q/s   lookups {row['lookup']['qps']:7.1f} q/s   "
                    f"errors {row['portal']['errors'] + row['lookup']['errors']}",
                    flush=True,
                )
    finally:
        for proc in (kiemen, oxigraph):
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    print()
    print(
        f"{'clients':>7}  {'part':>7}  {'kiemen q/s':>10}  {'oxigraph q/s':>12}  "
        f"{'direct q/s':>10}  {'kiemen/oxigraph':>15}"
    )
    ratios: dict[str, dict[int, float]] = {"mix": {}, "portal": {}, "lookup": {}}

    def qps(name: str, clients: int, part: str) -> float:
        row = figures["results"][f"{name}/{clients}"]
        return float(row["mix_qps"] if part == "mix" else row[part]["qps"])

    for clients in client_counts:
        for part in ("mix", "portal", "lookup"):
            k, o, d = (qps(n, clients, part) for n in ("kiemen", "oxigraph", "direct"))
            ratios[part][clients] = k / o if o else 0.0
            print(
                f"{clients:>7}  {part:>7}  {k:>10.1f}  {o:>12.1f}  {d:>10.1f}  "
                f"{ratios[part][clients]:>14.0%}"
            )
    figures["ratio_kiemen_over_oxigraph"] = ratios
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))
    verdict = all(r >= 0.70 for r in ratios["mix"].values())
    print(
        f"target (mix >= 70% of the Oxigraph server with every client count): "
        f"{'met' if verdict else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
