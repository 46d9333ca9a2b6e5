"""The home page shows what the store holds, in Dutch and in English."""

from __future__ import annotations

import requests


def test_home_counts_in_both_languages(app) -> None:  # type: ignore[no-untyped-def]
    nl = app.test_client().get("/?lang=nl")
    assert nl.status_code == 200
    html = nl.get_data(as_text=True)
    assert '<html lang="nl">' in html and "Per samenwerkingsvorm" in html
    en = app.test_client().get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in en.get_data(as_text=True)
    assert "By collaboration form" in en.get_data(as_text=True)


def test_language_choice_is_remembered(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/?lang=en")
    again = client.get("/", headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in again.get_data(as_text=True)


def test_live_server_serves_home(live_server: str) -> None:
    response = requests.get(live_server + "/", headers={"Accept-Language": "nl"}, timeout=10)
    assert response.status_code == 200
    assert "Kiemen" in response.text and "Initiatief" in response.text
