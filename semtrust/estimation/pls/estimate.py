"""Public PLS-SEM entry point: :func:`estimate_pls` and the :class:`PLSResults` it returns.

Stage: estimation and assessment with PLS path modelling (Hair et al. 2022 standard). Items are
standardized (missing answers replaced by the item mean, as SmartPLS and seminr do, or dropped
listwise), the model is estimated with PLS or PLSc, and every table a Hair, Risher, Sarstedt &
Ringle (2019) review asks for is a DataFrame on the results: outer weights and loadings,
indicator reliability, α / ρ_A / ρ_C / AVE, Fornell–Larcker, cross-loadings, HTMT and HTMT2,
outer and inner VIF, paths, R² and adjusted R², f², direct / indirect / total effects. With
``bootstrap=B`` every one of them gets a bootstrap SE, t value, p value and percentile or BCa
interval, and ``parameters`` has lavaan's columns.

>>> rng = np.random.default_rng(1)
>>> trust = rng.normal(size=(300, 1))
>>> intent = 0.5 * trust + rng.normal(scale=0.8, size=(300, 1))
>>> items = np.hstack([trust + rng.normal(scale=0.6, size=(300, 3)), intent + rng.normal(scale=0.6, size=(300, 2))])
>>> data = pd.DataFrame(items, columns=["t1", "t2", "t3", "i1", "i2"])
>>> results = estimate_pls(data, "TRUST =~ t1 + t2 + t3\\nINTENT =~ i1 + i2\\nINTENT ~ TRUST")
>>> results.parameters.query("op == '~'")[["lhs", "op", "rhs", "est"]].round(3).to_string(index=False)
'   lhs op   rhs   est\\nINTENT  ~ TRUST 0.495'
"""
from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from semtrust.estimation.base import FittedModel
from semtrust.estimation.bootstrap import CI_METHODS, Draws, interval
from semtrust.errors import InputError
from semtrust.estimation.pls.algorithm import Fit, Layout, solve_stack
from semtrust.estimation.pls.bootstrap import PLSDraws, Problem, bootstrap_statistics
from semtrust.estimation.pls.fitted import PLSResampler, model_fit, parameter_mask, parameter_table
from semtrust.estimation.pls.model import PLSModel, parse_pls_model, two_stage_models
from semtrust.estimation.pls.statistics import htmt, reliability, statistic_keys, statistic_values

__all__ = ["estimate_pls", "PLSResults", "redundancy_analysis"]

PARAMETER_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"]
MISSING = ("mean", "listwise")
HIGHER_ORDER = ("repeated", "two_stage")


def _prepare(data: pd.DataFrame, model: PLSModel, missing: str) -> pd.DataFrame:
    """The model's items, numeric, with missing answers handled; InputError names any bad column."""
    absent = [item for item in model.indicators if item not in data.columns]
    if absent:
        raise InputError(f"data: column(s) {', '.join(absent)} named in the model are not in the data; "
                         "check the spelling or the column mapping")
    items = data[list(model.indicators)]
    text = [c for c, dtype in items.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)]
    if text:
        raise InputError(f"data: column(s) {', '.join(text)} are not numeric; recode the answers as numbers")
    if missing not in MISSING:
        raise InputError(f"unknown missing-data treatment '{missing}'; use one of {', '.join(MISSING)}")
    values = items.to_numpy(dtype=float, na_value=np.nan)
    columns = np.array(items.columns)
    infinite = columns[np.isinf(values).any(axis=0)]
    if len(infinite):
        raise InputError(f"data: column(s) {', '.join(infinite)} contain infinite values; recode them as missing")
    absent_answers = np.isnan(values)
    if missing == "mean":
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # a column without answers is reported below
            values = np.where(absent_answers, np.nanmean(values, axis=0), values)
        index = items.index
    else:
        complete = ~absent_answers.any(axis=1)
        values, index = values[complete], items.index[complete]
    items = pd.DataFrame(values, index=index, columns=items.columns)
    with np.errstate(invalid="ignore"):
        constant = columns[~(values.std(axis=0) > 0)] if len(values) else columns
    if len(constant):
        raise InputError(f"data: column(s) {', '.join(constant)} have no variance (or no answers); drop them "
                         "from the model")
    if len(items) < 3:
        raise InputError(f"data: only {len(items)} usable rows; PLS needs more cases than that")
    return items


@dataclass
class PLSResults(FittedModel):
    """A fitted PLS path model; every table is a DataFrame (see the module docstring). It is a
    :class:`~semtrust.estimation.base.FittedModel` whose parameters are standardized (``est`` is
    ``std_all``) with bootstrap SEs and CIs (:mod:`semtrust.estimation.pls.fitted`).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> res = estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> {k: round(v, 3) for k, v in res.r_squared().items()}
    {'B': 0.375}
    >>> res.parameters[["lhs", "op", "rhs", "est"]].round(3).head(3)
      lhs  op rhs    est
    0   A  =~  a1  0.800
    1   A  =~  a2  0.902
    2   B  =~  b1  0.767
    """

    model: PLSModel
    items: pd.DataFrame                 # the data used (missing answers handled), raw scale
    weighting: str
    consistent: bool
    draws: PLSDraws | None = None
    ci: str = "percentile"
    level: float = 0.95
    first_stage: "PLSResults | None" = None   # two-stage higher-order models: the stage-1 fit
    missing: str = "mean"
    source: str = "model"
    warnings: list = dataclasses.field(default_factory=list)

    @cached_property
    def layout(self) -> Layout:
        return Layout.of(self.model)

    @cached_property
    def standardized(self) -> np.ndarray:
        """n × slots standardized data (sample SD), one column per (construct, item) slot."""
        values = self.items.to_numpy()
        z = (values - values.mean(axis=0)) / values.std(axis=0, ddof=1)
        columns = {item: k for k, item in enumerate(self.items.columns)}
        return z[:, [columns[item] for _, item in self.model.slots]]

    @cached_property
    def correlation(self) -> np.ndarray:
        return np.corrcoef(self.standardized, rowvar=False)[None]

    @cached_property
    def fit(self) -> Fit:
        return solve_stack(self.correlation, self.layout, weighting=self.weighting, consistent=self.consistent)

    @property
    def n(self) -> int:
        return len(self.items)

    @property
    def problem(self) -> Problem:
        if self.first_stage is None:
            return Problem(self.standardized, self.model, self.layout, self.weighting, self.consistent)
        first = self.first_stage
        slot_of = {item: row for row, (_, item) in reversed(list(enumerate(first.model.slots)))}
        sources = np.array([slot_of[item] if item in slot_of else -first.model.constructs.index(item) - 1
                            for _, item in self.model.slots])
        return Problem(first.standardized, self.model, self.layout, self.weighting, self.consistent,
                       (first.layout, sources))

    @cached_property
    def keys(self) -> list[tuple[str, str, str, str]]:
        return statistic_keys(self.model)

    @cached_property
    def estimates(self) -> np.ndarray:
        return statistic_values(self.correlation, self.fit, self.model, self.layout)[0]

    # ---- measurement model -------------------------------------------------------------
    def _slot_table(self, values: np.ndarray) -> pd.DataFrame:
        table = pd.DataFrame(np.nan, index=list(self.model.indicators), columns=list(self.model.constructs))
        for row, (construct, item) in enumerate(self.model.slots):
            table.loc[item, construct] = values[row, self.model.constructs.index(construct)]
        return table

    @property
    def outer_weights(self) -> pd.DataFrame:
        """Items × constructs outer weights (scores have unit variance); NaN outside a block."""
        return self._slot_table(self.fit.weights[0])

    @property
    def outer_loadings(self) -> pd.DataFrame:
        """Items × constructs outer loadings (PLSc-corrected for ``=~`` blocks when consistent)."""
        return self._slot_table(self.fit.loadings[0])

    @property
    def indicator_reliability(self) -> pd.DataFrame:
        """Squared loadings (Hair et al.: ≥ .708² ≈ .50 wanted for reflective items)."""
        return self.outer_loadings ** 2

    @property
    def cross_loadings(self) -> pd.DataFrame:
        """Correlation of every item with every construct score."""
        first_slot = {item: row for row, (_, item) in reversed(list(enumerate(self.model.slots)))}
        values = self.fit.item_cor[0][[first_slot[i] for i in self.model.indicators]]
        return pd.DataFrame(values, index=list(self.model.indicators), columns=list(self.model.constructs))

    @property
    def construct_scores(self) -> pd.DataFrame:
        """n × constructs standardized construct scores (mean 0, SD 1)."""
        return pd.DataFrame(self.standardized @ self.fit.weights[0], index=self.items.index,
                            columns=list(self.model.constructs))

    @property
    def construct_correlations(self) -> pd.DataFrame:
        """Correlations of the construct scores (disattenuated by PLSc when consistent)."""
        names = list(self.model.constructs)
        return pd.DataFrame(self.fit.construct_cor[0], index=names, columns=names)

    @property
    def reliability(self) -> pd.DataFrame:
        """Cronbach's α, ρ_A, ρ_C (composite reliability) and AVE per construct."""
        measures = reliability(self.correlation, self.fit, self.layout.membership)
        return pd.DataFrame({k: v[0] for k, v in measures.items()}, index=list(self.model.constructs))

    @property
    def fornell_larcker(self) -> pd.DataFrame:
        """√AVE on the diagonal, construct correlations below it, NaN above."""
        table = self.construct_correlations.copy()
        values = table.to_numpy(copy=True)
        values[np.triu_indices(len(values), 1)] = np.nan
        np.fill_diagonal(values, np.sqrt(self.reliability["ave"].to_numpy()))
        return pd.DataFrame(values, index=table.index, columns=table.columns)

    def _pairwise(self, geometric: bool) -> pd.DataFrame:
        values = htmt(self.correlation, self.layout.membership, geometric)[0]
        values[np.triu_indices(len(values))] = np.nan
        names = list(self.model.constructs)
        return pd.DataFrame(values, index=names, columns=names)

    @property
    def htmt(self) -> pd.DataFrame:
        """Heterotrait–monotrait ratios below the diagonal (Henseler et al. 2015)."""
        return self._pairwise(False)

    @property
    def htmt2(self) -> pd.DataFrame:
        """HTMT2 (geometric means; Roemer et al. 2021) below the diagonal."""
        return self._pairwise(True)

    @property
    def outer_vif(self) -> pd.DataFrame:
        """VIF of each item within its block (the collinearity check for formative blocks)."""
        rows = []
        for construct, block in zip(self.model.constructs, self.layout.blocks):
            if len(block) < 2:
                continue
            inverse = np.linalg.inv(self.correlation[0][np.ix_(block, block)])
            rows += [(construct, self.model.slots[s][1], float(v)) for s, v in zip(block, np.diag(inverse))]
        return pd.DataFrame(rows, columns=["construct", "item", "vif"])

    # ---- structural model --------------------------------------------------------------
    @property
    def path_coefficients(self) -> pd.DataFrame:
        """Sources × targets matrix of path coefficients, NaN where there is no path."""
        names = list(self.model.constructs)
        values = np.where(self.model.path_matrix > 0, self.fit.paths[0], np.nan)
        return pd.DataFrame(values, index=names, columns=names)

    @property
    def r_squared_table(self) -> pd.DataFrame:
        """R² and adjusted R² per endogenous construct."""
        rows = []
        for construct in self.model.endogenous:
            r2 = float(self.fit.r2[0, self.model.constructs.index(construct)])
            k = len(self.model.predecessors(construct))
            rows.append((construct, r2, 1 - (1 - r2) * (self.n - 1) / (self.n - k - 1)))
        return pd.DataFrame(rows, columns=["construct", "r2", "r2_adj"]).set_index("construct")

    @property
    def inner_vif(self) -> pd.DataFrame:
        """VIF of each predictor of each endogenous construct (from the construct correlations)."""
        rows = []
        cor = self.fit.construct_cor[0]
        names = self.model.constructs
        for target in self.model.endogenous:
            preds = self.model.predecessors(target)
            index = [names.index(p) for p in preds]
            vif = np.diag(np.linalg.inv(cor[np.ix_(index, index)])) if len(index) > 1 else [math.nan]
            rows += [(target, p, float(v)) for p, v in zip(preds, vif)]
        return pd.DataFrame(rows, columns=["target", "source", "vif"])

    @property
    def f_squared(self) -> pd.DataFrame:
        """f² per path: ``f2`` re-estimates the model without the path (Hair et al.; seminr),
        ``f2_same_scores`` keeps the construct scores (the bootstrapped variant)."""
        names = self.model.constructs
        same = dict(zip([(k[3], k[1]) for k in self.keys if k[0] == "f2"],
                        self.estimates[[k[0] == "f2" for k in self.keys]]))
        rows = []
        for source, target in self.model.paths:
            r2 = float(self.fit.r2[0, names.index(target)])
            rows.append((source, target, (r2 - self._r2_without(source, target)) / (1 - r2),
                         float(same[(source, target)])))
        return pd.DataFrame(rows, columns=["source", "target", "f2", "f2_same_scores"])

    def _r2_without(self, source: str, target: str) -> float:
        if len(self.model.predecessors(target)) == 1:
            return 0.0
        reduced = dataclasses.replace(self.model, paths=tuple(p for p in self.model.paths if p != (source, target)))
        try:
            layout = Layout.of(reduced)
        except InputError:
            return math.nan
        # a source left without any path (its only one removed) gets no inner proxy and NaN weights;
        # the target's R² does not use it
        with np.errstate(divide="ignore", invalid="ignore"):
            fit = solve_stack(self.correlation, layout, weighting=self.weighting, consistent=self.consistent)
        return float(fit.r2[0, self.model.constructs.index(target)])

    @property
    def effects(self) -> pd.DataFrame:
        """Direct, indirect and total effect for every source → target pair joined by a chain of paths."""
        table = self.statistics.query("part in ['total', 'indirect']")
        wide = table.pivot_table(index=["rhs", "lhs"], columns="part", values="est", sort=False)
        direct = {(s, t): float(self.fit.paths[0, self.model.constructs.index(s), self.model.constructs.index(t)])
                  for s, t in self.model.paths}
        wide["direct"] = [direct.get(pair, 0.0) for pair in wide.index]
        wide = wide.reindex(columns=["direct", "indirect", "total"]).fillna({"indirect": 0.0})
        return wide.rename_axis(index=["source", "target"], columns=None).reset_index()

    @property
    def htmt_inference(self) -> pd.DataFrame:
        """HTMT and HTMT2 per construct pair with the one-sided bootstrap upper bound at ``level``
        (percentile, Franke & Sarstedt 2019) and whether it stays below .85 and .90."""
        if self.draws is None:
            raise InputError("HTMT inference needs a bootstrap; run estimate_pls(..., bootstrap=10000)")
        table = self.statistics
        rows = []
        for j in np.flatnonzero(table["part"].isin(["htmt", "htmt2"]).to_numpy()):
            draws = self.draws.values[:, j]
            draws = draws[np.isfinite(draws)]
            upper = float(np.quantile(draws, self.level)) if len(draws) else math.nan
            rows.append((table["part"].iat[j], table["lhs"].iat[j], table["rhs"].iat[j], table["est"].iat[j], upper))
        out = pd.DataFrame(rows, columns=["measure", "construct_1", "construct_2", "est", "upper"])
        out["below_85"], out["below_90"] = out["upper"] < 0.85, out["upper"] < 0.90
        return out

    @property
    def information_criteria(self) -> pd.DataFrame:
        """AIC, BIC and the Geweke–Meese criterion GM per endogenous construct (Sharma et al. 2019,
        Table B1): from the regression of its composite scores on its predictors' scores,
        SSE = (1 − R²)(n − 1); AIC = n·ln(SSE/n) + 2p, BIC = n·ln(SSE/n) + p·ln n (as seminr), and
        GM = SSE / MSE + p·ln n with MSE = 1 − R² of the same regression in the saturated model
        (a path from every construct to every later one in causal order, re-estimated; as cSEM),
        where p = predictors + 1. Lower is better when the same target is compared across models."""
        saturated = self._score_r2(self.model.saturated())
        rows = []
        for target, r2 in self._score_r2(self.model).items():
            sse, p = (1 - r2) * (self.n - 1), len(self.model.predecessors(target)) + 1
            log_mse = self.n * math.log(sse / self.n)
            rows.append((target, log_mse + 2 * p, log_mse + p * math.log(self.n),
                         sse / (1 - saturated[target]) + p * math.log(self.n)))
        return pd.DataFrame(rows, columns=["construct", "aic", "bic", "gm"])

    def _score_r2(self, model: PLSModel) -> dict[str, float]:
        """R² of each endogenous construct's scores regressed on its predictors' scores, with the
        model estimated as ``model`` (this model, or its saturated variant) on the same data."""
        if model.paths == self.model.paths:
            weights = self.fit.weights[0]
        else:
            weights = solve_stack(self.correlation, Layout.of(model), weighting=self.weighting,
                                  consistent=self.consistent).weights[0]
        cor = np.corrcoef(self.standardized @ weights, rowvar=False)
        names = model.constructs
        out = {}
        for target in model.endogenous:
            preds, j = [names.index(p) for p in model.predecessors(target)], names.index(target)
            out[target] = float(cor[j, preds] @ np.linalg.solve(cor[np.ix_(preds, preds)], cor[preds, j]))
        return out

    @property
    def mediation(self) -> pd.DataFrame:
        """Every specific indirect effect with its bootstrap interval and the Zhao, Lynch & Chen
        (2010) / Nitzl et al. (2016) type: complementary or competitive (partial) mediation,
        indirect-only (full) mediation, direct-only (no mediation) or no effect."""
        if self.draws is None:
            raise InputError("the mediation analysis needs a bootstrap; run estimate_pls(..., bootstrap=10000)")
        table = self.statistics
        specific = table[table["part"] == "specific"]
        paths = table[table["part"] == "path"].set_index(["rhs", "lhs"])
        rows = []
        for _, row in specific.iterrows():
            chain = row["rhs"].split(" -> ")
            indirect = not row["ci_lower"] <= 0 <= row["ci_upper"]
            direct_row = paths.loc[(chain[0], chain[-1])] if (chain[0], chain[-1]) in paths.index else None
            direct = direct_row is not None and not direct_row["ci_lower"] <= 0 <= direct_row["ci_upper"]
            if indirect and direct:
                kind = ("complementary" if row["est"] * direct_row["est"] > 0 else "competitive") + " partial mediation"
            else:
                kind = {(True, False): "indirect-only (full) mediation", (False, True): "direct-only (no mediation)",
                        (False, False): "no effect"}[(indirect, direct)]
            rows.append((row["rhs"], row["est"], row["se"], row["ci_lower"], row["ci_upper"],
                         math.nan if direct_row is None else direct_row["est"], kind))
        return pd.DataFrame(rows, columns=["chain", "indirect", "se", "ci_lower", "ci_upper", "direct", "type"])

    # ---- inference -------------------------------------------------------------------
    @cached_property
    def statistics(self) -> pd.DataFrame:
        """Every bootstrappable statistic: part, lhs, op, rhs, est and (after a bootstrap) boot_mean,
        se, t, pvalue (two-sided, normal), pvalue_one_sided, ci_lower, ci_upper."""
        table = pd.DataFrame(self.keys, columns=["part", "lhs", "op", "rhs"])
        table["est"] = self.estimates
        if self.draws is None:
            return table
        values = self.draws.values
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # a statistic undefined in every draw stays NaN
            table["boot_mean"] = np.nanmean(values, axis=0)
            table["se"] = np.nanstd(values, axis=0, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            table["t"] = table["est"] / table["se"]
        table["pvalue"] = 2 * stats.norm.sf(np.abs(table["t"]))
        table["pvalue_one_sided"] = table["pvalue"] / 2   # H1: the effect has the estimate's sign
        bounds = [interval(values[:, j], float(table["est"].iloc[j]), self.ci, self.level,
                           None if self.draws.jackknife is None else self.draws.jackknife[:, j])
                  for j in range(values.shape[1])]
        table["ci_lower"], table["ci_upper"] = zip(*bounds) if bounds else ((), ())
        return table

    @property
    def parameters(self) -> pd.DataFrame:
        """lavaan-style table: loadings ``=~``, weights ``<~``, paths ``~`` (all standardized)."""
        table = self.statistics.query("part in ['loading', 'weight', 'path']").drop(columns="part")
        table = table.rename(columns={"t": "z"}).reset_index(drop=True)
        table["label"] = ""
        table["std_all"] = table["est"]
        return table.reindex(columns=PARAMETER_COLUMNS)

    @property
    def fit_measures(self) -> pd.Series:
        """SRMR, d_ULS and d_G of the saturated model (:func:`~semtrust.estimation.pls.fitted.model_fit`),
        then the run facts: n, iterations, convergence and bootstrap draws used / failed."""
        return pd.Series({**model_fit(self.correlation[0], self.fit, self.model),
                          "n": self.n, "iterations": int(self.fit.iterations[0]),
                          "converged": bool(self.fit.converged[0]),
                          "bootstrap_draws": 0 if self.draws is None else len(self.draws.values),
                          "bootstrap_failed": 0 if self.draws is None else self.draws.failed})

    # ---- the FittedModel interface -----------------------------------------------------
    @property
    def estimator(self) -> str:
        return "PLSc" if self.consistent else "PLS"

    @cached_property
    def partable(self):
        return parameter_table(self.model)

    @property
    def theta(self) -> np.ndarray:
        return self.estimates[parameter_mask(self.model)]

    @property
    def vcov(self) -> np.ndarray:
        """Bootstrap covariance of the parameters (NaN without a bootstrap)."""
        width = int(parameter_mask(self.model).sum())
        if self.draws is None or len(self.draws.values) < 2:
            return np.full((width, width), np.nan)
        return np.cov(self.draws.values[:, parameter_mask(self.model)], rowvar=False).reshape(width, width)

    @property
    def variables(self) -> list[str]:
        return list(self.model.indicators) + list(self.model.constructs)

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        return np.ones(len(self.variables))

    def resampler(self) -> PLSResampler:
        return PLSResampler(self.problem)

    def r_squared(self) -> dict[str, float]:
        return self.r_squared_table["r2"].to_dict()

    def parameter_draws(self) -> Draws | None:
        """The bootstrap's parameter draws as :class:`~semtrust.estimation.bootstrap.Draws`, the
        same the generic bootstrap gets through :meth:`resampler` (same rows per resample)."""
        if self.draws is None:
            return None
        mask = parameter_mask(self.model)
        ones = np.ones((len(self.draws.values), len(self.variables)))
        out = Draws(self.draws.values[:, mask], ones, self.draws.requested, self.draws.failed, self.draws.seed,
                    "bootstrap")
        if self.draws.jackknife is not None:
            out.jackknife_theta = self.draws.jackknife[:, mask]
            out.jackknife_sd = np.ones((len(out.jackknife_theta), len(self.variables)))
        return out


REDUNDANCY_PATH = 0.70   # Hair et al. (2022): the path a formative construct needs to its global item


def check_global_items(model: PLSModel, global_items: dict[str, str]) -> None:
    """InputError (one line) unless each key of ``global_items`` is a formative construct of
    ``model`` and its global item is not one of the construct's own items.

    >>> check_global_items(parse_pls_model("F <~ f1 + f2\\nO =~ o1 + o2\\nO ~ F"), {"O": "overall"})
    Traceback (most recent call last):
    ...
    semtrust.errors.InputError: global item of O: O is reflective (=~); a global item checks a formative (<~) construct, so drop O from the global items
    """
    for construct, item in global_items.items():
        if construct not in model.constructs:
            raise InputError(f"global item of {construct}: '{construct}' is not a construct of the model; the constructs "
                             f"are {', '.join(model.constructs)}")
        if model.modes[construct] != "B":
            raise InputError(f"global item of {construct}: {construct} is reflective (=~); a global item checks a "
                             f"formative (<~) construct, so drop {construct} from the global items")
        if item in model.items[construct]:
            raise InputError(f"global item of {construct}: '{item}' is one of {construct}'s own items; name a separate "
                             "overall question")


def redundancy_analysis(data: pd.DataFrame, results: PLSResults, global_items: dict[str, str], *,
                        bootstrap: int = 0, seed: int = 2024, workers: int | None = None) -> pd.DataFrame:
    """Convergent validity of formative constructs (Chin 1998; Hair et al. 2022): each construct in
    ``global_items`` (formative construct → its global single-item column in ``data``) predicts its
    global item in a two-construct model, estimated as ``results`` was (weighting, missing data);
    a path of .70 or more (R² ≥ .49) supports convergent validity. With ``bootstrap`` resamples
    (seeded by ``seed``) the path gets an SE, t (path / SE) and ``results``'s interval (percentile or BCa).

    >>> rng = np.random.default_rng(5)
    >>> cause = rng.normal(size=(300, 3))
    >>> survey = pd.DataFrame(cause, columns=["f1", "f2", "f3"]).assign(overall=cause.sum(axis=1) + rng.normal(size=300))
    >>> fitted = estimate_pls(survey, "F <~ f1 + f2 + f3\\nO =~ overall\\nO ~ F")
    >>> redundancy_analysis(survey, fitted, {"F": "overall"})[["construct", "path", "r2", "convergent"]].round(2).values.tolist()
    [['F', 0.88, 0.77, True]]
    """
    # a two-stage fit's first-order constructs are in its stage-1 model, with their own items
    model = results.model if results.first_stage is None else results.first_stage.model
    stage_two = [c for c in global_items if results.first_stage is not None and c in results.model.constructs
                 and c not in model.constructs]
    if stage_two:
        raise InputError(f"global item of {stage_two[0]}: a two-stage higher-order construct has no items of its own; "
                         "run its redundancy analysis with --higher-order repeated")
    check_global_items(model, global_items)
    rows = []
    for construct, item in global_items.items():
        if item not in data.columns:
            raise InputError(f"redundancy analysis: the global item column '{item}' of {construct} is not in the data; "
                             "check its spelling")
        syntax = f"{construct} <~ {' + '.join(model.items[construct])}\nGLOBAL__ =~ {item}\nGLOBAL__ ~ {construct}"
        fitted = estimate_pls(data, syntax, weighting=results.weighting, missing=results.missing, bootstrap=bootstrap,
                              seed=seed, ci=results.ci, level=results.level, workers=workers)
        path = fitted.parameters.query("op == '~'").iloc[0]
        rows.append((construct, item, float(path["est"]), path["se"], path["z"], path["ci_lower"], path["ci_upper"],
                     float(fitted.r_squared_table.loc["GLOBAL__", "r2"]), fitted.n, bool(path["est"] >= REDUNDANCY_PATH)))
    return pd.DataFrame(rows, columns=["construct", "global_item", "path", "se", "t", "ci_lower", "ci_upper", "r2", "n",
                                       "convergent"])


def estimate_pls(data: pd.DataFrame, model: str, *, weighting: str = "path", consistent: bool = False,
                 missing: str = "mean", bootstrap: int = 0, seed: int = 2024, ci: str = "percentile",
                 level: float = 0.95, workers: int | None = None, higher_order: str = "repeated") -> PLSResults:
    """Estimate a PLS path model from lavaan-style syntax (``=~`` mode A, ``<~`` mode B, ``~`` paths).

    ``weighting`` is "path" (default, as SmartPLS), "factorial" or "centroid"; ``consistent``
    applies PLSc to the ``=~`` constructs; ``bootstrap`` resamples (SmartPLS recommends 10,000)
    seeded with ``seed`` give SEs and ``ci`` ("percentile" or "bca") intervals. A construct measured
    by constructs (``TRUST =~ HT + CT + PT + ST``) is estimated with repeated indicators, or with
    ``higher_order="two_stage"`` from its dimensions' stage-1 scores (then ``first_stage`` holds the
    stage-1 fit; every bootstrap resample re-estimates both stages).

    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), f + rng.normal(size=(200, 2))]),
    ...                   columns=["a1", "a2", "b1", "b2"])
    >>> res = estimate_pls(df, "A <~ a1 + a2\\nB =~ b1 + b2\\nB ~ A", bootstrap=200, seed=1, workers=1)
    >>> bool(res.parameters.loc[4, "ci_lower"] < res.parameters.loc[4, "est"] < res.parameters.loc[4, "ci_upper"])
    True
    """
    spec = parse_pls_model(model) if isinstance(model, str) else model
    if ci not in ("percentile", "bca"):
        raise InputError(f"unknown interval '{ci}' for PLS; use percentile or bca "
                         f"(semtrust's CB-SEM bootstrap also knows {', '.join(CI_METHODS)})")
    if bootstrap < 0 or not 0 < level < 1:
        raise InputError(f"bootstrap needs 0 or more resamples and a level between 0 and 1, got {bootstrap} and {level}")
    if higher_order not in HIGHER_ORDER:
        raise InputError(f"unknown higher-order approach '{higher_order}'; use one of {', '.join(HIGHER_ORDER)}")
    items = _prepare(data, spec, missing)
    first_stage = None
    if spec.higher_order and higher_order == "two_stage":
        first_model, spec = two_stage_models(spec)
        first_stage = PLSResults(first_model, items, weighting, consistent)
        dimensions = [c for c in first_model.constructs if c in spec.indicators]
        items = pd.concat([items, first_stage.construct_scores[dimensions]], axis=1)
    results = PLSResults(spec, items, weighting, consistent, ci=ci, level=level, first_stage=first_stage,
                         missing=missing)
    results.fit  # noqa: B018 -- estimate now so bad settings fail before a bootstrap starts
    if bootstrap:
        results.draws = bootstrap_statistics(results.problem, bootstrap, seed, workers=workers,
                                             jackknife=ci == "bca")
    return results
