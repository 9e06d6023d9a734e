"""Common-method bias (CMB), part of the measurement stage: Harman's single-factor test, the
one-factor CFA, an unmeasured latent method construct (ULMC) and, when marker items are
declared, the CFA marker technique; then one decision line (Podsakoff et al., 2003, 2012;
Williams, Hartman & Cavazotte, 2010).

Choices, so that the numbers can be reproduced in R:

- Harman's share is the first **unrotated principal component's** share of the total variance,
  as SPSS users run it (``psych::principal(nfactors = 1, rotate = "none")``, Proportion Var);
  the minres first factor's share (``psych::fa(nfactors = 1, rotate = "none")``) is reported
  beside it.
- The ULMC adds a factor ``METHOD`` that loads on every item, is orthogonal to the substantive
  factors, and has **equal loadings**: every item loads 1 and the method variance is free,
  which is lavaan's reading of a shared label ``m*x1 + m*x2 + ...`` (same fit and standardized
  loadings as one free loading with unit variance). Free loadings (``equal_loadings=False``)
  are weakly identified and often fail to converge (lavaan does not on psych's bfi); they start
  at .1 (the first is fixed at 1).
- The method-variance share is the mean squared standardized method loading (rule of thumb
  < 25 %; Williams, Cote & Buckley, 1989).
- The marker technique follows Williams et al. (2010): a CFA with the marker factor correlated;
  *Baseline* with the marker factor orthogonal and its loadings, residual variances and variance
  fixed at the CFA values; *Method-C* adds equal marker loadings on every substantive item;
  *Method-U* frees them; *Method-R* fixes the substantive factor correlations of the retained
  method model at their Baseline values. Substantive factors are scaled by unit variance here
  (lavaan's ``std.lv``) so that their covariances are correlations.

>>> round(harman_single_factor(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 2, 4]}))["component_share"], 3)
0.9
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import chi2

from semtrust.assessment.efa import extract_factors
from semtrust.assessment.reliability import item_groups
from semtrust.errors import SemtrustError
from semtrust.estimation.base import FittedModel
from semtrust.estimation.fit_measures import nested_chisq_difference, reported_fit
from semtrust.estimation.ml import SEM, SEMResults
from semtrust.model.syntax import ModelSyntax, Statement

__all__ = ["method_bias", "MethodBiasResult", "harman_single_factor", "one_factor_model", "ulmc_model",
           "ulmc_comparison", "decision_line"]

HARMAN_MAXIMUM = 0.50         # Podsakoff et al. (2003)
METHOD_VARIANCE_MAXIMUM = 0.25  # Williams, Cote & Buckley (1989)
SIGNIFICANCE = 0.05
REFERENCES = ("Podsakoff et al., 2003, 2012; Williams et al., 2010")
FIT_COLUMNS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")


@dataclass
class MethodBiasResult:
    """The common-method-bias tests (Harman, one-factor CFA, ULMC, marker technique) and their
    decision line; ``to_dict()`` is results.json ``cmb``.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.model.syntax import parse_model
    >>> result = method_bias(data, parse_model("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6"))
    >>> sorted(result.to_dict())
    ['decision', 'harman', 'marker', 'models', 'n', 'thresholds', 'ulmc', 'warnings']
    """
    n: int
    harman: dict                  # component_share, factor_share, n_items, threshold
    models: pd.DataFrame          # model, chisq ... bic, error, compared_with, delta_chisq, delta_df, pvalue_difference, delta_cfi
    ulmc: dict                    # equal_loadings, method_variance, method_loadings, loading_changes, ...
    marker: dict | None
    decision: str
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"n": self.n, "harman": self.harman, "models": _fit_records(self.models),
                "ulmc": self.ulmc, "marker": self.marker, "decision": self.decision,
                "thresholds": {"harman_share": HARMAN_MAXIMUM, "method_variance": METHOD_VARIANCE_MAXIMUM},
                "warnings": self.warnings}


def _fit_records(models: pd.DataFrame) -> list[dict]:
    """Rows of a fit table with the degrees of freedom as integers (a None beside them
    makes pandas store them as floats)."""
    records = models.to_dict(orient="records")
    for row in records:
        for key in ("df", "delta_df"):
            if row.get(key) is not None and not pd.isna(row[key]):
                row[key] = int(row[key])
    return records


def harman_single_factor(data: pd.DataFrame) -> dict:
    """Share of the total variance of the items taken by the first unrotated principal
    component (eigenvalue / p, as psych::principal) and by the first minres factor.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> {k: round(v, 3) for k, v in harman_single_factor(data).items()}
    {'component_share': 0.51, 'factor_share': 0.413, 'n_items': 6, 'threshold': 0.5}
    """
    r = np.corrcoef(data.to_numpy(float), rowvar=False)
    p = len(r)
    first_factor = extract_factors(r, 1, "minres")
    return {"component_share": float(np.linalg.eigvalsh(r)[-1] / p),
            "factor_share": float((first_factor ** 2).sum() / p),
            "n_items": p, "threshold": HARMAN_MAXIMUM}


def _fresh_name(stem: str, taken: set[str]) -> str:
    name, suffix = stem, 1
    while name in taken:
        suffix += 1
        name = f"{stem}{suffix}"
    return name


def one_factor_model(items: list[str], name: str = "CMB") -> ModelSyntax:
    """All items on one factor (Harman's test as a CFA).

    >>> [(s.lhs, s.op, s.rhs) for s in one_factor_model(["x1", "x2", "x3"]).statements]
    [('CMB', '=~', 'x1'), ('CMB', '=~', 'x2'), ('CMB', '=~', 'x3')]
    """
    return ModelSyntax([Statement(name, "=~", item) for item in items], source="one-factor CFA")


def ulmc_model(cfa: ModelSyntax, equal_loadings: bool = True, name: str = "METHOD") -> ModelSyntax:
    """The CFA plus a method factor on every item, orthogonal to the substantive factors;
    equal loadings fix every method loading at 1 (method variance free).

    >>> from semtrust.model.syntax import parse_model
    >>> ulmc = ulmc_model(parse_model("F1 =~ x1 + x2\\nF2 =~ x3 + x4"))
    >>> [f"{s.lhs} {s.op} {s.fixed if s.fixed is not None else ''}{'*' if s.fixed is not None else ''}{s.rhs}" for s in ulmc.statements if s.lhs == "METHOD"]
    ['METHOD =~ 1.0*x1', 'METHOD =~ 1.0*x2', 'METHOD =~ 1.0*x3', 'METHOD =~ 1.0*x4', 'METHOD ~~ 0.0*F1', 'METHOD ~~ 0.0*F2']
    """
    # free loadings start small: a method factor is weak, and the default starts of an
    # item-wide factor leave the optimizer far from the solution
    extra = [Statement(name, "=~", item, fixed=1.0) if equal_loadings else
             Statement(name, "=~", item, start=None if i == 0 else 0.1) for i, item in enumerate(cfa.observed)]
    extra += [Statement(name, "~~", factor, fixed=0.0) for factor in cfa.latent]
    return ModelSyntax(cfa.statements + extra, source="CFA + unmeasured latent method construct")


def _fit_row(name: str, fitted: FittedModel | None, error: str | None = None) -> dict:
    """The model's fit in the flavour of the run's main model (MLR: scaled χ², robust indices;
    FIML: the corrected robust indices)."""
    if fitted is None:
        return {"model": name, **{c: None for c in FIT_COLUMNS}, "error": error}
    return {"model": name, **reported_fit(fitted.fit_measures), "error": None}


def _chisq_difference(restricted: dict, general: dict) -> dict:
    """Δχ², Δdf and p of the restricted model against the general one (the scaled difference
    of MLR fits), and ΔCFI (restricted − general); ``compared_with`` names the other model."""
    if restricted["chisq"] is None or general["chisq"] is None:
        return {"delta_chisq": None, "delta_df": None, "pvalue_difference": None, "delta_cfi": None}
    delta, ddf = nested_chisq_difference(restricted, general), restricted["df"] - general["df"]
    return {"delta_chisq": delta, "delta_df": ddf,
            "pvalue_difference": float(chi2.sf(delta, ddf)) if ddf > 0 else None,
            "delta_cfi": restricted["cfi"] - general["cfi"]}


def _try_fit(syntax: ModelSyntax, fit) -> tuple[FittedModel | None, str | None]:
    """``fit(syntax)``, or the reason it failed: a CMB model that does not converge is a finding,
    not a crash. ``fit`` is a DataFrame (ML on its rows) or a function of the syntax."""
    try:
        return _fit(syntax, fit), None
    except SemtrustError as error:
        return None, str(error)


def _fit(syntax: ModelSyntax, fit) -> FittedModel:
    return SEM(syntax).fit(fit) if isinstance(fit, pd.DataFrame) else fit(syntax)


def _std_loadings(fitted: SEMResults, factors: set[str]) -> pd.DataFrame:
    p = fitted.parameters
    return p[(p.op == "=~") & p.lhs.isin(factors)][["lhs", "rhs", "est", "se", "pvalue", "std_all"]]


def ulmc_comparison(cfa_spec: ModelSyntax, cfa: FittedModel, data,
                    equal_loadings: bool = True) -> tuple[dict, FittedModel | None, str | None]:
    """Fit the ULMC model (``data``: the rows, or the fitting function, of :func:`_try_fit`); the
    method-variance share (mean squared standardized method loading) and each substantive
    loading's change from the CFA (ULMC − CFA, standardized).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> from semtrust.model.syntax import parse_model
    >>> summary, ulmc, problem = ulmc_comparison(parse_model("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6"), cfa, data)
    >>> summary["converged"], summary["improper"], round(summary["max_abs_change"], 3)
    (True, True, 0.04)
    """
    method = _fresh_name("METHOD", set(cfa_spec.variables))
    syntax = ulmc_model(cfa_spec, equal_loadings, method)
    fitted, error = _try_fit(syntax, data)
    summary = {"equal_loadings": equal_loadings, "factor": method, "converged": fitted is not None,
               "error": error, "method_variance": None, "method_loadings": [], "loading_changes": [],
               "mean_abs_change": None, "max_abs_change": None, "substantive_significant": None,
               "improper": None}
    if fitted is None:
        return summary, None, error
    method_rows = _std_loadings(fitted, {method})
    substantive = set(cfa_spec.latent)
    before = _std_loadings(cfa, substantive)
    before = before[before.rhs.isin(cfa_spec.observed)].set_index(["lhs", "rhs"])   # item loadings only
    after = _std_loadings(fitted, substantive)
    after = after[after.rhs.isin(cfa_spec.observed)].set_index(["lhs", "rhs"])
    changes = pd.DataFrame({"construct": [k[0] for k in before.index], "item": [k[1] for k in before.index],
                            "cfa": before.std_all.to_numpy(), "ulmc": after.loc[before.index, "std_all"].to_numpy()})
    changes["change"] = changes.ulmc - changes.cfa
    free = after[after.se > 0]
    summary.update(
        method_variance=float(np.mean(method_rows.std_all.to_numpy() ** 2)),
        method_loadings=[{"item": r.rhs, "std_all": r.std_all} for r in method_rows.itertuples()],
        loading_changes=changes.to_dict(orient="records"),
        mean_abs_change=float(changes.change.abs().mean()), max_abs_change=float(changes.change.abs().max()),
        substantive_significant=bool((free.pvalue < SIGNIFICANCE).all()),
        improper=any(w.startswith("Heywood") for w in fitted.warnings))
    return summary, fitted, None


def _std_lv_statements(groups: dict[str, list[str]]) -> list[Statement]:
    """Substantive factors scaled by unit variance (free first loading), as lavaan's std.lv."""
    statements = []
    for factor, items in groups.items():
        statements += [Statement(factor, "=~", item, free=i == 0) for i, item in enumerate(items)]
        statements.append(Statement(factor, "~~", factor, fixed=1.0))
    return statements


def _marker_technique(groups: dict[str, list[str]], markers: list[str], data: pd.DataFrame) -> dict:
    """Williams, Hartman & Cavazotte's (2010) CFA marker technique. ``groups`` are the
    substantive constructs (marker items removed), ``data`` holds their items and the markers."""
    taken = set(groups) | {i for items in groups.values() for i in items} | set(markers)
    marker = _fresh_name("MARKER", taken)
    items = [i for items_ in groups.values() for i in items_]
    substantive = _std_lv_statements(groups)
    cfa_syntax = ModelSyntax(substantive + [Statement(marker, "=~", m) for m in markers], source="marker CFA")
    cfa, error = _try_fit(cfa_syntax, data)
    if cfa is None:
        return {"markers": markers, "factor": marker, "error": error, "models": [], "method_variance": None}
    p = cfa.parameters.set_index(["lhs", "op", "rhs"])
    fixed_marker = [Statement(marker, "=~", m, fixed=float(p.loc[(marker, "=~", m), "est"])) for m in markers]
    fixed_marker += [Statement(m, "~~", m, fixed=float(p.loc[(m, "~~", m), "est"])) for m in markers]
    fixed_marker.append(Statement(marker, "~~", marker, fixed=float(p.loc[(marker, "~~", marker), "est"])))
    fixed_marker += [Statement(marker, "~~", f, fixed=0.0) for f in groups]
    baseline_statements = substantive + fixed_marker
    equal = [Statement(marker, "=~", i, label="mc") for i in items]
    free = [Statement(marker, "=~", i) for i in items]
    specs = {"Baseline": baseline_statements, "Method-C": baseline_statements + equal,
             "Method-U": baseline_statements + free}
    fits = {name: _try_fit(ModelSyntax(s, source=f"marker {name}"), data) for name, s in specs.items()}
    rows = {name: _fit_row(name, f, e) for name, (f, e) in fits.items()}
    rows["Method-C"].update(compared_with="Baseline", **_chisq_difference(rows["Baseline"], rows["Method-C"]))
    rows["Method-U"].update(compared_with="Method-C", **_chisq_difference(rows["Method-C"], rows["Method-U"]))
    # Method-U is retained only when it fits significantly better than Method-C
    u_better = rows["Method-U"].get("pvalue_difference") is not None and \
        rows["Method-U"]["pvalue_difference"] < SIGNIFICANCE
    retained = "Method-U" if u_better else "Method-C"
    baseline_fit = fits["Baseline"][0]
    result = {"markers": markers, "factor": marker, "error": None, "retained": retained,
              "method_variance": None}
    if baseline_fit is not None and fits[retained][0] is not None:
        phi = baseline_fit.parameters
        correlations = phi[(phi.op == "~~") & phi.lhs.isin(groups) & phi.rhs.isin(groups) & (phi.lhs != phi.rhs)]
        fixed_phi = [Statement(r.lhs, "~~", r.rhs, fixed=float(r.est)) for r in correlations.itertuples()]
        restricted, error = _try_fit(ModelSyntax(specs[retained] + fixed_phi, source="marker Method-R"), data)
        rows["Method-R"] = _fit_row("Method-R", restricted, error)
        rows["Method-R"].update(compared_with=retained, **_chisq_difference(rows["Method-R"], rows[retained]))
        method_rows = _std_loadings(fits[retained][0], {marker})
        method_rows = method_rows[method_rows.rhs.isin(items)]
        result["method_variance"] = float(np.mean(method_rows.std_all.to_numpy() ** 2))
    result["models"] = _fit_records(pd.DataFrame(rows.values()))
    return result


def method_bias(data: pd.DataFrame, cfa_spec: ModelSyntax, cfa: FittedModel | None = None, *,
                markers: list[str] = (), marker_data: pd.DataFrame | None = None,
                equal_loadings: bool = True, fit=None) -> MethodBiasResult:
    """Harman (principal component and minres factor), the one-factor CFA against the
    hypothesized CFA, the ULMC and (with ``markers``) the CFA marker technique. ``cfa`` is the
    fitted ``cfa_spec`` when the caller already has it; ``marker_data`` holds marker columns
    that are not model items (index aligned with ``data``; rows missing a marker are left out
    of that test). Marker items that are model items leave their construct for the marker test.
    ``fit`` fits the CFA, one-factor and ULMC models as the run's main model (estimator, missing
    data), so their rows read like its fit; without it they are ML fits to ``data``. Harman's test
    and the marker technique use ``data``.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.model.syntax import parse_model
    >>> result = method_bias(data, parse_model("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6"))
    >>> print(result.decision)
    First unrotated component explains 51.0 % (≥ 50 %); the one-factor CFA fits significantly worse (Δχ²(1) = 216.48, p < .001); ULMC adds 0.0 % method variance (< 25 %; improper solution, a negative variance) and changes substantive loadings by at most .04; common-method variance may bias the estimates; compare the ULMC-adjusted loadings and paths (Podsakoff et al., 2003, 2012; Williams et al., 2010).
    """
    items = cfa_spec.observed
    frame = data[items]
    fit = fit if fit is not None else frame
    cfa = cfa if cfa is not None else _fit(cfa_spec, fit)
    harman = harman_single_factor(frame)
    hypothesized = _fit_row("Hypothesized CFA", cfa)
    one, one_error = _try_fit(one_factor_model(items, _fresh_name("CMB", set(cfa_spec.variables))), fit)
    one_row = _fit_row("One-factor CFA (Harman)", one, one_error)
    one_row.update(compared_with=hypothesized["model"], **_chisq_difference(one_row, hypothesized))
    ulmc, ulmc_fit, ulmc_error = ulmc_comparison(cfa_spec, cfa, fit, equal_loadings)
    ulmc_row = _fit_row("CFA + ULMC", ulmc_fit, ulmc_error)
    ulmc_row.update(compared_with=hypothesized["model"], **_chisq_difference(hypothesized, ulmc_row))
    warnings = [] if ulmc_fit is None else [f"ULMC: {w}" for w in ulmc_fit.warnings]
    marker = None
    if markers:
        groups = {f: [i for i in its if i not in markers] for f, its in item_groups(cfa_spec).items()}
        groups = {f: its for f, its in groups.items() if len(its) >= 2}
        outside = [m for m in markers if m not in frame.columns]
        joined = frame.join(marker_data[outside]) if outside else frame
        marker = _marker_technique(groups, list(markers), joined.dropna())
    models = pd.DataFrame([hypothesized, one_row, ulmc_row])
    return MethodBiasResult(n=cfa.n, harman=harman, models=models, ulmc=ulmc, marker=marker,
                            decision=decision_line(harman, one_row, ulmc, marker), warnings=warnings)


def decision_line(harman: dict, one_factor: dict, ulmc: dict, marker: dict | None) -> str:
    """One sentence that says what the evidence supports: no concern when the first component
    takes < 50 %, the one-factor CFA fits significantly worse, and the method factors take
    < 25 % of the item variance.

    >>> print(decision_line({"component_share": 0.31}, {"delta_chisq": 120.5, "delta_df": 1, "pvalue_difference": 1e-20}, {"method_variance": 0.04, "max_abs_change": 0.03, "improper": False}, None))
    First unrotated component explains 31.0 % (< 50 %); the one-factor CFA fits significantly worse (Δχ²(1) = 120.50, p < .001); ULMC adds 4.0 % method variance (< 25 %) and changes substantive loadings by at most .03; CMB unlikely to bias the estimates (Podsakoff et al., 2003, 2012; Williams et al., 2010).
    """
    from semtrust.report.format import apa, apa_p

    share = harman["component_share"]
    parts = [f"First unrotated component explains {100 * share:.1f} % ({'<' if share < HARMAN_MAXIMUM else '≥'} 50 %)"]
    p = one_factor.get("pvalue_difference")
    one_factor_worse = p is not None and p < SIGNIFICANCE
    if one_factor.get("delta_chisq") is not None:
        parts.append(f"the one-factor CFA fits {'significantly worse' if one_factor_worse else 'no worse'} "
                     f"(Δχ²({one_factor['delta_df']}) = {apa(one_factor['delta_chisq'], 2)}, p "
                     f"{apa_p(p) if apa_p(p).startswith('<') else '= ' + apa_p(p)})")
    else:
        parts.append("the one-factor CFA did not converge")
    method_share = ulmc["method_variance"]
    if method_share is not None:
        parts.append(f"ULMC adds {100 * method_share:.1f} % method variance "
                     f"({'<' if method_share < METHOD_VARIANCE_MAXIMUM else '≥'} 25 %"
                     f"{'; improper solution, a negative variance' if ulmc.get('improper') else ''}) and changes "
                     f"substantive loadings by at most {apa(ulmc['max_abs_change'], 2, bounded=True)}")
    else:
        parts.append("the ULMC model did not converge")
    marker_share = None if marker is None else marker.get("method_variance")
    if marker_share is not None:
        parts.append(f"the marker factor ({', '.join(marker['markers'])}) takes {100 * marker_share:.1f} % "
                     "of the substantive item variance")
    one_factor_no_worse = one_factor.get("delta_chisq") is not None and not one_factor_worse
    concern = (share >= HARMAN_MAXIMUM or one_factor_no_worse
               or any(v is not None and v >= METHOD_VARIANCE_MAXIMUM for v in (method_share, marker_share)))
    verdict = ("common-method variance may bias the estimates; compare the ULMC-adjusted loadings and paths"
               if concern else "CMB unlikely to bias the estimates")
    return "; ".join(parts) + f"; {verdict} ({REFERENCES})."
