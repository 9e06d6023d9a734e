"""Report stage, PLS-SEM: the section builders of a PLS run's report, after Hair, Risher, Sarstedt &
Ringle (2019).

They fill the same :class:`~semtrust.report.document.Document` as the CB-SEM builders of
:mod:`semtrust.report.sections` (which lists them), from results.json's ``pls`` block, in the
article's order: the reflective measurement model (indicator loadings and reliability; α, ρ_A,
ρ_C; AVE; discriminant validity by HTMT with its bootstrap upper bound and by Fornell–Larcker),
the formative measurement model (outer VIF, weights and their significance, loadings, the
redundancy analysis against declared global items), the
structural model (inner VIF, paths with bootstrap CIs and f², R² and adjusted R², model fit,
PLSpredict, CVPAT), the importance–performance map with its plot, MICOM and PLS-MGA when the
run has groups, and in the appendix the cross-loadings, every HTMT/HTMT2 bound and the
information criteria. The mediation section is the CB-SEM one: the effects stage reads the PLS
fit like any other. Each builder returns None for a run without a ``pls`` block.

Every inference in these tables is the bootstrap's: t is the estimate over its bootstrap SE and
"significant" means the bootstrap CI (percentile or BCa, as the run asked) excludes 0, so no
table prints a normal-theory p beside a percentile CI.

>>> pls = {"settings": {"modes": {"A": "A"}}, "reliability": [
...     {"construct": "A", "alpha": .81, "rho_a": .97, "rho_c": .88, "ave": .71}], "parameters": [
...     {"lhs": "A", "op": "=~", "rhs": "a1", "est": .66}, {"lhs": "A", "op": "=~", "rhs": "a2", "est": .91}]}
>>> _construct_status(pls)["A"]
{'reliable': True, 'redundant': True, 'convergent': True, 'review_items': ['a1']}
"""
from __future__ import annotations

from semtrust.report.diagram import layout, to_svg, to_tikz
from semtrust.report.document import Cell, Column, Figure, Paragraph, Section, Table, ci, excludes_zero, num, pval, verdict
from semtrust.report.format import apa, apa_range
from semtrust.report.ipma_plot import ipma_svg

__all__ = []

MAIN, APPENDIX = False, True
WIDE_COLUMNS = 9
LOADING, LOADING_MIN, AVE = 0.708, 0.40, 0.50                     # Hair et al. (2019)
RELIABILITY_LOW, RELIABILITY_HIGH = 0.70, 0.95
VIF_REVIEW, VIF_LIMIT = 3.0, 5.0
HTMT_DISTINCT, HTMT_SIMILAR = 0.85, 0.90
SRMR_LIMIT = 0.08                                                  # Henseler et al. (2014)


# ---------------------------------------------------------------- what the tables read
def _pls(b) -> dict | None:
    return b.r.get("pls")


def _statistics(pls: dict) -> dict:
    """(part, lhs, rhs) → the statistic's row (bootstrap columns only after a bootstrap)."""
    return {(s["part"], s["lhs"], s["rhs"]): s for s in pls.get("statistics") or []}


def _modes(pls: dict, mode: str) -> list[str]:
    return [c for c, m in pls["settings"]["modes"].items() if m == mode]


def _significance(b, row: dict | None) -> Cell:
    """Whether the row's bootstrap CI excludes 0 ("—" without a bootstrap)."""
    if not row or row.get("ci_lower") is None:
        return Cell("—")
    sig = excludes_zero((row["ci_lower"], row["ci_upper"]))
    return verdict(sig, b.m("verdict.significant") if sig else b.m("verdict.not_significant"))


def _boot(row: dict | None, key: str, digits: int = 3, bounded: bool = False) -> Cell:
    return num(None if not row else row.get(key), digits, bounded)


def _interval(row: dict | None, bounded: bool = False) -> Cell:
    return ci(*((row["ci_lower"], row["ci_upper"]) if row and row.get("ci_lower") is not None else (None, None)),
              bounded=bounded)


def _inference(b) -> list[str]:
    """The note naming where the table's SEs, t values and CIs come from."""
    how = b.r.get("bootstrap")
    return [b.m("pls.notes.bootstrap", method=b.m(f"draft.method.{how['ci']}"), draws=how["successful"],
                seed=how["seed"])] if how else [b.m("pls.notes.no_bootstrap")]


def _band(value, low: float, high: float) -> str:
    """ok below ``low``, review from ``low`` to ``high``, bad at or above ``high``."""
    return "ok" if value < low else "review" if value < high else "bad"


def _status_cell(b, status: str) -> Cell:
    return verdict(status != "bad", b.m({"ok": "verdict.met", "review": "verdict.review", "bad": "verdict.not_met"}[status]),
                   status == "review")


def _reflective(pls: dict) -> list[str]:
    """The reflective constructs with two or more items: those the reliability and validity
    criteria apply to (a single item's reliability cannot be estimated; Hair et al. 2019)."""
    sizes: dict[str, int] = {}
    for p in pls["parameters"]:
        if p["op"] == "=~":
            sizes[p["lhs"]] = sizes.get(p["lhs"], 0) + 1
    return [c for c in _modes(pls, "A") if sizes.get(c, 0) > 1]


def _construct_status(pls: dict) -> dict[str, dict]:
    """Per multi-item reflective construct: internal consistency (ρ_C and ρ_A within .70–.95;
    above .95 review), convergent validity (AVE ≥ .50) and the items to review (.40 ≤ λ < .708)."""
    reflective = set(_reflective(pls))
    loadings = [p for p in pls["parameters"] if p["op"] == "=~" and p["lhs"] in reflective]
    out = {}
    for r in pls["reliability"]:
        c = r["construct"]
        if c not in reflective:
            continue
        values = [v for v in (r["rho_c"], r["rho_a"]) if v is not None]
        own = [p for p in loadings if p["lhs"] == c]
        out[c] = {"reliable": all(v >= RELIABILITY_LOW for v in values),
                  "redundant": any(v > RELIABILITY_HIGH for v in values),
                  "convergent": r["ave"] is not None and r["ave"] >= AVE and all(abs(p["est"]) >= LOADING_MIN for p in own),
                  "review_items": [p["rhs"] for p in own if LOADING_MIN <= abs(p["est"]) < LOADING]}
    return out


def _htmt_pairs(pls: dict) -> list[dict]:
    """Each pair's HTMT with the bound it is judged on: the one-sided bootstrap upper bound when
    there is one, else the estimate; level distinct (< .85), similar (< .90) or fail."""
    bounds = {(h["construct_1"], h["construct_2"]): h["upper"] for h in pls.get("htmt_inference") or []
              if h["measure"] == "htmt"}
    reflective, pairs = set(_reflective(pls)), []
    for h in pls["htmt"]:
        if h["htmt"] is None or not {h["construct_1"], h["construct_2"]} <= reflective:
            continue
        key = (h["construct_1"], h["construct_2"])
        bound = bounds.get(key, bounds.get(key[::-1], h["htmt"]))
        level = "distinct" if bound < HTMT_DISTINCT else "similar" if bound < HTMT_SIMILAR else "fail"
        pairs.append({"a": h["construct_1"], "b": h["construct_2"], "htmt": h["htmt"], "bound": bound, "level": level})
    return pairs


def _predictive_power(rows: list[dict]) -> str:
    """Shmueli et al. (2019): high when PLS's RMSE beats the linear model's for every indicator,
    medium for most, low for a minority, none for none."""
    better = sum(r["pls_rmse"] < r["lm_rmse"] for r in rows)
    return "high" if better == len(rows) else "medium" if better > len(rows) / 2 else "low" if better else "none"


# ---------------------------------------------------------------- summary rows and draft text
def verdict_rows(b) -> list[tuple]:
    """(aspect, criterion, result, met, target, review) rows of a PLS run's verdict table."""
    pls = _pls(b)
    if not pls:
        return []
    m, rows = b.m, []
    status = _construct_status(pls)
    if status:
        k = len(status)
        reliable = [c for c, s in status.items() if s["reliable"]]
        redundant = [c for c, s in status.items() if s["redundant"]]
        result = m("summary.n_of", n=len(reliable), k=k) + (m("pls.summary.redundant", constructs=m.join(redundant))
                                                           if redundant else "")
        rows.append((m("summary.reliability"), m("pls.criteria.reliability"), result, len(reliable) == k,
                     "tab-pls-reliability", bool(redundant)))
        convergent = [c for c, s in status.items() if s["convergent"]]
        review = sorted(i for s in status.values() for i in s["review_items"])
        result = m("summary.n_of", n=len(convergent), k=k) + (m("summary.review_items", n=len(review),
                                                                  items=m.join(review)) if review else "")
        rows.append((m("summary.convergent"), m("pls.criteria.convergent"), result, len(convergent) == k,
                     "tab-pls-loadings", bool(review)))
    pairs = _htmt_pairs(pls)
    if pairs:
        worst = max(pairs, key=lambda p: p["bound"])
        failing = [p for p in pairs if p["level"] == "fail"]
        result = m("pls.summary.htmt", a=worst["a"], b=worst["b"], value=apa(worst["htmt"], 3, True),
                   bound=apa(worst["bound"], 3, True), n=len(failing))
        rows.append((m("summary.htmt"), m("pls.criteria.htmt"), result, not failing, "tab-pls-htmt",
                     not failing and any(p["level"] == "similar" for p in pairs)))
    formative = set(_modes(pls, "B"))
    if formative:
        worst = max((v["vif"] for v in pls["vif"]["outer"] if v["construct"] in formative), default=None)
        if worst is not None:
            level = _band(worst, VIF_REVIEW, VIF_LIMIT)
            rows.append((m("pls.summary.formative"), m("pls.criteria.vif"), m("pls.summary.vif", value=apa(worst, 2)),
                         level != "bad", "tab-pls-formative", level == "review"))
    if pls.get("redundancy"):
        failing = [r["construct"] for r in pls["redundancy"] if not r["convergent"]]
        result = m("summary.n_of", n=len(pls["redundancy"]) - len(failing), k=len(pls["redundancy"])) + (
            m("pls.summary.not_met", constructs=m.join(failing)) if failing else "")
        rows.append((m("pls.summary.redundancy"), m("pls.criteria.redundancy"), result, not failing,
                     "tab-pls-redundancy", False))
    inner = [v["vif"] for v in pls["vif"]["inner"] if v["vif"] is not None]
    if inner:
        level = _band(max(inner), VIF_REVIEW, VIF_LIMIT)
        rows.append((m("pls.summary.collinearity"), m("pls.criteria.vif"), m("pls.summary.vif", value=apa(max(inner), 2)),
                     level != "bad", "tab-pls-inner-vif", level == "review"))
    if pls["r2"]:
        values = [r["r2"] for r in pls["r2"]]
        rows.append((m("pls.summary.r2"), m("pls.criteria.r2"),
                     m("pls.summary.range", low=apa(min(values), 3, True), high=apa(max(values), 3, True)),
                     None, "tab-pls-r2", False))
    if pls.get("plspredict"):
        power = _predictive_power(pls["plspredict"])
        rows.append((m("pls.summary.prediction"), m("pls.criteria.prediction"), m(f"pls.power.{power}"),
                     power != "none", "tab-pls-predict", power in ("low", "medium")))
    srmr = pls["fit_measures"].get("SRMR")
    if srmr is not None:
        rows.append((m("pls.summary.fit"), m("pls.criteria.srmr"), f"SRMR = {apa(srmr, 3, True)}", srmr < SRMR_LIMIT,
                     "tab-pls-fit", False))
    if pls.get("micom"):
        held = [x for x in pls["micom"] if x["compositional_invariance"]]
        rows.append((m("pls.summary.micom"), m("pls.criteria.micom"), m("summary.n_of", n=len(held), k=len(pls["micom"])),
                     len(held) == len(pls["micom"]), "tab-pls-micom", False))
    return rows


def results_sentences(b) -> list[str]:
    """The draft Results paragraph's sentences on the PLS measurement and structural model."""
    pls = _pls(b)
    if not pls:
        return []
    m, parts = b.m, []
    status = _construct_status(pls)
    if status:
        rel = [r for r in pls["reliability"] if r["construct"] in status]
        failing = [c for c, s in status.items() if not (s["reliable"] and s["convergent"])]
        parts.append(b.cite(m("pls.draft.reliability_mixed" if failing else "pls.draft.reliability_ok",
                              rho_c=apa_range(r["rho_c"] for r in rel), rho_a=apa_range(r["rho_a"] for r in rel),
                              ave=apa_range(r["ave"] for r in rel), failing=m.join(failing)),
                            "tab-pls-reliability"))
        review = sorted(i for s in status.values() for i in s["review_items"])
        if review:
            parts.append(m("pls.draft.review_items", items=m.join(review)))
    pairs = _htmt_pairs(pls)
    if pairs:
        worst = max(pairs, key=lambda p: p["bound"])
        key = "pls.draft.discriminant_ok" if worst["level"] != "fail" else "pls.draft.discriminant_mixed"
        parts.append(b.cite(m(key, a=worst["a"], b=worst["b"], value=apa(worst["htmt"], 2, True),
                              bound=apa(worst["bound"], 2, True)), "tab-pls-htmt"))
    if pls.get("redundancy"):
        failing = [r["construct"] for r in pls["redundancy"] if not r["convergent"]]
        parts.append(b.cite(m("pls.draft.redundancy_mixed" if failing else "pls.draft.redundancy_ok",
                              paths=apa_range(r["path"] for r in pls["redundancy"]), failing=m.join(failing)),
                            "tab-pls-redundancy"))
    if pls["r2"]:
        values = {r["construct"]: r["r2"] for r in pls["r2"]}
        parts.append(b.cite(m("pls.draft.r2", low=apa(min(values.values()), 2, True), high=apa(max(values.values()), 2, True)),
                            "tab-pls-r2"))
    if pls.get("plspredict"):
        parts.append(b.cite(m("pls.draft.prediction", power=m(f"pls.power.{_predictive_power(pls['plspredict'])}")),
                            "tab-pls-predict"))
    return parts


# ---------------------------------------------------------------- measurement model
def loadings_table(b) -> Table | None:
    m, pls = b.m, _pls(b)
    reflective = set(_modes(pls, "A"))
    stats = _statistics(pls)
    rows, previous = [], None
    for p in pls["parameters"]:
        if p["op"] != "=~" or p["lhs"] not in reflective:
            continue
        lam = p["est"]
        status = "bad" if abs(lam) < LOADING_MIN else "review" if abs(lam) < LOADING else "ok"
        flag = verdict(status != "bad", m("marks.fail_loading") if status == "bad" else m("pls.marks.review_loading")
                       if status == "review" else m("verdict.met"), status == "review")
        row = stats.get(("loading", p["lhs"], p["rhs"]))
        rows.append([Cell(p["lhs"] if p["lhs"] != previous else ""), Cell(b.reversed(p["rhs"])),
                     num(lam, 3, True), _boot(row, "se", 3, True), _boot(row, "t", 2), _interval(row, True),
                     num(lam ** 2, 3, True), flag])
        previous = p["lhs"]
    if not rows:
        return None
    return Table("tab-pls-loadings", m("pls.titles.loadings"),
                 [Column(m("columns.construct"), "l"), Column(m("columns.item"), "l"), Column("λ"), Column("SE"),
                  Column("t"), Column(m("columns.ci95")), Column(m("pls.columns.indicator_reliability")),
                  Column(m("columns.verdict"), "l")],
                 rows, [m("pls.notes.loadings")] + _inference(b), inference=(b.r.get("bootstrap") or {}).get("ci"))


def reliability_table(b) -> Table | None:
    m, pls = b.m, _pls(b)
    stats = _statistics(pls)
    status = _construct_status(pls)
    rows = []
    for r in pls["reliability"]:
        c = r["construct"]
        if c not in _modes(pls, "A"):
            continue
        if c not in status:   # a single item: reliability and AVE are 1 by definition
            rows.append([Cell(b.named(c)), Cell("—"), Cell("—"), Cell("—"), Cell("—"), Cell("—"), Cell("—"),
                         Cell(b.m("pls.single_item"))])
            continue
        s = status[c]
        ok = s["reliable"] and s["convergent"]
        review = ok and (s["redundant"] or bool(s["review_items"]))
        rows.append([Cell(b.named(c)), num(r["alpha"], 3, True), num(r["rho_a"], 3, True), num(r["rho_c"], 3, True),
                     _interval(stats.get(("rho_c", c, c)), True), num(r["ave"], 3, True),
                     _interval(stats.get(("ave", c, c)), True),
                     verdict(ok, m("verdict.review") if review else m("verdict.met") if ok else m("verdict.not_met"),
                             review)])
    if not rows:
        return None
    return Table("tab-pls-reliability", m("pls.titles.reliability"),
                 [Column(m("columns.construct"), "l"), Column("α"), Column("ρ_A"), Column("ρ_C"),
                  Column(m("columns.ci95")), Column("AVE"), Column(m("columns.ci95")), Column(m("columns.verdict"), "l")],
                 rows, [m("pls.notes.reliability")] + _inference(b),
                 groups=[("", 1), (m("columns.reliability_group"), 4), (m("columns.convergent_group"), 2), ("", 1)])


def _matrix(b, tid: str, title: str, names: list[str], cell, notes: list[str]) -> Table:
    rows = [[Cell(a)] + [cell(a, c, i, j) for j, c in enumerate(names)] for i, a in enumerate(names)]
    key = b.m("notes.key", key=b.m.join(f"{c} = {b.name(c)}" for c in names))
    return Table(tid, title, [Column(b.m("columns.construct"), "l")] + [Column(c) for c in names], rows,
                 notes + [key], wide=len(names) + 1 > WIDE_COLUMNS)


def htmt_table(b) -> Table | None:
    pls = _pls(b)
    level = {(p["a"], p["b"]): p for p in _htmt_pairs(pls)}
    if not level:
        return None
    names = [c for c in dict.fromkeys(h["construct_1"] for h in pls["htmt"]) if c in _reflective(pls)]

    def cell(a, c, i, j):
        pair = level.get((a, c)) or level.get((c, a)) if j < i else None
        if pair is None:
            return Cell("—" if i == j else "")
        text = apa(pair["htmt"], 2, True) + {"distinct": "", "similar": "†", "fail": "‡"}[pair["level"]]
        return Cell(text, pair["htmt"], "number", status=None if pair["level"] == "distinct" else "bad")
    note = "pls.notes.htmt_boot" if pls.get("htmt_inference") else "pls.notes.htmt"
    return _matrix(b, "tab-pls-htmt", b.m("titles.htmt"), names, cell, [b.m(note, level=apa(100 * pls["settings"]["level"], 0))])


def fornell_larcker_table(b) -> Table | None:
    pls = _pls(b)
    value = {(c["construct_1"], c["construct_2"]): c["value"] for c in pls["fornell_larcker"]}
    names = [c for c in dict.fromkeys(c["construct_1"] for c in pls["fornell_larcker"]) if c in _reflective(pls)]
    if len(names) < 2:
        return None

    def fails(c):
        root = value[(c, c)]
        others = [abs(v) for (x, y), v in value.items() if x != y and c in (x, y) and {x, y} <= set(names)
                  and v is not None]
        return any(v >= root for v in others)

    def cell(a, c, i, j):
        if j > i:
            return Cell("")
        if i == j:
            mark = " " + b.m("marks.fl_fail") if fails(a) else ""
            return Cell(apa(value[(a, a)], 2, True) + mark, value[(a, a)], "number", bold=True)
        return num(value.get((a, c)), 2, True)
    return _matrix(b, "tab-pls-fornell-larcker", b.m("pls.titles.fornell_larcker"), names, cell,
                   [b.m("pls.notes.fornell_larcker")])


def formative_table(b) -> Table | None:
    m, pls = b.m, _pls(b)
    formative = set(_modes(pls, "B"))
    if not formative:
        return None
    stats = _statistics(pls)
    vif = {(v["construct"], v["item"]): v["vif"] for v in pls["vif"]["outer"]}
    rows, previous = [], None
    for p in pls["parameters"]:
        if p["op"] != "<~" or p["lhs"] not in formative:
            continue
        loading = stats.get(("loading", p["lhs"], p["rhs"])) or next(
            (x for x in pls["parameters"] if x["op"] == "=~" and (x["lhs"], x["rhs"]) == (p["lhs"], p["rhs"])), None)
        weight = stats.get(("weight", p["lhs"], p["rhs"])) or p
        significant = weight.get("ci_lower") is not None and excludes_zero((weight["ci_lower"], weight["ci_upper"]))
        v = vif.get((p["lhs"], p["rhs"]))
        keep = "ok" if significant or (loading and loading["est"] >= 0.5) else "review"
        if v is not None and v >= VIF_LIMIT:
            keep = "bad"
        rows.append([Cell(p["lhs"] if p["lhs"] != previous else ""), Cell(b.reversed(p["rhs"])), num(v, 2),
                     num(p["est"], 3), _boot(weight, "se", 3), _boot(weight, "t", 2), _interval(weight),
                     _significance(b, weight), num(loading["est"] if loading else None, 3, True),
                     _status_cell(b, keep)])
        previous = p["lhs"]
    return Table("tab-pls-formative", m("pls.titles.formative"),
                 [Column(m("columns.construct"), "l"), Column(m("columns.item"), "l"), Column("VIF"),
                  Column(m("pls.columns.weight")), Column("SE"), Column("t"), Column(m("columns.ci95")),
                  Column(m("columns.significance"), "l"), Column(m("pls.columns.loading")),
                  Column(m("columns.verdict"), "l")],
                 rows, [m("pls.notes.formative")] + _inference(b), wide=True,
                 inference=(b.r.get("bootstrap") or {}).get("ci"))


def redundancy_table(b) -> Table | None:
    """Redundancy analysis of the formative constructs that have a declared global item."""
    m, pls = b.m, _pls(b)
    if not pls.get("redundancy"):
        return None
    rows = [[Cell(b.named(r["construct"])), Cell(r["global_item"]), num(r["path"], 3, True), _boot(r, "se", 3, True),
             _boot(r, "t", 2), _interval(r, True), num(r["r2"], 3, True),
             verdict(r["convergent"], m("verdict.met") if r["convergent"] else m("verdict.not_met"))]
            for r in pls["redundancy"]]
    return Table("tab-pls-redundancy", m("pls.titles.redundancy"),
                 [Column(m("columns.construct"), "l"), Column(m("pls.columns.global_item"), "l"), Column("β"),
                  Column("SE"), Column("t"), Column(m("columns.ci95")), Column("R²"), Column(m("columns.verdict"), "l")],
                 rows, [m("pls.notes.redundancy")] + _inference(b), inference=(b.r.get("bootstrap") or {}).get("ci"))


def measurement(b) -> Section | None:
    """The measurement model of a PLS run: reflective, then formative (Hair et al. 2019)."""
    if not _pls(b):
        return None
    blocks = [t for t in (loadings_table(b), reliability_table(b), htmt_table(b), fornell_larcker_table(b),
                          formative_table(b), redundancy_table(b)) if t is not None]
    return Section("pls_measurement", b.m("pls.sections.measurement"), blocks)


# ---------------------------------------------------------------- structural model
def paths_table(b) -> Table:
    m, pls, r = b.m, _pls(b), b.r
    f2 = {(f["source"], f["target"]): f["f2"] for f in pls["f2"]}
    hyps = r.get("hypotheses")
    rows = []
    for h in hyps or [p for p in pls["parameters"] if p["op"] == "~"]:
        source, target = (h["source"], h["target"]) if hyps else (h["rhs"], h["lhs"])
        row = ([Cell(h["id"])] if hyps else []) + [Cell(f"{source} → {target}")] + \
              ([Cell(h["expected_sign"])] if hyps else []) + \
              [num(h["est"], 3), num(h["se"], 3), num(h["z"], 2), _interval(h), num(f2.get((source, target)), 3)]
        if hyps:
            result = h["result"]
            row.append(verdict(result == "supported", m.get(f"hypothesis.{result.replace(' ', '_')}", result)))
        else:
            row.append(_significance(b, h))
        rows.append(row)
    columns = ([Column("H", "l")] if hyps else []) + [Column(m("columns.path"), "l")] + \
        ([Column(m("columns.sign"))] if hyps else []) + \
        [Column("β"), Column("SE"), Column("t"), Column(m("columns.ci95")), Column("f²"),
         Column(m("columns.result") if hyps else m("columns.significance"), "l")]
    return Table("tab-hypotheses", m("titles.hypotheses" if hyps else "titles.paths"), columns, rows,
                 [m("pls.notes.paths")] + _inference(b), inference=(r.get("bootstrap") or {}).get("ci"))


def structural(b) -> Section | None:
    """Collinearity, paths, R², model fit and prediction of a PLS run's structural model."""
    pls = _pls(b)
    if not pls:
        return None
    m = b.m
    blocks = [Table("tab-pls-inner-vif", m("pls.titles.inner_vif"),
                    [Column(m("pls.columns.target"), "l"), Column(m("pls.columns.predictor"), "l"), Column("VIF"),
                     Column(m("columns.verdict"), "l")],
                    [[Cell(v["target"]), Cell(v["source"]), num(v["vif"], 2),
                      _status_cell(b, _band(v["vif"], VIF_REVIEW, VIF_LIMIT)) if v["vif"] is not None else Cell("—")]
                     for v in pls["vif"]["inner"]], [m("pls.notes.vif")]),
              paths_table(b)]
    figure = layout(b.r)
    blocks.append(Figure("fig-model", m("titles.figure"), to_svg(figure, b.lang), to_tikz(figure, b.lang),
                         [m("pls.notes.figure")]))
    stats = _statistics(pls)
    rows = []
    for r in pls["r2"]:
        level = "substantial" if r["r2"] >= 0.75 else "moderate" if r["r2"] >= 0.50 else "weak" if r["r2"] >= 0.25 else "low"
        rows.append([Cell(b.named(r["construct"])), num(r["r2"], 3, True), num(r["r2_adj"], 3, True),
                     _interval(stats.get(("r2", r["construct"], r["construct"])), True), Cell(m(f"pls.r2_level.{level}"))])
    blocks.append(Table("tab-pls-r2", m("pls.titles.r2"),
                        [Column(m("columns.construct"), "l"), Column("R²"), Column(m("pls.columns.r2_adj")),
                         Column(m("columns.ci95")), Column(m("pls.columns.explanatory"), "l")],
                        rows, [m("pls.notes.r2")] + _inference(b)))
    if pls.get("q2"):
        blocks.append(Table("tab-pls-q2", m("pls.titles.q2"),
                            [Column(m("columns.construct"), "l"), Column(m("pls.columns.q2_redundancy")),
                             Column(m("pls.columns.q2_communality"))],
                            [[Cell(b.named(q["construct"])), num(q["q2_redundancy"], 3, True),
                              num(q["q2_communality"], 3, True)] for q in pls["q2"]], [m("pls.notes.q2")]))
    fit = pls["fit_measures"]
    if fit.get("SRMR") is not None:
        blocks.append(Table("tab-pls-fit", m("pls.titles.fit"),
                            [Column(m("pls.columns.measure"), "l"), Column(m("pls.columns.value")),
                             Column(m("columns.criterion"), "l", True)],
                            [[Cell("SRMR"), num(fit["SRMR"], 3, True), Cell(m("pls.criteria.srmr"))],
                             [Cell("d_ULS"), num(fit["d_ULS"], 3), Cell("—")],
                             [Cell("d_G"), num(fit["d_G"], 3), Cell("—")]], [m("pls.notes.fit")]))
    if pls.get("plspredict"):
        blocks.append(predict_table(b))
    if pls.get("cvpat"):
        blocks.append(Table(
            "tab-pls-cvpat", m("pls.titles.cvpat"),
            [Column(m("pls.columns.benchmark"), "l"), Column(m("columns.construct"), "l"), Column(m("pls.columns.pls_loss")),
             Column(m("pls.columns.benchmark_loss")), Column(m("pls.columns.difference")), Column("t"), Column("p")],
            [[Cell(m(f"pls.benchmark.{c['benchmark']}")), Cell(c["construct"]), num(c["pls_loss"], 3),
              num(c["benchmark_loss"], 3), num(c["difference"], 3), num(c["t"], 2), pval(c["pvalue"])]
             for c in pls["cvpat"]], [m("pls.notes.cvpat")]))
    return Section("pls_structural", m("pls.sections.structural"), blocks)


def predict_table(b) -> Table:
    m, rows = b.m, _pls(b)["plspredict"]
    positive = sum(r["q2_predict"] > 0 for r in rows)
    better = sum(r["pls_rmse"] < r["lm_rmse"] for r in rows)
    return Table("tab-pls-predict", m("pls.titles.predict"),
                 [Column(m("columns.construct"), "l"), Column(m("columns.item"), "l"), Column("Q²predict"),
                  Column(m("pls.columns.pls_rmse")), Column(m("pls.columns.lm_rmse")), Column(m("pls.columns.pls_mae")),
                  Column(m("pls.columns.lm_mae"))],
                 [[Cell(r["construct"]), Cell(r["item"]), num(r["q2_predict"], 3), num(r["pls_rmse"], 3),
                   num(r["lm_rmse"], 3), num(r["pls_mae"], 3), num(r["lm_mae"], 3)] for r in rows],
                 [m("pls.notes.predict", positive=positive, better=better, k=len(rows),
                    power=m(f"pls.power.{_predictive_power(rows)}"))])


# ---------------------------------------------------------------- IPMA
def ipma(b) -> Section | None:
    """The importance–performance map of each final outcome: table and plot."""
    pls = _pls(b)
    if not pls or not pls.get("ipma"):
        return None
    m, blocks = b.m, []
    targets = list(dict.fromkeys(i["target"] for i in pls["ipma"]))
    blocks.append(Table("tab-pls-ipma", m("pls.titles.ipma"),
                        [Column(m("pls.columns.target"), "l"), Column(m("columns.construct"), "l"),
                         Column(m("pls.columns.importance")), Column(m("pls.columns.performance"))],
                        [[Cell(i["target"]), Cell(b.named(i["construct"])), num(i["importance"], 3),
                          num(i["performance"], 1)] for i in pls["ipma"]], [m("pls.notes.ipma")]))
    for target in targets:
        points = [(i["construct"], i["importance"], i["performance"]) for i in pls["ipma"] if i["target"] == target]
        svg = ipma_svg(points, m("pls.ipma.title", target=target), m("pls.ipma.importance"), m("pls.ipma.performance"))
        blocks.append(Figure(f"fig-ipma-{target}", m("pls.ipma.title", target=target), svg, "",
                             [m("pls.ipma.note")], image=f"ipma_{target}"))
    return Section("ipma", m("pls.sections.ipma"), blocks)


# ---------------------------------------------------------------- groups
def groups(b) -> Section | None:
    """MICOM (Henseler, Ringle & Sarstedt 2016) and PLS-MGA across the run's groups."""
    pls = _pls(b)
    if not pls or not pls.get("micom"):
        return None
    m = b.m
    group = (b.r.get("config") or {}).get("group") or ""
    text = m("pls.groups.text", group=group, groups=m.join(f"{g} (n = {n})" for g, n in
                                                        zip(pls["groups"]["labels"], pls["groups"]["sizes"])))

    def yes(flag):
        return verdict(bool(flag), m("verdict.significant") if flag else m("verdict.not_significant"))
    micom = Table("tab-pls-micom", m("pls.titles.micom"),
                  [Column(m("pls.columns.groups"), "l"), Column(m("columns.construct"), "l"), Column("c"),
                   Column(m("pls.columns.quantile5")), Column(m("pls.columns.compositional"), "l"),
                   Column(m("pls.columns.mean_difference")), Column(m("columns.ci95")), Column(m("pls.columns.equal_means"), "l"),
                   Column(m("pls.columns.log_variance")), Column(m("columns.ci95")),
                   Column(m("pls.columns.equal_variances"), "l")],
                  [[Cell(f"{x['group_a']} – {x['group_b']}"), Cell(x["construct"]), num(x["c"], 3, True),
                    num(x["c_quantile_5"], 3, True), yes(x["compositional_invariance"]), num(x["mean_difference"], 3),
                    ci(x["mean_lower"], x["mean_upper"]), yes(x["equal_means"]), num(x["log_variance_difference"], 3),
                    ci(x["variance_lower"], x["variance_upper"]), yes(x["equal_variances"])] for x in pls["micom"]],
                  [m("pls.notes.micom")], wide=True)
    mga = Table("tab-pls-mga", m("pls.titles.mga"),
                [Column(m("pls.columns.groups"), "l"), Column(m("columns.path"), "l"), Column(m("pls.columns.beta_first")),
                 Column(m("pls.columns.beta_second")), Column(m("pls.columns.difference")),
                 Column(m("pls.columns.p_permutation")), Column(m("pls.columns.p_henseler")),
                 Column(m("pls.columns.p_parametric")), Column(m("pls.columns.p_welch"))],
                [[Cell(f"{x['group_a']} – {x['group_b']}"), Cell(f"{x['source']} → {x['target']}"), num(x["group_1"], 3),
                  num(x["group_2"], 3), num(x["difference"], 3), pval(x["p_permutation"]), pval(x["p_henseler"]),
                  pval(x["p_parametric"]), pval(x["p_welch"])] for x in pls["mga"]], [m("pls.notes.mga")], wide=True)
    return Section("pls_groups", m("pls.sections.groups", group=group), [Paragraph(text), micom, mga])


# ---------------------------------------------------------------- appendix
def details(b) -> Section | None:
    """Appendix: estimation settings, cross-loadings, every HTMT/HTMT2 bound, information criteria."""
    pls = _pls(b)
    if not pls:
        return None
    m, settings, fit = b.m, pls["settings"], pls["fit_measures"]
    how = b.r.get("bootstrap")
    rows = [[Cell(m("pls.settings.algorithm")), Cell("PLSc" if settings["consistent"] else "PLS")],
            [Cell(m("pls.settings.weighting")), Cell(m(f"pls.weighting.{settings['weighting']}"))],
            [Cell(m("pls.settings.convergence")), Cell(m("pls.settings.iterations", n=fit["iterations"],
                                                         state=m("pls.settings.converged" if fit["converged"]
                                                                 else "pls.settings.not_converged")))],
            [Cell(m("pls.settings.bootstrap")), Cell(m("pls.settings.draws", successful=how["successful"],
                                                       draws=how["draws"], method=m(f"draft.method.{how['ci']}"),
                                                       seed=how["seed"]) if how else m("pls.settings.none"))]]
    if settings["higher_order"]:
        rows.append([Cell(m("pls.settings.higher_order")), Cell(", ".join(settings["higher_order"]))])
    blocks = [Table("tab-pls-settings", m("pls.titles.settings"),
                    [Column(m("columns.setting"), "l"), Column(m("columns.value"), "l", True)], rows, [])]
    constructs = list(dict.fromkeys(c["construct"] for c in pls["cross_loadings"]))
    items = list(dict.fromkeys(c["item"] for c in pls["cross_loadings"]))
    owner = {p["rhs"]: p["lhs"] for p in reversed(pls["parameters"]) if p["op"] == "=~"}
    value = {(c["item"], c["construct"]): c["loading"] for c in pls["cross_loadings"]}
    blocks.append(Table("tab-pls-cross-loadings", m("pls.titles.cross_loadings"),
                        [Column(m("columns.item"), "l")] + [Column(c) for c in constructs],
                        [[Cell(i)] + [num(value.get((i, c)), 2, True, bold=owner.get(i) == c) for c in constructs]
                         for i in items], [m("pls.notes.cross_loadings")], wide=len(constructs) + 1 > WIDE_COLUMNS))
    if pls.get("htmt_inference"):
        blocks.append(Table("tab-pls-htmt-bounds", m("pls.titles.htmt_bounds"),
                            [Column(m("columns.pair"), "l"), Column(m("pls.columns.measure"), "l"), Column(m("pls.columns.value")),
                             Column(m("pls.columns.upper", level=apa(100 * settings["level"], 0))), Column("< .85", "l"),
                             Column("< .90", "l")],
                            [[Cell(f"{h['construct_1']} – {h['construct_2']}"), Cell(h["measure"].upper()),
                              num(h["est"], 3, True), num(h["upper"], 3, True),
                              verdict(h["below_85"], m("verdict.significant") if h["below_85"] else m("verdict.not_significant")),
                              verdict(h["below_90"], m("verdict.significant") if h["below_90"] else m("verdict.not_significant"))]
                             for h in pls["htmt_inference"]], [m("pls.notes.htmt_bounds")]))
    blocks.append(Table("tab-pls-criteria", m("pls.titles.criteria"),
                        [Column(m("columns.construct"), "l"), Column("AIC"), Column("BIC"), Column("GM")],
                        [[Cell(c["construct"]), num(c["aic"], 2), num(c["bic"], 2), num(c.get("gm"), 2)]
                         for c in pls["information_criteria"]], [m("pls.notes.criteria")]))
    if pls.get("model_selection"):
        blocks.append(Table("tab-pls-selection", m("pls.titles.selection"),
                            [Column(m("columns.model"), "l"), Column(m("columns.construct"), "l"), Column("R²"),
                             Column("BIC"), Column(m("pls.columns.bic_weight")), Column("GM")],
                            [[Cell(x["model"], bold=x["bic_best"]), Cell(x["construct"]), num(x["r2"], 3, True),
                              num(x["bic"], 2, bold=x["bic_best"]), num(x["bic_weight"], 3, True),
                              num(x["gm"], 2, bold=x["gm_best"])] for x in pls["model_selection"]],
                            [m("pls.notes.selection")]))
    return Section("pls_details", m("pls.sections.details"), blocks, APPENDIX)

