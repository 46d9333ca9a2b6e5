"""The licence of Kiemen's data, stated in one place: CC BY 4.0.

Used on the dataset and every distribution in the catalogue and VoID, in the schema.org
description of pages, and in the ``Link: <...>; rel="license"`` header of data responses.
"""

from __future__ import annotations

#: The licence document people and most tools recognise.
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
#: The same licence in the EU licence authority table, which DCAT-AP harvesters expect.
LICENCE_EU = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
LICENCE_NAME = "CC BY 4.0"


def link_header() -> str:
    return f'<{LICENCE}>; rel="license"'
