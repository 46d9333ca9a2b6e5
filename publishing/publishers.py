"""Publishers: the governments that publish their own data in Kiemen, and their tokens.

A publisher is a Dutch municipality (or province) known by its CBS code (``GM0344``,
``PV26``). The code is checked against ``data/reference/cbs-gemeenten.csv``, the bundled CBS
list the place resolver reads too (:mod:`loaders.places`): the current codes and names, and
every code that ended since 2010 with its successor and date, so that a merged municipality
gets a useful answer (today's code) rather than a bare "unknown". Each publisher writes only its
own named graphs, ``{base}graph/publishers/{code}/…``, and mints its records under
``{base}id/publishers/{code}/…``.

Tokens are the endpoint's bearer tokens (:mod:`core.tokens`), granted exactly the
publisher's graph prefix; this module links each token to its publisher and adds an optional
expiry, which the publishing pipeline enforces. The registry, the versions, the audit log and
the link suggestions live in one SQLite file beside the store (``publishers.sqlite3``), like
the token store; the data of each version is kept under ``{store}/publishers/{code}/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from core.messages import Text, msg
from core.tokens import TokenInfo, TokenStore
from loaders.places import CbsBody, cbs_list, current_successors

CODE = re.compile(r"^(GM\d{4}|PV\d{2})$")
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[A-Za-z]{2,}$")
EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/"


class PublisherError(ValueError):
    """A request about publishers that cannot be honoured; :attr:`text` says why, to people."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


#: A municipality or province from the bundled CBS list (one definition, in the loaders).
Body = CbsBody


def reference() -> dict[str, Body]:
    """The bundled list of CBS codes, by code (read once per process)."""
    return cbs_list()


def _named(code: str) -> str:
    body = reference().get(code)
    return f"{code} ({body.name})" if body else code


def _list(codes: list[str]) -> str:
    return ", ".join(_named(c) for c in codes)


def _former(norm: str, body: Body) -> PublisherError:
    """Why a former code is refused: what it went into and when, and which code to use now."""
    direct = body.successors
    now = current_successors(norm)
    named = _list(direct)
    use: Text | str = now[0] if now else msg("publisher.hint.today")
    for code in now[1:]:
        use = msg("publisher.hint.either", first=use, other=code)
    # A successor that merged again later (Groesbeek became Berg en Dal) is followed to today.
    later = {c: current_successors(c) for c in direct if c not in now}
    since: Text | str = ""
    for c, ok in later.items():
        if ok:
            since = msg("publisher.hint.since", before=since, code=c, now=_list(ok))
    where = {"code": norm, "name": body.name, "ended": body.ended, "since": since, "use": use}
    if len(direct) > 1:  # a municipality divided among its neighbours (Haaren, 2021)
        return PublisherError(msg("publisher.error.divided", parts=named, **where))
    return PublisherError(msg("publisher.error.merged", into=named or "?", **where))


def check_code(code: str, *, allow_former: bool = False) -> Body:
    """The body for a CBS code, or a PublisherError saying plainly what is wrong with it."""
    raw = (code or "").strip()
    norm = raw.upper()
    if not CODE.match(norm):
        raise PublisherError(msg("publisher.error.not_a_code", code=repr(raw)))
    body = reference().get(norm)
    if body is None:
        raise PublisherError(msg("publisher.error.unknown_code", code=norm))
    if not body.current and not allow_former:
        raise _former(norm, body)
    return body


@dataclass(frozen=True)
class Licence:
    key: str
    iri: str  # from the EU licence authority table, as DCAT-AP asks
    url: str
    label: str


#: Licences a publisher may choose: both fit inside the whole dataset's CC BY 4.0 (the dumps and
#: the SPARQL endpoint combine every graph), which a share-alike licence would not.
LICENCES: dict[str, Licence] = {
    "cc0-1.0": Licence(
        "cc0-1.0",
        EU_LICENCE + "CC0",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        "Creative Commons Zero 1.0 (CC0 1.0)",
    ),
    "cc-by-4.0": Licence(
        "cc-by-4.0",
        EU_LICENCE + "CC_BY_4_0",
        "https://creativecommons.org/licenses/by/4.0/",
        "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    ),
}


def check_licence(key: str) -> Licence:
    found = LICENCES.get((key or "").strip().lower())
    if found is None:
        known = ", ".join(LICENCES)
        raise PublisherError(msg("publisher.error.licence", licence=repr(key), known=known))
    return found


@dataclass(frozen=True)
class Publisher:
    code: str
    name: str
    contact_name: str
    contact_email: str
    contact_url: str
    licence_key: str
    created: str

    @property
    def body(self) -> Body:
        return check_code(self.code, allow_former=True)

    @property
    def licence(self) -> Licence:
        return LICENCES[self.licence_key]

    def graph_prefix(self, settings: Settings) -> str:
        return f"{settings.graph_ns}publishers/{self.code}/"

    def data_graph(self, settings: Settings) -> str:
        return self.graph_prefix(settings) + "data"

    def links_graph(self, settings: Settings) -> str:
        return self.graph_prefix(settings) + "links"

    def id_ns(self, settings: Settings) -> str:
        return f"{settings.id_ns}publishers/{self.code}/"

    @property
    def agent(self) -> str:
        return self.body.tooi

    def as_json(self, settings: Settings) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "contact_name": self.contact_name,
            "contact_email": self.contact_email,
            "contact_url": self.contact_url,
            "licence": self.licence.key,
            "licence_iri": self.licence.iri,
            "created": self.created,
            "data_graph": self.data_graph(settings),
            "links_graph": self.links_graph(settings),
            "agent": self.agent,
        }


_SCHEMA = """
CREATE TABLE IF NOT EXISTS publishers (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    contact_url TEXT NOT NULL DEFAULT '',
    licence TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS publisher_tokens (
    token_id TEXT PRIMARY KEY,
    code TEXT NOT NULL REFERENCES publishers(code),
    expires TEXT,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    code TEXT NOT NULL,
    number INTEGER NOT NULL,
    at TEXT NOT NULL,
    token_id TEXT NOT NULL,
    action TEXT NOT NULL,
    based_on INTEGER,
    triples INTEGER NOT NULL,
    added INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    records INTEGER NOT NULL,
    files TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (code, number)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    code TEXT NOT NULL,
    token_id TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    version INTEGER,
    files TEXT NOT NULL DEFAULT '[]',
    added INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS suggestions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    subject TEXT NOT NULL,
    subject_label TEXT NOT NULL,
    candidate TEXT NOT NULL,
    candidate_label TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    score REAL NOT NULL,
    property TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    created TEXT NOT NULL,
    decided TEXT,
    decided_by TEXT,
    UNIQUE (code, subject, candidate)
);
"""


def db_path(settings: Settings) -> Path:
    return Path(settings.store_path) / "publishers.sqlite3"


def files_dir(settings: Settings, code: str) -> Path:
    return Path(settings.store_path) / "publishers" / code


@contextlib.contextmanager
def connect(settings: Settings) -> Iterator[sqlite3.Connection]:
    """The publishers' database (created on first use); commits when the block ends cleanly."""
    path = db_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        conn.executescript(_SCHEMA)
        _add_columns(conn)
        yield conn
        conn.commit()
    finally:
        conn.close()


#: Columns added since the first release: (table, column, declaration).
_ADDED_COLUMNS = (
    # the store generation a version or audit entry was published with (NULL: before this
    # column existed); a row is true when its generation is in the store's lineage
    ("versions", "generation", "TEXT"),
    ("versions", "idempotency_key", "TEXT"),
    ("audit", "generation", "TEXT"),
    # a link decision: the generation that publishes it, and the suggestion as it was before
    # (JSON), put back when that generation never became current (see publishing.linking)
    ("suggestions", "generation", "TEXT"),
    ("suggestions", "undo", "TEXT"),
)


def _add_columns(conn: sqlite3.Connection) -> None:
    for table, column, declaration in _ADDED_COLUMNS:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Auth:
    """A verified publisher token."""

    publisher: Publisher
    token: TokenInfo
    expires: str | None


class AuthError(Exception):
    """A request whose token does not allow what it asks (HTTP status and the text why)."""

    def __init__(self, status: int, text: Text) -> None:
        super().__init__(str(text))
        self.status = status
        self.text = text


class Registry:
    """Publishers and their tokens."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def add(
        self,
        code: str,
        *,
        contact_name: str,
        contact_email: str,
        licence: str,
        name: str | None = None,
        contact_url: str = "",
    ) -> Publisher:
        body = check_code(code)
        lic = check_licence(licence)
        email = contact_email.strip()
        if email.lower().startswith("mailto:"):
            email = email[7:]
        if not EMAIL.match(email):
            raise PublisherError(msg("publisher.error.email", email=repr(contact_email)))
        if not contact_name.strip():
            raise PublisherError(msg("publisher.error.contact_name"))
        url = contact_url.strip()
        if url and not re.match(r"^https?://[^\s<>\"]+$", url):
            raise PublisherError(msg("publisher.error.url", url=repr(url)))
        publisher = Publisher(
            code=body.code,
            name=(name or "").strip() or body.official_name,
            contact_name=contact_name.strip(),
            contact_email=email,
            contact_url=url,
            licence_key=lic.key,
            created=now(),
        )
        with connect(self.settings) as db:
            if db.execute("SELECT 1 FROM publishers WHERE code = ?", (body.code,)).fetchone():
                raise PublisherError(msg("publisher.error.registered", code=body.code))
            db.execute(
                "INSERT INTO publishers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    publisher.code,
                    publisher.name,
                    publisher.contact_name,
                    publisher.contact_email,
                    publisher.contact_url,
                    publisher.licence_key,
                    publisher.created,
                ),
            )
        return publisher

    def get(self, code: str) -> Publisher | None:
        with connect(self.settings) as db:
            row = db.execute("SELECT * FROM publishers WHERE code = ?", (code.upper(),)).fetchone()
        return _publisher(row) if row else None

    def all(self) -> list[Publisher]:
        with connect(self.settings) as db:
            rows = db.execute("SELECT * FROM publishers ORDER BY code").fetchall()
        return [_publisher(r) for r in rows]

    def issue_token(
        self, code: str, *, expires: dt.datetime | None = None, note: str = ""
    ) -> tuple[str, TokenInfo]:
        """A new bearer token for the publisher's graphs (the secret is returned once)."""
        publisher = self.get(code)
        if publisher is None:
            raise PublisherError(msg("publisher.error.not_registered", code=code))
        if expires is not None and expires <= dt.datetime.now(dt.UTC):
            raise PublisherError(msg("publisher.error.expiry_past"))
        secret, info = TokenStore(self.settings).create(
            [publisher.graph_prefix(self.settings) + "*"],
            note or f"publisher {publisher.code} ({publisher.name})",
        )
        with connect(self.settings) as db:
            db.execute(
                "INSERT INTO publisher_tokens VALUES (?, ?, ?, ?)",
                (
                    info.id,
                    publisher.code,
                    expires.astimezone(dt.UTC).isoformat(timespec="seconds") if expires else None,
                    now(),
                ),
            )
        return secret, info

    def tokens(self, code: str) -> list[tuple[TokenInfo, str | None]]:
        with connect(self.settings) as db:
            links = {
                r["token_id"]: r["expires"]
                for r in db.execute(
                    "SELECT token_id, expires FROM publisher_tokens WHERE code = ?", (code,)
                )
            }
        return [(t, links[t.id]) for t in TokenStore(self.settings).list() if t.id in links]

    def publisher_of(self, token: TokenInfo) -> tuple[Publisher, str | None] | None:
        with connect(self.settings) as db:
            row = db.execute(
                "SELECT p.*, t.expires AS token_expires FROM publisher_tokens t "
                "JOIN publishers p ON p.code = t.code WHERE t.token_id = ?",
                (token.id,),
            ).fetchone()
        if row is None:
            return None
        return _publisher(row), row["token_expires"]

    def authenticate(self, secret: str | None, code: str | None = None) -> Auth:
        """The publisher behind a bearer token, checked for expiry and (with ``code``) ownership."""
        if not secret:
            raise AuthError(401, msg("publisher.auth.no_token"))
        info = TokenStore(self.settings).verify(secret.strip())
        if info is None:
            raise AuthError(401, msg("publisher.auth.unknown"))
        found = self.publisher_of(info)
        if found is None:
            raise AuthError(403, msg("publisher.auth.not_publisher"))
        publisher, expires = found
        if expires and dt.datetime.fromisoformat(expires) <= dt.datetime.now(dt.UTC):
            raise AuthError(
                401, msg("publisher.auth.expired", code=publisher.code, expires=expires)
            )
        if code is not None and publisher.code != code.upper():
            raise AuthError(
                403,
                msg(
                    "publisher.auth.other",
                    code=publisher.code,
                    name=publisher.name,
                    other=code.upper(),
                ),
            )
        return Auth(publisher, info, expires)


def _publisher(row: sqlite3.Row) -> Publisher:
    return Publisher(
        code=row["code"],
        name=row["name"],
        contact_name=row["contact_name"],
        contact_email=row["contact_email"],
        contact_url=row["contact_url"],
        licence_key=row["licence"],
        created=row["created"],
    )


def publisher_for_graph(settings: Settings, graph: str) -> str | None:
    """The CBS code whose prefix ``graph`` lies under, or None for any other graph."""
    prefix = f"{settings.graph_ns}publishers/"
    if not graph.startswith(prefix):
        return None
    code = graph[len(prefix) :].split("/", 1)[0]
    return code or None
