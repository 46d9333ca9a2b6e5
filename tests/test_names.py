"""Names for everything (issue #17 item 10): unnamed nodes titled in words, a concept's scheme
beside its label where two schemes share the label, and a visible legend for inferred forms."""

from __future__ import annotations

import re
from typing import Any

import pytest

from portal import resource, titles

KINDS = ("involvement", "fact", "uncertainty", "channel")


def _nodes(kstore: Any, kind: str) -> list[str]:
    cls = kstore.settings.def_ns + kind.capitalize()
    return sorted({r["s"] for r in kstore.rows("typed-subjects", {}) if r["type"] == cls})


@pytest.mark.parametrize("kind", KINDS)
def test_every_unnamed_node_has_a_title_in_words(kstore, kind: str) -> None:  # type: ignore[no-untyped-def]
    nodes = _nodes(kstore, kind)
    assert nodes, kind
    for iri in nodes:
        for lang in ("nl", "en"):
            label = resource.describe(kstore, iri, lang).label
            assert " — " in label, (iri, label)
            assert not label.startswith(f"{kind}:") and kind + "/" not in label, label


def test_titles_of_several_nodes_read_at_once_are_each_nodes_own(kstore) -> None:  # type: ignore[no-untyped-def]
    """A page titles its unnamed nodes from one query: each gets its own parts, not a
    neighbour's, and a node the query finds nothing for gets no title."""
    kinds = {iri: kind for kind in KINDS for iri in _nodes(kstore, kind)}
    kinds[kstore.settings.id_ns + "involvement/nothing-here"] = "involvement"
    for lang in ("nl", "en"):
        together = titles.titles(kstore, kinds, lang)
        assert together == {iri: titles.title(kstore, iri, k, lang) for iri, k in kinds.items()}
        assert len(set(together.values())) > len(KINDS)
        assert together[kstore.settings.id_ns + "involvement/nothing-here"] == ""


def test_titles_read_actor_role_initiative(kstore, client) -> None:  # type: ignore[no-untyped-def]
    iri = kstore.settings.id_ns + "involvement/laat-je-hoorn--gemeente-hoorn"
    assert titles.title(kstore, iri, "involvement", "nl") == (
        "Gemeente Hoorn — regisseren, initiatiefnemer — Laat je Hoorn"
    )
    assert titles.title(kstore, iri, "involvement", "en").startswith("Municipality of Hoorn — ")
    html = client.get("/page/involvement/laat-je-hoorn--gemeente-hoorn?lang=nl").get_data(
        as_text=True
    )
    assert "<title>Gemeente Hoorn — regisseren, initiatiefnemer — Laat je Hoorn — Kiemen" in html
    fact = kstore.settings.id_ns + "fact/i-love-noord-volunteers"
    assert (
        titles.title(kstore, fact, "fact", "en") == "I love Noord — volunteers: 12 persons (2013)"
    )


def test_links_to_unnamed_nodes_use_their_titles(client, kstore) -> None:  # type: ignore[no-untyped-def]
    id_ns = kstore.settings.id_ns
    for initiative in ("laat-je-hoorn", "i-love-noord", "amsterdam-opent"):
        row = client.get(
            "/api/things", query_string={"iri": id_ns + "initiative/" + initiative}
        ).get_json()["rows"][0]
        linked = [
            v
            for values in row["properties"].values()
            for v in values
            if str(v.get("iri", "")).startswith(
                tuple(id_ns + k + "/" for k in ("fact", "uncertainty", "channel"))
            )
        ]
        assert linked, initiative
        for value in linked:
            assert " — " in (value["label"] or ""), value
    html = client.get("/page/actor/gemeente-hoorn?lang=nl").get_data(as_text=True)
    assert not re.search(r">\s*(involvement|fact|uncertainty|channel):", html)


def test_shared_concept_labels_show_their_scheme(client, kstore) -> None:  # type: ignore[no-untyped-def]
    ambiguous = titles.ambiguous_concepts(kstore)
    gov = kstore.settings.def_ns + "government-role/facilitating"
    ladder = kstore.settings.def_ns + "participation-ladder/facilitating"
    assert gov in ambiguous and ladder in ambiguous
    one = client.get("/page/def/government-role/facilitating?lang=nl").get_data(as_text=True)
    other = client.get("/page/def/participation-ladder/facilitating?lang=nl").get_data(as_text=True)
    first = re.search(r"<h1[^>]*>([^<]*)</h1>", one)
    second = re.search(r"<h1[^>]*>([^<]*)</h1>", other)
    assert first and second and first.group(1) != second.group(1)
    assert first.group(1).startswith("faciliteren (") and second.group(1).startswith(
        "faciliteren ("
    )
    # A concept no other scheme shares its label with keeps its plain label.
    assert kstore.settings.def_ns + "form/crowdfunding" not in ambiguous
    # The initiative page names the role with its scheme too.
    riot = client.get("/page/initiative/riotcleanup?lang=nl").get_data(as_text=True)
    assert "faciliteren (" in riot


def test_inferred_forms_have_a_visible_legend(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/browse?lang=en").get_data(as_text=True)
    assert 'class="tag inferred"' in html
    legend = re.search(r'<p class="legend small" id="forms-legend">(.*?)</p>', html)
    assert legend and "inferred by the curators" in legend.group(1)
    assert "stated in the source" in legend.group(1)
    assert "afgeleid door de samenstellers" in client.get("/browse?lang=nl").get_data(as_text=True)
