"""List links keep their parameters encoded exactly as ``urlencode`` does (each key and value
is quoted once and remembered, a browse page makes ~100 such links)."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.listing import url_with

TEXT = st.text(min_size=0, max_size=12)
VALUE = st.one_of(TEXT, st.integers(-5, 300))  # pages pass page numbers as ints


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(TEXT, st.lists(VALUE, max_size=3), max_size=4),
    st.dictionaries(
        TEXT.filter(str.isidentifier),
        st.one_of(st.none(), TEXT, st.lists(TEXT, max_size=2)),
        max_size=2,
    ),
)
def test_links_are_encoded_as_urlencode_does(
    params: dict[str, list[object]], changes: dict[str, object]
) -> None:
    merged: dict[str, list[object]] = {k: list(v) for k, v in params.items() if v}
    for key, value in changes.items():
        if value is None or value == "" or value == []:
            merged.pop(key, None)
        elif isinstance(value, list):
            merged[key] = [str(v) for v in value]
        else:
            merged[key] = [str(value)]
    pairs = [(k, v) for k in merged for v in merged[k]]
    expected = "/browse" + ("?" + urlencode(pairs) if pairs else "")
    assert url_with("/browse", params, **changes) == expected
