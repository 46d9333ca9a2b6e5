"""Text keys the portal composes at run time, marked so ``make messages`` extracts them.

Templates build some keys from data (``t('facet.' ~ key)``, ``t('kind.' ~ kind)``); extraction
cannot see those, so each family is listed here with :func:`~portal.i18n.N_`. The values come
from the core (facets, sorts, search kinds) and from the kind pages; tests/test_messages.py
checks that every value there has its key here and in both catalogues.
"""

from __future__ import annotations

from portal.i18n import N_

#: ``t('facet.' ~ key)`` (browser, related initiatives): a facet's name; ``facet.q`` is the text.
FACET = (
    N_("facet.actor"),
    N_("facet.actortype"),
    N_("facet.channel"),
    N_("facet.document"),
    N_("facet.form"),
    N_("facet.govrole"),
    N_("facet.municipality"),
    N_("facet.period"),
    N_("facet.place"),
    N_("facet.province"),
    N_("facet.q"),
    N_("facet.role"),
    N_("facet.spatial"),
    N_("facet.statedform"),
    N_("facet.theme"),
)
#: ``t('sort.' ~ s)`` (browser): a sort order (core.indexes.facets.SORTS, plus relevance for
#: search).
SORT = (
    N_("sort.label"),
    N_("sort.-label"),
    N_("sort.start"),
    N_("sort.-start"),
    N_("sort.relevance"),
)
#: ``t('kind.' ~ kind)`` (home counts, search tabs): a kind of thing, plural.
KIND = (
    N_("kind.actor"),
    N_("kind.channel"),
    N_("kind.concept"),
    N_("kind.document"),
    N_("kind.fact"),
    N_("kind.initiative"),
    N_("kind.involvement"),
    N_("kind.place"),
    N_("kind.reference"),
    N_("kind.section"),
    N_("kind.uncertainty"),
)
#: ``t('kindone.' ~ kind)`` (kind pages, search hits): a kind of thing, singular.
KIND_ONE = (
    N_("kindone.actor"),
    N_("kindone.concept"),
    N_("kindone.document"),
    N_("kindone.initiative"),
    N_("kindone.place"),
    N_("kindone.reference"),
)
#: ``t('pub.kind.' ~ kind)`` (an upload's preview): the kind of a record added, changed or removed.
PUBLISH_KIND = (
    N_("pub.kind.initiative"),
    N_("pub.kind.actor"),
    N_("pub.kind.involvement"),
)
