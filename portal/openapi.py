"""The OpenAPI 3.1 description of Kiemen's JSON interfaces, served at ``/api/openapi.json``.

Built from the same constants the server uses (facet keys, sort orders, page-size settings,
search kinds, reconciliation types and properties), so a new facet or a changed limit changes
the description too. ``tests/test_openapi.py`` runs schemathesis against a real ``kiemen
serve`` with it: no 5xx, and every answer fits the status codes, media types and schemas
described here.

Three parts: the read API (``/api/...``, datasette's one shape), the publishing API
(``/publish/api/...``, bearer tokens) and the reconciliation service (``/reconcile``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.config import Settings
from core.indexes import facets, search
from core.licence import LICENCE, LICENCE_NAME
from portal.reconcile import (
    MAX_BATCH,
    MAX_CURSOR,
    MAX_EXTEND_IDS,
    MAX_EXTEND_PROPERTIES,
    PROPERTIES,
    TYPE_STRICT,
    TYPES,
)
from portal.views.api import MAX_SEARCH_OFFSET

VERSION = "1.0.0"
JSON = "application/json"

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> Schema:
    return (
        {"$ref": "#/components/responses/Error"}
        if not description
        else {
            "description": description,
            "content": {JSON: {"schema": _ref("Error")}},
        }
    )


def _query(name: str, schema: Schema, description: str, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def _path(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


NULLABLE_STRING: Schema = {"type": ["string", "null"]}
LANG = _query(
    "_lang",
    {"type": "string"},
    "Language of names: nl or en (anything else: the interface language).",
)


def _list_schema(row: Schema, extra: dict[str, Schema] | None = None) -> Schema:
    """datasette's list shape with rows of ``row``."""
    properties: dict[str, Schema] = {
        "ok": {"const": True},
        "rows": {"type": "array", "items": row},
        "count": {"type": "integer", "minimum": 0},
        "truncated": {"type": "boolean"},
        "next": NULLABLE_STRING,
        "next_url": NULLABLE_STRING,
    }
    properties.update(extra or {})
    return {
        "type": "object",
        "required": ["ok", "rows", "truncated", "next", "next_url"],
        "properties": properties,
    }


#: What core.sparql.text.valid_iri accepts: an absolute IRI SPARQL can write as <iri>.
IRI_PATTERN = r'^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\]*$'
#: A facet with more values than this is described without listing them.
MAX_ENUM = 1000


def _facet_schema(tokens: Sequence[str] | None) -> Schema:
    item: Schema = {"type": "string"}
    if tokens is not None and 0 < len(tokens) <= MAX_ENUM:
        item["enum"] = list(tokens)  # what the published data hold: others are a 400
    return {"type": "array", "items": item}


def _read_api(
    settings: Settings, values: Mapping[str, Sequence[str]] | None = None
) -> tuple[dict[str, Any], dict[str, Schema]]:
    size = _query(
        "_size",
        {"type": "integer", "minimum": 1, "maximum": settings.max_page_size},
        f"Rows per page (default {settings.page_size}, setting KIEMEN_PAGE_SIZE; at most "
        f"{settings.max_page_size}, KIEMEN_MAX_PAGE_SIZE).",
    )
    list_params = [
        *(
            {
                "name": key,
                "in": "query",
                "required": False,
                "description": f"Facet {key}: a token from facet_results (listed here from the "
                "published data), an IRI, or an IRI without the base; any of several values, all "
                "facets together. An unknown value is a 400 that lists the valid ones.",
                "schema": _facet_schema((values or {}).get(key)),
                "style": "form",
                "explode": True,
            }
            for key in facets.FACET_KEYS
        ),
        _query("q", {"type": "string"}, "Full-text search (Dutch and English, typo-tolerant)."),
        _query("_sort", {"type": "string", "enum": list(facets.SORTS)}, "Sort order."),
        size,
        _query("page", {"type": "integer", "minimum": 1}, "A page number (instead of _next)."),
        _query(
            "_next",
            {"type": "string", "pattern": "^(-?[0-9]+)?$"},
            "The cursor of the next page, from the previous page's next (empty: the first).",
        ),
        _query(
            "_facet_more",
            {"type": "array", "items": {"type": "string"}},
            "Facets to show with all their values.",
        ),
        LANG,
    ]
    errors = {
        "400": _error("A parameter the list cannot use, or a facet value the data do not hold."),
        "404": _error("A page past the last (the answer names the last page)."),
        "503": _error("No index yet."),
    }
    paths: dict[str, Any] = {
        "/api/initiatives": {
            "get": {
                "operationId": "listInitiatives",
                "summary": "Initiatives matching facets and text, paged, with facet results.",
                "parameters": list_params,
                "responses": {
                    "200": _json_body(
                        _list_schema(
                            _ref("InitiativeRow"),
                            {
                                "sort": {"type": "string"},
                                "facet_results": _ref("FacetResults"),
                                "sparql_url": {"type": "string"},
                            },
                        ),
                        "One page of initiatives.",
                    ),
                    **errors,
                },
            }
        },
        "/api/facets": {
            "get": {
                "operationId": "facetResults",
                "summary": "Only the facet results for the same parameters.",
                "parameters": list_params,
                "responses": {
                    "200": _json_body(
                        _list_schema({"type": "object"}, {"facet_results": _ref("FacetResults")}),
                        "Facet results (rows is empty).",
                    ),
                    **errors,
                },
            }
        },
        "/api/search": {
            "get": {
                "operationId": "search",
                "summary": "Full-text search over every kind of thing, with snippets.",
                "parameters": [
                    _query("q", {"type": "string", "minLength": 1}, "The text.", required=True),
                    _query(
                        "kind", {"type": "string", "enum": list(search.KINDS)}, "Only this kind."
                    ),
                    size,
                    _query(
                        "_next",
                        {"type": "integer", "minimum": 0, "maximum": MAX_SEARCH_OFFSET},
                        "Offset of the next page, from the previous page's next.",
                    ),
                    LANG,
                ],
                "responses": {
                    "200": _json_body(
                        _list_schema(
                            _ref("SearchRow"),
                            {
                                "facet_results": {"type": "object"},
                                "sparql_url": {"type": "string"},
                            },
                        ),
                        "One page of hits, best first.",
                    ),
                    **errors,
                },
            }
        },
        "/api/map": {
            "get": {
                "operationId": "map",
                "summary": "The matching initiatives grouped by place, with coordinates.",
                "parameters": list_params,
                "responses": {
                    "200": _json_body(
                        _list_schema(_ref("MapPoint"), {"sparql_url": {"type": "string"}}),
                        "Places with their initiatives.",
                    ),
                    **errors,
                },
            }
        },
        "/api/network": {
            "get": {
                "operationId": "network",
                "summary": "Actors and initiatives as nodes, involvements as edges.",
                "parameters": list_params,
                "responses": {
                    "200": _json_body(
                        _list_schema(
                            _ref("NetworkEdge"),
                            {
                                "nodes": {"type": "array", "items": _ref("NetworkNode")},
                                "initiatives": {"type": "integer", "minimum": 0},
                            },
                        ),
                        "Edges as rows, and the nodes they join.",
                    ),
                    **errors,
                },
            }
        },
        "/api/things": {
            "get": {
                "operationId": "thing",
                "summary": "What the graph says about one thing, and its incoming links.",
                "parameters": [
                    _query(
                        "iri",
                        {"type": "string", "pattern": IRI_PATTERN},
                        "The thing's absolute IRI (canonical: https://w3id.org/kiemen/id/…).",
                        required=True,
                    ),
                    _query(
                        "_incoming_page",
                        {"type": "integer"},
                        "Page of the incoming links (1 and up; less counts as 1).",
                    ),
                    LANG,
                ],
                "responses": {
                    "200": _json_body(_list_schema(_ref("Thing")), "The thing as the one row."),
                    "400": _error("No absolute IRI, or a page that is not a number."),
                    "404": _error("The graph says nothing about this IRI."),
                    "503": _error("No index yet."),
                },
            }
        },
    }
    term: Schema = {
        "type": "object",
        "anyOf": [{"required": ["iri"]}, {"required": ["bnode"]}, {"required": ["value"]}],
        "properties": {
            "iri": {"type": "string"},
            "label": NULLABLE_STRING,
            "page_url": NULLABLE_STRING,
            "bnode": {"type": "string"},
            "value": {"type": "string"},
            "lang": {"type": "string"},
            "datatype": {"type": "string"},
        },
    }
    named: Schema = {
        "type": "object",
        "required": ["iri", "label"],
        "properties": {"iri": {"type": "string"}, "label": {"type": "string"}},
    }
    schemas: dict[str, Schema] = {
        "Error": {
            "type": "object",
            "required": ["ok", "error", "status"],
            "properties": {
                "ok": {"const": False},
                "error": {"type": "string"},
                "error_nl": {"type": "string"},
                "status": {"type": "integer"},
            },
        },
        "FacetResults": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["name", "results", "truncated"],
                "properties": {
                    "name": {"type": "string"},
                    "truncated": {"type": "boolean"},
                    "sparql_url": {"type": "string"},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["value", "count"],
                            "properties": {
                                "value": {"type": "string"},
                                "token": {"type": "string"},
                                "label": {"type": "string"},
                                "count": {"type": "integer", "minimum": 0},
                                "selected": {"type": "boolean"},
                                "toggle_url": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
        "InitiativeRow": {
            "type": "object",
            "required": ["iri", "label", "forms", "places", "page_url"],
            "properties": {
                "iri": {"type": "string"},
                "label": {"type": "string"},
                "description": {"type": "string"},
                "start": NULLABLE_STRING,
                "end": NULLABLE_STRING,
                "forms": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["iri", "label", "stated"],
                        "properties": {
                            "iri": {"type": "string"},
                            "label": {"type": "string"},
                            "stated": {"type": "boolean"},
                        },
                    },
                },
                "places": {"type": "array", "items": named},
                "page_url": NULLABLE_STRING,
            },
        },
        "SearchRow": {
            "type": "object",
            "required": ["iri", "kind", "label", "score", "snippet_html", "page_url"],
            "properties": {
                "iri": {"type": "string"},
                "kind": {"type": "string", "enum": list(search.KINDS)},
                "label": {"type": "string"},
                "score": {"type": "number"},
                "snippet_html": {"type": "string", "description": "Escaped text with <mark>."},
                "page_url": NULLABLE_STRING,
            },
        },
        "MapPoint": {
            "type": "object",
            "required": ["place", "label", "lat", "long", "count", "initiatives"],
            "properties": {
                "place": {"type": "string"},
                "label": {"type": "string"},
                "lat": {"type": "number"},
                "long": {"type": "number"},
                "count": {"type": "integer", "minimum": 0},
                "page_url": NULLABLE_STRING,
                "initiatives": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["iri", "label"],
                        "properties": {
                            "iri": {"type": "string"},
                            "label": {"type": "string"},
                            "page_url": NULLABLE_STRING,
                        },
                    },
                },
            },
        },
        "NetworkEdge": {
            "type": "object",
            "required": ["source", "target", "roles", "stated"],
            "properties": {
                "source": {"type": "string"},
                "target": {"type": "string"},
                "roles": {"type": "array", "items": {"type": "string"}},
                "label": {"type": "string"},
                "stated": {"type": "boolean"},
            },
        },
        "NetworkNode": {
            "type": "object",
            "required": ["id", "kind", "label"],
            "properties": {
                "id": {"type": "string"},
                "kind": {"type": "string"},
                "label": {"type": "string"},
                "degree": {"type": "integer", "minimum": 0},
                "page_url": NULLABLE_STRING,
            },
        },
        "Term": term,
        "Thing": {
            "type": "object",
            "required": ["iri", "kind", "label", "properties", "incoming"],
            "properties": {
                "iri": {"type": "string"},
                "kind": {"type": "string"},
                "label": {"type": "string"},
                "description": NULLABLE_STRING,
                "page_url": NULLABLE_STRING,
                "properties": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": _ref("Term")},
                },
                "incoming": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["property", "count", "items"],
                        "properties": {
                            "property": {"type": "string"},
                            "label": {"type": "string"},
                            "count": {"type": "integer", "minimum": 0},
                            "items": {"type": "array", "items": _ref("Term")},
                        },
                    },
                },
            },
        },
    }
    return paths, schemas


def _publishing_api() -> tuple[dict[str, Any], dict[str, Schema]]:
    code = _path("code", {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}, "Publisher code.")
    secured: list[dict[str, list[str]]] = [{"bearer": []}]
    refusals = {
        "400": _error("A parameter the request cannot use."),
        "401": _error("No token, or not this publisher's token."),
        "403": _error("The token may not do this."),
        "404": _error("No such publisher or version."),
    }
    report = _ref("Report")
    upload_body = {
        "required": False,
        "description": "CSV (?table=initiatives|actors|involvements), an Excel workbook, a "
        "multipart form of tables, or RDF (Turtle, N-Triples, JSON-LD, RDF/XML).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {"schema": {"type": "object"}},
            "text/turtle": {"schema": {"type": "string"}},
            "application/n-triples": {"schema": {"type": "string"}},
        },
    }
    upload_params = [
        _query("table", {"type": "string"}, "The table a CSV body holds (default initiatives)."),
        _query("valid_only", {"type": "string"}, "1, true or yes: publish only valid records."),
        _query("format", {"type": "string"}, "json (default) or a SHACL report format."),
        _query(
            "mode",
            {"type": "string", "enum": ["add", "replace"], "default": "add"},
            "add: records the upload does not mention stay; replace: they are removed "
            "(needs confirm).",
        ),
        _query(
            "confirm",
            {"type": "string"},
            "true: confirm the removals of a replace (without it: 409 with the preview).",
        ),
        _query(
            "expect",
            {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "The preview's digest the confirmation answers; another preview is not confirmed.",
        ),
    ]
    upload_responses = {
        "200": _json_body(report, "The validation report."),
        "201": _json_body(report, "Published as a new version (Location: its download)."),
        **refusals,
        "409": _error("A replace would remove records and was not confirmed (the preview)."),
        "413": _error("The upload is larger than KIEMEN_MAX_BODY_BYTES."),
        "422": _json_body(report, "Not valid: the report names file, row, column and rule."),
        "503": _error("The store is busy or cannot be written."),
    }
    paths: dict[str, Any] = {
        "/publish/api/publishers": {
            "get": {
                "operationId": "listPublishers",
                "summary": "The registered publishers and their latest versions.",
                "responses": {"200": _json_body(_list_schema({"type": "object"}), "Publishers.")},
            }
        },
        "/publish/api/{code}/validate": {
            "post": {
                "operationId": "validateUpload",
                "summary": "Check an upload without publishing it.",
                "security": secured,
                "parameters": [code, *upload_params],
                "requestBody": upload_body,
                "responses": upload_responses,
            }
        },
        "/publish/api/{code}/versions": {
            "get": {
                "operationId": "listVersions",
                "summary": "The publisher's versions, newest first.",
                "parameters": [code],
                "responses": {
                    "200": _json_body(_list_schema({"type": "object"}), "Versions."),
                    "404": _error("No such publisher."),
                },
            },
            "post": {
                "operationId": "publishVersion",
                "summary": "Validate an upload and publish it as a new version.",
                "security": secured,
                "parameters": [code, *upload_params],
                "requestBody": upload_body,
                "responses": upload_responses,
            },
        },
        "/publish/api/{code}/rollback": {
            "post": {
                "operationId": "rollback",
                "summary": "Publish an earlier version again, as the newest.",
                "security": secured,
                "parameters": [code, _query("version", {"type": "integer"}, "The version.")],
                "responses": {
                    "201": _json_body(report, "Rolled back."),
                    **refusals,
                    "422": _json_body(report, "The old version no longer validates."),
                },
            }
        },
        "/publish/api/{code}/suggestions": {
            "get": {
                "operationId": "listSuggestions",
                "summary": "Suggested links from the publisher's data to Kiemen's things.",
                "parameters": [
                    code,
                    _query("status", {"type": "string"}, "open, confirmed or rejected."),
                ],
                "responses": {
                    "200": _json_body(_list_schema({"type": "object"}), "Suggestions."),
                    "404": _error("No such publisher."),
                },
            }
        },
        "/publish/api/{code}/suggestions/{sid}": {
            "post": {
                "operationId": "decideSuggestion",
                "summary": "Confirm or reject a suggested link.",
                "security": secured,
                "parameters": [
                    code,
                    _path("sid", {"type": "integer", "minimum": 0}, "The suggestion."),
                    _query("decision", {"type": "string"}, "confirm or reject."),
                    _query("property", {"type": "string"}, "The link property to confirm."),
                ],
                "responses": {
                    "200": _json_body(_list_schema({"type": "object"}), "The decided suggestion."),
                    **refusals,
                    "404": {
                        "description": "No such publisher, or a suggestion id that is no number "
                        "(then the portal's page for an unknown address).",
                        "content": {JSON: {"schema": _ref("Error")}, "text/html": {}},
                    },
                },
            }
        },
        "/publish/api/{code}/audit": {
            "get": {
                "operationId": "auditLog",
                "summary": "The publisher's audit log (its own token only).",
                "security": secured,
                "parameters": [code],
                "responses": {
                    "200": _json_body(_list_schema({"type": "object"}), "Audit entries."),
                    **refusals,
                },
            }
        },
    }
    schemas: dict[str, Schema] = {
        "Report": {
            "type": "object",
            "required": ["ok", "publisher", "action", "published", "counts", "rows"],
            "properties": {
                "ok": {"type": "boolean"},
                "publisher": {"type": "string"},
                "action": {"type": "string"},
                "published": {"type": "boolean"},
                "version": {"type": ["integer", "null"]},
                "summary": {"type": "string"},
                "summary_nl": {"type": "string"},
                "counts": {"type": "object"},
                "rows": {"type": "array", "items": {"type": "object"}},
                "truncated": {"type": "boolean"},
                "status": {"type": "integer"},
                "mode": {"type": "string", "enum": ["add", "replace"]},
                "needs_confirmation": {"type": "boolean"},
                "preview": {
                    "type": ["object", "null"],
                    "description": "Records added, changed and removed (counts, lists of "
                    "iri/kind/label_nl/label_en, digest).",
                },
            },
        },
    }
    return paths, schemas


def _reconciliation() -> tuple[dict[str, Any], dict[str, Schema]]:
    lang = _query("lang", {"type": "string"}, "nl or en (default: the interface language).")
    form = {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "queries": _ref("ReconQueries"),
                    "extend": _ref("ReconExtendRequest"),
                    "lang": {"type": "string"},
                },
            },
            "encoding": {
                "queries": {"contentType": JSON},
                "extend": {"contentType": JSON},
            },
        }
    }
    answer = {
        "200": _json_body(
            {
                "anyOf": [
                    _ref("ReconManifest"),
                    _ref("ReconResults"),
                    _ref("ReconExtension"),
                ]
            },
            "The manifest (no parameters), the results of a batch (queries) or the values of a "
            "data extension (extend).",
        ),
        "400": _error("Queries or extend that are not JSON of the specification's shape."),
        "503": _error("No index yet."),
    }
    type_param = _query(
        "type",
        {"type": "string", "enum": ["", *(k.id for k in TYPES)]},
        "A type id to restrict to (empty: every type).",
    )
    suggest_params = [
        _query("prefix", {"type": "string"}, "What the user typed so far."),
        _query(
            "cursor",
            {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR},
            "Offset of the first result.",
        ),
        lang,
    ]
    named = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
        },
    }
    suggest_answer = {
        "type": "object",
        "required": ["result"],
        "properties": {"result": {"type": "array", "items": named}},
    }
    paths: dict[str, Any] = {
        "/reconcile": {
            "get": {
                "operationId": "reconcile",
                "summary": "Reconciliation Service API 0.2: manifest, queries or extension.",
                "parameters": [
                    {
                        "name": "queries",
                        "in": "query",
                        "description": "A batch of named reconciliation queries.",
                        "content": {JSON: {"schema": _ref("ReconQueries")}},
                    },
                    {
                        "name": "extend",
                        "in": "query",
                        "description": "A data extension request (when there are no queries).",
                        "content": {JSON: {"schema": _ref("ReconExtendRequest")}},
                    },
                    lang,
                ],
                "responses": answer,
            },
            "post": {
                "operationId": "reconcilePost",
                "summary": "The same, as a form (what OpenRefine sends).",
                "requestBody": {"required": False, "content": form},
                "responses": answer,
            },
        },
        "/reconcile/suggest/entity": {
            "get": {
                "operationId": "suggestEntity",
                "summary": "Things whose names begin with the prefix.",
                "parameters": [*suggest_params, type_param],
                "responses": {
                    "200": _json_body(suggest_answer, "Suggestions."),
                    "400": _error("A type or cursor the service does not know."),
                },
            }
        },
        "/reconcile/suggest/property": {
            "get": {
                "operationId": "suggestProperty",
                "summary": "Properties whose names begin with the prefix.",
                "parameters": [*suggest_params, type_param],
                "responses": {
                    "200": _json_body(suggest_answer, "Suggestions."),
                    "400": _error("A cursor that is not a number."),
                },
            }
        },
        "/reconcile/suggest/type": {
            "get": {
                "operationId": "suggestType",
                "summary": "Types whose names begin with the prefix.",
                "parameters": suggest_params,
                "responses": {
                    "200": _json_body(suggest_answer, "Suggestions."),
                    "400": _error("A cursor that is not a number."),
                },
            }
        },
        "/reconcile/propose_properties": {
            "get": {
                "operationId": "proposeProperties",
                "summary": "Properties a table can fetch for things of a type.",
                "parameters": [
                    type_param,
                    _query("limit", {"type": "integer"}, "Most properties (less than 0: none)."),
                    lang,
                ],
                "responses": {
                    "200": _json_body(
                        {
                            "type": "object",
                            "required": ["properties"],
                            "properties": {
                                "properties": {"type": "array", "items": named},
                                "type": {"type": "string"},
                                "limit": {"type": "integer"},
                            },
                        },
                        "The properties.",
                    ),
                    "400": _error("A type the service does not know, or a bad limit."),
                },
            }
        },
        "/reconcile/preview": {
            "get": {
                "operationId": "preview",
                "summary": "A small HTML card of one thing, for OpenRefine's iframe.",
                "parameters": [
                    _query("id", {"type": "string"}, "The thing's id.", required=True),
                    lang,
                ],
                "responses": {
                    "200": {"description": "The card.", "content": {"text/html": {}}},
                    "404": {"description": "No such thing.", "content": {"text/html": {}}},
                },
            }
        },
    }
    candidate = {
        "type": "object",
        "required": ["id", "name", "score", "match"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "score": {"type": "number", "minimum": 0, "maximum": 100},
            "match": {"type": "boolean"},
            "type": {"type": "array", "items": named},
            "features": {"type": "array", "items": {"type": "object"}},
        },
    }
    type_ids = [k.id for k in TYPES]
    pids = [p.id for p in PROPERTIES]
    value: Schema = {
        "oneOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        ]
    }
    schemas: dict[str, Schema] = {
        "ReconQueries": {
            "type": "object",
            "maxProperties": MAX_BATCH,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "query": {"type": "string"},
                    "type": {
                        "oneOf": [
                            {"type": "string", "enum": type_ids},
                            {"type": "array", "items": {"type": "string", "enum": type_ids}},
                        ]
                    },
                    "limit": {"type": "number", "minimum": 1},
                    "type_strict": {"type": "string", "enum": list(TYPE_STRICT)},
                    "properties": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["pid", "v"],
                            "properties": {
                                "pid": {"type": "string", "enum": pids},
                                "v": {"oneOf": [value, {"type": "array", "items": value}]},
                            },
                        },
                    },
                },
            },
        },
        "ReconExtendRequest": {
            "type": "object",
            "required": ["ids", "properties"],
            "properties": {
                "ids": {"type": "array", "maxItems": MAX_EXTEND_IDS, "items": {"type": "string"}},
                "properties": {
                    "type": "array",
                    "maxItems": MAX_EXTEND_PROPERTIES,
                    "items": {
                        "type": "object",
                        "required": ["id"],
                        "properties": {
                            "id": {"type": "string", "enum": pids},
                            "settings": {"type": "object"},
                        },
                    },
                },
            },
        },
        "ReconManifest": {
            "type": "object",
            "required": ["versions", "name", "identifierSpace", "schemaSpace"],
        },
        "ReconResults": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["result"],
                "properties": {"result": {"type": "array", "items": candidate}},
            },
        },
        "ReconExtension": {"type": "object", "required": ["meta", "rows"]},
    }
    return paths, schemas


def document(
    settings: Settings, server_url: str, values: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """The whole description, with ``server_url`` (where it was asked for) as the server and
    ``values`` (the published facet tokens) as the facets' value lists."""
    read_paths, read_schemas = _read_api(settings, values)
    pub_paths, pub_schemas = _publishing_api()
    rec_paths, rec_schemas = _reconciliation()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kiemen JSON API",
            "version": VERSION,
            "summary": "Initiatives of social innovation, their actors, places and sources.",
            "description": "The read API answers in one shape after datasette's (ok, rows, "
            "count, truncated, next, next_url; errors as ok false, error, status). Publishers "
            "write through the publishing API with a bearer token. /reconcile speaks the W3C "
            "Reconciliation Service API 0.2 (OpenRefine). The data are "
            f"{LICENCE_NAME} ({LICENCE}) except where a graph states its own licence.",
            "license": {"name": "MIT (software)", "identifier": "MIT"},
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {
            **read_paths,
            **pub_paths,
            **rec_paths,
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description.",
                    "responses": {"200": _json_body({"type": "object"}, "OpenAPI 3.1.")},
                }
            },
        },
        "components": {
            "schemas": {**read_schemas, **pub_schemas, **rec_schemas},
            "responses": {
                "Error": {"description": "An error.", "content": {JSON: {"schema": _ref("Error")}}}
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A publisher's token (kiemen publisher token CODE).",
                }
            },
        },
    }
