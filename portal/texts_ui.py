"""Interface texts of the pages a researcher keeps open: phones and keyboards, sources, the
About page, the map, the network, exports, comparison and the timeline (issue #17 items 2-7)."""



from __future__ import annotations

from portal.translations import TEXTS

TEXTS.update(
    {
        "ui.skip_results": {"nl": "Direct naar de resultaten", "en": "Skip to results"},
        "ui.filters": {"nl": "Filters", "en": "Filters"},
    }
)
