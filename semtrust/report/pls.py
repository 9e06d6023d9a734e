"""Report stage, PLS-SEM: results.json's ``pls`` block laid out as Hair, Risher, Sarstedt & Ringle
(2019) ask a PLS-SEM study to be reported.

:func:`pls_document` turns a PLS run's result dictionary into sections of tables whose cells are
already formatted text (APA numbers, no leading zero for bounded values), so the HTML and the
LaTeX template (``pls_report.html.j2``, ``pls_report.tex.j2``) only lay them out and cannot
disagree. The order is the article's: the reflective measurement model (indicator loadings and
reliability; internal consistency α, ρ_A, ρ_C; convergent validity AVE; discriminant validity:
HTMT with bootstrap bounds, Fornell–Larcker, cross-loadings), the formative measurement model
(outer VIF, weights with significance), then the structural model (inner VIF, paths with
bootstrap CIs and f², hypotheses, R², PLSpredict, CVPAT, mediation, total effects, IPMA,
information criteria) and, with groups, MICOM and MGA.

>>> table = Table("Demo", ["Construct", "AVE"], [["TRUST", ".712"]], "lr")
>>> table.columns, table.rows[0][1]
(['Construct', 'AVE'], '.712')
"""
from __future__ import annotations

from dataclasses import dataclass, field

from semtrust.report.format import apa, apa_p, arrows, stars, tex_escape

__all__ = ["pls_document"]

# the report's symbols that Latin Modern, XeLaTeX's default font, has no glyph for
_TEX_SYMBOLS = {"ρ\\_A": r"$\rho_A$", "ρ\\_C": r"$\rho_C$", "α": r"$\alpha$", "β": r"$\beta$", "ρ": r"$\rho$",
                "²": r"\textsuperscript{2}", "×": r"$\times$", "≥": r"$\geq$", "≤": r"$\leq$", "√": r"$\surd$",
                "→": r"$\rightarrow$"}


@dataclass
class Table:
    """A report table: caption, column heads, rows of formatted cells, alignment (``l``/``r``
    per column) and a note under it."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    align: str
    note: str = ""


@dataclass
class Section:
    """A section of the PLS-SEM report: title and its tables, in Hair et al.'s (2019) order."""
    title: str
    text: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def tex_cell(text) -> str:
    r"""A report cell or caption as LaTeX: escaped, with its Greek letters and symbols in math mode.

    >>> tex_cell("ρ_A ≥ .70 → 5%")
    '$\\rho_A$ $\\geq$ .70 $\\rightarrow$ 5\\%'
    """
    text = tex_escape(text)
    for symbol, tex in _TEX_SYMBOLS.items():
        text = text.replace(symbol, tex)
    return text


def _b(value) -> str:   # bounded statistics (loadings, correlations, reliabilities): no leading zero
    return apa(value, 3, True)


def _ci(row: dict, bounded: bool = True) -> str:
    if row.get("ci_lower") is None:
        return "—"
    return f"[{apa(row['ci_lower'], 3, bounded)}, {apa(row['ci_upper'], 3, bounded)}]"


def _grouped(rows: list[list[str]]) -> list[list[str]]:
    """Rows with the first cell (the construct) shown on its block's first row only."""
    return [[row[0] if k == 0 or row[0] != rows[k - 1][0] else "", *row[1:]] for k, row in enumerate(rows)]


def _t(row: dict) -> str:
    return apa(row.get("t", row.get("z")), 2)


def _statistics(pls: dict) -> dict:
    """(part, lhs, rhs) → the bootstrapped statistic row (estimates only without a bootstrap)."""
    return {(s["part"], s["lhs"], s["rhs"]): s for s in pls.get("statistics") or []}


def pls_document(results: dict) -> list[Section]:
    """The report's sections, in Hair et al.'s (2019) order.

    >>> import numpy as np, pandas as pd
    >>> import semtrust as st
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> study = st.fit(df, model="A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A", method="pls", bootstrap=100, screen=False)
    >>> [section.title for section in pls_document(study.to_dict())][:4]
    ['Data and estimation', 'Reflective measurement model', 'Structural model']
    """
    pls = results["pls"]
    stats = _statistics(pls)
    booted = bool(stats)
    modes = pls["settings"]["modes"]
    sections = [_data_section(results, pls), _reflective_section(pls, stats, modes, booted)]
    formative = [c for c, mode in modes.items() if mode == "B"]
    if formative:
        sections.append(_formative_section(pls, stats, formative, booted))
    sections.append(_structural_section(results, pls, stats, booted))
    if pls.get("micom"):
        sections.append(_groups_section(results, pls))
    return sections


def _data_section(results: dict, pls: dict) -> Section:
    settings, how = pls["settings"], results["bootstrap"]
    missing = {"mean": "missing answers replaced by the item mean", "listwise": "incomplete responses dropped"}
    text = [f"n = {results['n']} of {results['input']['rows']} responses; {missing.get(results['missing'], '')}."]
    if results.get("screening"):
        text.append(f"Careless-responding screening excluded {results['screening']['n_excluded']} of "
                    f"{results['screening']['n_screened']} responses.")
    rows = [["Algorithm", "PLSc (consistent PLS)" if settings["consistent"] else "PLS"],
            ["Inner weighting scheme", settings["weighting"]],
            ["Convergence", f"{pls['fit_measures']['iterations']} iterations, "
                            f"{'converged' if pls['fit_measures']['converged'] else 'not converged'}"],
            ["Bootstrap", f"{how['successful']} of {how['draws']} resamples, {how['ci']} {round(100 * how['level'])} % "
                          f"CIs, seed {how['seed']}" if how else "none (no significance tests)"]]
    if settings["higher_order"]:
        rows.append(["Higher-order constructs", ", ".join(settings["higher_order"])])
    tables = [Table("Estimation settings", ["Setting", "Value"], rows, "ll")]
    if results.get("sample"):
        tables.append(Table("Respondent profile", ["Characteristic", "Category", "n", "%"],
                            [[column if k == 0 else "", level["category"], str(level["n"]), apa(level["percent"], 1)]
                             for column, levels in results["sample"].items() for k, level in enumerate(levels)],
                            "llrr"))
    return Section("Data and estimation", text, tables)


def _reflective_section(pls: dict, stats: dict, modes: dict, booted: bool) -> Section:
    reflective = {c for c, mode in modes.items() if mode == "A"}
    loadings = [p for p in pls["parameters"] if p["op"] == "=~" and p["lhs"] in reflective]
    rows = [[p["lhs"], p["rhs"], _b(p["est"]) + stars(p["pvalue"]), _t(p), _ci(p), _b(p["est"] ** 2)]
            for p in loadings]
    weak = [f"{p['lhs']}: {p['rhs']}" for p in loadings if p["est"] < 0.708]
    section = Section("Reflective measurement model", tables=[Table(
        "Indicator loadings and indicator reliability", ["Construct", "Item", "Loading", "t", "95% CI", "Reliability"],
        _grouped(rows), "llrrrr", "Hair et al. (2019): loadings ≥ .708 (indicator reliability ≥ .50). "
        + (f"Below .708: {', '.join(weak)}." if weak else "Every loading is at least .708."))])

    def measure(construct, key, value):
        row = stats.get((key, construct, construct))
        return _b(value) + (f" {_ci(row)}" if booted and row and row.get("ci_lower") is not None else "")
    section.tables.append(Table(
        "Internal consistency reliability and convergent validity",
        ["Construct", "Cronbach's α", "ρ_A", "ρ_C", "AVE"],
        [[r["construct"], *(measure(r["construct"], key, r[key]) for key in ("alpha", "rho_a", "rho_c", "ave"))]
         for r in pls["reliability"] if r["construct"] in reflective], "lrrrr",
        "α, ρ_A and ρ_C between .70 and .95 (.60–.70 acceptable in exploratory research); AVE ≥ .50"
        + ("; bootstrap CIs in brackets." if booted else ".")))
    section.tables.append(_matrix_table("Discriminant validity: heterotrait–monotrait ratio (HTMT)", pls["htmt"],
                                        "htmt", "HTMT below .85 (conceptually distinct constructs) or .90 "
                                        "(similar constructs; Henseler et al. 2015)."))
    if pls.get("htmt_inference"):
        section.tables.append(Table(
            "HTMT inference (one-sided bootstrap upper bound)",
            ["Measure", "Constructs", "Estimate", "Upper bound", "< .85", "< .90"],
            [[r["measure"].upper(), f"{r['construct_1']} – {r['construct_2']}", _b(r["est"]), _b(r["upper"]),
              "yes" if r["below_85"] else "no", "yes" if r["below_90"] else "no"] for r in pls["htmt_inference"]],
            "llrrll", "Franke & Sarstedt (2019): the upper bound of the one-sided bootstrap CI stays below the "
            "threshold; HTMT2 uses geometric means (Roemer et al. 2021)."))
    section.tables.append(_matrix_table("Fornell–Larcker criterion", pls["fornell_larcker"], "value",
                                        "√AVE on the diagonal, construct correlations below it; each √AVE should "
                                        "exceed the construct's correlations.", diagonal=True))
    section.tables.append(_cross_loadings(pls))
    return section


def _matrix_table(title: str, cells: list[dict], key: str, note: str, diagonal: bool = False) -> Table:
    names = list(dict.fromkeys(c["construct_1"] for c in cells))
    value = {(c["construct_1"], c["construct_2"]): c[key] for c in cells}
    rows = [[a, *(_b(value.get((a, b))) if (j < i or diagonal and i == j) else "" for j, b in enumerate(names))]
            for i, a in enumerate(names)]
    return Table(title, ["", *names], rows, "l" + "r" * len(names), note)


def _cross_loadings(pls: dict) -> Table:
    constructs = list(dict.fromkeys(c["construct"] for c in pls["cross_loadings"]))
    items = list(dict.fromkeys(c["item"] for c in pls["cross_loadings"]))
    value = {(c["item"], c["construct"]): c["loading"] for c in pls["cross_loadings"]}
    return Table("Cross-loadings", ["Item", *constructs], [[i, *(_b(value.get((i, c))) for c in constructs)]
                                                          for i in items],
                 "l" + "r" * len(constructs), "Each item should load highest on its own construct.")


def _formative_section(pls: dict, stats: dict, formative: list[str], booted: bool) -> Section:
    vif = {(v["construct"], v["item"]): v["vif"] for v in pls["vif"]["outer"]}
    rows = []
    for p in pls["parameters"]:
        if p["op"] == "<~" and p["lhs"] in formative:
            loading = stats.get(("loading", p["lhs"], p["rhs"]))
            rows.append([p["lhs"], p["rhs"], apa(vif.get((p["lhs"], p["rhs"])), 2), apa(p["est"], 3) + stars(p["pvalue"]),
                         _t(p), apa_p(p["pvalue"]), _ci(p, False), _b(loading["est"]) if loading else "—"])
    return Section("Formative measurement model", tables=[Table(
        "Outer VIF, weights and loadings of the formative indicators",
        ["Construct", "Item", "VIF", "Weight", "t", "p", "95% CI", "Loading"], _grouped(rows), "llrrrrrr",
        "VIF below 3 (at most 5); a non-significant weight is kept when its loading is ≥ .50 "
        "(Hair et al. 2019)" + ("." if booted else "; significance needs a bootstrap (--bootstrap B)."))])


def _structural_section(results: dict, pls: dict, stats: dict, booted: bool) -> Section:
    section = Section("Structural model")
    section.tables.append(Table("Collinearity of the predictors (inner VIF)", ["Target", "Predictor", "VIF"],
                                [[v["target"], v["source"], apa(v["vif"], 2)] for v in pls["vif"]["inner"]], "llr",
                                "VIF below 3 (at most 5)."))
    f2 = {(f["source"], f["target"]): f["f2"] for f in pls["f2"]}
    paths = [p for p in pls["parameters"] if p["op"] == "~"]
    section.tables.append(Table(
        "Path coefficients", ["Path", "β", "SE", "t", "p", "95% CI", "f²"],
        [[arrows(f"{p['rhs']} -> {p['lhs']}"), apa(p["est"], 3) + stars(p["pvalue"]), apa(p["se"], 3), _t(p),
          apa_p(p["pvalue"]), _ci(p, False), apa(f2.get((p["rhs"], p["lhs"])), 3)] for p in paths],
        "lrrrrrr", "f² of .02, .15 and .35: small, medium and large effects (Cohen 1988)."
        + (" Bootstrap SEs, t and two-sided p." if booted else "")))
    if results.get("hypotheses"):
        section.tables.append(Table(
            "Hypotheses", ["Hypothesis", "Path", "Expected", "β", "95% CI", "Result"],
            [[h["id"], arrows(h["path"]), h["expected_sign"], apa(h["est"], 3), _ci(h, False), h["result"]]
             for h in results["hypotheses"]], "llcrrl",
            "Supported when the bootstrap CI excludes 0 on the expected side."))
    r2 = {(s["lhs"]): s for (part, _, _), s in stats.items() if part == "r2"}
    section.tables.append(Table(
        "Coefficient of determination", ["Construct", "R²", "Adjusted R²"] + (["95% CI"] if booted else []),
        [[r["construct"], _b(r["r2"]), _b(r["r2_adj"])] + ([_ci(r2[r["construct"]])] if booted else [])
         for r in pls["r2"]], "lrr" + ("r" if booted else ""), "R² of .75, .50 and .25: substantial, moderate and "
        "weak explanatory power (Hair et al. 2019)."))
    if pls.get("plspredict"):
        section.tables.append(_plspredict(pls["plspredict"]))
    if pls.get("cvpat"):
        section.tables.append(Table(
            "CVPAT (cross-validated predictive ability test)", ["Benchmark", "Construct", "PLS loss", "Benchmark loss",
                                                                 "Difference", "t", "p"],
            [[c["benchmark"], c["construct"], apa(c["pls_loss"], 3), apa(c["benchmark_loss"], 3),
              apa(c["difference"], 3), apa(c["t"], 2), apa_p(c["pvalue"])] for c in pls["cvpat"]], "llrrrrr",
            "Liengaard et al. (2021): a positive significant difference means PLS predicts better than the "
            "benchmark (LM: linear model; IA: indicator averages)."))
    if pls.get("mediation"):
        section.tables.append(Table(
            "Mediation analysis", ["Indirect path", "Indirect effect", "SE", "95% CI", "Direct effect", "Type"],
            [[arrows(m["chain"]), apa(m["indirect"], 3), apa(m["se"], 3), _ci(m, False), apa(m["direct"], 3), m["type"]]
             for m in pls["mediation"]], "lrrrrl", "Zhao, Lynch & Chen (2010); Nitzl, Roldán & Cepeda (2016): "
            "bootstrap CIs of the specific indirect effects; direct effects only where the model has the path."))
    section.tables.append(_effects_table(pls, stats, booted))
    if pls.get("ipma"):
        section.tables.append(Table(
            "Importance–performance map (IPMA)", ["Target", "Construct", "Importance", "Performance"],
            [[i["target"], i["construct"], apa(i["importance"], 3), apa(i["performance"], 1)] for i in pls["ipma"]],
            "llrr", "Ringle & Sarstedt (2016): importance is the unstandardized total effect on the target; "
            "performance the mean construct score on a 0–100 scale of the answer range."))
    section.tables.append(Table(
        "Information criteria", ["Construct", "AIC", "BIC"],
        [[c["construct"], apa(c["aic"], 2), apa(c["bic"], 2)] for c in pls["information_criteria"]], "lrr",
        "For comparing competing models: the model with the smaller BIC is preferred (Sharma et al. 2019)."))
    return section


def _plspredict(rows: list[dict]) -> Table:
    better = sum(r["pls_rmse"] < r["lm_rmse"] for r in rows)
    positive = sum(r["q2_predict"] > 0 for r in rows)
    power = ("high" if better == len(rows) else "medium" if better > len(rows) / 2 else "low" if better else "no")
    return Table(
        "PLSpredict (10 folds × 10 repetitions)", ["Construct", "Item", "Q²predict", "PLS RMSE", "LM RMSE", "PLS MAE",
                                                   "LM MAE"],
        [[r["construct"], r["item"], apa(r["q2_predict"], 3), apa(r["pls_rmse"], 3), apa(r["lm_rmse"], 3),
          apa(r["pls_mae"], 3), apa(r["lm_mae"], 3)] for r in rows], "llrrrrr",
        f"Q²predict > 0 for {positive} of {len(rows)} indicators; PLS RMSE below the linear model's for {better} of "
        f"{len(rows)}: {power} predictive power (Shmueli et al. 2019).")


def _effects_table(pls: dict, stats: dict, booted: bool) -> Table:
    rows = []
    for e in pls["effects"]:
        total = stats.get(("total", e["target"], e["source"]), {})
        rows.append([arrows(f"{e['source']} -> {e['target']}"), apa(e["direct"], 3), apa(e["indirect"], 3),
                     apa(e["total"], 3) + stars(total.get("pvalue"))] + ([_ci(total, False)] if booted else []))
    return Table("Direct, indirect and total effects", ["Effect", "Direct", "Total indirect", "Total"]
                 + (["95% CI (total)"] if booted else []), rows, "lrrr" + ("r" if booted else ""))


def _groups_section(results: dict, pls: dict) -> Section:
    groups = pls["groups"]
    text = [f"Groups of {results['config'].get('group') if results.get('config') else 'the grouping column'}: "
            + ", ".join(f"{g} (n = {n})" for g, n in zip(groups["labels"], groups["sizes"])) + "."]
    micom = Table(
        "Measurement invariance of composite models (MICOM)",
        ["Groups", "Construct", "c", "5% quantile", "Compositional", "Mean diff.", "Equal means", "log var. ratio",
         "Equal variances"],
        [[f"{m['group_a']} vs {m['group_b']}", m["construct"], apa(m["c"], 3), apa(m["c_quantile_5"], 3),
          "yes" if m["compositional_invariance"] else "no", apa(m["mean_difference"], 3),
          "yes" if m["equal_means"] else "no", apa(m["log_variance_difference"], 3),
          "yes" if m["equal_variances"] else "no"] for m in pls["micom"]], "llrrlrlrl",
        "Henseler, Ringle & Sarstedt (2016): compositional invariance (step 2) permits comparing paths (partial "
        "invariance); equal means and variances (step 3) full invariance, permitting pooled data.")
    mga = Table(
        "Multigroup analysis (PLS-MGA)", ["Groups", "Path", "β (first)", "β (second)", "Difference",
                                          "p (permutation)", "p (Henseler)", "p (parametric)", "p (Welch)"],
        [[f"{m['group_a']} vs {m['group_b']}", arrows(f"{m['source']} -> {m['target']}"), apa(m["group_1"], 3),
          apa(m["group_2"], 3), apa(m["difference"], 3), apa_p(m["p_permutation"]), apa_p(m["p_henseler"]),
          apa_p(m["p_parametric"]), apa_p(m["p_welch"])] for m in pls["mga"]], "llrrrrrrr",
        "Henseler's p is one-sided (first group larger); the permutation, parametric and Welch–Satterthwaite "
        "tests are two-sided.")
    return Section("Groups", text, [micom, mga])
