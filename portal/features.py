"""Every feature of the portal, in one visible list (see :mod:`portal.wiring`)."""

from __future__ import annotations

from portal import kinds, sources
from portal.i18n import N_
from portal.views import (
    api,
    browse,
    citemeta,
    codebook,
    graphstore,
    health,
    home,
    linkeddata,
    openapi,
    pages,
    publish,
    reconcile,
    sparql,
    vendor,
)
from portal.wiring import Wiring
from publishing import catalogue

#: What every write runs on its new generation after the browse and search indexes (the
#: ``kiemen`` command runs the same list: :mod:`cli.main`).
INDEX_HOOKS = (catalogue.annotate_meta,)


def default_wiring() -> Wiring:
    """Every feature of the portal, in one visible list."""
    return Wiring(
        features=(
            home,
            vendor,
            codebook,
            linkeddata,
            sparql,
            graphstore,
            browse,
            api,
            publish,
            reconcile,
            openapi,
            citemeta,
            health,
            pages,
        ),
        nav=(
            ("browse.index", N_("nav.browse")),
            ("browse.search", N_("nav.search")),
            ("browse.network", N_("nav.network")),
            ("sparql.query_page", N_("nav.sparql")),
            ("codebook.codebook", N_("nav.codebook")),
            ("linkeddata.downloads", N_("nav.downloads")),
            ("api.docs", N_("nav.api")),
            ("publish.index", N_("nav.publish")),
        ),
        kind_context={**kinds.PROVIDERS, "section": sources.section},
        index_hooks=INDEX_HOOKS,
    )
