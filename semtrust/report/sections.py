"""Report stage: build the report's :class:`~semtrust.report.document.Document` from results.json.

One small builder per section; each reads the result dictionary, formats every number once in
the shared APA style and takes every word from the language's message catalogue. The HTML,
LaTeX, DOCX and XLSX renderers lay out what these builders produce; nothing here knows a format.
Each table draws its p values, stars and CIs from one inference method and its note names it.
A PLS-SEM run's sections (measurement, structural, IPMA, groups, details) are built by
:mod:`semtrust.report.pls_sections`; its summary rows and draft sentences join the shared summary.

>>> import json, pathlib
>>> doc = build_document({"semtrust_version": "0.1", "n": 3, "input": {"rows": 3}, "fit": {}})
>>> [s.id for s in doc.sections]
[]
"""
from __future__ import annotations

import re

from semtrust.config import REPORT_SECTIONS
from semtrust.report import pls_sections as pls
from semtrust.report.catalogue import Messages
from semtrust.report.diagram import layout, to_svg, to_tikz
from semtrust.report.document import (
    Cell,
    Column,
    Document,
    Figure,
    Paragraph,
    Section,
    Table,
    ci,
    excludes_zero,
    integer,
    num,
    pval,
    verdict,
)
from semtrust.report.format import apa, apa_p, apa_range, arrows, stars
from semtrust.report.verdicts import construct_verdicts, fit_level, htmt_pairs, robust_fit

__all__ = ["build_document", "Builder", "translate_warning"]

MAIN, APPENDIX = False, True
WIDE_COLUMNS = 9          # tables with more columns go on a landscape page in LaTeX and DOCX


class Builder:
    """What every section builder needs: the results, the catalogue and display names.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> b = Builder(study.to_dict(), "en")
    >>> b.m("sections.fit")
    'Model fit'
    """

    def __init__(self, results: dict, lang: str):
        self.r = results
        self.m = Messages(lang)
        self.lang = lang
        self.constructs = results.get("constructs") or {}
        self.inst = results.get("instrument")

    def name(self, cid: str) -> str:
        entry = self.constructs.get(cid)
        return entry["name"].get(self.lang, cid) if entry else cid

    def named(self, cid: str) -> str:
        """Construct name with its abbreviation, e.g. 'Host trust (HT)'."""
        name = self.name(cid)
        return f"{name} ({cid})" if name != cid else cid

    def p_text(self, p) -> str:
        text = apa_p(p)
        return f"p {text}" if text.startswith("<") else f"p = {text}"

    def method_name(self) -> str:
        """The name of the run's effect CIs (Wald without resampling)."""
        how = self.r.get("bootstrap") or {}
        return self.m(f"draft.method.{'mc' if how.get('method') == 'monte carlo' else how.get('ci', 'wald')}")

    def cite(self, sentence: str, target: str) -> str:
        """``sentence`` citing a table before its full stop: '... (Table 3).' / '……（见表 3）。'"""
        end = sentence[-1] if sentence and sentence[-1] in ".。" else ""
        return sentence[:len(sentence) - len(end)] + self.m("cite", target=target) + end

    def stars_note(self) -> str:
        return self.m("notes.stars")

    def item_text(self, item: str) -> str:
        entry = (self.inst or {}).get("items", {}).get(item)
        return entry["text"].get(self.lang, "") if entry else ""

    def reversed(self, item: str) -> str:
        entry = (self.inst or {}).get("items", {}).get(item)
        return f"{item} (R)" if entry and entry.get("reverse") else item

    def inference_note(self, how: dict | None) -> str:
        """Which method the table's CIs come from (Wald, bootstrap percentile/BC/BCa, Monte Carlo)."""
        if not how:
            return self.m("inference.wald")
        key = "inference.mc" if how.get("method") == "monte carlo" or how.get("ci") == "mc" else \
            f"inference.bootstrap_{how.get('ci', 'percentile')}"
        return self.m(key, draws=how.get("successful", how.get("draws")), seed=how.get("seed"),
                      failed=how.get("failed") or 0)


# ---------------------------------------------------------------- summary
def summary(b: Builder) -> Section:
    """The summary section of the report."""
    m, r = b.m, b.r
    rows = []
    verdicts = construct_verdicts(r)

    def row(aspect, criterion, result, met, target, review=False):
        rows.append([Cell(aspect), Cell(criterion), Cell(result),
                     Cell("—") if met is None else   # descriptive (R² of a PLS model)
                     verdict(met, m("verdict.met") if met and not review else
                             m("verdict.review") if met else m("verdict.not_met"), review and met),
                     Cell(f"[[{target}]]", target, "ref")])

    if verdicts:
        k = len(verdicts)
        reliable = [c for c, v in verdicts.items() if v["reliable"]]
        row(m("summary.reliability"), m("criteria.reliability"), m("summary.n_of", n=len(reliable), k=k),
            len(reliable) == k, "tab-reliability")
        convergent = [c for c, v in verdicts.items() if v["convergent"]]
        review = sorted(i for v in verdicts.values() for i in v["review_items"])
        result = m("summary.n_of", n=len(convergent), k=k)
        if review:
            result += m("summary.review_items", n=len(review), items=m.join(review))
        row(m("summary.convergent"), m("criteria.convergent"), result, len(convergent) == k, "tab-loadings",
            review=bool(review))
        if k > 1:
            fl = [c for c, v in verdicts.items() if v["fornell_larcker"]]
            row(m("summary.fornell_larcker"), m("criteria.fornell_larcker"), m("summary.n_of", n=len(fl), k=k),
                len(fl) == k, "tab-fornell-larcker")
            pairs = htmt_pairs(r)
            if pairs:
                worst = max(pairs, key=lambda p: p["bound"])
                result = m("summary.htmt_largest", a=worst["a"], b=worst["b"], value=apa(worst["htmt"], 3, True),
                           ci=(ci(*worst["ci"], bounded=True).text if worst["ci"] else ""))
                failing = [p for p in pairs if p["level"] == "fail"]
                row(m("summary.htmt"), m("criteria.htmt"), result, not failing, "tab-htmt",
                    review=not failing and any(p["level"] == "similar" for p in pairs))
    cmb = r.get("cmb")
    if cmb:
        share, mv = cmb["harman"]["component_share"], cmb["ulmc"].get("method_variance")
        result = m("summary.cmb_result", share=apa(100 * share, 1),
                   method=(apa(100 * mv, 1) + " %") if mv is not None else "—")
        met = share < cmb["thresholds"]["harman_share"] and (mv is None or mv < cmb["thresholds"]["method_variance"])
        row(m("summary.cmb"), m("criteria.cmb"), result, met, "tab-cmb")
    for key in ("measurement", "structural"):
        fit = (r.get("fit") or {}).get(key)
        if fit and fit.get("df"):
            level = fit_level(robust_fit(fit))
            f = robust_fit(fit)
            result = m("summary.fit_result", cfi=apa(f["cfi"], 3, True), tli=apa(f["tli"], 3, True),
                       rmsea=apa(f["rmsea"], 3, True), srmr=apa(f["srmr"], 3, True), level=m(f"fit_level.{level}"))
            row(m(f"summary.fit_{key}"), m("criteria.fit"), result, level != "poor", "tab-fit",
                review=level == "acceptable")
    inv = r.get("invariance")
    if inv:
        # the highest level reached without a failed step below it (a failed full step counts
        # through the partial version that follows it)
        final = {}
        for s in inv["steps"][1:]:
            final[s["model"].removeprefix("partial ")] = s
        held = []
        for s in final.values():
            if s.get("decision") != "supported":
                break
            held.append(s)
        level = held[-1]["model"] if held else "configural"
        result = m("summary.invariance_result", level=b.m.get(f"invariance.level.{level}", level))
        row(m("summary.invariance"), m("criteria.invariance"), result, bool(held), "tab-invariance")
    for pls_row in pls.verdict_rows(b):   # a PLS-SEM run: Hair et al.'s (2019) criteria
        row(*pls_row)
    hyps = r.get("hypotheses")
    if hyps:
        supported = [h for h in hyps if h["result"] == "supported"]
        row(m("summary.hypotheses"), m("pls.criteria.hypotheses" if r.get("pls") else "criteria.hypotheses"), m("summary.n_of", n=len(supported), k=len(hyps)),
            len(supported) == len(hyps), "tab-hypotheses", review=0 < len(supported) < len(hyps))
    table = Table("tab-verdicts", m("titles.verdicts"),
                  [Column(m("columns.aspect"), "l", True), Column(m("columns.criterion"), "l", True),
                   Column(m("columns.result"), "l", True), Column(m("columns.verdict"), "l"),
                   Column(m("columns.shown_in"), "l")], rows, [m("notes.verdicts")])
    blocks = [table] if rows else []
    blocks += [Paragraph(results_paragraph(b, verdicts), "lead", m("titles.results_draft")),
               Paragraph(method_paragraph(b), "lead", m("titles.method_draft"))]
    return Section("summary", m("sections.summary"), blocks)


def results_paragraph(b: Builder, verdicts: dict) -> str:
    """A draft APA Results paragraph citing the numbers."""
    m, r, parts = b.m, b.r, []
    for key in ("measurement", "structural"):
        fit = (r.get("fit") or {}).get(key)
        if not fit or not fit.get("df"):
            continue
        f = robust_fit(fit)
        chisq = fit.get("chisq_scaled", fit["chisq"])
        pv = fit.get("pvalue_scaled", fit.get("pvalue"))   # ULSMV: no unscaled p
        parts.append(b.cite(m(f"draft.fit_{key}", level=m(f"draft.level.{fit_level(f)}"), df=integer(fit["df"]).text,
                       chisq=apa(chisq, 2), p=b.p_text(pv), cfi=apa(f["cfi"], 3, True), tli=apa(f["tli"], 3, True),
                       rmsea=apa(f["rmsea"], 3, True), lo=apa(fit["rmsea_ci_lower"], 3, True),
                       hi=apa(fit["rmsea_ci_upper"], 3, True), srmr=apa(f["srmr"], 3, True)), "tab-fit"))
    rel = r.get("reliability") or {}
    if rel:
        def span(key):
            return apa_range(v.get(key) for v in rel.values())
        ok = all(v["reliable"] and v["convergent"] for v in verdicts.values())
        parts.append(b.cite(m("draft.reliability_ok" if ok else "draft.reliability_mixed", alpha=span("alpha"),
                       cr=span("cr"), ave=span("ave"),
                       failing=m.join(c for c, v in verdicts.items() if not (v["reliable"] and v["convergent"]))), "tab-reliability"))
        review = sorted(i for v in verdicts.values() for i in v["review_items"])
        if review:
            parts.append(m("draft.review_items", items=m.join(review)))
        pairs = htmt_pairs(r)
        if pairs:
            worst = max(pairs, key=lambda p: p["bound"])
            fl_ok = all(v["fornell_larcker"] for v in verdicts.values())
            parts.append(b.cite(m("draft.discriminant_ok" if fl_ok and worst["level"] != "fail" else "draft.discriminant_mixed",
                           value=apa(worst["htmt"], 2, True), a=worst["a"], b=worst["b"]), "tab-htmt"))
    parts += pls.results_sentences(b)
    hyps = r.get("hypotheses")
    if hyps:
        supported = [h["id"] for h in hyps if h["result"] == "supported"]
        parts.append(b.cite(m("draft.hypotheses", n=len(supported), k=len(hyps)), "tab-hypotheses"))
        rejected = [h for h in hyps if h["result"] != "supported"]
        for h in rejected[:5]:
            parts.append(m("draft.rejected", id=h["id"], path=arrows(h["path"]), beta=apa(h["std_all"], 3, True),
                           p=b.p_text(h["pvalue"])))
    indirect = [e for e in r.get("indirect_effects", []) if e["kind"] == "indirect"]
    if indirect:
        significant = [e for e in indirect if excludes_zero((e["ci_lower"], e["ci_upper"]))]
        parts.append(b.cite(m("draft.indirect", n=len(significant), k=len(indirect), method=b.method_name()),
                            "tab-indirect"))
    return m("sentence_separator").join(parts)


def method_paragraph(b: Builder) -> str:
    """A draft Method paragraph: software, estimator, missing data, bootstrap and screening."""
    m, r = b.m, b.r
    parts = [m("pls.draft.software" if r.get("pls") else "draft.software", version=r["semtrust_version"], python=(r.get("software") or {}).get("python", "3"))]
    scr = r.get("screening")
    if scr:
        parts.append(m("draft.screening", screened=scr["n_screened"], excluded=scr["n_excluded"], kept=scr["n_kept"]))
    parts.append(m("draft.sample", n=r["n"], rows=r["input"].get("rows", r["n"])))
    estimator, missing = r.get("estimator", "ML"), r.get("missing", "listwise")
    parts.append(m.get(f"draft.estimator.{estimator}", m("draft.estimator.other", estimator=estimator))
                 + m.get(f"draft.missing.{missing}", m("draft.missing.other", missing=missing)))
    if r.get("bootstrap"):
        how = r["bootstrap"]
        parts.append(m("draft.bootstrap", method=b.method_name(), draws=how.get("successful"), seed=how.get("seed")))
    if r.get("measurement_bootstrap"):
        parts.append(m("draft.measurement_bootstrap", draws=r["measurement_bootstrap"]["successful"]))
    return m("sentence_separator").join(parts)


# ---------------------------------------------------------------- sample
def sample(b: Builder) -> Section:
    """The sample section of the report."""
    m, r = b.m, b.r
    blocks = [Paragraph(m("sample.text", n=r["n"], rows=r["input"].get("rows", r["n"]))
                        + (" " + m("sample.reversed", items=m.join(r["input"]["reversed_items"]))
                           if r["input"].get("reversed_items") else ""))]
    profile = r.get("sample") or {}
    if profile:
        rows = []
        for column, levels in profile.items():
            label = levels[0].get("label", {}).get(b.lang, column) if levels and isinstance(levels[0].get("label"), dict) \
                else column
            rows.append([Cell(label, italic=True, span=4)])
            for level in levels:
                category = level.get("category_label", {}).get(b.lang, level["category"]) \
                    if isinstance(level.get("category_label"), dict) else str(level["category"])
                rows.append([Cell(""), Cell(category), integer(level["n"]), num(level["percent"], 1)])
        blocks.append(Table("tab-profile", m("titles.profile"),
                            [Column(m("columns.characteristic"), "l"), Column(m("columns.category"), "l"),
                             Column("n"), Column("%")], rows, [m("notes.profile", n=r["n"])]))
    return Section("sample", m("sections.sample"), blocks)


# ---------------------------------------------------------------- measurement model
def measurement(b: Builder) -> Section | None:
    """The measurement section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    rel = r.get("reliability") or {}
    if not rel:
        return None
    t, boot, verdicts = r["thresholds"], r.get("measurement_bootstrap"), construct_verdicts(r)

    def mark(v, value_text):
        return value_text + ("" if v in (None, "ok") else " " + m(f"marks.{v}"))

    rows = []
    for cid, entry in rel.items():
        v = verdicts[cid]
        row = [Cell(b.named(cid)), integer(entry.get("n_items")),
               Cell(mark(entry["verdicts"].get("alpha"), apa(entry.get("alpha"), 3, True)), entry.get("alpha"), "number"),
               ci(*(entry.get("alpha_ci") or (None, None)), bounded=True),
               Cell(mark(entry["verdicts"].get("omega"), apa(entry.get("omega"), 3, True)), entry.get("omega"), "number"),
               Cell(mark(entry["verdicts"].get("cr"), apa(entry.get("cr"), 3, True)), entry.get("cr"), "number"),
               ci(*(entry.get("cr_ci") or (None, None)), bounded=True),
               Cell(mark(entry["verdicts"].get("ave"), apa(entry.get("ave"), 3, True)), entry.get("ave"), "number"),
               ci(*(entry.get("ave_ci") or (None, None)), bounded=True),
               num(entry.get("min_loading"), 3, True)]
        ok = v["reliable"] and v["convergent"]
        review = ok and bool(v["review_items"])
        row.append(verdict(ok, m("verdict.met") if ok and not review else m("verdict.review") if ok
                           else m("verdict.not_met"), review))
        rows.append(row)
    notes = [m("notes.reliability", upper=apa(t["upper"], 2, True)),
             m("notes.reliability_ci_boot", draws=boot["successful"], seed=boot["seed"]) if boot
             else m("notes.reliability_ci")]
    reliability = Table("tab-reliability", m("titles.reliability"),
                        [Column(m("columns.construct"), "l"), Column(m("columns.items")), Column("α"),
                         Column(m("columns.ci95")), Column("ω"), Column("CR"), Column(m("columns.ci95")),
                         Column("AVE"), Column(m("columns.ci95")), Column(m("columns.min_loading")),
                         Column(m("columns.verdict"), "l")], rows, notes,
                        groups=[("", 2), (m("columns.reliability_group"), 5), (m("columns.convergent_group"), 3), ("", 1)],
                        wide=True)
    rows = []
    by_item = {(x["construct"], x["item"]): x for x in r.get("item_loadings", [])}
    for it in r.get("item_statistics", []):
        lam = it.get("std_loading")
        raw = by_item.get((it["construct"], it["item"]), {})
        if lam is None:
            flag = verdict(None, "—")
        elif abs(lam) < 0.40:
            flag = verdict(False, m("marks.fail_loading"))
        elif abs(lam) < t["loading"]:
            flag = verdict(True, m("marks.review_loading"), review=True)
        else:
            flag = verdict(True, m("verdict.met"))
        rows.append([Cell(it["construct"]), Cell(b.reversed(it["item"])), Cell(b.item_text(it["item"])),
                     Cell(apa(lam, 3, True) + stars(it.get("pvalue")), lam, "number"),
                     num(it.get("se"), 3, True), ci(it.get("ci_lower"), it.get("ci_upper"), bounded=True),
                     num(raw.get("est"), 3), num(raw.get("se") or None, 3), flag])
    loadings = Table("tab-loadings", m("titles.loadings"),
                     [Column(m("columns.construct"), "l"), Column(m("columns.item"), "l"),
                      Column(m("columns.wording"), "l", True), Column("λ"), Column("SE"), Column(m("columns.ci95_lambda")),
                      Column("B"), Column(m("columns.se_b")), Column(m("columns.verdict"), "l")],
                     rows, [m("notes.loadings", low=apa(t["loading"], 2, True)), b.inference_note(None),
                            b.stars_note()], wide=True, inference="wald")
    blocks = [loadings, reliability]
    blocks += discriminant(b)
    return Section("measurement", m("sections.measurement"), blocks)


def discriminant(b: Builder) -> list:
    """The discriminant tables of the report."""
    m, r = b.m, b.r
    fl = r.get("fornell_larcker") or {}
    if len(fl) < 2:
        return []
    names = list(fl)
    rows = []
    for i, a in enumerate(names):
        entry = r["reliability"].get(a, {})
        ok = entry.get("verdicts", {}).get("fornell_larcker") == "ok"
        cells = [Cell(a), num(entry.get("mean"), 2), num(entry.get("sd"), 2)]
        for j, c in enumerate(names):
            if j < i:
                cells.append(num(fl[a][c], 2, True))
            elif j == i:
                cells.append(Cell(apa(fl[a][c], 2, True) + ("" if ok else " " + m("marks.fl_fail")), fl[a][c],
                                  "number", bold=True))
            else:
                cells.append(Cell(""))
        rows.append(cells)
    key = m("notes.key", key=m.join(f"{c} = {b.name(c)}" for c in names))
    fornell = Table("tab-fornell-larcker", m("titles.fornell_larcker"),
                    [Column(m("columns.construct"), "l"), Column("M"), Column("SD")] + [Column(c) for c in names],
                    rows, [m("notes.fornell_larcker"), key], wide=len(names) + 3 > WIDE_COLUMNS)
    htmt = r.get("htmt") or {}
    blocks = [fornell]
    if htmt:
        level = {(p["a"], p["b"]): p for p in htmt_pairs(r)}
        rows = []
        hnames = list(htmt)
        for i, a in enumerate(hnames):
            cells = [Cell(a)]
            for j, c in enumerate(hnames):
                pair = level.get((a, c)) if j < i else None
                if pair is None:
                    cells.append(Cell("—" if j == i else ""))
                    continue
                text = apa(pair["htmt"], 2, True) + {"distinct": "", "similar": "†", "fail": "‡"}[pair["level"]]
                cells.append(Cell(text, pair["htmt"], "number",
                                  status=None if pair["level"] == "distinct" else "bad"))
            rows.append(cells)
        boot = r.get("measurement_bootstrap")
        notes = [m("notes.htmt_boot", draws=boot["successful"]) if r.get("htmt_ci") and boot else m("notes.htmt"), key]
        blocks.append(Table("tab-htmt", m("titles.htmt"), [Column(m("columns.construct"), "l")] +
                            [Column(c) for c in hnames], rows, notes, wide=len(hnames) + 1 > WIDE_COLUMNS))
    return blocks


def correlations(b: Builder) -> Section | None:
    """Appendix: every pair's factor correlation, Rönkkö–Cho class, HTMT and HTMT2 with CIs."""
    m, r = b.m, b.r
    pairs = r.get("latent_correlations") or []
    if not pairs:
        return None
    rows = []
    for p in pairs:
        row = [Cell(f"{p['lhs']} – {p['rhs']}"), num(p["est"], 3, True),
               ci(p["ci_lower"], p["ci_upper"], bounded=True), Cell(m.get(f"bands.{p.get('band')}", p.get("band") or "—"))]
        for key in ("htmt", "htmt2"):
            value = ((r.get(key) or {}).get(p["lhs"]) or {}).get(p["rhs"])
            interval = ((r.get(f"{key}_ci") or {}).get(p["lhs"]) or {}).get(p["rhs"])
            row += [num(value, 3, True), ci(*(interval or (None, None)), bounded=True)]
        rows.append(row)
    table = Table("tab-correlations", m("titles.correlations"),
                  [Column(m("columns.pair"), "l"), Column("φ"), Column(m("columns.ci95")), Column(m("columns.band"), "l"),
                   Column("HTMT"), Column(m("columns.ci95")), Column("HTMT2"), Column(m("columns.ci95"))],
                  rows, [m("notes.correlations")], inference="wald")
    return Section("correlations", m("sections.correlations"), [table], APPENDIX)


def item_descriptives(b: Builder) -> Section | None:
    """The item descriptives section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    nm = r.get("normality")
    if not nm:
        return None
    crit = nm["criteria"]
    rows = []
    for it in r.get("item_statistics", []):
        skew, kurt = it.get("skew"), it.get("kurtosis")
        rows.append([Cell(it["construct"]), Cell(it["item"]), num(it.get("mean"), 2), num(it.get("sd"), 2),
                     num(skew, 2, status="bad" if skew is not None and abs(skew) >= crit["skew"] else None),
                     num(kurt, 2, status="bad" if kurt is not None and abs(kurt) >= crit["kurtosis"] else None),
                     num(it.get("item_total"), 3, True), num(it.get("alpha_if_deleted"), 3, True)])
    blocks = [Table("tab-items", m("titles.items"),
                    [Column(m("columns.construct"), "l"), Column(m("columns.item"), "l"), Column("M"), Column("SD"),
                     Column(m("columns.skew")), Column(m("columns.kurtosis")), Column(m("columns.item_total")),
                     Column(m("columns.alpha_deleted"))], rows, [m("notes.items")])]
    mardia = nm.get("mardia")
    text = m("normality.mardia", b1p=apa(mardia["b1p"], 2), df=integer(mardia["skew_df"]).text, chisq=apa(mardia["skew"], 2),
             p1=b.p_text(mardia["p_skew"]), b2p=apa(mardia["b2p"], 2), z=apa(mardia["kurtosis"], 2),
             p2=b.p_text(mardia["p_kurt"])) + " " if mardia else ""
    if nm.get("violated"):
        text += m("normality.violated", skewed=m.join(nm.get("skewed_items") or ["—"]),
                  kurtotic=m.join(nm.get("kurtotic_items") or ["—"])) + " " + \
            m("normality.use_mlr" if r.get("estimator") == "ML" else "normality.robust_used")
    else:
        text += m("normality.ok", skew=apa(crit["skew"], 0), kurtosis=apa(crit["kurtosis"], 0))
    blocks.append(Paragraph(text))
    return Section("items", m("sections.items"), blocks, APPENDIX)


# ---------------------------------------------------------------- fit
def model_fit(b: Builder) -> Section | None:
    """The model fit section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    rows = []
    for key in ("measurement", "structural"):
        fit = (r.get("fit") or {}).get(key)
        if not fit or "chisq" not in fit:   # PLS-SEM has no χ² test (its SRMR is in pls_structural)
            continue
        # under WLSMV the first row is the DWLS statistic (lavaan's "Standard" column)
        ordinal = r.get("estimator") in ("WLSMV", "ULSMV", "DWLS")
        variants = [(m(f"fit.{key}") + (m("fit.dwls") if ordinal else ""), fit)]
        if "chisq_scaled" in fit:
            variants.append((m(f"fit.{key}") + m("fit.robust", estimator=r.get("estimator", "MLR")), {
                **robust_fit(fit), "chisq": fit["chisq_scaled"], "pvalue": fit["pvalue_scaled"],
                "rmsea_ci_lower": fit.get("rmsea_ci_lower_robust"), "rmsea_ci_upper": fit.get("rmsea_ci_upper_robust")}))
        for label, f in variants:
            rows.append([Cell(label), num(f["chisq"], 2), integer(f["df"]), pval(f.get("pvalue")),
                         num(f["chisq"] / f["df"] if f["df"] else None, 2), num(f["cfi"], 3, True),
                         num(f["tli"], 3, True), num(f["rmsea"], 3, True),
                         ci(f.get("rmsea_ci_lower"), f.get("rmsea_ci_upper"), bounded=True), num(f["srmr"], 3, True),
                         num(f.get("aic"), 1), num(f.get("bic"), 1)])
    if not rows:
        return None
    table = Table("tab-fit", m("titles.fit"),
                  [Column(m("columns.model"), "l"), Column("χ²"), Column("df"), Column("p"), Column("χ²/df"),
                   Column("CFI"), Column("TLI"), Column("RMSEA"), Column(m("columns.ci90")), Column("SRMR"),
                   Column("AIC"), Column("BIC")], rows, [m("notes.fit")], wide=True)
    return Section("fit", m("sections.fit"), [table])


# ---------------------------------------------------------------- structural model
def structural(b: Builder) -> Section | None:
    """The structural section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    if not r.get("paths") or r.get("pls"):   # PLS-SEM: pls_structural, with bootstrap inference
        return None
    hyps = r.get("hypotheses")
    grouped = any(p.get("group") for p in r["paths"])   # a multi-group model: each group's paths
    rows = []
    for h in hyps or r["paths"]:
        path = arrows(h["path"]) if hyps else f"{h['rhs']} → {h['lhs']}"
        row = ([Cell(h["id"])] if hyps else []) + [Cell(path)] + ([Cell(h["group"])] if grouped else []) + \
            ([Cell(h["expected_sign"])] if hyps else []) + [
            Cell(apa(h["std_all"], 3, True) + stars(h["pvalue"]), h["std_all"], "number"), num(h["est"], 3),
            num(h["se"], 3), num(h["z"], 2), pval(h["pvalue"]), ci(h["ci_lower"], h["ci_upper"])]
        if hyps:
            result = h["result"]
            row.append(verdict(result == "supported", m.get(f"hypothesis.{result.replace(' ', '_')}", result)))
        rows.append(row)
    columns = ([Column("H", "l")] if hyps else []) + [Column(m("columns.path"), "l")] + \
        ([Column(m("columns.group"), "l")] if grouped else []) + ([Column(m("columns.sign"))] if hyps else []) + \
        [Column("β"), Column("B"), Column("SE"), Column("z"), Column("p"), Column(m("columns.ci95_b"))] + \
        ([Column(m("columns.result"), "l")] if hyps else [])
    table = Table("tab-hypotheses", m("titles.hypotheses" if hyps else "titles.paths"), columns, rows,
                  [m("notes.hypotheses"), b.inference_note(None), b.stars_note()], inference="wald")
    blocks = [table]
    if not grouped:   # one diagram shows one set of coefficients
        figure = layout(r)
        blocks.append(Figure("fig-model", m("titles.figure"), to_svg(figure, b.lang), to_tikz(figure, b.lang),
                             [m("notes.figure"), b.stars_note()]))
    if r.get("r2"):
        blocks.append(Table("tab-r2", m("titles.r2"), [Column(m("columns.construct"), "l"), Column("R²")],
                            [[Cell(b.named(c)), num(v, 3, True)] for c, v in r["r2"].items()], []))
    return Section("structural", m("sections.structural"), blocks)


def mediation(b: Builder) -> Section | None:
    """The mediation section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    effects = [e for e in r.get("indirect_effects") or [] if e["kind"] != "contrast"]
    if not effects:
        return None
    how = r.get("bootstrap")
    se = m("columns.boot_se") if how else "SE"
    rows = []
    for e in effects:
        interval = (e["ci_lower"], e["ci_upper"])
        sig = excludes_zero(interval)
        rows.append([Cell(effect_name(e), italic=e["kind"] == "total_indirect"), num(e["est"], 3), num(e["std"], 3),
                     num(e["se"], 3), ci(*interval), ci(e.get("std_ci_lower"), e.get("std_ci_upper")),
                     verdict(sig, m("verdict.significant") if sig else m("verdict.not_significant")),
                     Cell(m.get(f"zhao.{e.get('classification', '').replace(' ', '_').replace('-', '_')}",
                                e.get("classification") or "—"))])
    indirect = Table("tab-indirect", m("titles.indirect"),
                     [Column(m("columns.indirect_path"), "l", True), Column("B"), Column("β"), Column(se),
                      Column(m("columns.ci95_b")), Column(m("columns.ci95_beta")), Column(m("columns.significance"), "l"),
                      Column(m("columns.zhao"), "l")],
                     rows, [b.inference_note(how), m("notes.indirect")], wide=True,
                     inference=(how or {}).get("ci", "wald"))
    blocks = [Paragraph(m("mediation.text")), indirect]
    rows = []
    for e in r.get("total_effects") or []:
        fixed = e.get("ci_method") == "fixed at 0"
        interval = (e["ci_lower"], e["ci_upper"])
        rows.append([Cell(effect_name(e)), num(e["est"], 3), num(e["std"], 3),
                     Cell(m("mediation.fixed")) if fixed else num(e["se"], 3),
                     Cell("—") if fixed else ci(*interval),
                     Cell("—") if fixed else ci(e.get("std_ci_lower"), e.get("std_ci_upper")),
                     Cell("—") if fixed else verdict(excludes_zero(interval), m("verdict.significant")
                                                     if excludes_zero(interval) else m("verdict.not_significant"))])
    if rows:
        blocks.append(Table("tab-total", m("titles.total"),
                            [Column(m("columns.effect"), "l", True), Column("B"), Column("β"), Column(se),
                             Column(m("columns.ci95_b")), Column(m("columns.ci95_beta")),
                             Column(m("columns.significance"), "l")],
                            rows, [b.inference_note(how), m("notes.total")], inference=(how or {}).get("ci", "wald")))
    return Section("mediation", m("sections.mediation"), blocks)


def effect_name(effect: dict) -> str:
    """An effect's path with arrows, and its group in a multi-group model: 'x → m → y [A]'."""
    return arrows(effect["path"]) + (f" [{effect['group']}]" if effect.get("group") else "")


def moderation(b: Builder) -> Section | None:
    """The instrument's moderation hypotheses (``--moderator``): the interaction's test and, for a
    moderated stage of a mediation, the index of moderated mediation with its CI; as PROCESS
    models on scale scores or as latent interactions (``moderation`` setting); then the plots."""
    m, tests = b.m, b.r.get("moderation") or []
    if not tests:
        return None
    latent = tests[0].get("method") == "latent"
    rows = []
    for t in tests:
        through = f" → {t['through']}" if t.get("through") else ""
        test, index = t["interaction"], t.get("index")
        model = m(f"moderation.pairs_{t['analysis']['pairs']}") if latent else str(t["process_model"])
        shown = "supported_interaction_only" if t["verdict"].startswith("supported (") else t["verdict"].replace(" ", "_")
        rows.append([Cell(t["id"]), Cell(f"{t['from']}{through} → {t['to']} × {t['moderator']} ({t['stage']}, "
                                         f"{t['expected_sign']})"),
                     Cell(model), num(test["b"], 3), num(test["se"], 3), num(test["z" if latent else "t"], 2),
                     pval(test["p"]), ci(test["llci"], test["ulci"]),
                     Cell("—") if index is None or index["llci"] is None else
                     Cell(f"{apa(index['est'], 3)} [{apa(index['llci'], 3)}, {apa(index['ulci'], 3)}]"),
                     verdict(t["verdict"] == "supported", m(f"moderation.{shown}"))])
    draws = (b.r.get("config") or {}).get("bootstrap")
    kind = "_latent" if latent else ""
    table = Table("tab-moderation", m(f"moderation.title{kind}"),
                  [Column(m("moderation.hypothesis"), "l"), Column(m("moderation.path"), "l", True),
                   Column(m(f"moderation.model{kind}"), "r" if not latent else "l"), Column(m("moderation.interaction")),
                   Column("SE"), Column("z" if latent else "t"), Column("p"), Column(m("columns.ci95")),
                   Column(m(f"moderation.index{kind}")), Column(m("moderation.result"), "l")],
                  rows, [m(f"moderation.note{kind}", draws=draws)], wide=True)
    blocks = [table, *moderation_effects(b, tests, latent)]
    for t in tests:
        blocks += moderation_figures(b, t["analysis"]["plots"], f"moderation_{t['id']}_", t["id"])
    return Section("moderation", m("moderation.section"), blocks)


def moderation_effects(b: Builder, tests: list[dict], latent: bool) -> list[Table]:
    """The conditional effects of each moderation hypothesis at three values of its moderator, one
    table per inference: latent, the simple slopes (probe2WayMC) and, for a moderated stage, the
    conditional indirect effects at one SD below, at and above the mean (z tests, delta-method
    CIs); on scale scores, the conditional direct effects (t tests) and the conditional indirect
    effects (percentile bootstrap CIs) at the 16th, 50th and 84th percentiles."""
    m = b.m
    wald, boot = [], []
    for t in tests:
        w, analysis = t["moderator"], t["analysis"]
        chain = f"{t['from']} → {t['through']} → {t['to']}" if t["through"] else None
        if latent:
            predictor, outcome = {"first": (t["from"], t["through"]), "second": (t["through"], t["to"])}.get(
                t["stage"], (t["from"], t["to"]))
            labels = m.raw("moderation_plots.sd_labels")
            for label, effects in [(f"{predictor} → {outcome}", analysis["simple_slopes"])] + \
                    ([(chain, analysis["indirect_effects"])] if chain else []):
                wald += [[Cell(t["id"]), Cell(label), Cell(f"{w} = {apa(e[w], 2)} ({labels[k]})"), num(e["est"], 3),
                          num(e["se"], 3), pval(e["pvalue"]), ci(e["ci_lower"], e["ci_upper"])]
                         for k, e in enumerate(effects)]
            continue
        effects = [e for e in analysis["indirect_effects" if chain else "direct_effects"] if e["probe"] == "percentiles"]
        names = [f" ({m('moderation_plots.percentile', p=q)})" for q in (16, 50, 84)] if len(effects) == 3 \
            else [""] * len(effects)
        for name, e in zip(names, effects):
            at = Cell(f"{w} = {apa(e[w], 2)}{name}")
            if chain:
                boot.append([Cell(t["id"]), Cell(chain), at, num(e["effect"], 3), num(e["boot_se"], 3),
                             ci(e["boot_llci"], e["boot_ulci"])])
            else:
                wald.append([Cell(t["id"]), Cell(f"{t['from']} → {t['to']}"), at, num(e["effect"], 3), num(e["se"], 3),
                             pval(e["p"]), ci(e["llci"], e["ulci"])])
    head = [Column(m("moderation.hypothesis"), "l"), Column(m("moderation.effect"), "l", True),
            Column(m("moderation.at"), "l"), Column(m("process.effect"))]
    tables = []
    if wald:
        tables.append(Table("tab-moderation-effects", m("moderation.effects_title"),
                            head + [Column("SE"), Column("p"), Column(m("columns.ci95"))], wald,
                            [m(f"moderation.effects_note{'_latent' if latent else ''}")], inference="wald"))
    if boot:
        tables.append(Table("tab-moderation-indirect", m("moderation.indirect_title"),
                            head + [Column(m("columns.boot_se")), Column(m("columns.ci95"))], boot,
                            [m("moderation.indirect_note")], inference="bootstrap"))
    return tables


def moderation_figures(b: Builder, plots: dict, stem: str, hypothesis: str | None = None) -> list[Figure]:
    """The simple-slopes and Johnson–Neyman figures of a PROCESS analysis (those it has), in the
    report's language, drawn into ``<stem>simple_slopes.svg/.pdf`` beside the report."""
    from semtrust.report.moderation_plots import plot_svgs, plot_title

    figures = []
    for kind, svg in plot_svgs(plots, b.lang).items():
        spec = plots[kind]
        if kind == "simple_slopes":
            latent = spec["lines"][0].get("sd") is not None
            note = b.m(f"moderation_plots.slopes_note{'_latent' if latent else ''}", **spec)
        else:
            note = b.m("moderation_plots.jn_note", conf=apa(spec["conf"], 0))
        title = plot_title(plots, kind, b.lang)
        figures.append(Figure(f"fig-{stem}{kind}".replace("_", "-"), f"{hypothesis}: {title}" if hypothesis else title,
                              svg, "", [note], image=f"{stem}{kind}"))
    return figures


def contrasts(b: Builder) -> Section | None:
    """The contrasts section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    rows = [e for e in r.get("indirect_effects") or [] if e["kind"] == "contrast"]
    if not rows:
        return None
    how = r.get("bootstrap")
    table = Table("tab-contrasts", m("titles.contrasts"),
                  [Column(m("columns.contrast"), "l", True), Column("B"), Column(m("columns.boot_se") if how else "SE"),
                   Column(m("columns.ci95"))],
                  [[Cell(arrows(e["path"])), num(e["est"], 3), num(e["se"], 3), ci(e["ci_lower"], e["ci_upper"])]
                   for e in rows], [b.inference_note(how)], inference=(how or {}).get("ci", "wald"))
    return Section("contrasts", m("sections.contrasts"), [table], APPENDIX)


# ---------------------------------------------------------------- common-method bias, invariance
def method_bias(b: Builder) -> Section | None:
    """The method bias section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    cmb = r.get("cmb")
    if not cmb:
        return None
    th = cmb["thresholds"]
    share, mv = cmb["harman"]["component_share"], cmb["ulmc"].get("method_variance")
    one = cmb["models"][1] if len(cmb["models"]) > 1 else {}
    rows = [[Cell(m("cmb.harman_component")), Cell(apa(100 * share, 1) + " %", share, "number"),
             Cell(m("cmb.harman_criterion")), verdict(share < th["harman_share"], m("verdict.met")
                                                       if share < th["harman_share"] else m("verdict.not_met"))],
            [Cell(m("cmb.harman_factor")), Cell(apa(100 * cmb["harman"]["factor_share"], 1) + " %",
                                                cmb["harman"]["factor_share"], "number"), Cell("—"), Cell("—")]]
    if one.get("delta_chisq") is not None and one.get("pvalue_difference") is None:   # one construct: the same model
        rows.append([Cell(m("cmb.one_factor")), Cell(m("cmb.same_model")), Cell(m("cmb.one_factor_criterion")), Cell("—")])
    elif one.get("delta_chisq") is not None:
        worse = one["pvalue_difference"] < 0.05
        rows.append([Cell(m("cmb.one_factor")),
                     Cell(f"Δχ²({integer(one['delta_df']).text}) = {apa(one['delta_chisq'], 2)}, "
                          f"{b.p_text(one['pvalue_difference'])}; ΔCFI = {apa(one['delta_cfi'], 3, True)}"),
                     Cell(m("cmb.one_factor_criterion")),
                     verdict(worse, m("verdict.met") if worse else m("verdict.not_met"))])
    if mv is not None:
        rows.append([Cell(m("cmb.ulmc")), Cell(apa(100 * mv, 1) + " %", mv, "number"), Cell(m("cmb.ulmc_criterion")),
                     verdict(mv < th["method_variance"], m("verdict.met") if mv < th["method_variance"]
                             else m("verdict.not_met"))])
        rows.append([Cell(m("cmb.ulmc_change")),
                     Cell(m("cmb.change", mean=apa(cmb["ulmc"]["mean_abs_change"], 3, True),
                            max=apa(cmb["ulmc"]["max_abs_change"], 3, True))), Cell(m("cmb.change_criterion")), Cell("—")])
    marker = cmb.get("marker")
    if marker and marker.get("method_variance") is not None:
        rows.append([Cell(m("cmb.marker", markers=", ".join(marker["markers"]))),
                     Cell(apa(100 * marker["method_variance"], 1) + " %", marker["method_variance"], "number"),
                     Cell(m("cmb.ulmc_criterion")), Cell("—")])
    tests = Table("tab-cmb", m("titles.cmb"), [Column(m("columns.test"), "l", True), Column(m("columns.result"), "l", True),
                                               Column(m("columns.criterion"), "l", True), Column(m("columns.verdict"), "l")],
                  rows, [m("notes.cmb")])
    rows = []
    for model in cmb["models"] + ((marker or {}).get("models") or []):
        label = (m("cmb.marker_prefix") if model in (marker or {}).get("models", []) else "") + model["model"]
        if model.get("chisq") is None:
            rows.append([Cell(label), Cell(m("cmb.not_converged"), span=9)])
            continue
        has = model.get("delta_chisq") is not None
        rows.append([Cell(label), num(model["chisq"], 2), integer(model["df"]), num(model["cfi"], 3, True),
                     num(model["rmsea"], 3, True), num(model["srmr"], 3, True),
                     num(model["delta_chisq"], 2) if has else Cell("—"), integer(model["delta_df"]) if has else Cell("—"),
                     pval(model["pvalue_difference"]) if has else Cell("—"),
                     num(model["delta_cfi"], 3, True) if has else Cell("—")])
    models = Table("tab-cmb-models", m("titles.cmb_models"),
                   [Column(m("columns.model"), "l"), Column("χ²"), Column("df"), Column("CFI"), Column("RMSEA"),
                    Column("SRMR"), Column("Δχ²"), Column("Δdf"), Column(m("columns.p_delta")), Column("ΔCFI")],
                   rows, [m("notes.cmb_models")], wide=True)
    return Section("cmb", m("sections.cmb"), [tests, models])


def invariance(b: Builder) -> Section | None:
    """The invariance section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    inv = r.get("invariance")
    if not inv:
        return None
    rows = []
    # ordinal items (WLSMV): the scaled chi-square, CFI and RMSEA are the ones to report
    scaled = "_scaled" if inv.get("estimator") in ("WLSMV", "ULSMV") else ""
    for s in inv["steps"]:
        model = m.get(f"invariance.level.{s['model']}", s["model"])
        if s.get("released"):
            model += " " + m("invariance.released", params=", ".join(s["released"]))
        has = s.get("delta_df") is not None
        p_model, p_delta = s[f"pvalue{scaled}"], s.get("pvalue_difference")
        decision = s.get("decision", "")
        rows.append([Cell(model), num(s[f"chisq{scaled}"], 2), integer(s["df"]),
                     pval(p_model) if p_model is not None else Cell("—"),
                     num(s[f"cfi{scaled}"], 3, True), num(s[f"rmsea{scaled}"], 3, True), num(s["srmr"], 3, True),
                     num(s["delta_chisq"], 2) if has else Cell("—"), integer(s["delta_df"]) if has else Cell("—"),
                     pval(p_delta) if has else Cell("—"),
                     num(s["delta_cfi"], 3, True) if has else Cell("—"), num(s["delta_rmsea"], 3, True) if has else Cell("—"),
                     num(s["delta_srmr"], 3, True) if has else Cell("—"),
                     verdict(decision in ("supported", "acceptable fit"), m.get(f"invariance.decision.{decision}", decision))])
    method = [Paragraph(m("invariance.ordinal", estimator=inv["estimator"], parameterization=inv["parameterization"]))] \
        if inv.get("identification") else []
    blocks = [Paragraph(m("invariance.groups", group=inv["group"],
                          groups=m.join(f"{g} (n = {n})" for g, n in inv["n"].items()))), *method,
              Table("tab-invariance", m("titles.invariance", group=inv["group"]),
                    [Column(m("columns.model"), "l", True), Column("χ²"), Column("df"), Column(m("columns.p_model")),
                     Column("CFI"), Column("RMSEA"), Column("SRMR"), Column("Δχ²"), Column("Δdf"),
                     Column(m("columns.p_delta")), Column("ΔCFI"), Column("ΔRMSEA"), Column("ΔSRMR"),
                     Column(m("columns.decision"), "l")], rows, [m("notes.invariance")], wide=True)]
    if r.get("group_paths"):
        groups = inv["groups"]
        rows = [[Cell(arrows(g["path"]))] + [num(g.get(f"beta_{x}"), 3, True) for x in groups] +
                [num(g["delta_chisq"], 2), integer(g["delta_df"]), pval(g["pvalue"]),
                 Cell(m.get(f"invariance.path.{g['result'].replace(' ', '_')}", g["result"]))]
                for g in r["group_paths"]]
        blocks.append(Table("tab-group-paths", m("titles.group_paths", group=inv["group"]),
                            [Column(m("columns.path"), "l")] + [Column(f"β {x}") for x in groups] +
                            [Column("Δχ²"), Column("Δdf"), Column(m("columns.p_delta")), Column(m("columns.result"), "l")],
                            rows, [m("notes.group_paths_ordinal" if inv.get("identification") else "notes.group_paths")],
                            wide=len(groups) + 5 > WIDE_COLUMNS))
    return Section("invariance", m("sections.invariance", group=inv["group"]), blocks)


# ---------------------------------------------------------------- appendix
def screening(b: Builder) -> Section | None:
    """The screening section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    scr = r.get("screening")
    if not scr:
        return None
    rows = [[Cell(""), Cell(m("screening.received")), Cell(""), Cell(""), Cell(""), Cell(""), integer(scr["n_screened"])]]
    for s in scr["steps"]:
        applied = s["action"] in ("exclude", "flag")
        criterion = (s["criterion"] if b.lang == "en" else m.get(f"screening.criterion.{s['rule']}", s["criterion"])) \
            if applied else m("screening.not_applied")
        if s["action"] == "flag":
            criterion += " " + m("screening.flag_only")
        rows.append([integer(s["step"]), Cell(m.get(f"screening.rule.{s['rule']}", s["label"])), Cell(criterion),
                     integer(s["n_before"]), integer(s["flagged"]) if applied else Cell("—"),
                     integer(s["excluded"]) if s["action"] == "exclude" else Cell("—"), integer(s["n_after"])])
    if r["input"].get("dropped_incomplete"):
        rows.append([Cell(""), Cell(m(f"screening.incomplete_{r.get('missing', 'listwise')}")), Cell(""),
                     integer(r["n"] + r["input"]["dropped_incomplete"]), Cell(""),
                     integer(r["input"]["dropped_incomplete"]), integer(r["n"])])
    rows.append([Cell(""), Cell(m("screening.analysed"), bold=True), Cell(""), Cell(""), Cell(""), Cell(""),
                 integer(r["n"], bold=True)])
    text = m("screening.text", screened=scr["n_screened"], excluded=scr["n_excluded"], kept=scr["n_kept"],
             flagged=len(scr.get("flagged") or []))
    table = Table("tab-screening", m("titles.screening"),
                  [Column(m("columns.step")), Column(m("columns.rule"), "l", True), Column(m("columns.criterion"), "l", True),
                   Column(m("columns.n_before")), Column(m("columns.flagged")), Column(m("columns.excluded")),
                   Column(m("columns.n_after"))], rows, [m("notes.screening")], wide=True)
    return Section("screening", m("sections.screening"), [Paragraph(text), table], APPENDIX)


def missing_data(b: Builder) -> Section | None:
    """The missing data section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    md = r.get("missing_data")
    if not md:
        return None
    mcar = md.get("little_mcar")
    text = m("missing.text", percent=apa(md["cells_percent_missing"], 2), complete=md["complete_respondents"], n=md["n"])
    if mcar and mcar.get("chisq") is not None:
        text += " " + m("missing.mcar", patterns=mcar["n_patterns"], df=integer(mcar["df"]).text,
                        chisq=apa(mcar["chisq"], 2), p=b.p_text(mcar["pvalue"]))
    elif md.get("note"):
        text += " " + m("missing.none")
    text += " " + m(f"missing.treatment_{r.get('missing', 'listwise')}")
    blocks = [Paragraph(text)]
    gaps = [g for g in md["per_item"] if g["n_missing"]]
    if gaps:
        blocks.append(Table("tab-missing", m("titles.missing"),
                            [Column(m("columns.item"), "l"), Column(m("columns.n_missing")), Column("%")],
                            [[Cell(g["item"]), integer(g["n_missing"]), num(g["percent"], 1)] for g in gaps],
                            [m("notes.missing")]))
        blocks.append(Table("tab-missing-respondents", m("titles.missing_respondents"),
                            [Column(m("columns.items_missing")), Column(m("columns.percent_items")),
                             Column(m("columns.respondents")), Column("%")],
                            [[integer(x["missing_items"]), num(x["percent_of_items"], 1), integer(x["respondents"]),
                              num(x["percent"], 1)] for x in md.get("per_respondent", [])], []))
    return Section("missing", m("sections.missing"), blocks, APPENDIX)


def competing_models(b: Builder) -> Section | None:
    """The competing models section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    models = r.get("model_comparison") or []
    if len(models) < 2:
        return None
    rows = []
    for x in models:
        has = x.get("compared_with") is not None
        rows.append([Cell(model_name(m, x["model"])), num(x["chisq"], 2), integer(x["df"]), num(x["cfi"], 3, True),
                     num(x["rmsea"], 3, True), num(x["srmr"], 3, True), num(x["aic"], 1), num(x["bic"], 1),
                     num(x["delta_chisq"], 2) if has else Cell("—"), integer(x["delta_df"]) if has else Cell("—"),
                     pval(x["pvalue"]) if has else Cell("—")])
    table = Table("tab-models", m("titles.models"),
                  [Column(m("columns.model"), "l", True), Column("χ²"), Column("df"), Column("CFI"), Column("RMSEA"),
                   Column("SRMR"), Column("AIC"), Column("BIC"), Column("Δχ²"), Column("Δdf"), Column(m("columns.p_delta"))],
                  rows, [m("notes.models")], wide=True)
    return Section("models", m("sections.models"), [table], APPENDIX)


def model_name(m: Messages, name: str) -> str:
    """A competing model's name in the report's language (the names structural.paths gives)."""
    for pattern in ("partial mediation (+", "second-order trust CFA"):
        if name.startswith(pattern):
            rest = name[len(pattern):]
            key = "partial" if pattern.startswith("partial") else "second_order"
            return m(f"models.{key}", rest=rest.split(" ")[0] if key == "partial" else rest.strip())
    return m.get(f"models.{name.replace(' ', '_').replace('-', '_')}", name)


def modification_indices(b: Builder) -> Section | None:
    """The modification indices section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    mi = r.get("modification_indices") or []
    if not mi:
        return None
    table = Table("tab-mi", m("titles.mi"), [Column(m("columns.parameter"), "l"), Column("MI"), Column("EPC"),
                                             Column(m("columns.sepc"))],
                  [[Cell(f"{x['lhs']} {x['op']} {x['rhs']}"), num(x["mi"], 2), num(x["epc"], 3),
                    num(x["sepc_all"], 3, True)] for x in mi], [m("notes.mi")])
    return Section("mi", m("sections.mi"), [table], APPENDIX)


def efa(b: Builder) -> Section | None:
    """The efa section of the report (None when the run has nothing to show there)."""
    m, r = b.m, b.r
    e = r.get("efa")
    if not e:
        return None
    factors = [v["factor"] for v in e["variance"]]
    text = m("efa.text", kmo=apa(e["kmo"]["overall"], 3, True), df=integer(e["bartlett"]["df"]).text,
             chisq=apa(e["bartlett"]["chisq"], 2), p=b.p_text(e["bartlett"]["pvalue"]),
             iterations=e["parallel_analysis"]["iterations"], factors=e["parallel_analysis"]["suggested_factors"],
             extracted=e["n_factors"], method=e["method"], rotation=e["rotation"])
    rows = []
    for row in e["items"]:
        cells = [Cell(row["item"])]
        own = row.get("own_factor") or row.get("factor")
        for f in factors:
            v = e["loadings"][row["item"]][f]
            cells.append(Cell(apa(v, 2, True) if abs(v) >= 0.1 else "", v, "number", bold=f == own,
                              status="bad" if f != own and abs(v) >= e["cross_loading_cutoff"] else None))
        cells += [num(e["communalities"][row["item"]], 2, True),
                  Cell(m.get(f"efa.flag.{row['flag'].replace(' ', '_').replace('-', '_')}", row["flag"])
                       if row.get("flag") else "")]
        rows.append(cells)
    for label, key, scale in (("efa.ss", "ss_loadings", 1), ("efa.proportion", "proportion", 100),
                              ("efa.cumulative", "cumulative", 100)):
        rows.append([Cell(m(label), italic=True)] + [num(scale * v[key], 2) for v in e["variance"]] + [Cell(""), Cell("")])
    constructs = e.get("factor_constructs") or {}
    table = Table("tab-efa", m("titles.efa", method=e["method"], rotation=e["rotation"]),
                  [Column(m("columns.item"), "l")] + [Column(constructs.get(f) or f) for f in factors] +
                  [Column("h²"), Column(m("columns.flag"), "l")], rows,
                  [m("notes.efa", cutoff=apa(e["cross_loading_cutoff"], 2, True))], wide=True)
    return Section("efa", m("sections.efa"), [Paragraph(text), table], APPENDIX)


def warnings(b: Builder) -> Section | None:
    """The warnings section of the report (None when the run has nothing to show there)."""
    if not b.r.get("warnings"):
        return None
    return Section("warnings", b.m("sections.warnings"),
                   [Paragraph(translate_warning(b.m, w), "warning") for w in b.r["warnings"]], APPENDIX)


def translate_warning(m: Messages, warning: str) -> str:
    """A run's warning in the report's language, by the catalogue's patterns (else as written).

    >>> translate_warning(Messages("zh"), "12 of 600 responses have missing item answers and were dropped (listwise deletion)")
    '600 份问卷中有 12 份题项有缺失，已按列删除。'
    >>> translate_warning(Messages("zh"), "ULMC: Heywood case: the variance of M is negative (−0.004); the solution is improper")
    'ULMC：Heywood 案例：M 的方差为负（−0.004），解不恰当。'
    """
    for pattern, replacement in m.raw("warning_patterns"):
        if re.match(pattern, warning):
            return re.sub(pattern, replacement, warning)
    source = re.match(r"^([A-Z]+): (.+)$", warning)       # a model's warning under its name, e.g. "ULMC: ..."
    if source:
        return source.group(1) + m("prefix_separator") + translate_warning(m, source.group(2))
    return warning


def reproducibility(b: Builder) -> Section:
    """The reproducibility section of the report."""
    m, r = b.m, b.r
    blocks = []
    if r["input"].get("reader_log"):
        blocks.append(Paragraph(m("reproducibility.reader") + " " + "; ".join(r["input"]["reader_log"]), "code"))
    config = r.get("config") or {}
    if config:
        import json
        rows = [[Cell(k), Cell("—" if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False),
                              kind="code")] for k, v in config.items()]
        blocks.append(Table("tab-config", m("titles.config"), [Column(m("columns.setting"), "l"),
                                                                 Column(m("columns.value"), "l", True)], rows,
                            [m("notes.config")]))
    ordinal = r.get("estimator") in ("WLSMV", "ULSMV", "DWLS")
    blocks.append(Paragraph(m("pls.reproducibility") if r.get("pls") else
                            m("reproducibility.lavaan_ordinal" if ordinal else "reproducibility.lavaan",
                              estimator=r.get("estimator", "ML"),
                              missing="ml" if r.get("missing") == "fiml" else r.get("missing") if ordinal else "listwise")))
    software = ", ".join(f"{k} {v}" for k, v in (r.get("software") or {}).items())
    blocks.append(Paragraph(m("reproducibility.text", software=software, sha=(r["input"].get("sha256") or "")[:16],
                              seed=r.get("seed"))))
    if r.get("instrument"):
        blocks.append(Paragraph(m("reproducibility.instrument", id=r["instrument"]["id"],
                                  version=r["instrument"]["version"], reference=r["instrument"].get("reference") or "")))
    blocks.append(Paragraph((r.get("model") or {}).get("syntax", ""), "code", m("reproducibility.syntax")))
    return Section("reproducibility", m("sections.reproducibility"), blocks, APPENDIX)


BUILDERS = (summary, sample, measurement, pls.measurement, model_fit, structural, pls.structural, mediation, moderation,
            method_bias, invariance, pls.ipma, pls.groups,
            screening, missing_data, item_descriptives, correlations, contrasts, competing_models,
            modification_indices, efa, pls.details, warnings, reproducibility)


def build_document(results: dict, lang: str = "en", sections: list[str] | None = None) -> Document:
    """The report of ``results`` in ``lang`` (``sections``: only these section ids).

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> doc = build_document(study.to_dict(), "en")
    >>> [section.id for section in doc.sections]
    ['summary', 'sample', 'measurement', 'fit', 'structural', 'cmb', 'missing', 'items', 'correlations', 'mi', 'efa', 'reproducibility']
    """
    b = Builder(results, lang)
    inst = results.get("instrument")
    doc = Document(title=inst["title"][lang] if inst else b.m("title"), lang=lang,
                   labels={k: b.m.raw(f"label.{k}") for k in ("table", "figure", "section")},
                   subtitle=b.m("subtitle", version=results["semtrust_version"], n=results["n"]),
                   appendix_title=b.m("sections.appendix"), note=b.m("notes.general"))
    if not results.get("fit"):
        return doc
    for build, sid in zip(BUILDERS, REPORT_SECTIONS, strict=True):
        if not sections or sid in sections:
            doc.add(build(b))
    doc.number()
    return doc
