"""Portal benchmark: server-side time per page type at about a million triples.

    .venv/bin/python bench/portal_benchmark.py            # 20,000 initiatives ≈ 1 M triples
    .venv/bin/python bench/portal_benchmark.py --n 2000   # a quick run

Generates synthetic initiatives with ``bench/generate.py``, loads them with the bundled data
through ``loaders.load`` (which builds the browsing and text indexes, as every load does;
SHACL validation is skipped here, it is measured by the loader benchmark), then requests every
page type many times through the WSGI app in this process and reports p50, p95 and max of the
server-side time. Two comparisons in the same run, as ratios:

* depth: the last page of the full list (by page number and by keyset cursor) against page 1 —
  a ratio near 1 means no page gets slower deeper into the list;
* peer: the precomputed facet counts and list page against the SPARQL that computes the same
  answer per request (the stored queries ``browse-facet`` and ``browse-initiatives``).

The app runs with the page cache off (``KIEMEN_PAGE_CACHE_MB=0``): the same URL is requested
many times, and what is measured is rendering a page, not reading it back from memory
(``bench/page_http_benchmark.py`` measures the cache). Results go to
``bench/out/portal_benchmark.json`` in the shared shape (``bench/common.py``; p95 against the
issue-18 budgets: 50 ms a page, 20 ms an API answer), from which ``bench/report.py`` makes the
README's performance table.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    describe_machine,
    figure,
    machine,
    print_figures,
    stop,
    write_json,
)
from core.config import Settings  # noqa: E402
from core.store import KiemenStore, solutions_to_rows  # noqa: E402
from loaders import bundled_sources, load  # noqa: E402
from loaders.base import Source  # noqa: E402
from portal import listing  # noqa: E402
from portal.app import create_app  # noqa: E402
from portal.resource import iri_for_path, page_path  # noqa: E402

OUT = REPO / "bench" / "out"
#: p95 budgets of issue 18 (item 4), in ms: every page type, and the JSON API.
PAGE_BUDGET_MS = 50.0
API_BUDGET_MS = 20.0
#: ``kiemen serve`` ready within this many seconds at 200,000 initiatives (issue 18, item 4).
SERVE_READY_S = 5.0
BASE = "https://w3id.org/kiemen/"  # the canonical base, as every deployment uses


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("kiemen_generate", REPO / "bench" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare(n: int, fresh: bool) -> tuple[Settings, dict[str, Any]]:
    """Generate and load the data once (kept in bench/out/portal-{n} for later runs)."""
    work = OUT / f"portal-{n}"
    store_path = work / "store"
    settings = Settings.from_env(store_path=store_path, base_uri=BASE)
    info: dict[str, Any] = {}
    kstore = KiemenStore(settings)
    if fresh or kstore.current_generation() is None:
        work.mkdir(parents=True, exist_ok=True)
        nt = work / "initiatives.nt"
        t0 = time.perf_counter()
        triples = _generator().write_nt(n, nt, BASE)
        info["generate_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        load(kstore, [*bundled_sources(), Source(str(nt), graph="synthetic")], validate=False)
        info["load_and_index_s"] = round(time.perf_counter() - t0, 1)
        info["synthetic_triples"] = triples
    rows = kstore.rows("stats-by-graph", {})
    info["triples"] = sum(int(r["count"]) for r in rows)
    return settings, info


def _rss_mb(pid: int) -> float | None:
    """Resident memory of a process, from /proc (None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def serve_ready(settings: Settings) -> dict[str, Any]:
    """``kiemen serve`` on this store: seconds from process start to ``/readyz`` 200, then to
    the first answers that open the indexes (facets, a search), and the server's resident
    memory (its own process, not the query workers) at each point."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = dict(os.environ)
    env.update(
        KIEMEN_STORE=str(settings.store_path),
        KIEMEN_BASE_URI=BASE,
        KIEMEN_PORT=str(port),
        KIEMEN_AUTO_DUMPS="0",
    )
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while _status(url + "/readyz") != 200:
            if proc.poll() is not None or time.perf_counter() - t0 > 300:
                raise SystemExit("kiemen serve did not become ready")
            time.sleep(0.05)
        ready = time.perf_counter() - t0
        rss_ready = _rss_mb(proc.pid)
        t1 = time.perf_counter()
        for path in ("/api/facets", "/api/initiatives", "/search?q=buurt"):
            assert _status(url + path) == 200, path
        first = time.perf_counter() - t1
        return {
            "ready_s": round(ready, 2),
            "first_index_answers_s": round(first, 2),
            "rss_mb_ready": rss_ready,
            "rss_mb_after_first_answers": _rss_mb(proc.pid),
        }
    finally:
        stop(proc, 20)


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def run(n: int, repeat: int, fresh: bool) -> dict[str, Any]:
    settings, info = prepare(n, fresh)
    served = serve_ready(settings)  # first, on its own: nothing else of this run competes
    print(
        f"kiemen serve: /readyz 200 after {served['ready_s']} s, first facet, list and search "
        f"answers {served['first_index_answers_s']} s later; resident "
        f"{served['rss_mb_ready']} MB, then {served['rss_mb_after_first_answers']} MB",
        flush=True,
    )
    app = create_app(dataclasses.replace(settings, page_cache_mb=0))  # render, not recall
    client = app.test_client()
    kstore = KiemenStore(settings)
    idx = listing.browse_index(kstore)
    if idx.contents is None:
        print(
            "note: this store's index predates the places' contents (the place page asks the "
            "store for them, as before); --fresh builds an index with them",
            flush=True,
        )
    size = settings.page_size
    last_page = -(-idx.size // size)
    first = client.get(f"/api/initiatives?_size={size}&page={last_page - 1}").get_json()
    deep_cursor = first["next"]
    facet = {
        k: idx.facets[k].tokens[int(idx.facets[k].counts.argmax())]
        for k in ("form", "theme", "municipality", "govrole")
    }
    three = f"form={facet['form']}&theme={facet['theme']}&govrole={facet['govrole']}"
    matches = client.get(f"/api/initiatives?{three}").get_json()["count"]
    deep = max(1, min(20, -(-matches // size)))  # page 20, or the last one when fewer

    def page_of(kind: str, k: int) -> str:
        iri = {
            "initiative": lambda: idx.items[(k * 7919) % idx.size],
            "actor": lambda: idx.facets["actor"].values[
                (k * 104729) % len(idx.facets["actor"].values)
            ],
            "place": lambda: idx.facets["spatial"].values[
                (k * 31) % len(idx.facets["spatial"].values)
            ],
            "concept": lambda: idx.facets["form"].values[k % len(idx.facets["form"].values)],
            "document": lambda: idx.facets["document"].values[
                k % len(idx.facets["document"].values)
            ],
        }[kind]()
        return "/page/" + str(page_path(settings, iri))

    words = [
        "buurt",
        "energie",
        "samen",
        "moestuin",
        "netwerk",
        "zorg",
        "dorp",
        "platfrom",
        "kracht",
    ]
    types: dict[str, Callable[[int], str]] = {
        "home": lambda k: "/",
        "browse page 1": lambda k: "/browse",
        "browse last page": lambda k: f"/browse?page={last_page}",
        "browse 2 facets": lambda k: (
            f"/browse?form={facet['form']}&municipality={facet['municipality']}"
        ),
        "browse 3 facets, deep": lambda k: f"/browse?{three}&page={deep}",
        "browse text + facet": lambda k: (
            f"/browse?q={words[k % len(words)]}&theme={facet['theme']}"
        ),
        "search": lambda k: f"/search?q={words[k % len(words)]}",
        "search, typo": lambda k: "/search?q=moestiun",
        "api list page 1": lambda k: "/api/initiatives",
        "api list keyset deep": lambda k: f"/api/initiatives?_next={deep_cursor}",
        "api facets": lambda k: f"/api/facets?form={facet['form']}",
        "api map": lambda k: f"/api/map?theme={facet['theme']}",
        "api network (form)": lambda k: f"/api/network?form={facet['form']}",
        "network page": lambda k: f"/network?form={facet['form']}",
        "initiative page": lambda k: page_of("initiative", k),
        "actor page": lambda k: page_of("actor", k),
        "concept page": lambda k: page_of("concept", k),
        "place page": lambda k: page_of("place", k),
        "document page": lambda k: page_of("document", k),
        "cite (BibTeX)": lambda k: "/cite/" + page_of("initiative", k)[len("/page/") :] + ".bib",
    }
    results: dict[str, dict[str, float]] = {}
    for name, url_of in types.items():
        for k in range(3):  # warm caches (index files, query plans)
            assert client.get(url_of(k)).status_code == 200, url_of(k)
        times = []
        for k in range(repeat):
            url = url_of(k)
            times.append(timed(lambda url=url: client.get(url)))
        times.sort()
        results[name] = {
            "p50": round(statistics.median(times), 2),
            "p95": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
            "max": round(times[-1], 2),
        }
        print(
            f"{name:28s} p50 {results[name]['p50']:8.2f} ms  p95 {results[name]['p95']:8.2f} ms",
            flush=True,
        )

    # Where a kind page's time goes: the generic description (portal.resource.describe, the
    # linked-data pages' part) and the kind's own context (portal.kinds, this portal's part).
    from portal import kinds
    from portal.resource import describe

    parts: dict[str, dict[str, float]] = {}
    for kind in ("initiative", "actor", "concept", "place", "document"):
        iris = [page_of(kind, k) for k in range(repeat)]
        provider = kinds.PROVIDERS[kind]
        steps: tuple[tuple[str, Callable[[str], Any]], ...] = (
            ("describe", lambda iri: describe(kstore, iri, "nl")),
            ("kind context", lambda iri, provider=provider: provider(kstore, iri, "nl")),
        )
        for label, fn in steps:
            times = []
            with app.test_request_context("/"):
                for path in iris:
                    iri = iri_for_path(settings, path[len("/page/") :])
                    fn(iri)
                    times.append(timed(lambda iri=iri, fn=fn: fn(iri)))
            times.sort()
            name = f"{kind}: {label}"
            parts[name] = {
                "p50": round(statistics.median(times), 2),
                "p95": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
            }
            print(f"{name:28s} p95 {parts[name]['p95']:8.2f} ms", flush=True)

    # Peer: the same answers computed per request in SPARQL.
    peer: dict[str, float] = {}
    text = listing.bind_many(settings, "browse-facet-form", {})
    peer["sparql facet counts (form)"] = round(
        timed(lambda: solutions_to_rows(kstore.query(text))), 1
    )
    text = listing.bind_many(settings, "browse-initiatives", {"lang": ["nl"]})
    peer["sparql list sorted by name"] = round(
        timed(lambda: solutions_to_rows(kstore.query(text))), 1
    )
    ratios = {
        "last page / page 1 (browse)": round(
            results["browse last page"]["p95"] / results["browse page 1"]["p95"], 2
        ),
        "keyset deep / page 1 (api)": round(
            results["api list keyset deep"]["p95"] / results["api list page 1"]["p95"], 2
        ),
        "sparql facet / api facets": round(
            peer["sparql facet counts (form)"] / results["api facets"]["p95"], 1
        ),
        "sparql list / api list": round(
            peer["sparql list sorted by name"] / results["api list page 1"]["p95"], 1
        ),
    }
    return {
        "n_initiatives": n,
        "indexed_initiatives": idx.size,
        "repeat": repeat,
        "three_facet_page": deep,
        **info,
        "pages_ms": results,
        "page_parts_ms": parts,
        "peer_ms": peer,
        "ratios": ratios,
        "serve": served,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Portal at {report['triples']:,} triples ({report['indexed_initiatives']:,} initiatives), "
        f"{report['repeat']} requests per page type, server-side time in the WSGI app:",
        "",
        "| page type | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for name, r in report["pages_ms"].items():
        lines.append(f"| {name} | {r['p50']} | {r['p95']} | {r['max']} |")
    lines += ["", "| part of a kind page | p50 ms | p95 ms |", "|---|---:|---:|"]
    for name, r in report["page_parts_ms"].items():
        lines.append(f"| {name} | {r['p50']} | {r['p95']} |")
    lines += ["", "| comparison in the same run | ratio |", "|---|---:|"]
    for name, v in report["ratios"].items():
        lines.append(f"| {name} | {v} |")
    return "\n".join(lines)


def figures(report: dict[str, Any]) -> list[dict[str, Any]]:
    """p95 of every page type against its budget; depth and SPARQL peers as ratios."""
    out = []
    for name, r in report["pages_ms"].items():
        budget = API_BUDGET_MS if name.startswith("api ") else PAGE_BUDGET_MS
        out.append(
            figure(f"{name}, p95", r["p95"], "ms", better="lower", target=budget, target_of="value")
        )
    pages = report["pages_ms"]
    peers = (
        ("browse last page", "browse page 1", pages["browse page 1"]["p95"]),
        ("api list keyset deep", "api list page 1", pages["api list page 1"]["p95"]),
        ("api facets", "SPARQL facet counts", report["peer_ms"]["sparql facet counts (form)"]),
        (
            "api list page 1",
            "SPARQL list sorted by name",
            report["peer_ms"]["sparql list sorted by name"],
        ),
    )
    served = report.get("serve")
    if served:
        out.append(
            figure(
                "kiemen serve: process start to /readyz 200",
                served["ready_s"],
                "s",
                better="lower",
                target=SERVE_READY_S,
                target_of="value",
            )
        )
        out.append(
            figure(
                "kiemen serve: first facet, list and search answers after ready",
                served["first_index_answers_s"],
                "s",
                better="lower",
            )
        )
        if served.get("rss_mb_after_first_answers") is not None:
            out.append(
                figure(
                    "kiemen serve: resident memory after those answers (server process)",
                    served["rss_mb_after_first_answers"],
                    "MB",
                    better="lower",
                )
            )
    for name, peer, peer_ms in peers:
        out.append(
            figure(
                f"{name} against {peer}, p95",
                pages[name]["p95"],
                "ms",
                better="lower",
                peer=peer,
                peer_value=peer_ms,
            )
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="initiatives (≈50 triples each)")
    parser.add_argument("--repeat", type=int, default=60, help="requests per page type")
    parser.add_argument("--fresh", action="store_true", help="generate and load again")
    args = parser.parse_args(argv)
    info = machine()
    print(f"machine: {describe_machine(info)}", flush=True)
    report = run(args.n, args.repeat, args.fresh)
    found = figures(report)
    print()
    print(markdown(report))
    print()
    print_figures(found)
    write_json(
        "portal_benchmark",
        found,
        title=(
            f"Portal pages, server time in the WSGI app ({report['triples']:,} triples, "
            f"{report['indexed_initiatives']:,} initiatives; page cache off)"
        ),
        machine_info=info,
        details=report,
    )
    slow = {k: v["p95"] for k, v in report["pages_ms"].items() if v["p95"] > 50}
    if slow:
        print(f"\np95 above 50 ms: {slow}")


if __name__ == "__main__":
    main()
