"""Cool URIs don't change: a former IRI answers ``301 Moved Permanently`` to its new home.

When an IRI is renamed (places moved to ISO, CBS and GeoNames IRIs), the data keeps the old
one as an alias with ``owl:sameAs`` to the new one and no type of its own. The ``/id/``,
``/page/`` and ``/data/`` routes ask :func:`moved_to` first and redirect to the same route for
the new IRI, so old links, bookmarks and other datasets' links keep working.
"""

from __future__ import annotations

import pyoxigraph as ox

from core.store import KiemenStore


def moved_to(kstore: KiemenStore, iri: str) -> str | None:
    """The path (below ``{base}id/``) of the IRI that ``iri`` now is, or None.

    Only targets in Kiemen's own ``id`` namespace count: an alias of something elsewhere is
    not a move.
    """
    id_ns = kstore.settings.id_ns
    if not iri.startswith(id_ns):
        return None
    for row in kstore.run("resource-moved", {"iri": ox.NamedNode(iri)}):
        new = row["new"].value
        if new.startswith(id_ns) and len(new) > len(id_ns):
            return str(new[len(id_ns) :])
    return None
