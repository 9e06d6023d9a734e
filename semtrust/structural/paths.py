"""Structural stage: the hypothesised paths, R² and the hypothesis verdicts.

>>> import pandas as pd
>>> paths = pd.DataFrame({"lhs": ["PR"], "rhs": ["HT"], "est": [-0.4], "se": [0.1],
...     "z": [-4.0], "pvalue": [6e-5], "ci_lower": [-0.6], "ci_upper": [-0.2], "std_all": [-0.35]})
>>> verdict(paths.iloc[0], "-")
'supported'
"""
from __future__ import annotations

import pandas as pd

from semtrust.estimation.base import FittedModel
from semtrust.estimation.fit_measures import nested_chisq_difference, reported_fit
from semtrust.model.instrument import Instrument

__all__ = ["hypothesis_table", "pls_hypothesis_table", "effects_table", "model_comparison", "path_table",
           "zhao_classification", "verdict"]

ALPHA = 0.05


def path_table(results: FittedModel) -> pd.DataFrame:
    """The ``~`` rows of a fitted model's parameter table.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.estimation.ml import SEM
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); m = 0.5 * x + rng.normal(size=500); y = 0.4 * m + 0.2 * x + rng.normal(size=500)
    >>> fit = SEM("m ~ a*x\\ny ~ b*m + x\\nab := a*b").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
    >>> path_table(fit)[["lhs", "rhs", "est", "se", "std_all"]].round(3)
      lhs rhs    est     se  std_all
    0   m   x  0.505  0.041    0.479
    1   y   m  0.373  0.048    0.346
    2   y   x  0.239  0.051    0.210
    """
    params = results.parameters
    return params[params.op == "~"].drop(columns=["op", "label"]).reset_index(drop=True)


def verdict(path: pd.Series, expected_sign: str) -> str:
    """Supported when significant at .05 in the expected direction.

    >>> import pandas as pd
    >>> verdict(pd.Series({"est": 0.3, "pvalue": 0.01}), "+"), verdict(pd.Series({"est": 0.3, "pvalue": 0.2}), "+")
    ('supported', 'not supported')
    """
    if path.pvalue >= ALPHA:
        return "not supported"
    right_way = (path.est > 0) == (expected_sign == "+")
    return "supported" if right_way else "not supported (opposite sign)"


def _interval_verdict(path: pd.Series, expected_sign: str) -> str:
    """Supported when the bootstrap CI excludes 0 on the expected side (PLS-SEM; Hair et al. 2022)."""
    if not _excludes_zero(path.ci_lower, path.ci_upper):
        return "not supported"
    right_way = (path.est > 0) == (expected_sign == "+")
    return "supported" if right_way else "not supported (opposite sign)"


def hypothesis_table(results: FittedModel, instrument: Instrument) -> pd.DataFrame:
    """The instrument's hypotheses with their path estimates and the result: supported when p < .05
    in the expected direction.

    >>> from semtrust.estimation.ml import SEM
    >>> from semtrust.model.instrument import load_instrument
    >>> from semtrust.model.simulate import simulate
    >>> instrument = load_instrument("sor_live_commerce")
    >>> data, truth = simulate(instrument, n=300, seed=1)
    >>> fit = SEM(instrument.model_syntax()).fit(data)
    >>> hypothesis_table(fit, instrument)[["id", "path", "expected_sign", "est", "pvalue", "result"]].round(3).head(3)
       id      path expected_sign    est  pvalue     result
    0  H1  IA -> TR             +  0.519   0.000  supported
    1  H2  IA -> PE             +  0.543   0.000  supported
    2  H3  IA -> IM             +  0.198   0.002  supported
    """
    return _hypotheses(path_table(results), instrument, verdict)


def pls_hypothesis_table(results, instrument: Instrument) -> pd.DataFrame:
    """The instrument's hypotheses on the bootstrapped paths of a
    :class:`~semtrust.estimation.pls.PLSResults`, judged by :func:`_interval_verdict`; the columns
    of :func:`hypothesis_table` (``z`` is the bootstrap t value).

    >>> from semtrust.estimation.pls import estimate_pls
    >>> from semtrust.model.instrument import load_instrument
    >>> from semtrust.model.simulate import simulate
    >>> instrument = load_instrument("sor_live_commerce")
    >>> data, truth = simulate(instrument, n=300, seed=1)
    >>> fit = estimate_pls(data, instrument.model_syntax(), bootstrap=100, seed=1, workers=1)
    >>> pls_hypothesis_table(fit, instrument)[["id", "path", "est", "ci_lower", "ci_upper", "result"]].round(3).head(3)
       id      path    est  ci_lower  ci_upper     result
    0  H1  IA -> TR  0.366     0.301     0.421  supported
    1  H2  IA -> PE  0.383     0.298     0.468  supported
    2  H3  IA -> IM  0.166     0.048     0.271  supported
    """
    return _hypotheses(results.parameters.query("op == '~'"), instrument, _interval_verdict)


def _hypotheses(paths: pd.DataFrame, instrument: Instrument, judge) -> pd.DataFrame:
    paths = paths.set_index(["lhs", "rhs"])
    records = []
    for h in instrument.hypotheses:
        p = paths.loc[(h.target, h.source)]
        records.append(dict(id=h.id, path=f"{h.source} -> {h.target}", source=h.source, target=h.target,
                            expected_sign=h.sign, est=p.est, se=p.se, z=p.z, pvalue=p.pvalue,
                            ci_lower=p.ci_lower, ci_upper=p.ci_upper, std_all=p.std_all,
                            result=judge(p, h.sign)))
    return pd.DataFrame(records)


# Zhao, Lynch & Chen (2010), Table in reporting-standards.md §2.6
def zhao_classification(indirect_significant: bool, direct_significant: bool, same_sign: bool) -> str:
    """The mediation type of Zhao, Lynch & Chen (2010) from the significance and signs of the
    indirect and direct effects.

    >>> zhao_classification(True, False, True), zhao_classification(True, True, True), zhao_classification(False, True, True)
    ('indirect-only mediation', 'complementary mediation', 'direct-only non-mediation')
    """
    if indirect_significant:
        if not direct_significant:
            return "indirect-only mediation"
        return "complementary mediation" if same_sign else "competitive mediation"
    return "direct-only non-mediation" if direct_significant else "no-effect non-mediation"


def _excludes_zero(lower: float, upper: float) -> bool:
    return bool(lower > 0 or upper < 0)


def effects_table(results: FittedModel, draws=None, ci_method: str = "percentile",
                  level: float = 0.95) -> pd.DataFrame:
    """Every specific indirect, total indirect, direct and total effect, every contrast, and
    the user's defined parameters (``:=``).

    ``draws`` (bootstrap or Monte Carlo :class:`~semtrust.bootstrap.Draws`) give the SEs and
    CIs of both the unstandardized and the standardized effects; without draws the SEs are
    delta-method ones and the CIs Wald intervals (unstandardized only).

    >>> import numpy as np, pandas as pd
    >>> from semtrust.estimation.ml import SEM
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); m = 0.5 * x + rng.normal(size=500); y = 0.4 * m + 0.2 * x + rng.normal(size=500)
    >>> fit = SEM("m ~ a*x\\ny ~ b*m + x\\nab := a*b").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
    >>> effects_table(fit)[["path", "kind", "est", "se", "ci_lower", "ci_upper"]].round(3)
                          path            kind    est     se  ci_lower  ci_upper
    0              x -> m -> y        indirect  0.188  0.029     0.132     0.245
    1  x => y (total indirect)  total_indirect  0.188  0.029     0.132     0.245
    2          x => y (direct)          direct  0.239  0.051     0.139     0.338
    3           x => y (total)           total  0.427  0.047     0.335     0.520
    4                ab := a*b         defined  0.188  0.029     0.132     0.245
    """
    import numpy as np
    from scipy import stats

    from semtrust.estimation.bootstrap import interval
    from semtrust.structural.effects import DefinedSet, EffectSet

    # a multi-group model: each group's effects, then the defined parameters over all groups' labels
    path_sets = [EffectSet(results, group=g) for g in range(max(len(results.groups), 1))]
    sets = [s for s in path_sets + [DefinedSet(results)] if s.effects]
    if not sets:
        return pd.DataFrame()
    effects = [e for s in sets for e in s.effects]
    groups = [results.groups[s.group] if results.groups and isinstance(s, EffectSet) else ""
              for s in sets for _ in s.effects]

    def values(thetas):
        return np.hstack([s.values(thetas) for s in sets])

    def standardized(thetas, sds):
        return np.hstack([s.standardized_values(thetas, sds) for s in sets])

    theta = results.theta
    est = values(theta)[0]
    std = standardized(theta, results.total_sd(theta))[0]
    # central differences, all 2k shifted parameter vectors evaluated as one batch of draws
    steps = np.array([1e-6 * max(1.0, abs(t)) for t in theta])
    shifted = np.tile(theta, (2 * len(theta), 1))
    for k, h in enumerate(steps):
        shifted[k, k] += h
        shifted[len(theta) + k, k] -= h
    at = values(shifted)
    jacobian = np.ascontiguousarray((at[: len(theta)] - at[len(theta):]).T) / (2 * steps)   # C order: einsum sums in memory order
    delta_se = np.sqrt(np.clip(np.einsum("ek,kl,el->e", jacobian, results.vcov, jacobian), 0, None))
    pvalue = np.where(delta_se > 0, 2 * stats.norm.sf(np.abs(est / np.where(delta_se > 0, delta_se, 1))), np.nan)
    z = stats.norm.ppf(0.5 + level / 2)
    if draws is not None:
        draw_values = values(draws.theta)
        draw_std = standardized(draws.theta, draws.sd)
        jack = jack_std = None
        if ci_method == "bca":
            jack = values(draws.jackknife_theta)
            jack_std = standardized(draws.jackknife_theta, draws.jackknife_sd)
        method = "monte carlo" if draws.method == "monte carlo" else ci_method
        if draws.method == "monte carlo":
            ci_method = "percentile"
    records = []
    for i, effect in enumerate(effects):
        row = dict(path=effect.label, kind=effect.kind, source=effect.source, target=effect.target,
                   **({"group": groups[i]} if results.groups else {}), est=est[i], std=std[i])
        if effect.fixed_zero:
            row.update(se=0.0, pvalue=float("nan"), ci_lower=0.0, ci_upper=0.0, std_ci_lower=0.0,
                       std_ci_upper=0.0, ci_method="fixed at 0")
        elif draws is not None:
            lower, upper = interval(draw_values[:, i], est[i], ci_method, level, None if jack is None else jack[:, i])
            slower, supper = interval(draw_std[:, i], std[i], ci_method, level,
                                      None if jack_std is None else jack_std[:, i])
            row.update(se=float(np.std(draw_values[:, i], ddof=1)), pvalue=pvalue[i], ci_lower=lower,
                       ci_upper=upper, std_ci_lower=slower, std_ci_upper=supper, ci_method=method)
        else:
            row.update(se=delta_se[i], pvalue=pvalue[i], ci_lower=est[i] - z * delta_se[i],
                       ci_upper=est[i] + z * delta_se[i], std_ci_lower=float("nan"),
                       std_ci_upper=float("nan"), ci_method="delta (Wald)")
        records.append(row)
    table = pd.DataFrame(records)
    table["classification"] = ""
    keys = ["source", "target"] + (["group"] if results.groups else [])
    direct = table[table.kind == "direct"].set_index(keys)
    for idx, row in table[table.kind == "indirect"].iterrows():
        d = direct.loc[tuple(row[keys])]
        direct_sig = d.ci_method != "fixed at 0" and _excludes_zero(d.ci_lower, d.ci_upper)
        table.loc[idx, "classification"] = zhao_classification(
            _excludes_zero(row.ci_lower, row.ci_upper), direct_sig, (row.est > 0) == (d.est > 0))
    return table


def _comparison_row(name: str, fit: FittedModel) -> dict:
    """The model's fit in the flavour its verdicts read (no likelihood under WLSMV: AIC, BIC null)."""
    row = {"model": name, **reported_fit(fit.fit_measures)}
    del row["pvalue"]
    return row


def _nested(row: dict, reference: dict, fits: tuple[FittedModel, FittedModel] | None = None) -> dict:
    """``row`` against ``reference`` (``fits``: the two fitted models, needed for WLSMV)."""
    from scipy import stats

    from semtrust.estimation.ordinal import scaled_difference_test

    restricted, free = (row, reference) if row["df"] > reference["df"] else (reference, row)
    delta_df = restricted["df"] - free["df"]
    if "chisq_dwls" in row and delta_df > 0:  # lavTestLRT's scaled-shifted difference of WLSMV fits
        fit_restricted, fit_free = fits if row is restricted else fits[::-1]
        test = scaled_difference_test(fit_restricted, fit_free)
        return {**row, "compared_with": reference["model"], "delta_chisq": test["chisq_diff"],
                "delta_df": delta_df, "pvalue": test["pvalue"]}
    delta_chisq = nested_chisq_difference(restricted, free) if delta_df > 0 else restricted["chisq"] - free["chisq"]
    return {**row, "compared_with": reference["model"], "delta_chisq": delta_chisq, "delta_df": delta_df,
            "pvalue": float(stats.chi2.sf(delta_chisq, delta_df)) if delta_df > 0 else float("nan")}


def model_comparison(spec, structural: FittedModel, measurement: FittedModel | None,
                     instrument: Instrument | None, fit) -> pd.DataFrame:
    """Competing models (Anderson & Gerbing 1988): the hypothesised model against partial
    mediation (a direct path for every X -> Y that is only mediated), and, when the instrument
    has several trust dimensions, the first-order CFA against a second-order trust factor.
    ``fit`` fits lavaan syntax on the same data. Nested pairs get a chi-square difference test
    (for WLSMV fits lavaan's scaled-shifted one); AIC and BIC (likelihood fits only) compare any pair.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.estimation.ml import SEM
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); m = 0.5 * x + rng.normal(size=500); y = 0.4 * m + 0.2 * x + rng.normal(size=500)
    >>> fit = SEM("m ~ a*x\\ny ~ b*m + x\\nab := a*b").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
    >>> from semtrust.model.syntax import parse_model
    >>> spec = parse_model("m ~ x\\ny ~ m")
    >>> only_mediated = SEM("m ~ x\\ny ~ m").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
    >>> table = model_comparison(spec, only_mediated, None, None, lambda syntax: SEM(syntax).fit(pd.DataFrame({"x": x, "m": m, "y": y})))
    >>> table[["model", "chisq", "df", "delta_chisq", "pvalue"]].round(3)
                                    model   chisq  df  delta_chisq  pvalue
    0                  hypothesised model  21.686   1          NaN     NaN
    1  partial mediation (+1 direct path)  -0.000   0       21.686     0.0
    """
    from semtrust.assessment.reliability import measurement_model
    from semtrust.model.syntax import ModelSyntax, Statement
    from semtrust.structural.effects import enumerate_effects

    rows = []
    hypothesised = _comparison_row("hypothesised model", structural)
    rows.append(hypothesised)
    direct = [(e.source, e.target) for e in enumerate_effects(structural, contrasts=False)
              if e.kind == "direct" and not e.paths]
    if direct:
        partial = ModelSyntax(spec.statements + [Statement(y, "~", x) for x, y in direct],
                              spec.definitions, spec.source + " + direct paths")
        partial_fit = fit(partial)
        row = _comparison_row(f"partial mediation (+{len(direct)} direct path{'s' if len(direct) > 1 else ''})",
                              partial_fit)
        rows.append(_nested(row, hypothesised, (partial_fit, structural)))
    trust = [c.id for c in instrument.constructs if c.role == "trust"] if instrument is not None else []
    if measurement is not None and len(trust) >= 3:
        first = _comparison_row("first-order CFA", measurement)
        second_spec = ModelSyntax(measurement_model(spec).statements + [Statement("TRUST", "=~", t) for t in trust],
                                  [], spec.source + " second-order trust")
        second_fit = fit(second_spec)
        second = _comparison_row("second-order trust CFA (TRUST =~ " + " + ".join(trust) + ")", second_fit)
        rows += [first, _nested(second, first, (second_fit, measurement))]
    return pd.DataFrame(rows)
