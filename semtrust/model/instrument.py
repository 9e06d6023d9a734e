"""Instruments: constructs, items, response scale and hypotheses, kept as YAML data.

The measurement part (constructs and their items) and the hypotheses are separate; the
lavaan model is derived from them, so editing a hypothesis changes the model and the
report together.

>>> trust = load_instrument("trust_mechanism")
>>> trust.construct("HT").name["en"]
'Host trust'
>>> print(trust.structural_syntax().splitlines()[0])
HT ~ CA + ID

Moderator constructs (``moderators:``, role ``moderator``) and the moderation hypotheses
(``moderation_hypotheses:``) are kept apart: they never enter the lavaan model, the item list or
the reliability groups, and are used only by ``semtrust fit --moderator``.

>>> [c.id for c in trust.moderators], trust.moderation_hypothesis("MH2").process_model
(['INV', 'FAM'], 7)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from semtrust.errors import InputError, shown

__all__ = ["Instrument", "ModerationHypothesis", "load_instrument", "bundled_instruments", "parse_yaml"]

BUNDLED = Path(__file__).resolve().parent.parent / "instruments"   # the YAML files shipped with semtrust

LANGUAGES = ("zh", "en")
ROLES = ("driver", "trust", "mediator", "outcome", "stimulus", "organism", "response")
MODERATOR_ROLE = "moderator"
STAGES = {"direct": 1, "first": 7, "second": 14}   # moderated path -> PROCESS model
_ID = re.compile(r"^[A-Z]+$")
_ITEM_ID = re.compile(r"^[A-Z]+[0-9]+$")
_HYPOTHESIS_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Item:
    """One questionnaire item: id, wording {zh, en}, reverse flag and the published source it
    adapts."""
    id: str
    text: dict
    reverse: bool
    source: str
    facet: str | None = None


@dataclass(frozen=True)
class Construct:
    """A construct of the instrument: id, name and definition {zh, en}, role and items."""
    id: str
    name: dict
    definition: dict
    role: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Hypothesis:
    """A hypothesised structural path (source → target) with its expected sign."""
    id: str
    source: str       # predictor construct id
    target: str       # outcome construct id
    sign: str         # "+" or "-"
    rationale: dict


@dataclass(frozen=True)
class ModerationHypothesis:
    """``moderator`` changes the path ``source`` -> ``target`` (stage "direct", PROCESS model 1)
    or, with a mediator ``through``, the first (model 7) or second (model 14) stage of the
    indirect effect; ``sign`` is the expected sign of the interaction coefficient.

    >>> mh = load_instrument("trust_mechanism").moderation_hypotheses[0]
    >>> mh.id, f"{mh.source} -> {mh.target}", mh.moderator, mh.stage, mh.sign
    ('MH1', 'PV -> PI', 'INV', 'direct', '+')
    """

    id: str
    source: str
    target: str
    moderator: str
    stage: str
    sign: str
    rationale: dict
    through: str | None = None

    @property
    def process_model(self) -> int:
        return STAGES[self.stage]

    @property
    def moderated_path(self) -> tuple[str, str]:
        """The (predictor, outcome) pair whose coefficient the moderator changes."""
        if self.stage == "first":
            return self.source, self.through
        if self.stage == "second":
            return self.through, self.target
        return self.source, self.target

    def describe(self) -> str:
        """E.g. ``HT -> PV -> PI, first stage x FAM``."""
        chain = " -> ".join(c for c in (self.source, self.through, self.target) if c)
        return f"{chain}, {self.stage + ' stage' if self.through else 'path'} x {self.moderator}"


@dataclass(frozen=True)
class AttentionCheck:
    """An instructed-response item ("本题请选择'同意'"), shown after the item ``after`` and
    scored on the instrument's response scale; ``correct`` lists the accepted scores."""

    id: str
    text: dict
    correct: tuple[int, ...]
    after: str


@dataclass(frozen=True)
class ResponseScale:
    """The labelled response scale (points and anchors {zh, en})."""
    points: int
    anchors: dict  # score -> {"zh": label, "en": label}

    def label_scores(self) -> dict[str, int]:
        """Every anchor label (both languages, case-folded) mapped to its score."""
        return {label.strip().casefold(): score for score, names in self.anchors.items()
                for label in names.values()}


@dataclass(frozen=True)
class Demographic:
    """A respondent characteristic to profile: its data column, label and categories in the
    order a table lists them (data value, label {zh, en})."""
    column: str
    label: dict
    categories: tuple[tuple[str, dict], ...]


@dataclass(frozen=True)
class Instrument:
    """A questionnaire as data: constructs, items, hypotheses, attention checks, moderators and
    demographics; ``model_syntax()`` is its lavaan model.

    >>> inst = load_instrument("trust_mechanism")
    >>> inst.id, len(inst.constructs), len(inst.hypotheses), inst.scale.points
    ('trust_mechanism', 15, 25, 7)
    >>> print(inst.model_syntax().splitlines()[1])
    CA =~ CA1 + CA2 + CA3
    """
    id: str
    version: int
    title: dict
    description: dict
    reference: str
    translation_note: str
    scale: ResponseScale
    constructs: tuple[Construct, ...]
    hypotheses: tuple[Hypothesis, ...]
    path: str = ""
    marker_items: tuple[str, ...] = ()   # data columns theoretically unrelated to the constructs (CFA marker technique)
    attention_checks: tuple[AttentionCheck, ...] = ()
    demographics: tuple[Demographic, ...] = ()
    report_language: str | None = None     # the reports' default language (en or zh)
    moderators: tuple[Construct, ...] = ()          # role "moderator": outside the model
    moderation_hypotheses: tuple[ModerationHypothesis, ...] = ()
    _by_id: dict = field(default_factory=dict, repr=False, compare=False)

    def construct(self, construct_id: str) -> Construct:
        return next(c for c in self.constructs + self.moderators if c.id == construct_id)

    def moderation_hypothesis(self, hypothesis_id: str) -> ModerationHypothesis:
        return next(h for h in self.moderation_hypotheses if h.id == hypothesis_id)

    @property
    def items(self) -> list[Item]:
        return [item for c in self.constructs for item in c.items]

    @property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]

    @property
    def reverse_items(self) -> list[str]:
        return [item.id for item in self.items if item.reverse]

    @property
    def item_groups(self) -> dict[str, list[str]]:
        """construct id -> item ids, the grouping reliability is computed over."""
        return {c.id: [i.id for i in c.items] for c in self.constructs}

    def measurement_syntax(self) -> str:
        return "\n".join(f"{c.id} =~ {' + '.join(i.id for i in c.items)}" for c in self.constructs)

    def structural_syntax(self) -> str:
        targets = list(dict.fromkeys(h.target for h in self.hypotheses))
        return "\n".join(f"{t} ~ {' + '.join(h.source for h in self.hypotheses if h.target == t)}"
                         for t in targets)

    def model_syntax(self) -> str:
        return (f"# {self.id}: measurement model\n{self.measurement_syntax()}\n"
                f"# hypotheses\n{self.structural_syntax()}\n")

    def to_dict(self) -> dict:
        def construct_dict(c: Construct) -> dict:
            return {"id": c.id, "name": c.name, "definition": c.definition, "role": c.role,
                    "items": [{"id": i.id, "text": i.text, "reverse": i.reverse,
                               "source": i.source, "facet": i.facet} for i in c.items]}
        return {
            "id": self.id, "version": self.version, "title": self.title,
            "description": self.description, "reference": self.reference,
            "translation_note": self.translation_note,
            "response_scale": {"points": self.scale.points,
                               "anchors": {str(k): v for k, v in self.scale.anchors.items()}},
            "constructs": [construct_dict(c) for c in self.constructs],
            "hypotheses": [{"id": h.id, "from": h.source, "to": h.target, "sign": h.sign,
                            "rationale": h.rationale} for h in self.hypotheses],
            "attention_checks": [{"id": a.id, "text": a.text, "correct": list(a.correct), "after": a.after}
                                 for a in self.attention_checks],
            "moderators": [construct_dict(c) for c in self.moderators],
            "moderation_hypotheses": [{"id": h.id, "from": h.source, "through": h.through, "to": h.target,
                                       "moderator": h.moderator, "stage": h.stage, "sign": h.sign,
                                       "rationale": h.rationale} for h in self.moderation_hypotheses],
        }

    def questionnaire_items(self) -> list[dict]:
        """Items in display order (id, text, reverse), each attention check after its item,
        the moderators' items last."""
        rows = []
        for item in self.items + [item for c in self.moderators for item in c.items]:
            rows.append({"id": item.id, "text": item.text, "reverse": item.reverse})
            rows += [{"id": a.id, "text": a.text, "reverse": False}
                     for a in self.attention_checks if a.after == item.id]
        return rows


class _Reader:
    """Validating accessors that name the file and the key path in every error."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, where: str, problem: str) -> InputError:
        return InputError(f"{self.path}: {where}: {problem}")

    def get(self, mapping, key, where, kind=None, required=True):
        if not isinstance(mapping, dict):
            raise self.fail(where, "expected a mapping of keys")
        if key not in mapping or mapping[key] is None:
            if required:
                raise self.fail(f"{where}.{key}" if where else key, "missing")
            return None
        value = mapping[key]
        if kind is not None and not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(f"{where}.{key}" if where else key,
                            f"expected {names}, got {type(value).__name__} {shown(value)}")
        return value

    def text(self, mapping, key, where) -> dict:
        value = self.get(mapping, key, where, dict)
        here = f"{where}.{key}" if where else key
        for lang in LANGUAGES:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                raise self.fail(here, f"needs a non-empty '{lang}' text")
        return {lang: value[lang].strip() for lang in LANGUAGES}


def _parse(data, path: str) -> Instrument:
    r = _Reader(path)
    if not isinstance(data, dict):
        raise r.fail("top level", "expected a mapping with id, response_scale, constructs and hypotheses")
    instrument_id = r.get(data, "id", "", str)
    stem = Path(path).stem
    if stem and not path.startswith("<") and instrument_id != stem:
        raise r.fail("id", f"'{instrument_id}' must equal the file name '{stem}'")

    scale_data = r.get(data, "response_scale", "", dict)
    points = r.get(scale_data, "points", "response_scale", int)
    if not 2 <= points <= 11:
        raise r.fail("response_scale.points", f"{points} is not between 2 and 11")
    anchors_data = r.get(scale_data, "anchors", "response_scale", dict)
    anchors = {}
    for score in range(1, points + 1):
        if score not in anchors_data:
            raise r.fail("response_scale.anchors", f"no label for point {score} (every point 1..{points} needs one)")
        anchors[score] = r.text(anchors_data, score, "response_scale.anchors")
    extra = set(anchors_data) - set(anchors)
    if extra:
        raise r.fail("response_scale.anchors", f"labels for points outside 1..{points}: {sorted(extra, key=str)}")

    seen_items: set[str] = set()
    raw_constructs = r.get(data, "constructs", "", list)
    if not raw_constructs:
        raise r.fail("constructs", "the instrument has no constructs")
    constructs = _constructs(raw_constructs, "constructs", ROLES, r, seen_items, [])
    moderators = _constructs(r.get(data, "moderators", "", list, required=False) or [], "moderators",
                             (MODERATOR_ROLE,), r, seen_items, constructs)
    ids = {c.id for c in constructs}
    hypotheses = []
    for hi, raw in enumerate(r.get(data, "hypotheses", "", list)):
        where = f"hypotheses[{hi}]"
        hid = r.get(raw, "id", where, str)
        where = f"hypotheses[{hi}] ({hid})"
        src, dst = r.get(raw, "from", where, str), r.get(raw, "to", where, str)
        for key, value in (("from", src), ("to", dst)):
            if value not in ids:
                raise r.fail(f"{where}.{key}", f"'{value}' is not a construct id ({', '.join(sorted(ids))})")
        if src == dst:
            raise r.fail(where, "a construct cannot predict itself")
        sign = r.get(raw, "sign", where, str)
        if sign not in ("+", "-"):
            raise r.fail(f"{where}.sign", f"'{sign}' must be '+' or '-'")
        if any(h.id == hid for h in hypotheses):
            raise r.fail(f"{where}.id", f"'{hid}' is used twice")
        if any(h.source == src and h.target == dst for h in hypotheses):
            raise r.fail(where, f"the path {src} -> {dst} is hypothesised twice")
        hypotheses.append(Hypothesis(hid, src, dst, sign, r.text(raw, "rationale", where)))
    _check_acyclic(hypotheses, r)
    markers = r.get(data, "marker_items", "", list, required=False) or []
    if not all(isinstance(m, str) and m.strip() for m in markers):
        raise r.fail("marker_items", f"expected a list of data column names, got {shown(markers)}")
    attention_checks = _attention_checks(data, r, seen_items, points)
    moderation = _moderation_hypotheses(data, r, constructs, moderators, hypotheses)

    return Instrument(
        id=instrument_id, version=r.get(data, "version", "", int), title=r.text(data, "title", ""),
        description=r.text(data, "description", ""), reference=r.get(data, "reference", "", str),
        translation_note=r.get(data, "translation_note", "", str),
        scale=ResponseScale(points, anchors), constructs=tuple(constructs),
        hypotheses=tuple(hypotheses), path=path, marker_items=tuple(m.strip() for m in markers),
        attention_checks=attention_checks, demographics=_demographics(data, r, seen_items),
        report_language=_report_language(data, r), moderators=tuple(moderators),
        moderation_hypotheses=moderation)


def _report_language(data: dict, r: _Reader) -> str | None:
    language = r.get(data, "report_language", "", str, required=False)
    if language is not None and language not in LANGUAGES:
        raise r.fail("report_language", f"'{language}' must be one of {', '.join(LANGUAGES)}")
    return language


def _demographics(data: dict, r: _Reader, item_ids: set[str]) -> tuple[Demographic, ...]:
    """The optional ``demographics`` list: column, label {zh, en}, categories [{value, zh, en}]
    in display order; only these columns are profiled in the reports."""
    out = []
    for di, raw in enumerate(r.get(data, "demographics", "", list, required=False) or []):
        where = f"demographics[{di}]"
        column = r.get(raw, "column", where, str)
        if column in item_ids or any(d.column == column for d in out):
            raise r.fail(f"{where}.column", f"'{column}' is an item or listed twice")
        categories = []
        for ci, category in enumerate(r.get(raw, "categories", where, list)):
            value = r.get(category, "value", f"{where}.categories[{ci}]", (str, int))
            categories.append((str(value), r.text({"text": {k: category.get(k) for k in ("zh", "en")}}, "text",
                                                  f"{where}.categories[{ci}]")))
        out.append(Demographic(column, r.text(raw, "label", where), tuple(categories)))
    return tuple(out)


def _constructs(raw_constructs: list, key: str, roles: tuple[str, ...], r: _Reader, seen_items: set[str],
                earlier: list[Construct]) -> list[Construct]:
    """The constructs of the list ``key`` (``constructs`` or ``moderators``); ids unique across
    ``earlier`` constructs, item ids across ``seen_items`` (updated)."""
    constructs: list[Construct] = []
    for ci, raw in enumerate(raw_constructs):
        where = f"{key}[{ci}]"
        cid = r.get(raw, "id", where, str)
        where = f"{key}[{ci}] ({cid})"
        if not _ID.match(cid):
            raise r.fail(f"{where}.id", "construct ids are upper-case letters only, e.g. HT")
        if any(c.id == cid for c in earlier + constructs):
            raise r.fail(f"{where}.id", f"'{cid}' is used by two constructs")
        role = r.get(raw, "role", where, str)
        if role not in roles:
            raise r.fail(f"{where}.role", f"'{role}' is not one of {', '.join(roles)}")
        raw_items = r.get(raw, "items", where, list)
        if not 2 <= len(raw_items) <= 10:
            raise r.fail(f"{where}.items", f"{len(raw_items)} items; a construct needs 2 to 10 (3-5 recommended)")
        items = []
        for ii, raw_item in enumerate(raw_items):
            iwhere = f"{where}.items[{ii}]"
            iid = r.get(raw_item, "id", iwhere, str)
            iwhere = f"{where}.items[{ii}] ({iid})"
            if not _ITEM_ID.match(iid):
                raise r.fail(f"{iwhere}.id", "item ids are upper-case letters then digits, e.g. HT1")
            if iid in seen_items:
                raise r.fail(f"{iwhere}.id", f"'{iid}' is used twice; item ids name data columns and must be unique")
            seen_items.add(iid)
            reverse = r.get(raw_item, "reverse", iwhere, bool)
            source = r.get(raw_item, "source", iwhere, str)
            facet = r.get(raw_item, "facet", iwhere, str, required=False)
            items.append(Item(iid, r.text(raw_item, "text", iwhere), reverse, source.strip(), facet))
        constructs.append(Construct(cid, r.text(raw, "name", where), r.text(raw, "definition", where),
                                    role, tuple(items)))
    return constructs


def _moderation_hypotheses(data: dict, r: _Reader, constructs: list[Construct], moderators: list[Construct],
                           hypotheses: list[Hypothesis]) -> tuple[ModerationHypothesis, ...]:
    """The optional ``moderation_hypotheses`` list; each moderates a hypothesised path of the
    main model (or a stage of an indirect effect made of two hypothesised paths)."""
    ids = {c.id for c in constructs}
    moderator_ids = [c.id for c in moderators]
    paths = {(h.source, h.target) for h in hypotheses}
    parsed: list[ModerationHypothesis] = []
    for hi, raw in enumerate(r.get(data, "moderation_hypotheses", "", list, required=False) or []):
        where = f"moderation_hypotheses[{hi}]"
        hid = r.get(raw, "id", where, str)
        where = f"moderation_hypotheses[{hi}] ({hid})"
        if not _HYPOTHESIS_ID.match(hid):
            raise r.fail(f"{where}.id", "ids are a letter then letters, digits or _, e.g. MH1 (they name figure files)")
        if any(h.id == hid for h in parsed + hypotheses):
            raise r.fail(f"{where}.id", f"'{hid}' is used twice")
        ends = {key: r.get(raw, key, where, str, required=key != "through") for key in ("from", "through", "to")}
        for key, value in ends.items():
            if value is not None and value not in ids:
                raise r.fail(f"{where}.{key}", f"'{value}' is not a construct of the model ({', '.join(sorted(ids))})")
        moderator = r.get(raw, "moderator", where, str)
        if moderator not in moderator_ids:
            raise r.fail(f"{where}.moderator", f"'{moderator}' is not a declared moderator "
                         f"({', '.join(moderator_ids) or 'the instrument has no moderators: block'})")
        stage = r.get(raw, "stage", where, str)
        if stage not in STAGES or (stage == "direct") != (ends["through"] is None):
            raise r.fail(f"{where}.stage", f"'{stage}': use direct (no 'through'), or first / second with a "
                         "mediator in 'through'")
        sign = r.get(raw, "sign", where, str)
        if sign not in ("+", "-"):
            raise r.fail(f"{where}.sign", f"'{sign}' must be '+' or '-'")
        chain = [c for c in (ends["from"], ends["through"], ends["to"]) if c]
        missing = [f"{a} -> {b}" for a, b in zip(chain, chain[1:]) if (a, b) not in paths]
        if missing:
            raise r.fail(where, f"the path {', '.join(missing)} is not a hypothesis of the model; moderate a "
                         "hypothesised path")
        parsed.append(ModerationHypothesis(hid, ends["from"], ends["to"], moderator, stage, sign,
                                           r.text(raw, "rationale", where), ends["through"]))
    return tuple(parsed)


def _attention_checks(data: dict, r: _Reader, item_ids: set[str], points: int) -> tuple[AttentionCheck, ...]:
    """The optional ``attention_checks`` list: id, text {zh, en}, correct score(s), after (item id)."""
    checks = []
    for ai, raw in enumerate(r.get(data, "attention_checks", "", list, required=False) or []):
        where = f"attention_checks[{ai}]"
        aid = r.get(raw, "id", where, str)
        where = f"attention_checks[{ai}] ({aid})"
        if not _ITEM_ID.match(aid):
            raise r.fail(f"{where}.id", "ids are upper-case letters then digits, e.g. AC1")
        if aid in item_ids or any(c.id == aid for c in checks):
            raise r.fail(f"{where}.id", f"'{aid}' is used twice; ids name data columns and must be unique")
        correct = r.get(raw, "correct", where, (int, list))
        correct = [correct] if isinstance(correct, int) else correct
        if not correct or not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= points
                                  for c in correct):
            raise r.fail(f"{where}.correct", f"{shown(correct)}: give the accepted score(s) on the 1-{points} scale")
        after = r.get(raw, "after", where, str)
        if after not in item_ids:
            raise r.fail(f"{where}.after", f"'{after}' is not an item id; name the item it follows")
        checks.append(AttentionCheck(aid, r.text(raw, "text", where), tuple(correct), after))
    return tuple(checks)


def _check_acyclic(hypotheses, reader: _Reader) -> None:
    edges: dict[str, list[str]] = {}
    for h in hypotheses:
        edges.setdefault(h.source, []).append(h.target)
    state: dict[str, int] = {}

    def visit(node, trail):
        if state.get(node) == 1:
            raise reader.fail("hypotheses", f"the paths form a loop: {' -> '.join(trail + [node])}; "
                              "semtrust fits recursive models only")
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in edges.get(node, []):
            visit(nxt, trail + [node])
        state[node] = 2

    for node in list(edges):
        visit(node, [])


def bundled_instruments() -> list[str]:
    """The ids of the instruments shipped with semtrust.

    >>> bundled_instruments()
    ['sor_live_commerce', 'trust_mechanism']
    """
    return sorted(path.stem for path in BUNDLED.glob("*.yaml"))


def load_instrument(id_or_path: str | Path) -> Instrument:
    """Load a bundled instrument by id, or any instrument YAML file by path.

    >>> inst = load_instrument("sor_live_commerce")
    >>> [c.id for c in inst.constructs][:4], inst.constructs[0].items[0].id
    (['IA', 'IF', 'EN', 'TR'], 'IA1')
    """
    text_path = str(id_or_path)
    path = Path(text_path)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise InputError(f"{path}: no such instrument file")
        raw, name = path.read_bytes(), str(path)
    elif text_path in bundled_instruments():
        raw = (BUNDLED / f"{text_path}.yaml").read_bytes()
        name = f"instruments/{text_path}.yaml"
    else:
        raise InputError(f"no instrument '{text_path}': use one of {', '.join(bundled_instruments())} "
                         "or the path of a .yaml file")
    return _parse(parse_yaml(raw, name, "instrument"), name)


MAX_YAML_NODES = 200_000   # far above any study, mapping or instrument; far below a "billion laughs"


def parse_yaml(raw: bytes | str, name: str, what: str, fix: str | None = None):
    """A YAML file's content, or one line naming the file, the line and column, and the fix.

    Aliases are counted as expanded before anything is built, so nested anchors (``&a [*b, *b,
    ...]``, the "billion laughs") and self-referencing anchors are refused in microseconds
    instead of filling memory when the value is later walked or printed.

    >>> parse_yaml(b"{a: &x [1, 2], b: *x}", "s.yaml", "study")
    {'a': [1, 2], 'b': [1, 2]}
    >>> laughs = "{a: &a [x, x], " + ", ".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}]" for p, c in zip("abcdefghijk", "bcdefghijkl")) + "}"
    >>> parse_yaml(laughs, "s.yaml", "study")
    Traceback (most recent call last):
    semtrust.errors.InputError: s.yaml: its anchors and aliases expand to more than 200000 values; write the values out (or use fewer nested aliases)
    """
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InputError(f"{name}: not UTF-8 text; save the {what} file as UTF-8") from None
    loader = None
    try:
        loader = yaml.SafeLoader(text)   # its reader already refuses control characters
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, name)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = str(getattr(exc, "problem", None) or "syntax")
        if isinstance(exc, yaml.reader.ReaderError):
            problem = "a control character, not text"
        elif isinstance(exc, yaml.constructor.ConstructorError):
            problem = "a tag such as !!python/... is not allowed; write plain values"
        problem = problem if len(problem) <= 80 else problem[:77] + "..."
        raise InputError(f"{name}: {where}: not valid YAML ({problem})" + (f"; {fix}" if fix else "")) from None
    except RecursionError:
        raise InputError(f"{name}: nested too deeply to be a {what} file") from None
    finally:
        if loader is not None:
            loader.dispose()


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse a node graph whose expansion (aliases copied out) exceeds MAX_YAML_NODES values,
    or that contains itself; sizes are memoized per node, so the check is linear in the text."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        if done:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_YAML_NODES:
                raise InputError(f"{name}: its anchors and aliases expand to more than {MAX_YAML_NODES} values; "
                                 "write the values out (or use fewer nested aliases)")
            continue
        if key in sizes:
            continue
        if key in active:
            raise InputError(f"{name}: an anchor refers to itself (a recursive alias); write the values out")
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
