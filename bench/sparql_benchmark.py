"""Queries per second through Kiemen's /sparql, against the Oxigraph server and direct pyoxigraph.

One run, same data, same query sequence for every target:

* **kiemen** — ``kiemen serve`` (waitress, worker processes, time limit, row cap, per-client
  limit, answer cache): the endpoint as the public meets it; the workload repeats its query
  texts, so most answers come from the per-generation answer cache (``KIEMEN_SPARQL_CACHE_MB``);
* **kiemen-fresh** — the same server, each query text made new by a trailing comment: every
  answer comes from a worker, so the cache hides nothing of the engine path;
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

A third part, **small**, is the smallest lookups a public endpoint mostly answers (one
entity's statements, an ASK, one label): there the fixed cost per request shows most.

Targets (issue 18, item 1), each the ratio kiemen / oxigraph in the same run: lookups >= 0.80
with 1 and with 4 clients, the mix >= 0.90, the small lookups >= 0.50. ``--baseline DIR`` also
serves another checkout's code (e.g. ``/work/main``) on the same store, interleaved with the
others, with kept answers and with every text new (``baseline-fresh``), so a change is measured
against what it replaces under the same load.

Writes bench/out/sparql_benchmark.json in the shared benchmark shape (schema 1: machine,
figures with peer, ratio, target and whether it was met, details).
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from bench.common import machine as common_machine  # noqa: E402
from bench.common import stop  # noqa: E402
from core.config import CANONICAL_BASE, Settings  # noqa: E402
from core.store import KiemenStore, graph_iri  # noqa: E402

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
ACCEPT = "application/sparql-results+json"
PARTS = ("portal", "lookup", "small")
FRESH = "kiemen-fresh"
BASELINE_FRESH = "baseline-fresh"
#: (part, client count or None for every count, least ratio kiemen / oxigraph)
TARGETS = (("lookup", None, 0.80), ("mix", None, 0.90), ("small", None, 0.50))


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
    # the smallest lookups: one entity's statements, an ASK, one label
    small = [
        "SELECT ?p ?o WHERE {{ <{ini}> ?p ?o }}",
        "ASK {{ <{ini}> skos:prefLabel ?label }}",
        "SELECT ?label WHERE {{ <{ini}> skos:prefLabel ?label }} LIMIT 1",
    ]
    for k in range(lookups):
        ini = f"{idn}initiative/synthetic-{rng.randrange(initiatives)}"
        out.append(("small", pre + small[k % len(small)].format(ini=ini)))
    return out


# -- clients -----------------------------------------------------------------------------------


def _fresh_client(
    target: str, source: str, queries: list[tuple[str, str]], seconds: float, result: Any
) -> None:
    """Like :func:`_http_client`, each query text made new by a comment (defeats answer caches)."""
    _http_client(target, source, queries, seconds, result, fresh=True)


def _http_client(
    target: str,
    source: str,
    queries: list[tuple[str, str]],
    seconds: float,
    result: Any,
    fresh: bool = False,
) -> None:
    url = urllib.parse.urlparse(target)
    conn = http.client.HTTPConnection(
        url.hostname or "127.0.0.1", url.port, timeout=120, source_address=(source, 0)
    )
    done = dict.fromkeys(PARTS, 0)
    spent = dict.fromkeys(PARTS, 0.0)
    errors = 0
    i = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kind, text = queries[i % len(queries)]
        i += 1
        if fresh:
            text += f"\n# {source} {i}"
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
    done = dict.fromkeys(PARTS, 0)
    spent = dict.fromkeys(PARTS, 0.0)
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
    done = {k: sum(o["done"][k] for o in outs) for k in PARTS}
    spent = {k: sum(o["spent"][k] for o in outs) for k in PARTS}
    total = sum(done.values())
    return {
        # each client's own rate over the time it really ran, summed
        "qps": sum(sum(o["done"].values()) / o["elapsed"] for o in outs),
        "queries": total,
        "errors": sum(o["errors"] for o in outs),
        "ms_per_portal_query": 1000 * spent["portal"] / max(1, done["portal"]),
        "ms_per_lookup": 1000 * spent["lookup"] / max(1, done["lookup"]),
        "ms_per_small": 1000 * spent["small"] / max(1, done["small"]),
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


def _figure(what: str, value: float, peer_value: float, target: float) -> dict[str, Any]:
    """One figure in the shared benchmark shape (schema 1); ratio and verdict computed here."""
    ratio = value / peer_value if peer_value else None
    return {
        "what": what,
        "value": round(value, 1),
        "unit": "q/s",
        "better": "higher",
        "peer": "Oxigraph server",
        "peer_value": round(peer_value, 1),
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "target_of": "ratio",
        "met": None if ratio is None else ratio >= target,
    }


def _serve_kiemen(checkout: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``kiemen serve`` of the code in ``checkout`` (its own modules first on the path).

    The command lives in the ``cli`` package; an older checkout has it as ``portal.cli``.
    """
    module = "cli" if (checkout / "cli" / "__main__.py").exists() else "portal.cli"
    return subprocess.Popen(
        [sys.executable, "-m", module, "serve", "--port", str(port)],
        env=dict(env, KIEMEN_PORT=str(port), PYTHONPATH=str(checkout)),
        cwd=checkout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--initiatives", type=int, default=4000, help="synthetic initiatives")
    parser.add_argument("--lookups", type=int, default=60, help="lookups in one pass of the mix")
    parser.add_argument("--seconds", type=float, default=8.0, help="per target and client count")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per figure")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="which parts to measure (portal,lookup,small)"
    )
    parser.add_argument(
        "--baseline", type=Path, help="another checkout to serve too (same store), for comparison"
    )
    parser.add_argument(
        "--baseline-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the baseline's server only (e.g. KIEMEN_HTTP_SERVER=waitress)",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "out" / "sparql_benchmark.json"
    )
    args = parser.parse_args(argv)
    machine = common_machine()

    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    root = REPO / "bench" / "out" / "sparql-bench" / "store"
    kstore = build_store(root, base, args.initiatives)
    gen = kstore.current_generation()
    assert gen is not None
    location = str(gen / "oxigraph")
    queries = workload(base, args.initiatives, args.lookups)
    wanted = [p for p in args.parts.split(",") if p]
    by_part = {p: [q for q in queries if q[0] == p] for p in wanted}
    print("mix: " + " + ".join(f"{len(v)} {k}" for k, v in by_part.items()), file=sys.stderr)

    # The same work for every target: no row cap (the Oxigraph server has none), generous time.
    env = dict(
        os.environ,
        KIEMEN_STORE=str(root),
        KIEMEN_BASE_URI=base,
        KIEMEN_MAX_ROWS="100000000",
        KIEMEN_QUERY_TIMEOUT="300",
        KIEMEN_AUTO_DUMPS="0",
    )
    servers = [_serve_kiemen(REPO, port, env)]
    targets: dict[str, tuple[Any, str]] = {
        "kiemen": (_http_client, f"http://127.0.0.1:{port}/sparql"),
        # the same server, every query text new: answers come from the workers, never the cache
        FRESH: (_fresh_client, f"http://127.0.0.1:{port}/sparql"),
    }
    if args.baseline:
        base_port = free_port()
        base_env = dict(env, **dict(kv.split("=", 1) for kv in args.baseline_env))
        servers.append(_serve_kiemen(args.baseline.resolve(), base_port, base_env))
        targets["baseline"] = (_http_client, f"http://127.0.0.1:{base_port}/sparql")
        targets[BASELINE_FRESH] = (_fresh_client, f"http://127.0.0.1:{base_port}/sparql")
    ox_port = free_port()
    servers.append(
        subprocess.Popen(
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
    )
    targets["oxigraph"] = (_http_client, f"http://127.0.0.1:{ox_port}/query")
    targets["direct"] = (_direct_client, location)
    details: dict[str, Any] = {
        "initiatives": args.initiatives,
        "triples": len(kstore.reader()),
        "seconds": args.seconds,
        "rounds": args.rounds,
        "mix": {k: len(v) for k, v in by_part.items()},
        "baseline": str(args.baseline) if args.baseline else None,
        "baseline_env": args.baseline_env,
        "results": {},
    }
    client_counts = [int(c) for c in args.clients.split(",")]
    try:
        serving = ["kiemen", *(["baseline"] if args.baseline else []), "oxigraph"]
        for proc, name in zip(servers, serving, strict=True):
            wait_for(targets[name][1], proc)
        for name, (fn, url) in targets.items():  # warm caches and the worker pools
            if name != "direct":
                measure(fn, url, 4, queries, 3.0)
        for clients in client_counts:
            # rounds interleave the targets, so that a passing load on the machine hits all alike
            runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for n_round in range(args.rounds):
                # each round its own order of the queries, the same for every target
                order = random.Random(n_round)
                parts = [(p, order.sample(items, len(items))) for p, items in by_part.items()]
                for part, items in parts:
                    for name, (fn, target) in targets.items():
                        r = measure(fn, target, clients, items, args.seconds / args.rounds)
                        runs.setdefault((name, part), []).append(r)
            for name in targets:
                row: dict[str, Any] = {}
                for part in by_part:
                    rs = runs[(name, part)]
                    row[part] = {
                        "qps": sum(r["qps"] for r in rs) / len(rs),
                        "queries": sum(r["queries"] for r in rs),
                        "errors": sum(r["errors"] for r in rs),
                    }
                if "portal" in row and "lookup" in row:
                    # one pass of the mix (every portal query once, every lookup once) takes
                    # n_portal / qps_portal + n_lookup / qps_lookup seconds
                    n_portal, n_lookup = len(by_part["portal"]), len(by_part["lookup"])
                    seconds_per_mix = (
                        n_portal / row["portal"]["qps"] + n_lookup / row["lookup"]["qps"]
                    )
                    row["mix_qps"] = (n_portal + n_lookup) / seconds_per_mix
                details["results"][f"{name}/{clients}"] = row
                print(
                    f"{name:9} {clients} client(s): "
                    + "   ".join(f"{p} {row[p]['qps']:7.1f} q/s" for p in by_part)
                    + (f"   mix {row['mix_qps']:7.1f} q/s" if "mix_qps" in row else "")
                    + f"   errors {sum(row[p]['errors'] for p in by_part)}",
                    flush=True,
                )
    finally:
        for proc in servers:
            stop(proc, 15)
    try:
        load_end = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load_end = []
    details["load_average_at_end"] = load_end
    names = [n for n in targets if n != "oxigraph"]
    print()
    print(f"{'clients':>7}  {'part':>7}  " + "  ".join(f"{n + ' q/s':>13}" for n in targets))

    def qps(name: str, clients: int, part: str) -> float | None:
        row = details["results"][f"{name}/{clients}"]
        if part == "mix":
            return row.get("mix_qps")
        return float(row[part]["qps"]) if part in row else None

    figures: list[dict[str, Any]] = []
    shown = [p for p in ("mix", *PARTS) if p in by_part or (p == "mix" and "portal" in by_part)]
    for clients in client_counts:
        for part in shown:
            values = {n: qps(n, clients, part) for n in targets}
            if any(v is None for v in values.values()):
                continue
            peer = values["oxigraph"] or 0.0
            cells = "  ".join(f"{values[n]:>13.1f}" for n in targets)
            ratios = "  ".join(
                f"{n}/oxigraph {(values[n] or 0.0) / peer:.0%}" for n in names if peer
            )
            print(f"{clients:>7}  {part:>7}  {cells}  {ratios}")
            for want, count, target in TARGETS:
                if want == part and (count is None or count == clients):
                    figures.append(
                        _figure(
                            f"/sparql {part}, {clients} client(s)",
                            values["kiemen"] or 0.0,
                            peer,
                            target,
                        )
                    )
                    figures.append(
                        _figure(
                            f"/sparql {part}, {clients} client(s), every text new (no cache)",
                            values[FRESH] or 0.0,
                            peer,
                            target,
                        )
                    )
    print()
    for f in figures:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[f["met"]]
        print(
            f"  {f['what']}: {f['value']:,.1f} q/s; Oxigraph server {f['peer_value']:,.1f} q/s; "
            f"ratio {f['ratio']:.2f} (target >= {f['target']:.2f}): {verdict}"
        )
    print(
        f"machine: {machine['cores']} cores, load average {machine['load_average_at_start']} "
        f"at start, {load_end} at end (other work on the machine skews every target alike only "
        "within a round)"
    )
    doc = {
        "schema": 1,
        "benchmark": "sparql_benchmark",
        "title": "Cheap SPARQL through /sparql against the Oxigraph server",
        "command": "python bench/sparql_benchmark.py " + " ".join(sys.argv[1:]),
        "finished": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "machine": machine,
        "figures": figures,
        "details": details,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
