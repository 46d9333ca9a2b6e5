"""SHACL shapes compiled into Python checks that run one node description at a time.

pyshacl builds the whole data graph in rdflib before it checks anything: over a million triples
that is minutes and gigabytes. Kiemen's shapes only look at a focus node's own statements and at
the types or scheme of the nodes they point to, so they can be checked while the data streams
past (see :mod:`core.validation.checker`). This module reads ``ontology/shapes.ttl`` — the single
source of the rules — into :class:`Shape` objects and evaluates them on a :class:`Desc` (a node's
statements). The SHACL Core features the shapes use are implemented; a shapes file that uses
anything else raises :class:`Unsupported`, and validation falls back to pyshacl.

Messages are the shapes' own ``sh:message`` (English); components without one get a plain-words
default.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox

from core.vocab import RDF, RDF_TYPE, RDFS, SH, XSD

LANG_STRING = RDF + "langString"
SUBCLASS = RDFS + "subClassOf"

Term = Any  # ox.NamedNode | ox.BlankNode | ox.Literal


class Unsupported(Exception):
    """The shapes use a SHACL feature this engine does not implement (pyshacl takes over)."""


class Desc:
    """What is known about one node: its types and its values per predicate."""

    __slots__ = ("types", "values_by")

    def __init__(self, types: frozenset[str], values_by: Mapping[str, list[Term]]) -> None:
        self.types = types
        self.values_by = values_by

    def values(self, predicate: str) -> list[Term]:
        return self.values_by.get(predicate) or []


EMPTY = Desc(frozenset(), {})


@dataclass(eq=False)
class Shape:
    """A node shape (``path`` None) or a property shape (``path``: predicates, any of them)."""

    key: str
    name: str
    message: str | None
    severity: str  # "error" | "warning"
    path: tuple[str, ...] | None = None
    constraints: list[tuple[str, Any]] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    target_classes: frozenset[str] = frozenset()
    target_nodes: frozenset[str] = frozenset()
    target_subjects_of: frozenset[str] = frozenset()
    needs_desc: bool = False

    def __repr__(self) -> str:
        return f"Shape({self.key})"


@dataclass(frozen=True)
class Result:
    """One rule broken by one focus node (and, for value rules, one value)."""

    focus: Term
    shape: Shape
    value: Term | None
    message: str
    severity: str
    component: str

    @property
    def rule(self) -> str:
        rule = self.shape.name
        if self.shape.path:
            rule += " / " + " | ".join(short(p) for p in self.shape.path)
        return rule


def short(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri.rstrip(sep):
            iri = iri.rstrip(sep).rsplit(sep, 1)[1]
    return iri


# ---------------------------------------------------------------------------------------------
# compiling


class _Graph:
    """Small read helpers over the in-memory shapes store."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def objects(self, s: Term, p: str) -> list[Term]:
        return [q.object for q in self.store.quads_for_pattern(s, ox.NamedNode(p), None, None)]

    def one(self, s: Term, p: str) -> Term | None:
        found = self.objects(s, p)
        return found[0] if found else None

    def subjects(self, p: str, o: Term) -> list[Term]:
        return [q.subject for q in self.store.quads_for_pattern(None, ox.NamedNode(p), o, None)]

    def rdf_list(self, head: Term) -> list[Term]:
        items: list[Term] = []
        node = head
        while not (isinstance(node, ox.NamedNode) and node.value == RDF + "nil"):
            first = self.one(node, RDF + "first")
            if first is None:
                raise Unsupported(f"malformed RDF list in the shapes at {node}")
            items.append(first)
            rest = self.one(node, RDF + "rest")
            if rest is None:
                raise Unsupported(f"malformed RDF list in the shapes at {node}")
            node = rest
        return items


_UNSUPPORTED = {
    "sparql": "SPARQL-based constraints",
    "closed": "closed shapes",
    "qualifiedValueShapesDisjoint": "disjoint qualified value shapes",
    "targetObjectsOf": "sh:targetObjectsOf targets",
}
_IGNORED = {
    "name",
    "message",
    "severity",
    "description",
    "order",
    "group",
    "defaultValue",
    "path",
    "property",
    "targetClass",
    "targetNode",
    "targetSubjectsOf",
    "deactivated",
    "flags",
    "qualifiedMinCount",
    "qualifiedMaxCount",
    "ignoredProperties",
}


def _text(g: _Graph, node: Term, p: str) -> str | None:
    values = [o for o in g.objects(node, p) if isinstance(o, ox.Literal)]
    for lang in ("en", None, "nl"):
        for o in values:
            if (o.language or None) == lang:
                return str(o.value)
    return str(values[0].value) if values else None


class ShapesCompiler:
    def __init__(self, store: ox.Store) -> None:
        self.g = _Graph(store)
        self.done: dict[Term, Shape] = {}

    def shape(self, node: Term, parent: Shape | None = None) -> Shape:
        if node in self.done:
            return self.done[node]
        g = self.g
        key = node.value if isinstance(node, ox.NamedNode) else f"_:{node.value}"
        name = _text(g, node, SH + "name") or (short(key) if isinstance(node, ox.NamedNode) else "")
        severity_node = g.one(node, SH + "severity")
        severity = (
            "warning"
            if severity_node is not None and severity_node.value in (SH + "Warning", SH + "Info")
            else "error"
        )
        shape = Shape(key=key, name=name, message=_text(g, node, SH + "message"), severity=severity)
        self.done[node] = shape
        for q in g.store.quads_for_pattern(node, None, None, None):
            local = q.predicate.value[len(SH) :] if q.predicate.value.startswith(SH) else None
            if local in _UNSUPPORTED:
                raise Unsupported(f"{_UNSUPPORTED[local]} ({key})")
        path = g.one(node, SH + "path")
        if path is not None:
            shape.path = self.path(path)
        if not shape.name and parent is not None:
            shape.name = parent.name
        if not shape.name:
            shape.name = " | ".join(short(p) for p in shape.path or ()) or "shape"
        shape.target_classes = frozenset(c.value for c in g.objects(node, SH + "targetClass"))
        shape.target_nodes = frozenset(n.value for n in g.objects(node, SH + "targetNode"))
        shape.target_subjects_of = frozenset(
            p.value for p in g.objects(node, SH + "targetSubjectsOf")
        )
        if any(
            t.value in (RDFS + "Class", "http://www.w3.org/2002/07/owl#Class")
            for t in g.objects(node, RDF_TYPE)
        ) and isinstance(node, ox.NamedNode):
            shape.target_classes |= {node.value}
        for q in g.store.quads_for_pattern(node, None, None, None):
            pred = q.predicate.value
            if not pred.startswith(SH):
                continue
            local = pred[len(SH) :]
            if local in _IGNORED:
                continue
            if local not in CHECKERS:
                raise Unsupported(f"sh:{local} ({key})")
            shape.constraints.append(self.constraint(node, shape, local, q.object))
        for prop in g.objects(node, SH + "property"):
            shape.properties.append(self.shape(prop, shape))
        return shape

    def path(self, node: Term) -> tuple[str, ...]:
        if isinstance(node, ox.NamedNode):
            return (node.value,)
        alternatives = self.g.one(node, SH + "alternativePath")
        if alternatives is not None:
            items = self.g.rdf_list(alternatives)
            if all(isinstance(i, ox.NamedNode) for i in items):
                return tuple(i.value for i in items)
        raise Unsupported("property paths other than a predicate or alternatives of predicates")

    def constraint(self, node: Term, shape: Shape, local: str, value: Term) -> tuple[str, Any]:
        g = self.g
        if local in ("minCount", "maxCount", "minLength", "maxLength"):
            return (local, int(value.value))
        if local in ("datatype", "class", "equals", "disjoint", "lessThan", "lessThanOrEquals"):
            return (local, value.value)
        if local == "nodeKind":
            return (local, value.value[len(SH) :])
        if local == "hasValue":
            return (local, value)
        if local == "in":
            return (local, frozenset(g.rdf_list(value)))
        if local == "pattern":
            flags = 0
            for f in str(_text(g, node, SH + "flags") or ""):
                flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}.get(f, 0)
            return (local, re.compile(str(value.value), flags))
        if local == "languageIn":
            return (local, tuple(str(v.value).lower() for v in g.rdf_list(value)))
        if local == "uniqueLang":
            return (local, str(value.value).lower() == "true")
        if local in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
            return (local, value)
        if local in ("node", "not"):
            return (local, self.shape(value))
        if local in ("or", "and", "xone"):
            return (local, tuple(self.shape(m) for m in g.rdf_list(value)))
        if local == "qualifiedValueShape":
            lo = g.one(node, SH + "qualifiedMinCount")
            hi = g.one(node, SH + "qualifiedMaxCount")
            return (
                local,
                (self.shape(value), int(lo.value) if lo else None, int(hi.value) if hi else None),
            )
        raise Unsupported(f"sh:{local}")  # pragma: no cover - guarded by CHECKERS


def _mark_needs(shape: Shape, seen: set[int] | None = None) -> bool:
    """Whether checking ``shape`` on a node needs that node's statements (not just its term)."""
    seen = seen if seen is not None else set()
    if id(shape) in seen:
        return shape.needs_desc
    seen.add(id(shape))
    needs = shape.path is not None or bool(shape.properties)
    for kind, arg in shape.constraints:
        if kind in ("class", "equals", "disjoint", "lessThan", "lessThanOrEquals"):
            needs = True
        elif kind in ("node", "not"):
            needs = _mark_needs(arg, seen) or needs
        elif kind in ("or", "and", "xone"):
            needs = any([_mark_needs(m, seen) for m in arg]) or needs
        elif kind == "qualifiedValueShape":
            needs = _mark_needs(arg[0], seen) or needs
    for p in shape.properties:
        _mark_needs(p, seen)
    shape.needs_desc = needs
    return needs


@dataclass
class Shapes:
    """The compiled shapes: top-level shapes with targets and everything they use."""

    roots: list[Shape]
    subclasses: dict[str, frozenset[str]]  # class -> itself and all its subclasses
    value_shapes: list[Shape]  # shapes applied to value nodes (sh:node, sh:or members, ...)
    value_predicates: frozenset[str]  # predicates value shapes look at (kept per node)
    class_checks: frozenset[str]  # classes named by sh:class
    _by_types: dict[frozenset[str], list[Shape]] = field(default_factory=dict)
    other_targets: list[Shape] = field(default_factory=list)

    def closure(self, cls: str) -> frozenset[str]:
        return self.subclasses.get(cls) or frozenset((cls,))

    def for_types(self, types: frozenset[str]) -> list[Shape]:
        """Shapes whose class targets cover a node of these types (subclasses included)."""
        found = self._by_types.get(types)
        if found is None:
            found = [
                s
                for s in self.roots
                if s.target_classes and any(t in self.closure_of(s) for t in types)
            ]
            self._by_types[types] = found
        return found

    def closure_of(self, shape: Shape) -> frozenset[str]:
        out: set[str] = set()
        for c in shape.target_classes:
            out |= self.closure(c)
        return frozenset(out)

    def for_node(self, key: str, desc: Desc) -> list[Shape]:
        shapes = self.for_types(desc.types)
        if not self.other_targets:
            return shapes
        shapes = list(shapes)
        for s in self.other_targets:
            if s in shapes:
                continue
            if key in s.target_nodes or any(desc.values(p) for p in s.target_subjects_of):
                shapes.append(s)
        return shapes

    def __post_init__(self) -> None:
        self.other_targets = [s for s in self.roots if s.target_nodes or s.target_subjects_of]


def compile_shapes(
    shapes_store: ox.Store, subclass_pairs: Iterable[tuple[str, str]] = ()
) -> Shapes:
    """Compile every shape with a target; ``subclass_pairs`` are (sub, super) class IRIs."""
    comp = ShapesCompiler(shapes_store)
    g = comp.g
    roots_nodes: list[Term] = []
    for p in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"):
        for q in shapes_store.quads_for_pattern(None, ox.NamedNode(SH + p), None, None):
            if q.subject not in roots_nodes:
                roots_nodes.append(q.subject)
    roots = [
        comp.shape(n)
        for n in roots_nodes
        if not any(str(d.value) == "true" for d in g.objects(n, SH + "deactivated"))
    ]
    for r in roots:
        _mark_needs(r)
    walk = _ShapeWalk()
    for r in roots:
        walk.visit(r, False, set())
    return Shapes(
        roots=roots,
        subclasses=_subclass_closure(subclass_pairs),
        value_shapes=walk.value_shapes,
        value_predicates=frozenset(walk.value_preds),
        class_checks=frozenset(walk.classes),
    )


def _subclass_closure(subclass_pairs: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """Every class with all classes below it (itself included), for targets and sh:class."""
    supers: dict[str, set[str]] = {}
    for sub, sup in subclass_pairs:
        supers.setdefault(sub, set()).add(sup)
    closure: dict[str, set[str]] = {}
    for sub in supers:
        stack, seen = [sub], set()
        while stack:
            c = stack.pop()
            for sup in supers.get(c, ()):
                if sup not in seen:
                    seen.add(sup)
                    stack.append(sup)
        for sup in seen:
            closure.setdefault(sup, {sup}).add(sub)
    return {c: frozenset(s) for c, s in closure.items()}


def _nested(kind: str, arg: Any) -> list[Shape]:
    """The shapes a constraint applies in its turn (sh:node, sh:or, ...)."""
    if kind in ("node", "not"):
        return [arg]
    if kind in ("or", "and", "xone"):
        return list(arg)
    if kind == "qualifiedValueShape":
        return [arg[0]]
    return []


#: Returned by :func:`reach` for shapes that nest into themselves (no bound on the hops).
UNBOUNDED = 1_000


def _reach(shape: Shape, active: set[int]) -> int:
    if id(shape) in active:
        return UNBOUNDED  # a shape nested in itself can read arbitrarily far
    active.add(id(shape))
    # A property shape's rules speak about its values, one hop from the node it checks.
    hop = 1 if shape.path is not None else 0
    found = 0
    for kind, arg in shape.constraints:
        if kind == "class":
            found = max(found, hop)  # the types of the node (node shape) or its values
        for nested in _nested(kind, arg):
            found = max(found, hop + _reach(nested, active))
    for prop in shape.properties:
        found = max(found, _reach(prop, active))
    active.discard(id(shape))
    return min(found, UNBOUNDED)


def reach(shapes: Shapes) -> int:
    """How many hops of statements a check of one focus node reads: 0 (its own statements),
    1 (also its values' statements, e.g. their types for sh:class), and so on.

    A change to a node's statements can change the verdict on nodes at most this many hops
    upstream of it (following statements backwards), which is what a write must re-check.
    """
    return max((_reach(root, set()) for root in shapes.roots), default=0)


@dataclass
class _ShapeWalk:
    """What the streaming checker must know ahead: shapes on values, their predicates, classes."""

    value_shapes: list[Shape] = field(default_factory=list)
    value_preds: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)

    def visit(self, shape: Shape, as_value: bool, seen: set[int]) -> None:
        if id(shape) in seen:
            return
        seen.add(id(shape))
        if as_value:
            if shape.needs_desc and shape not in self.value_shapes:
                self.value_shapes.append(shape)
            self.value_preds.update(shape.path or ())
        # Nested shapes applied to the values of a property shape look at those values;
        # applied at node level (no path) they look at the same node.
        nested_as_value = as_value or shape.path is not None
        for kind, arg in shape.constraints:
            if kind == "class":
                self.classes.add(arg)
            for inner in _nested(kind, arg):
                self.visit(inner, nested_as_value, seen)
        for prop in shape.properties:
            self.visit(prop, as_value, seen)


# ---------------------------------------------------------------------------------------------
# evaluating

#: How a checker learns about a node other than the focus: its description, or None (unknown yet).
Describe = Callable[[Term], Desc | None]

_NUMERIC = {
    XSD + t
    for t in (
        "integer",
        "decimal",
        "double",
        "float",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedInt",
        "unsignedLong",
        "unsignedShort",
        "unsignedByte",
    )
}
_LEXICAL = {
    XSD + "integer": re.compile(r"[+-]?\d+"),
    XSD + "int": re.compile(r"[+-]?\d+"),
    XSD + "long": re.compile(r"[+-]?\d+"),
    XSD + "nonNegativeInteger": re.compile(r"\+?\d+|-0+"),
    XSD + "positiveInteger": re.compile(r"\+?0*[1-9]\d*"),
    XSD + "decimal": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)"),
    XSD + "double": re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF|NaN)|-INF"),
    XSD + "float": re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF|NaN)|-INF"),
    XSD + "boolean": re.compile(r"true|false|1|0"),
    XSD + "gYear": re.compile(r"-?\d{4,}(Z|[+-]\d{2}:\d{2})?"),
    XSD + "gYearMonth": re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])(Z|[+-]\d{2}:\d{2})?"),
    XSD + "date": re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(Z|[+-]\d{2}:\d{2})?"),
    XSD + "dateTime": re.compile(
        r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-4]):[0-5]\d:[0-5]\d(\.\d+)?"
        r"(Z|[+-]\d{2}:\d{2})?"
    ),
    XSD + "anyURI": re.compile(r"[^\s<>\"{}|\\^`]*"),
}


def well_formed(lit: ox.Literal) -> bool:
    """Whether a typed literal's text fits its datatype (for the XSD types Kiemen uses)."""
    return _well_formed(lit.datatype.value, lit.value)


_XSD_DATE = XSD + "date"


def _well_formed(datatype: str, text: str) -> bool:
    """:func:`well_formed` of a literal's datatype IRI and text, read once by the caller."""
    rx = _LEXICAL.get(datatype)
    if rx is None:
        return True
    if rx.fullmatch(text) is None:
        return False
    if datatype == _XSD_DATE:
        try:
            _dt.date.fromisoformat(text[:10]) if not text.startswith("-") else None
        except ValueError:
            return False
    return True


def _node_kind_ok(v: Term, kind: str) -> bool:
    if isinstance(v, ox.NamedNode):
        return kind in ("IRI", "BlankNodeOrIRI", "IRIOrLiteral")
    if isinstance(v, ox.BlankNode):
        return kind in ("BlankNode", "BlankNodeOrIRI", "BlankNodeOrLiteral")
    return kind in ("Literal", "BlankNodeOrLiteral", "IRIOrLiteral")


def _compare(a: Term, b: Term) -> int | None:
    """-1, 0, 1 when two literals compare (numbers, or dates of one type); None otherwise."""
    if not (isinstance(a, ox.Literal) and isinstance(b, ox.Literal)):
        return None
    da, db = a.datatype.value, b.datatype.value
    if da in _NUMERIC and db in _NUMERIC:
        try:
            x, y = Decimal(a.value), Decimal(b.value)
        except InvalidOperation:
            return None
        return (x > y) - (x < y)
    if da == db and da != LANG_STRING:
        return (a.value > b.value) - (a.value < b.value)
    return None


DEFAULT_MESSAGES = {
    "minCount": "needs at least {n} value(s) for {path} (has {have})",
    "maxCount": "may have at most {n} value(s) for {path} (has {have})",
    "datatype": "the value must be of type {n}",
    "nodeKind": "the value must be a {n}",
    "class": "the value must be described as {n}",
    "hasValue": "{path} must include the value {n}",
    "in": "the value is not one of the allowed values",
    "pattern": "the value does not match the pattern {n}",
    "minLength": "the text is shorter than {n} characters",
    "maxLength": "the text is longer than {n} characters",
    "languageIn": "the text must be in one of the languages {n}",
    "uniqueLang": "there is more than one value in the same language for {path}",
    "minInclusive": "the value must be at least {n}",
    "maxInclusive": "the value must be at most {n}",
    "minExclusive": "the value must be more than {n}",
    "maxExclusive": "the value must be less than {n}",
    "node": "the value does not follow the rule {n}",
    "not": "the value must not follow the rule {n}",
    "or": "the value follows none of the allowed alternatives",
    "and": "the value does not follow all of the rules",
    "xone": "the value must follow exactly one of the alternatives",
    "equals": "the values of {path} must equal those of {n}",
    "disjoint": "the values of {path} must differ from those of {n}",
    "lessThan": "the value must be less than the value of {n}",
    "lessThanOrEquals": "the value must not be more than the value of {n}",
    "qualifiedValueShape": "the number of values of {path} that follow {n} is out of range",
}


def _describe_arg(kind: str, arg: Any) -> str:
    if isinstance(arg, Shape):
        return arg.name
    if isinstance(arg, tuple) and arg and isinstance(arg[0], Shape):
        return arg[0].name
    if isinstance(arg, re.Pattern):
        return str(arg.pattern)
    if isinstance(arg, str):
        return short(arg)
    if isinstance(arg, ox.Literal | ox.NamedNode):
        return str(arg.value)
    return str(arg)


class Evaluator:
    """Checks shapes on node descriptions; ``describe`` answers for other nodes."""

    def __init__(self, shapes: Shapes, describe: Describe) -> None:
        self.shapes = shapes
        self.describe = describe
        self.unknown = False  # set when a check could not be decided (a node not yet seen)

    # -- top level: every result for one focus node --------------------------------------------
    def validate(self, focus: Term, desc: Desc, shape: Shape) -> list[Result]:
        results: list[Result] = []
        self._shape_results(focus, desc, shape, results)
        return results

    def _shape_results(self, focus: Term, desc: Desc, shape: Shape, out: list[Result]) -> None:
        values = [focus] if shape.path is None else self._values(desc, shape.path)
        for kind, arg in shape.constraints:
            for value, _count in self._violations(focus, desc, shape, kind, arg, values):
                out.append(self._result(focus, shape, kind, arg, value, len(values)))
        for prop in shape.properties:
            self._shape_results(focus, desc, prop, out)

    @staticmethod
    def _values(desc: Desc, path: tuple[str, ...]) -> list[Term]:
        if len(path) == 1:
            return desc.values(path[0])
        out: list[Term] = []
        for p in path:
            out.extend(v for v in desc.values(p) if v not in out)
        return out

    def _result(
        self, focus: Term, shape: Shape, kind: str, arg: Any, value: Term | None, have: int
    ) -> Result:
        message = shape.message
        if not message:
            path = " | ".join(short(p) for p in shape.path or ()) or "the node"
            message = DEFAULT_MESSAGES.get(kind, "does not meet the rule").format(
                n=_describe_arg(kind, arg), path=path, have=have
            )
            message = message[0].upper() + message[1:]
        return Result(focus, shape, value, message, shape.severity, kind)

    # -- one constraint -----------------------------------------------------------------------
    def _violations(
        self, focus: Term, desc: Desc, shape: Shape, kind: str, arg: Any, values: list[Term]
    ) -> Iterable[tuple[Term | None, int]]:
        """What breaks one constraint: ``(value or None for the node, count)`` pairs."""
        return CHECKERS[kind](_Check(self, focus, desc, kind, arg, values))

    def _desc_of(self, node: Term, focus: Term, focus_desc: Desc) -> Desc | None:
        if node == focus:
            return focus_desc
        if isinstance(node, ox.Literal):
            return EMPTY
        return self.describe(node)

    def undecided(self) -> None:
        """A check depended on a node not yet seen: the answer is not known yet."""
        self.unknown = True

    def conforms(
        self, node: Term, shape: Shape, focus: Term | None = None, focus_desc: Desc = EMPTY
    ) -> bool | None:
        """Whether ``node`` follows ``shape`` (None: depends on a node not yet seen)."""
        if shape.needs_desc:
            d = (
                self._desc_of(node, focus, focus_desc)
                if focus is not None
                else (EMPTY if isinstance(node, ox.Literal) else self.describe(node))
            )
            if d is None:
                return None
        else:
            d = EMPTY
        values = [node] if shape.path is None else self._values(d, shape.path)
        saved = self.unknown
        self.unknown = False
        try:
            for kind, arg in shape.constraints:
                for _v in self._violations(node, d, shape, kind, arg, values):
                    return False
            for prop in shape.properties:
                ok = self.conforms(node, prop, node, d)
                if ok is False:
                    return False
                if ok is None:
                    self.unknown = True
            return None if self.unknown else True
        finally:
            self.unknown = saved


# ---------------------------------------------------------------------------------------------
# one small checker per constraint kind (as pySHACL does): each yields what breaks its rule

Violations = Iterator[tuple[Term | None, int]]


@dataclass(frozen=True)
class _Check:
    """One constraint applied to the value nodes of one focus node."""

    ev: Evaluator
    focus: Term
    desc: Desc
    kind: str
    arg: Any
    values: list[Term]

    def conforms(self, node: Term, shape: Shape) -> bool | None:
        return self.ev.conforms(node, shape, self.focus, self.desc)


def _min_count(c: _Check) -> Violations:
    if len(c.values) < c.arg:
        yield None, len(c.values)


def _max_count(c: _Check) -> Violations:
    if len(c.values) > c.arg:
        yield None, len(c.values)


def _datatype(c: _Check) -> Violations:
    for v in c.values:
        if not isinstance(v, ox.Literal):
            yield v, 0
        elif c.arg == LANG_STRING:
            if not v.language:
                yield v, 0
        elif v.language or v.datatype.value != c.arg or not well_formed(v):
            yield v, 0


def _node_kind(c: _Check) -> Violations:
    for v in c.values:
        if not _node_kind_ok(v, c.arg):
            yield v, 0


def _class(c: _Check) -> Violations:
    accepted = c.ev.shapes.closure(c.arg)
    for v in c.values:
        if isinstance(v, ox.Literal):
            yield v, 0
            continue
        d = c.ev._desc_of(v, c.focus, c.desc)
        if d is None:
            c.ev.undecided()
        elif not (d.types & accepted):
            yield v, 0


def _has_value(c: _Check) -> Violations:
    if c.arg not in c.values:
        yield None, 0


def _in(c: _Check) -> Violations:
    for v in c.values:
        if v not in c.arg:
            yield v, 0


def _pattern(c: _Check) -> Violations:
    for v in c.values:
        if isinstance(v, ox.BlankNode) or c.arg.search(str(v.value)) is None:
            yield v, 0


def _length(c: _Check) -> Violations:
    for v in c.values:
        if isinstance(v, ox.BlankNode):
            yield v, 0
            continue
        n = len(str(v.value))
        if (c.kind == "minLength" and n < c.arg) or (c.kind == "maxLength" and n > c.arg):
            yield v, 0


def _language_in(c: _Check) -> Violations:
    for v in c.values:
        lang = (v.language or "").lower() if isinstance(v, ox.Literal) else ""
        if not lang or not any(lang == a or lang.startswith(a + "-") for a in c.arg):
            yield v, 0


def _unique_lang(c: _Check) -> Violations:
    if not c.arg:
        return
    seen: dict[str, int] = {}
    for v in c.values:
        if isinstance(v, ox.Literal) and v.language:
            lang = v.language.lower()
            seen[lang] = seen.get(lang, 0) + 1
    for lang, n in seen.items():
        if n > 1:
            yield ox.Literal(lang), n


_RANGE_OK: dict[str, Callable[[int], bool]] = {
    "minInclusive": lambda c: c >= 0,
    "maxInclusive": lambda c: c <= 0,
    "minExclusive": lambda c: c > 0,
    "maxExclusive": lambda c: c < 0,
}


def _range(c: _Check) -> Violations:
    ok = _RANGE_OK[c.kind]
    for v in c.values:
        order = _compare(v, c.arg)
        if order is None or not ok(order):
            yield v, 0


def _node_or_not(c: _Check) -> Violations:
    for v in c.values:
        ok = c.conforms(v, c.arg)
        if ok is None:
            c.ev.undecided()
        elif ok != (c.kind == "node"):
            yield v, 0


def _any_of(answers: list[bool | None]) -> bool | None:
    return True if True in answers else (None if None in answers else False)


def _all_of(answers: list[bool | None]) -> bool | None:
    return False if False in answers else (None if None in answers else True)


def _one_of(answers: list[bool | None]) -> bool | None:
    return None if None in answers else answers.count(True) == 1


_COMBINE: dict[str, Callable[[list[bool | None]], bool | None]] = {
    "or": _any_of,
    "and": _all_of,
    "xone": _one_of,
}


def _logical(c: _Check) -> Violations:
    combine = _COMBINE[c.kind]
    for v in c.values:
        ok = combine([c.conforms(v, m) for m in c.arg])
        if ok is None:
            c.ev.undecided()
        elif not ok:
            yield v, 0


def _qualified(c: _Check) -> Violations:
    inner, lo, hi = c.arg
    answers = [c.conforms(v, inner) for v in c.values]
    yes = answers.count(True)
    maybe = answers.count(None)
    if lo is not None and yes < lo:
        if yes + maybe >= lo:
            c.ev.undecided()
        else:
            yield None, yes
    if hi is not None and yes > hi:
        yield None, yes


def _equals(c: _Check) -> Violations:
    others = c.desc.values(c.arg)
    for v in c.values:
        if v not in others:
            yield v, 0
    for o in others:
        if o not in c.values:
            yield o, 0


def _disjoint(c: _Check) -> Violations:
    others = c.desc.values(c.arg)
    for v in c.values:
        if v in others:
            yield v, 0


def _less_than(c: _Check) -> Violations:
    others = c.desc.values(c.arg)
    for v in c.values:
        for o in others:
            order = _compare(v, o)
            if order is None or order > 0 or (c.kind == "lessThan" and order == 0):
                yield v, 0
                break


#: The checker for each constraint kind that ``compile_shapes`` produces.
CHECKERS: dict[str, Callable[[_Check], Violations]] = {
    "minCount": _min_count,
    "maxCount": _max_count,
    "datatype": _datatype,
    "nodeKind": _node_kind,
    "class": _class,
    "hasValue": _has_value,
    "in": _in,
    "pattern": _pattern,
    "minLength": _length,
    "maxLength": _length,
    "languageIn": _language_in,
    "uniqueLang": _unique_lang,
    "minInclusive": _range,
    "maxInclusive": _range,
    "minExclusive": _range,
    "maxExclusive": _range,
    "node": _node_or_not,
    "not": _node_or_not,
    "or": _logical,
    "and": _logical,
    "xone": _logical,
    "qualifiedValueShape": _qualified,
    "equals": _equals,
    "disjoint": _disjoint,
    "lessThan": _less_than,
    "lessThanOrEquals": _less_than,
}


# ---------------------------------------------------------------------------------------------
# the fast path: most focus nodes of a class look alike


_STRUCTURAL = {"minCount", "maxCount", "datatype", "nodeKind", "languageIn", "uniqueLang"}
#: Structural rules that read only how many values there are.
_COUNTS = {"minCount", "maxCount"}
#: Value rules whose verdict on an IRI, once it passes, stays: its node's types and the values
#: the memo keeps only grow while a load streams, and a nested shape's pass is kept anyway
#: (``FastEvaluator.verdicts``); ``not`` and ``xone`` could turn, so they are left out.
_MONOTONE = {"class", "node", "or", "and"}
#: Most IRIs remembered as passing, over all value rules (a few MB; the nodes most pointed
#: at, concepts, sections, actors, come first).
PASSED_LIMIT = 200_000


def _passed_set(kind: str) -> set[Term] | None:
    return set() if kind in _MONOTONE else None


_NESTING = {"node", "not", "or", "and", "xone", "qualifiedValueShape"}
_SLOW = object()


def _term_only(shape: Shape, seen: set[int] | None = None) -> bool:
    """Whether a nested shape's verdict on a value depends only on its kind, datatype, language."""
    seen = seen if seen is not None else set()
    if id(shape) in seen:
        return True
    seen.add(id(shape))
    if shape.needs_desc or shape.path is not None or shape.properties:
        return False
    for kind, arg in shape.constraints:
        if kind in ("datatype", "nodeKind", "languageIn"):
            continue
        if kind in ("node", "not"):
            if not _term_only(arg, seen):
                return False
        elif kind in ("or", "and", "xone"):
            if not all(_term_only(m, seen) for m in arg):
                return False
        else:
            return False
    return True


_IRI_SIG = ("I", "")
_BLANK_SIG = ("B", "")


def term_signature(v: Term) -> tuple[str, str]:
    t = type(v)
    if t is ox.NamedNode:
        return _IRI_SIG
    if t is ox.Literal:
        return (v.datatype.value, v.language or "")
    return _BLANK_SIG


class Plan:
    """The shapes that apply to one set of types, split so that most nodes are checked fast.

    Rules whose verdict depends only on how many values a node has and of which kind, datatype
    and language ("structural") are decided once per *signature* of the node and cached; rules
    about the values themselves run on each value; anything else, or anything not clearly
    passing, goes to the full evaluator.
    """

    def __init__(self, shapes: list[Shape]) -> None:
        self.shapes = shapes
        self.structural: list[tuple[Shape, str, Any]] = []
        self.valued: list[tuple[Shape, str, Any]] = []
        self.other: list[tuple[Shape, str, Any]] = []
        preds: set[str] = set()
        structural: set[str] = set()
        detailed: set[str] = set()
        for root in shapes:
            for shape in [root, *root.properties]:
                if shape.properties and shape is not root:
                    self.other.append((shape, "properties", None))
                for kind, arg in shape.constraints:
                    if shape.path is None:
                        self.other.append((shape, kind, arg))
                        continue
                    nested_term_only = kind in _NESTING and all(
                        _term_only(s)
                        for s in (
                            arg
                            if isinstance(arg, tuple) and kind != "qualifiedValueShape"
                            else [arg[0] if kind == "qualifiedValueShape" else arg]
                        )
                    )
                    if kind in _STRUCTURAL or nested_term_only:
                        self.structural.append((shape, kind, arg))
                        preds.update(shape.path)
                        structural.update(shape.path)
                        if kind not in _COUNTS or len(shape.path) > 1:
                            detailed.update(shape.path)
                    elif kind in (
                        "class",
                        "pattern",
                        "in",
                        "minLength",
                        "maxLength",
                        "minInclusive",
                        "maxInclusive",
                        "minExclusive",
                        "maxExclusive",
                        "node",
                        "not",
                        "or",
                        "and",
                        "xone",
                    ):
                        self.valued.append((shape, kind, arg))
                        preds.update(shape.path)
                    else:
                        self.other.append((shape, kind, arg))
        #: Predicates whose values' kind, datatype and language the structural rules read;
        #: of the others they read only the number of values (and value rules' own nothing).
        self.preds = tuple(sorted(detailed))
        self.counted = tuple(sorted(structural - detailed))
        self.cache: dict[Any, Any] = {}
        #: The value rules by path, each with the IRIs already found to pass it (see
        #: FastEvaluator._valued_pass): a node has values for only a few of its rules.
        by_path: dict[tuple[str, ...], list[tuple[str, Any, set[Term] | None]]] = {}
        for shape, kind, arg in self.valued:
            by_path.setdefault(shape.path or (), []).append((kind, arg, _passed_set(kind)))
        self.valued_rules = {path[0]: rules for path, rules in by_path.items() if len(path) == 1}
        self.valued_preds = frozenset(self.valued_rules)
        self.valued_paths = [(path, rules) for path, rules in by_path.items() if len(path) > 1]


def _signature(desc: Desc, plan: Plan) -> tuple[Any, ...] | None:
    """How many values of which kind, datatype and language a node has, per predicate (of
    the predicates only counting rules read, how many).

    None when a literal is malformed for its datatype: the full evaluator reports that.
    """
    by = desc.values_by
    literal, named = ox.Literal, ox.NamedNode
    parts: list[Any] = [len(by.get(p) or ()) for p in plan.counted]
    preds = plan.preds
    for p in preds:
        vals = by.get(p)
        if not vals:
            parts.append(())
            continue
        sigs: list[tuple[str, str]] = []
        for v in vals:
            t = type(v)
            if t is literal:
                dt = v.datatype.value
                if dt in _LEXICAL and not _well_formed(dt, v.value):
                    return None
                sigs.append((dt, v.language or ""))
            elif t is named:
                sigs.append(_IRI_SIG)
            else:
                sigs.append(_BLANK_SIG)
        if len(sigs) > 1:
            sigs.sort()
        parts.append(tuple(sigs))
    return tuple(parts)


class FastEvaluator(Evaluator):
    """The evaluator with the signature cache in front of it."""

    def __init__(self, shapes: Shapes, describe: Describe) -> None:
        super().__init__(shapes, describe)
        self.plans: dict[frozenset[str], Plan] = {}
        self.verdicts: dict[tuple[int, str], bool] = {}
        #: IRIs in all the plans' ``passed`` sets.
        self.passed_count = 0
        self.fast = 0
        self.slow = 0

    def forget(self) -> None:
        """Let go of the plans with the IRIs they remember as passing, and of the verdicts
        (each up to 200 k): they only pay while a stream is read, and the index build that
        follows a load's stream is where its memory peaks."""
        self.plans = {}
        self.verdicts = {}
        self.passed_count = 0

    def plan(self, types: frozenset[str]) -> Plan:
        plan = self.plans.get(types)
        if plan is None:
            plan = self.plans[types] = Plan(self.shapes.for_types(types))
        return plan

    def check(self, focus: Term, desc: Desc, shapes: list[Shape]) -> list[Result]:
        """Every result for ``focus``; sets ``unknown`` like :meth:`validate`."""
        plan = self.plan(desc.types)
        self.unknown = False
        if plan.shapes is shapes or plan.shapes == shapes:
            results = self._fast(focus, desc, plan)
            if results is not None:
                self.fast += 1
                return results
        self.slow += 1
        out: list[Result] = []
        for shape in shapes:
            out.extend(self.validate(focus, desc, shape))
        return out

    def _fast(self, focus: Term, desc: Desc, plan: Plan) -> list[Result] | None:
        """The results from the signature cache, or None when the full evaluator must decide."""
        sig = _signature(desc, plan)
        if sig is None:
            return None
        templates = plan.cache.get(sig)
        if templates is None:
            templates = self._structural(focus, desc, plan)
            plan.cache[sig] = templates
        if templates is _SLOW:
            return None
        valued = self._valued_pass(focus, desc, plan)
        if valued is False:
            return None
        other = self._other_pass(focus, desc, plan) if plan.other else True
        if other is False:
            return None
        self.unknown = valued is None or other is None
        if self.unknown or not templates:
            return []  # unknown: the caller waits for the nodes it misses, then checks again
        return [
            Result(focus, r.shape, r.value, r.message, r.severity, r.component) for r in templates
        ]

    def _valued_pass(self, focus: Term, desc: Desc, plan: Plan) -> bool | None:
        """Rules about each value: False at the first failure, None if one is undecided.

        An IRI that passed a rule once is not looked at again for it (``plan.valued_rules``): most
        values are shared concepts, sections and actors, and each look went through several
        calls (a quarter of the stream's time at 4 M triples)."""
        by = desc.values_by
        unknown = False
        named = ox.NamedNode
        rules_of = plan.valued_rules
        paths: list[tuple[list[Term], list[tuple[str, Any, set[Term] | None]]]] = [
            (by[p], rules_of[p]) for p in by.keys() & plan.valued_preds
        ]
        if plan.valued_paths:
            paths += [(self._values(desc, path), rules) for path, rules in plan.valued_paths]
        for values, rules in paths:
            if not values:
                continue
            for kind, arg, passed in rules:
                todo = values
                if passed is not None:
                    todo = [v for v in values if v not in passed]  # hashed in Rust, no str
                    if not todo:
                        continue
                ok = (
                    self._classes_ok(todo, arg, focus, desc)
                    if kind == "class"
                    else self._values_ok(todo, kind, arg, focus, desc)
                )
                if ok is False:
                    return False
                if ok is None:
                    unknown = True
                elif passed is not None and self.passed_count < PASSED_LIMIT:
                    before = len(passed)
                    passed.update(v for v in todo if type(v) is named)
                    self.passed_count += len(passed) - before
        return None if unknown else True

    def _classes_ok(self, values: Iterable[Term], cls: str, focus: Term, desc: Desc) -> bool | None:
        accepted = self.shapes.closure(cls)
        unknown = False
        for v in values:
            if type(v) is ox.Literal:
                return False
            d = desc if v == focus else self.describe(v)
            if d is None:
                unknown = True
            elif not (d.types & accepted):
                return False
        return None if unknown else True

    def _values_ok(
        self, values: Iterable[Term], kind: str, arg: Any, focus: Term, desc: Desc
    ) -> bool | None:
        unknown = False
        for v in values:
            ok = self._value_ok(v, kind, arg, focus, desc)
            if ok is False:
                return False
            unknown = unknown or ok is None
        return None if unknown else True

    def _other_pass(self, focus: Term, desc: Desc, plan: Plan) -> bool | None:
        """Everything else, through the full evaluator's checkers."""
        unknown = False
        for shape, kind, arg in plan.other:
            if kind == "properties":
                ok = self.conforms(focus, shape, focus, desc)
                if ok is False:
                    return False
                unknown = unknown or ok is None
                continue
            values = [focus] if shape.path is None else self._values(desc, shape.path)
            self.unknown = False
            for _v in self._violations(focus, desc, shape, kind, arg, values):
                return False
            unknown = unknown or self.unknown
        return None if unknown else True

    def _structural(self, focus: Term, desc: Desc, plan: Plan) -> Any:
        out: list[Result] = []
        for shape, kind, arg in plan.structural:
            values = self._values(desc, shape.path or ())
            for value, _n in self._violations(focus, desc, shape, kind, arg, values):
                if value is not None:
                    return _SLOW
                out.append(self._result(focus, shape, kind, arg, None, len(values)))
        return out

    def _value_ok(self, v: Term, kind: str, arg: Any, focus: Term, desc: Desc) -> bool | None:
        if kind == "class":
            if type(v) is ox.Literal:
                return False
            d = self._desc_of(v, focus, desc)
            return None if d is None else bool(d.types & self.shapes.closure(arg))
        if kind in ("node", "not", "or", "and", "xone"):
            shapes = arg if kind in ("or", "and", "xone") else (arg,)
            answers = [self._cached_conforms(v, s, focus, desc) for s in shapes]
            if kind == "node":
                return answers[0]
            if kind == "not":
                return None if answers[0] is None else not answers[0]
            if kind == "or":
                return True if True in answers else (None if None in answers else False)
            if kind == "and":
                return False if False in answers else (None if None in answers else True)
            return None if None in answers else answers.count(True) == 1
        for _v in self._violations(focus, desc, _PROBE, kind, arg, [v]):
            return False
        return True

    def _cached_conforms(self, v: Term, shape: Shape, focus: Term, desc: Desc) -> bool | None:
        if type(v) is not ox.NamedNode:
            return self.conforms(v, shape, focus, desc)
        key = (id(shape), v.value)
        found = self.verdicts.get(key)
        if found is not None:
            return found
        answer = self.conforms(v, shape, focus, desc)
        if answer is True and len(self.verdicts) < 200_000:
            self.verdicts[key] = True
        return answer


_PROBE = Shape(key="probe", name="probe", message=None, severity="error")
