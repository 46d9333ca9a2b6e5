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

Results go to ``bench/out/portal_benchmark.json`` and are printed as a Markdown table for the
README's "Performance" section ("Portal" part).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.config import Settings  # noqa: E402
from core.store import KiemenStore, solutions_to_rows  # noqa: E402
from loaders import bundled_sources, load  # noqa: E402
from loaders.base import Source  # noqa: E402
from portal import listing  # noqa: E402
from portal.app import create_app  # noqa: E402
from portal.resource import iri_for_path, page_path  # noqa: E402

OUT = REPO / "bench" / "out"
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


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def run(n: int, repeat: int, fresh: bool) -> dict[str, Any]:
    settings, info = prepare(n, fresh)
    app = create_app(settings)
    client = app.test_client()
    kstore = KiemenStore(settings)
    idx = listing.browse_index(kstore)
    size = settings.page_size
    last_page = -(-idx.size // size)
    first = client.get(f"/api/initiatives?_size={size}&page={last_page - 1}").get_json()
    deep_cursor = first["next"]
    facet = {
        k: idx.facets[k].tokens[int(idx.facets[k].counts.argmax())]
        for k in ("form", "theme", "municipality", "govrole")
    }

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
        "browse 3 facets, deep": lambda k: (
            f"/browse?form={facet['form']}&theme={facet['theme']}&govrole={facet['govrole']}&page=20"
        ),
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
        **info,
        "pages_ms": results,
        "page_parts_ms": parts,
        "peer_ms": peer,
        "ratios": ratios,
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="initiatives (≈50 triples each)")
    parser.add_argument("--repeat", type=int, default=60, help="requests per page type")
    parser.add_argument("--fresh", action="store_true", help="generate and load again")
    args = parser.parse_args(argv)
    report = run(args.n, args.repeat, args.fresh)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "portal_benchmark.json").write_text(json.dumps(report, indent=2))
    print()
    print(markdown(report))
    slow = {k: v["p95"] for k, v in report["pages_ms"].items() if v["p95"] > 50}
    if slow:
        print(f"\np95 above 50 ms: {slow}")


if __name__ == "__main__":
    main()
