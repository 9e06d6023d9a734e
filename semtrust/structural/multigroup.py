"""Multi-group models with shared parameters, the invariance ladder and group path tests.

One parameter vector serves all groups: a parameter is shared when it carries the same
label, when its type is listed in ``group_equal`` (lavaan's ``group.equal``), or when the
path is listed in ``equal_paths``. The discrepancy is sum_g (n_g / N) F_g with a mean
structure (observed intercepts free, latent means fixed at 0; with equal intercepts the
latent means of all groups after the first are freed), so chi-square, df, CFI, RMSEA and
SRMR follow lavaan's ``sem(..., group = , group.equal = )``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import block_diag, null_space

from semtrust.errors import EstimationError, InputError
from semtrust.estimation.compiled import CompiledModel, fisher_scoring, start_values
from semtrust.estimation.constraints import ConstraintSet, constrained_scoring, projected_inverse
from semtrust.estimation.fit_measures import (
    FitMeasures,
    baseline_model,
    covariate_loglik,
    fit_measures,
    robust_fit_measures,
    robust_indices,
    scaled_chisq_difference,
    srmr,
    unrestricted_loglik,
)
from semtrust.estimation.missing import em_estimates, loglik, missing_patterns
from semtrust.estimation.ml import SEM, CaseData, add_inference, delta_method, estimate_rows
from semtrust.estimation.ordinal import scaled_difference_test
from semtrust.estimation.ordinal_groups import IDENTIFICATION, group_labels, fit_ordinal_groups
from semtrust.estimation.ordinal_groups import LADDER as ORDINAL_LADDER
from semtrust.estimation import robust
from semtrust.estimation.base import FittedModel, Resampler
from semtrust.model.expressions import Expression
from semtrust.model.partable import (
    PARAMETER_COLUMNS,
    ParameterTable,
    Row,
    build_parameter_table,
    mean_rows,
)
from semtrust.model.syntax import ModelSyntax

__all__ = ["fit_multigroup", "MultiGroupResults", "invariance", "ordinal_invariance", "group_path_tests",
           "ordinal_group_path_tests",
           "fit_grouped", "GroupedModel"]

EQUALITY_TYPES = ("loadings", "intercepts", "means", "residuals", "residual.covariances",
                  "lv.variances", "lv.covariances", "regressions")
# (name, group.equal) of the invariance ladder
LADDER = (("configural", ()), ("metric", ("loadings",)), ("scalar", ("loadings", "intercepts")),
          ("strict", ("loadings", "intercepts", "residuals")))


def _row_type(row: Row, latent: set[str]) -> str:
    if row.op == "=~":
        return "loadings"
    if row.op == "~":
        return "regressions"
    if row.op == "~1":
        return "means" if row.lhs in latent else "intercepts"
    both_latent = row.lhs in latent
    if row.lhs == row.rhs:
        return "lv.variances" if both_latent else "residuals"
    return "lv.covariances" if both_latent else "residual.covariances"


def _in_group(row: Row, g: int) -> Row:
    """The row as group ``g`` has it: a c(...) modifier's label, fixed value or free parameter."""
    if not row.per_group:
        return replace(row)
    modifier = row.per_group[g]
    if isinstance(modifier, float):
        return replace(row, free=-1, value=modifier, label="")
    return replace(row, free=0, label=modifier or "")


def group_tables(spec: ModelSyntax, n_groups: int, group_equal=(), equal_paths=(),
                 group_partial=()) -> tuple[list[list[Row]], list, int]:
    """Per-group rows with global free indices; returns (rows per group, base table, n_free)."""
    unknown = set(group_equal) - set(EQUALITY_TYPES)
    if unknown:
        raise InputError(f"unknown equality type(s) {', '.join(sorted(unknown))}; use {', '.join(EQUALITY_TYPES)}")
    base = build_parameter_table(spec, groups=n_groups)
    latent = set(base.latent)
    shared: dict[tuple, int] = {}
    n_free = 0
    groups = []
    for g in range(n_groups):
        rows = [replace(r, group=g) for r in [_in_group(r, g) for r in base.rows] + mean_rows(base)]
        if "intercepts" in group_equal and "means" not in group_equal and g > 0:
            for r in rows:
                if r.op == "~1" and r.lhs in latent:
                    r.free = 0   # latent means identified by the equal intercepts
        for r in rows:
            if r.free < 0:
                continue
            kind = _row_type(r, latent)
            if r.label:
                key = ("label", r.label)
            elif ((kind in group_equal and (r.lhs, r.op, r.rhs) not in group_partial)
                  or (r.lhs, r.op, r.rhs) in equal_paths):
                key = (r.op, r.lhs, r.rhs)
            else:
                key = (g, r.op, r.lhs, r.rhs)
            if key not in shared:
                shared[key] = n_free
                n_free += 1
            r.free = shared[key]
        groups.append(rows)
    return groups, base, n_free


@dataclass
class GroupData:
    """One group's analysed cases: its label, size and sample moments."""
    label: str
    n: int
    cov: np.ndarray
    mean: np.ndarray
    values: np.ndarray | None = None   # the group's responses (MLR, FIML)
    patterns: object = None            # their missing-data patterns (FIML; cov and mean are then EM's)


class MultiGroupResults:
    """Fitted multi-group model: per-group parameter table (with a ``group`` column) and fit.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.syntax import parse_model
    >>> rng = np.random.default_rng(9)
    >>> f = rng.normal(size=(400, 1))
    >>> data = pd.DataFrame(f @ [[1.0, 0.8, 0.9, 0.7]] + rng.normal(scale=0.7, size=(400, 4)), columns=["x1", "x2", "x3", "x4"])
    >>> data["platform"] = np.repeat(["Douyin", "Kuaishou"], 200)
    >>> spec = parse_model("F =~ x1 + x2 + x3 + x4")
    >>> fit = fit_multigroup(spec, data, "platform", ("loadings",))
    >>> fit.parameters.query("op == '=~'")[["group", "rhs", "est"]].round(3).head(3)
        group rhs    est
    0  Douyin  x1  1.000
    1  Douyin  x2  0.701
    2  Douyin  x3  0.916
    """

    def __init__(self, spec, labels, compiled, data, theta, vcov, group_equal, equal_paths,
                 scaling: tuple[float, float] | None = None, likelihoods: list | None = None,
                 n_equal: int = 0):
        self.spec, self.labels, self.compiled, self.data = spec, labels, compiled, data
        self.likelihoods = likelihoods   # FIML: each group's casewise likelihood
        self.n_equal = n_equal           # equality constraints (==): each removes a parameter
        self.theta, self.vcov = theta, vcov
        self.scaling = scaling   # MLR: the scaling factors of the model's and the baseline's chi-square
        self.group_equal, self.equal_paths = tuple(group_equal), tuple(equal_paths)
        self.n = sum(d.n for d in data)
        frames = []
        for label, cm, d in zip(labels, compiled, data):
            frame = add_inference(estimate_rows(cm.table.rows, cm, theta, vcov))
            frame.insert(3, "group", label)
            frames.append(frame)
        defined = self._defined(pd.concat(frames, ignore_index=True))
        self.parameters = pd.concat(frames + [defined], ignore_index=True)[PARAMETER_COLUMNS[:3] + ["group"]
                                                                           + PARAMETER_COLUMNS[3:]]
        self.fit_measures = self._fit_measures()

    def _defined(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Defined parameters (``:=``) over the labels of any group, with delta-method SEs."""
        labelled = frame[frame.label != ""].drop_duplicates("label")
        free = dict(zip(labelled.label, labelled.free))
        fixed = dict(zip(labelled.label, labelled.est))
        std = dict(zip(labelled.label, labelled.std_all))
        records = []
        for d in self.spec.definitions:
            expr = Expression(d.expression, f"{self.spec.source}, line {d.line}")
            unknown = expr.names - set(free) - {r["lhs"] for r in records}
            if unknown:
                raise InputError(f"{self.spec.source}, line {d.line}: '{d.name}' uses {', '.join(sorted(unknown))}, "
                                 "which no parameter is labelled")
            earlier = list(records)

            def value_at(theta, _expr=expr, _earlier=earlier):
                values = {k: (theta[f] if f >= 0 else fixed[k]) for k, f in free.items()}
                for record in _earlier:
                    values[record["lhs"]] = record["expression"](values)
                return _expr(values)

            est, se = delta_method(value_at, self.theta, self.vcov)
            std_values = {**std, **{r["lhs"]: r["std_all"] for r in earlier}}
            records.append(dict(lhs=d.name, op=":=", rhs="".join(d.expression.split()), label=d.name, group="",
                                est=est, se=se, std_all=expr(std_values), free=-1, expression=expr))
        if not records:
            return pd.DataFrame()
        return add_inference(pd.DataFrame(records).drop(columns="expression"))

    def _fit_measures(self) -> FitMeasures:
        chisq = base_chisq = unrestricted = 0.0
        df = base_df = 0
        srmr_weighted = 0.0
        for g, (cm, d) in enumerate(zip(self.compiled, self.data)):
            p = cm.p
            covariates = [cm.observed.index(v) for v in cm.table.covariates]
            q = len(covariates)
            df += p * (p + 1) // 2 + p - q * (q + 1) // 2 - q
            if self.likelihoods is None:
                chisq += d.n * cm.objective(self.theta, d.cov, np.linalg.slogdet(d.cov)[1], d.mean)
                b_chisq, b_df = baseline_model(d.cov, d.n, covariates)
                group_unrestricted = unrestricted_loglik(d.cov, d.n, covariates)
            else:   # FIML: likelihood-ratio statistics against each group's EM (h1) moments
                # (fixed.x: conditional on the covariates, whose own likelihood is left out)
                x_loglik = covariate_loglik(d.cov, d.n, covariates)
                group_unrestricted = loglik(d.patterns, d.mean, d.cov) - x_loglik
                chisq += 2 * (group_unrestricted + x_loglik - self.likelihoods[g].loglik(self.theta))
                b_df = p * (p - 1) // 2 - q * (q - 1) // 2
                if covariates:
                    b_chisq = self._baselines[g].fit_measures.chisq
                else:
                    b_chisq = 2 * (group_unrestricted - robust.independence_loglik(d.patterns))
            base_chisq += b_chisq
            base_df += b_df
            unrestricted += group_unrestricted
            sigma, _, _ = cm.implied(self.theta)
            srmr_weighted += d.n * srmr(d.cov, sigma, d.mean, cm.implied_mean(self.theta))
        n_free = len(self.theta) - self.n_equal
        measures = fit_measures(chisq=chisq, df=df - n_free, npar=n_free, n=self.n, baseline_chisq=base_chisq,
                                baseline_df=base_df, unrestricted_logl=unrestricted, srmr=srmr_weighted / self.n,
                                groups=len(self.data))
        if self.scaling is not None:
            measures = robust_fit_measures(measures, *self.scaling, groups=len(self.data))
        if self.likelihoods is not None:
            measures = self._fiml_robust_indices(measures)
        return measures

    def _fiml_robust_indices(self, measures: FitMeasures) -> FitMeasures:
        """lavaan's missing-data corrected robust CFI, TLI and RMSEA, the groups as blocks; the
        baseline is each group's own independence model."""
        h1 = [robust.h1_information(d.patterns, d.n, d.mean, d.cov, True, False) for d in self.data]
        caches = [{} for _ in self.data]   # each group's data-only pieces, shared by the model and the baseline
        parts = [robust.fiml_part(cm, self.theta, d.n, d.mean, d.cov, h, cache=cache)
                 for cm, d, h, cache in zip(self.compiled, self.data, h1, caches)]
        baselines = self._baselines
        widths = [b.compiled.n_free for b in baselines]
        offsets = np.cumsum([0] + widths[:-1])
        base_parts = [robust.fiml_part(b.compiled, b.theta, d.n, d.mean, d.cov, h, sum(widths), int(offset), cache)
                      for b, d, h, offset, cache in zip(baselines, self.data, h1, offsets, caches)]
        scaled = self.scaling is not None
        covariates = [self.compiled[0].observed.index(v) for v in self.compiled[0].table.covariates]
        return robust_indices(measures, *robust.fiml_corrected(parts, measures.df, scaled=scaled, covariates=covariates),
                              *robust.fiml_corrected(base_parts, measures.baseline_df, scaled=scaled,
                                                     covariates=covariates), groups=len(self.data))

    @cached_property
    def _baselines(self) -> list:
        """FIML: each group's independence model (covariate moments fixed under fixed.x), fitted
        to the group's cases."""
        observed = self.compiled[0].observed
        return [SEM.independence(observed, self.compiled[0].table.covariates, self.spec.source, meanstructure=True)
                .fit_cases(CaseData(d.patterns, d.n, d.mean, d.cov, complete=False)) for d in self.data]


class GroupedModel(FittedModel):
    """A multi-group model as a run's main model, as lavaan's ``sem(model, group = )``: the
    parameter table with lavaan's ``group`` column (defined parameters last, over the labels of
    every group), the fit of the multi-group model, and the per-group variables for the effects
    (:attr:`variables` lists every group's variables, group after group).

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.syntax import parse_model
    >>> rng = np.random.default_rng(9)
    >>> f = rng.normal(size=(400, 1))
    >>> data = pd.DataFrame(f @ [[1.0, 0.8, 0.9, 0.7]] + rng.normal(scale=0.7, size=(400, 4)), columns=["x1", "x2", "x3", "x4"])
    >>> data["platform"] = np.repeat(["Douyin", "Kuaishou"], 200)
    >>> spec = parse_model("F =~ x1 + x2 + x3 + x4")
    >>> fit = fit_grouped(spec, data, "platform")
    >>> fit.groups, fit.n, int(fit.fit_measures["df"])
    (('Douyin', 'Kuaishou'), 400, 4)
    """

    def __init__(self, fit: MultiGroupResults, estimator: str, missing: str):
        self.fit = fit
        self.estimator, self.missing, self.n = estimator, missing, fit.n
        self.groups = tuple(fit.labels)
        self.parameters = fit.parameters
        self.fit_measures = fit.fit_measures.to_series()
        first = fit.compiled[0].table
        self.partable = ParameterTable([r for cm in fit.compiled for r in cm.table.rows], first.observed, first.latent,
                                       first.covariates, list(fit.spec.definitions), list(fit.spec.constraints))
        self.theta, self.vcov = fit.theta, fit.vcov
        self._names = fit.compiled[0].names
        self.variables = [v for _ in self.groups for v in self._names]
        self.warnings: list[str] = []
        self.source = fit.spec.source

    def variable_index(self, name: str, group: int = 0) -> int:
        return group * len(self._names) + self._names.index(name)

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        return np.concatenate([cm.total_sd(theta) for cm in self.fit.compiled])

    def resampler(self) -> GroupedResampler:
        if self.missing == "fiml":
            raise EstimationError("the bootstrap needs complete data; FIML allows Monte Carlo CIs only")
        return GroupedResampler(self.fit)

    def r_squared(self) -> dict[str, float]:
        """R² of every endogenous variable per group, keyed ``"variable (group)"``.

        >>> import numpy as np, pandas as pd
        >>> from semtrust.model.syntax import parse_model
        >>> rng = np.random.default_rng(9); x = rng.normal(size=400); y = np.repeat([0.6, 0.2], 200) * x + rng.normal(size=400)
        >>> fit = fit_grouped(parse_model("y ~ x"), pd.DataFrame({"x": x, "y": y, "g": np.repeat(["a", "b"], 200)}), "g")
        >>> {k: round(v, 3) for k, v in fit.r_squared().items()}
        {'y (a)': 0.37, 'y (b)': 0.043}
        """
        result = {}
        for label, cm in zip(self.groups, self.fit.compiled):
            A, S = cm.matrices(self.theta)
            E = np.linalg.inv(np.eye(cm.n_vars) - A)
            total = E @ S @ E.T
            result.update({f"{v} ({label})": float(1 - S[i, i] / total[i, i])
                           for i, v in enumerate(cm.names) if np.any(A[i] != 0)})
        return result


def fit_grouped(spec: ModelSyntax, data: pd.DataFrame, group: str, estimator: str = "ML",
                missing: str = "listwise") -> GroupedModel:
    """lavaan's ``sem(model, data, group = group, estimator = estimator, missing = missing)`` as a
    :class:`GroupedModel`: what a run fits as its main model when the model writes ``c(...)``
    modifiers.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.syntax import parse_model
    >>> rng = np.random.default_rng(9)
    >>> f = rng.normal(size=(400, 1))
    >>> data = pd.DataFrame(f @ [[1.0, 0.8, 0.9, 0.7]] + rng.normal(scale=0.7, size=(400, 4)), columns=["x1", "x2", "x3", "x4"])
    >>> data["platform"] = np.repeat(["Douyin", "Kuaishou"], 200)
    >>> spec = parse_model("F =~ x1 + x2 + x3 + x4")
    >>> fit = fit_grouped(spec, data, "platform")
    >>> fit.parameters.query("op == '=~' and rhs == 'x2'")[["group", "est", "se"]].round(3)
           group    est     se
    1     Douyin  0.667  0.069
    15  Kuaishou  0.733  0.073
    """
    if estimator not in ("ML", "MLR"):
        raise InputError(f"a multi-group model with c(...) modifiers is fitted by ML or MLR, not {estimator}")
    return GroupedModel(fit_multigroup(spec, data, group, estimator=estimator, missing=missing), estimator, missing)


def split_groups(data: pd.DataFrame, group: str, observed: list[str], where: str = "data",
                 missing: str = "listwise", covariates=()) -> tuple[list, list]:
    """(labels, GroupData) in order of first appearance, as lavaan orders groups; under FIML
    every case that answered anything, with the group's EM moments, except (fixed.x) the cases
    lacking a value of an observed exogenous ``covariates``, which lavaan deletes."""
    labels = group_labels(data, group, where)
    out = []
    for label in labels:
        rows = data.loc[data[group].astype(str) == label, observed].to_numpy(dtype=float)
        if missing == "fiml":
            rows = rows[~np.isnan(rows).all(axis=1)]
            rows = rows[~np.isnan(rows[:, [observed.index(v) for v in covariates]]).any(axis=1)]
        if len(rows) <= len(observed):
            raise InputError(f"{where}: group '{label}' of '{group}' has {len(rows)} complete cases for "
                             f"{len(observed)} variables; merge it with another group or drop it")
        if missing == "fiml":
            patterns = missing_patterns(rows)
            mean, cov = em_estimates(patterns, f"{where}: group '{label}' of '{group}'")
            out.append(GroupData(label, len(rows), cov, mean, rows, patterns))
            continue
        centered = rows - rows.mean(axis=0)
        out.append(GroupData(label, len(rows), centered.T @ centered / len(rows), rows.mean(axis=0), rows))
    return labels, out


def fit_multigroup(spec: ModelSyntax, data: pd.DataFrame, group: str, group_equal=(),
                   equal_paths=(), group_partial=(), warm: "MultiGroupResults | None" = None,
                   estimator: str = "ML", missing: str = "listwise") -> MultiGroupResults:
    """lavaan's ``sem(model, data, group = group, group.equal = group_equal,
    group.partial = group_partial, estimator = estimator, missing = missing)`` (ML or MLR;
    complete responses, or FIML: ``missing="fiml"``); ``warm`` starts from a related fit's
    estimates.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.syntax import parse_model
    >>> rng = np.random.default_rng(9)
    >>> f = rng.normal(size=(400, 1))
    >>> data = pd.DataFrame(f @ [[1.0, 0.8, 0.9, 0.7]] + rng.normal(scale=0.7, size=(400, 4)), columns=["x1", "x2", "x3", "x4"])
    >>> data["platform"] = np.repeat(["Douyin", "Kuaishou"], 200)
    >>> spec = parse_model("F =~ x1 + x2 + x3 + x4")
    >>> configural = fit_multigroup(spec, data, "platform")
    >>> metric = fit_multigroup(spec, data, "platform", ("loadings",), warm=configural)
    >>> configural.fit_measures.df, metric.fit_measures.df, round(metric.fit_measures.chisq - configural.fit_measures.chisq, 3)
    (4, 7, 7.421)
    """
    observed = spec.observed
    groups_rows, base, n_free = group_tables(spec, len(group_labels(data, group, spec.source)), group_equal,
                                             equal_paths, group_partial)
    covariates = base.covariates if missing == "fiml" else ()
    labels, group_data = split_groups(data, group, observed, spec.source, missing, covariates)
    compiled = compile_groups(base, groups_rows, group_data, n_free)
    likelihoods = None
    if missing == "fiml":
        likelihoods = [robust.CaseLikelihood(cm, d.patterns, d.n) for cm, d in zip(compiled, group_data)]
    objective, gradient, information = pooled_discrepancy(compiled, group_data, likelihoods)

    previous = None if warm is None else warm.parameters.set_index(["lhs", "op", "rhs", "group"]).est
    start = group_starts(compiled, group_data, n_free, labels, previous)
    constraints = group_constraints(compiled, spec)
    jacobian = np.zeros((0, n_free))
    if constraints is not None:   # ==, <, > over the labels of any group
        theta, _, active = constrained_scoring(objective, gradient, information, start, constraints)
        jacobian = constraints.jacobian(theta, active)
    else:
        theta, _ = fisher_scoring(objective, gradient, information, start)
    info = information(theta)
    free_directions = null_space(jacobian) if len(jacobian) else np.eye(n_free)
    eigen = np.linalg.eigvalsh(free_directions.T @ info @ free_directions)
    if eigen.min() < 1e-10 * max(eigen.max(), 1.0):
        raise EstimationError(f"{spec.source}: the multi-group model is not identified")
    vcov = projected_inverse(info, jacobian) / sum(d.n for d in group_data)
    scaling = None
    if estimator == "MLR" or missing == "fiml":
        vcov, scaling = _robust(spec, compiled, group_data, theta, gradient, n_free, estimator, missing, jacobian)
    return MultiGroupResults(spec, labels, compiled, group_data, theta, vcov, group_equal, equal_paths, scaling,
                             likelihoods, n_equal=sum(c.op == "==" for c in spec.constraints))


def compile_groups(base: ParameterTable, groups_rows: list[list[Row]], group_data: list[GroupData],
                   n_free: int) -> list[CompiledModel]:
    """Each group's rows compiled over the shared parameter vector, the covariate moments
    (fixed.x) at the group's own sample values."""
    observed = base.observed
    compiled = []
    for rows, d in zip(groups_rows, group_data):
        rows = [replace(r) for r in rows]
        for r in rows:
            if r.fixed_x:
                i = observed.index(r.lhs)
                r.value = float(d.mean[i]) if r.op == "~1" else float(d.cov[i, observed.index(r.rhs)])
        cm = CompiledModel(replace(base, rows=rows), observed)
        cm.n_free = n_free
        compiled.append(cm)
    return compiled


def group_starts(compiled: list[CompiledModel], group_data: list[GroupData], n_free: int, labels=(),
                 previous: pd.Series | None = None) -> np.ndarray:
    """Start values: a related fit's estimates (``previous``, by lhs, op, rhs and group label),
    else each group's simple starts (intercepts at the group's means), a shared parameter taking
    its first group's."""
    observed = compiled[0].observed
    start = np.zeros(n_free)
    filled = np.zeros(n_free, bool)
    for g, (cm, d) in enumerate(zip(compiled, group_data)):
        own = start_values(cm.table, cm, pd.DataFrame(d.cov, index=observed, columns=observed))
        for r in cm.table.rows:
            if r.free < 0 or filled[r.free]:
                continue
            if previous is not None:
                value = previous[(r.lhs, r.op, r.rhs, labels[g])]
            elif r.op == "~1" and r.lhs in observed:
                value = d.mean[observed.index(r.lhs)]
            else:
                value = own[r.free]
            start[r.free], filled[r.free] = value, True
    return start


def pooled_discrepancy(compiled: list[CompiledModel], group_data: list[GroupData], likelihoods=None) -> tuple:
    """(objective, gradient, information) of sum_g (n_g / N) F_g: the ML discrepancy of each
    group's moments, or its casewise (FIML) likelihoods."""
    weights = np.array([d.n for d in group_data], dtype=float) / sum(d.n for d in group_data)
    logdets = [np.linalg.slogdet(d.cov)[1] for d in group_data]

    def objective(theta):
        if likelihoods is not None:
            return sum(w * likelihood.objective(theta) for w, likelihood in zip(weights, likelihoods))
        return sum(w * cm.objective(theta, d.cov, ld, d.mean)
                   for w, cm, d, ld in zip(weights, compiled, group_data, logdets))

    def gradient(theta):
        if likelihoods is not None:
            return sum(w * likelihood.gradient(theta) for w, likelihood in zip(weights, likelihoods))
        return sum(w * cm.gradient(theta, d.cov, d.mean) for w, cm, d in zip(weights, compiled, group_data))

    def information(theta):
        return sum(w * cm.information(theta) for w, cm in zip(weights, compiled))

    return objective, gradient, information


def group_constraints(compiled: list[CompiledModel], spec: ModelSyntax) -> ConstraintSet | None:
    """The model's ==, <, > constraints over the labels of any group, or None."""
    if not spec.constraints:
        return None
    first = compiled[0].table
    return ConstraintSet(ParameterTable([r for cm in compiled for r in cm.table.rows], first.observed, first.latent,
                                        first.covariates, [], list(spec.constraints)))


class GroupedResampler(Resampler):
    """Refits of a multi-group model to bootstrap resamples drawn within each group (lavaan's
    bootstrap keeps the group sizes): :attr:`strata` are the group sizes, the cases stacked group
    after group; each resample's covariate moments (fixed.x) are its own."""

    def __init__(self, fit: MultiGroupResults):
        self.spec, self.theta = fit.spec, fit.theta
        self.tables = [cm.table for cm in fit.compiled]
        self.values = np.vstack([d.values for d in fit.data])
        self.strata = tuple(d.n for d in fit.data)
        self.n = len(self.values)
        self._last: tuple = (None, fit.compiled)   # the last refit's estimate and compiled groups

    def refit(self, rows: np.ndarray) -> np.ndarray | None:
        bounds = np.cumsum((0,) + self.strata)
        group_data = []
        for g, (low, high) in enumerate(zip(bounds[:-1], bounds[1:])):
            values = self.values[rows[(rows >= low) & (rows < high)]]
            centered = values - values.mean(axis=0)
            group_data.append(GroupData(str(g), len(values), centered.T @ centered / len(values), values.mean(axis=0)))
        compiled = compile_groups(self.tables[0], [t.rows for t in self.tables], group_data, len(self.theta))
        objective, gradient, information = pooled_discrepancy(compiled, group_data)
        constraints = group_constraints(compiled, self.spec)
        estimate = None
        # from the full-sample estimates; where that loses its way, from the resample's own starts
        for start in (self.theta, None):
            if start is None:
                start = group_starts(compiled, group_data, len(self.theta))
            try:
                if constraints is not None:
                    estimate = constrained_scoring(objective, gradient, information, start, constraints)[0]
                else:
                    estimate, _ = fisher_scoring(objective, gradient, information, start)
                break
            except (EstimationError, np.linalg.LinAlgError, ValueError):
                continue
        if estimate is None:
            return None
        self._last = (estimate, compiled)
        return estimate

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        return np.concatenate([cm.total_sd(theta) for cm in self._last[1]])


def _robust(spec, compiled, group_data, theta, gradient, n_free, estimator,
            missing, jacobian) -> tuple[np.ndarray, tuple[float, float] | None]:
    """FIML's observed-information SEs, and MLR across groups as lavaan: the sandwich around the
    observed information of the pooled discrepancy, with every case's scores; the scaling factor
    from the groups' saturated informations (each group its own h1) and the baseline's from the
    groups' independence fits."""
    n = sum(d.n for d in group_data)
    observed = robust.numerical_hessian(lambda t: gradient(t) / 2, theta)
    observed_inverse = projected_inverse(observed, jacobian)
    if estimator != "MLR":
        return observed_inverse / n, None
    fiml = missing == "fiml"
    patterns = [d.patterns if fiml else missing_patterns(d.values) for d in group_data]
    scores = np.vstack([robust.model_scores(cm, theta, pt, d.n, d.mean) for cm, pt, d in zip(compiled, patterns, group_data)])
    first_order = scores.T @ scores / n
    vcov = observed_inverse @ first_order @ observed_inverse / n
    covariates = compiled[0].table.covariates
    # lavaan (fixed.x): the covariates' own moments are no part of the h1 model
    keep = ~robust.covariate_moments(len(compiled[0].observed), [compiled[0].observed.index(v) for v in covariates],
                                     True)
    h1 = [tuple(h[np.ix_(keep, keep)] for h in robust.h1_information(pt, d.n, d.mean, d.cov, True, not fiml))
          for pt, d in zip(patterns, group_data)]
    moments = sum(len(A1) for A1, _ in h1)
    df = moments - (n_free - sum(c.op == "==" for c in spec.constraints))
    scaling = robust.scaling_factor(robust.h1_trace(block_diag(*(A1 for A1, _ in h1)), block_diag(*(B1 for _, B1 in h1))),
                             observed_inverse, first_order, df)
    observed_names = compiled[0].observed
    baseline_traces, baseline_df = 0.0, 0
    for d in group_data:
        independence = SEM.independence(observed_names, covariates, spec.source, meanstructure=True)
        if fiml:
            fit = independence.fit_cases(CaseData(d.patterns, d.n, d.mean, d.cov, complete=False), "MLR")
        else:
            fit = independence.fit(pd.DataFrame(d.values, columns=observed_names), estimator="MLR")
        df_g = fit.fit_measures["df"]
        baseline_traces += fit.scaling_factor(df_g) * df_g
        baseline_df += df_g
    return vcov, (scaling, baseline_traces / baseline_df)


def compare(constrained: FitMeasures, free: FitMeasures) -> dict:
    """Chi-square difference test and changes in CFI, RMSEA and SRMR (constrained - free); under
    MLR the Satorra-Bentler scaled difference and the changes in the robust CFI and RMSEA."""
    delta_df = constrained.df - free.df
    if constrained.chisq_scaling_factor is not None and delta_df > 0:
        delta_chisq = scaled_chisq_difference(constrained.chisq, constrained.df, constrained.chisq_scaling_factor,
                                              free.chisq, free.df, free.chisq_scaling_factor)
        delta_cfi, delta_rmsea = constrained.cfi_robust - free.cfi_robust, constrained.rmsea_robust - free.rmsea_robust
    else:
        delta_chisq = constrained.chisq - free.chisq
        delta_cfi, delta_rmsea = constrained.cfi - free.cfi, constrained.rmsea - free.rmsea
    return {"delta_chisq": delta_chisq, "delta_df": delta_df,
            "pvalue": float(stats.chi2.sf(delta_chisq, delta_df)) if delta_df > 0 else math.nan,
            "delta_cfi": delta_cfi, "delta_rmsea": delta_rmsea, "delta_srmr": constrained.srmr - free.srmr}


# Cheung & Rensvold (2002) for CFI; Chen (2007) for RMSEA and SRMR (.030 for loadings,
# .010 for intercepts and residuals); reporting-standards.md §2.7
DELTA_CFI = -0.010
DELTA_RMSEA = 0.015
DELTA_SRMR = {"metric": 0.030, "scalar": 0.010, "strict": 0.010,
              # Wu & Estabrook's ordinal steps: thresholds and intercepts locate the items (as intercepts)
              "thresholds": 0.010, "loadings": 0.030, "intercepts": 0.010}


def _configural_decision(fit: FitMeasures) -> str:
    """Acceptable absolute fit of the configural model (CFI >= .90, RMSEA <= .08, SRMR <= .08)."""
    misses = [f"{name} {value:.3f}".replace("0.", ".") for name, value, ok in (
        ("CFI", fit.cfi, fit.cfi >= 0.90), ("RMSEA", fit.rmsea, fit.rmsea <= 0.08),
        ("SRMR", fit.srmr, fit.srmr <= 0.08)) if not ok]
    return "acceptable fit" if not misses else "fit below the usual cut-offs (" + ", ".join(misses) + ")"


def _step_holds(step: str, change: dict) -> tuple[bool, bool]:
    """(Cheung & Rensvold's ΔCFI rule, Chen's ΔRMSEA and ΔSRMR rule)."""
    return (change["delta_cfi"] >= DELTA_CFI,
            change["delta_rmsea"] <= DELTA_RMSEA and change["delta_srmr"] <= DELTA_SRMR[step])


def _candidates(step_types: tuple, previous_types: tuple, fit: MultiGroupResults, released) -> list:
    """Parameters the step newly equates, as (lhs, op, rhs), minus marker loadings."""
    new = set(step_types) - set(previous_types)
    rows = fit.compiled[0].table.rows
    latent = set(fit.compiled[0].table.latent)
    return [(r.lhs, r.op, r.rhs) for r in rows
            if r.free >= 0 and _row_type(r, latent) in new and (r.lhs, r.op, r.rhs) not in released]


def invariance(spec: ModelSyntax, data: pd.DataFrame, group: str, max_release: int = 3,
               estimator: str = "ML", missing: str = "listwise") -> dict:
    """configural -> metric -> scalar -> strict, each compared with the step before; when a
    step fails, equality constraints are released one at a time (the one whose release lowers
    chi-square most) until the step holds: partial invariance (Byrne, Shavelson & Muthen 1989).
    Under MLR each step's test is the scaled difference and the changes are in the robust indices.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.syntax import parse_model
    >>> rng = np.random.default_rng(9)
    >>> f = rng.normal(size=(400, 1))
    >>> data = pd.DataFrame(f @ [[1.0, 0.8, 0.9, 0.7]] + rng.normal(scale=0.7, size=(400, 4)), columns=["x1", "x2", "x3", "x4"])
    >>> data["platform"] = np.repeat(["Douyin", "Kuaishou"], 200)
    >>> spec = parse_model("F =~ x1 + x2 + x3 + x4")
    >>> ladder = invariance(spec, data, "platform")
    >>> pd.DataFrame(ladder["steps"])[["model", "chisq", "df", "cfi", "decision"]].round(3)
                model  chisq  df    cfi                decision
    0      configural  0.358   4  1.000          acceptable fit
    1          metric  7.779   7  0.999  supported by ΔCFI only
    2  partial metric  1.094   6  1.000               supported
    3          scalar  2.840   9  1.000               supported
    4          strict  5.830  13  1.000               supported
    """
    steps, fits = [], {}
    previous_name, previous_types, released = None, (), ()
    for name, types in LADDER:
        fit = fit_multigroup(spec, data, group, types, group_partial=released,
                             warm=fits.get(previous_name), estimator=estimator, missing=missing)
        row = {"model": name, "group_equal": list(types), "released": [], **_fit_row(fit.fit_measures)}
        if previous_name is None:
            row["decision"] = _configural_decision(fit.fit_measures)
        else:
            change = _difference_columns(compare(fit.fit_measures, fits[previous_name].fit_measures))
            cfi_ok, chen_ok = _step_holds(name, change)
            row.update(change, cheung_rensvold=cfi_ok, chen=chen_ok, decision=_step_decision(cfi_ok, chen_ok))
            newly = []
            while not (cfi_ok and chen_ok) and len(newly) < max_release:
                options = _candidates(types, previous_types, fit, released + tuple(newly))
                if not options:
                    break
                trials = [(fit_multigroup(spec, data, group, types, group_partial=released + tuple(newly) + (o,),
                                          warm=fit, estimator=estimator, missing=missing), o) for o in options]
                fit, best = min(trials, key=lambda t: t[0].fit_measures.chisq)
                newly.append(best)
                change = _difference_columns(compare(fit.fit_measures, fits[previous_name].fit_measures))
                cfi_ok, chen_ok = _step_holds(name, change)
            if newly:
                steps.append(row)   # the full step as tried: reviewers must see the test that failed
                row = {"model": f"partial {name}", "group_equal": list(types),
                       "released": [" ".join(k).strip() for k in newly], **_fit_row(fit.fit_measures), **change,
                       "cheung_rensvold": cfi_ok, "chen": chen_ok, "decision": _step_decision(cfi_ok, chen_ok)}
                released = released + tuple(newly)
        steps.append(row)
        fits[name] = fit
        previous_name, previous_types = name, types
    return {"group": group, "groups": fits["configural"].labels,
            "n": {d.label: d.n for d in fits["configural"].data}, "steps": steps, "fits": fits}


def ordinal_invariance(spec: ModelSyntax, data: pd.DataFrame, group: str, estimator: str = "WLSMV",
                       missing: str = "listwise") -> dict:
    """The invariance ladder of ordinal items (Wu & Estabrook 2016, as semTools'
    ``measEq.syntax(..., parameterization = "delta", ID.fac = "std.lv", ID.cat =
    "Wu.Estabrook.2016")``): configural, thresholds, thresholds + loadings, thresholds +
    loadings + intercepts, each fitted by multi-group WLSMV and compared with the step before by
    lavaan's scaled-shifted difference test (Satorra 2000, ``lavTestLRT``). The rows carry the
    same columns as :func:`invariance`'s (lavaan's standard chi-square, CFI, TLI, RMSEA) plus the
    scaled ones and the robust ones where lavaan has them (the configural model); the changes are
    in the scaled CFI and RMSEA. No constraint is released (partial ordinal invariance is not tried).

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.syntax import parse_model
    >>> rng = np.random.default_rng(9)
    >>> f = rng.normal(size=(400, 1))
    >>> data = pd.DataFrame(f @ [[1.0, 0.8, 0.9, 0.7]] + rng.normal(scale=0.7, size=(400, 4)), columns=["x1", "x2", "x3", "x4"])
    >>> data["platform"] = np.repeat(["Douyin", "Kuaishou"], 200)
    >>> spec = parse_model("F =~ x1 + x2 + x3 + x4")
    >>> items = data[["x1", "x2", "x3", "x4"]].apply(lambda c: pd.cut(c, [-np.inf, -1, 0, 1, np.inf], labels=False) + 1)
    >>> ladder = ordinal_invariance(spec, items.assign(platform=data.platform), "platform")
    >>> pd.DataFrame(ladder["steps"])[["model", "chisq_scaled", "df", "cfi_scaled", "decision"]].round(3)
            model  chisq_scaled    df  cfi_scaled                decision
    0  configural         0.548   4.0       1.000          acceptable fit
    1  thresholds         1.020   8.0       1.000               supported
    2    loadings        11.644  11.0       0.999  supported by ΔCFI only
    3  intercepts        13.894  14.0       1.000               supported
    """
    steps, previous = [], None
    for name, types in ORDINAL_LADDER:
        fit = fit_ordinal_groups(data, spec, group, types, estimator=estimator, missing=missing, warm=previous)
        measures = fit.fit_measures
        row = {"model": name, "group_equal": list(types), "released": [], **_ordinal_fit_row(measures)}
        if previous is None:
            row["decision"] = _configural_decision(_scaled_view(measures))
        else:
            change = _ordinal_change(fit, previous)
            cfi_ok, chen_ok = _step_holds(name, change)
            row.update(_difference_columns(change), cheung_rensvold=cfi_ok, chen=chen_ok,
                       decision=_step_decision(cfi_ok, chen_ok))
        steps.append(row)
        previous = fit
    return {"group": group, "groups": previous.labels, "n": dict(previous.n), "steps": steps,
            "estimator": estimator, "identification": IDENTIFICATION, "parameterization": "delta"}


def _ordinal_change(restricted, free) -> dict:
    """Two nested multi-group ordinal fits compared as lavaan's ``lavTestLRT(restricted, free)``:
    the scaled-shifted difference (Satorra 2000) under WLSMV and ULSMV, the plain difference
    under DWLS (no scaled statistics); the changes in the (scaled) CFI, RMSEA and SRMR."""
    now, before = _scaled_view(restricted.fit_measures), _scaled_view(free.fit_measures)
    if restricted.estimator == "DWLS":
        return compare(now, before)
    test = scaled_difference_test(restricted, free)
    # a saturated free model (df 0, e.g. one factor of three items) has no scaled indices
    return {"delta_chisq": test["chisq_diff"], "delta_df": test["df_diff"], "pvalue": test["pvalue"],
            "delta_cfi": now.cfi - before.cfi, "delta_rmsea": now.rmsea - before.rmsea,
            "delta_srmr": now.srmr - before.srmr}


def _scaled_view(measures: pd.Series) -> FitMeasures:
    """The fit measures a decision reads (chi-square, CFI, RMSEA, SRMR), the scaled ones where
    the estimator has them."""
    def pick(key):
        return float(measures.get(f"{key}_scaled", measures[key]))
    return FitMeasures(npar=int(measures["npar"]), ntotal=int(measures["ntotal"]), chisq=pick("chisq"),
                       df=int(measures["df"]), pvalue=math.nan, baseline_chisq=math.nan, baseline_df=0,
                       baseline_pvalue=math.nan, cfi=pick("cfi"), tli=pick("tli"), logl=math.nan,
                       unrestricted_logl=math.nan, aic=math.nan, bic=math.nan, bic2=math.nan,
                       rmsea=pick("rmsea"), rmsea_ci_lower=math.nan, rmsea_ci_upper=math.nan,
                       rmsea_pvalue=math.nan, srmr=float(measures["srmr"]))


def _ordinal_fit_row(measures: pd.Series) -> dict:
    keys = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr",
            "chisq_scaled", "pvalue_scaled", "chisq_scaling_factor", "chisq_shift_parameter", "cfi_scaled",
            "tli_scaled", "rmsea_scaled", "rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled",
            "cfi_robust", "tli_robust", "rmsea_robust")
    return {k: (float(measures[k]) if k in measures.index else None) for k in keys}


def _difference_columns(change: dict) -> dict:
    """The comparison with the previous step; its Δχ² p value as ``pvalue_difference``, so that
    ``pvalue`` stays the model's own χ² test."""
    return {("pvalue_difference" if k == "pvalue" else k): v for k, v in change.items()}


def _step_decision(cfi_ok: bool, chen_ok: bool) -> str:
    return "supported" if cfi_ok and chen_ok else "supported by ΔCFI only" if cfi_ok else "not supported"


def _fit_row(fit: FitMeasures) -> dict:
    row = {k: getattr(fit, k) for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower",
                                        "rmsea_ci_upper", "srmr", "aic", "bic")}
    if fit.chisq_scaling_factor is not None:   # MLR
        row.update({k: getattr(fit, k) for k in ("chisq_scaled", "pvalue_scaled", "chisq_scaling_factor",
                                                 "cfi_robust", "tli_robust", "rmsea_robust")})
    return row


def group_path_tests(spec: ModelSyntax, data: pd.DataFrame, group: str, base: MultiGroupResults,
                     estimator: str = "ML", missing: str = "listwise") -> pd.DataFrame:
    """Each regression constrained equal across groups in turn, tested against ``base``
    (normally the metric model): Δχ²(G-1), with the standardized β of every group.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.syntax import parse_model
    >>> rng = np.random.default_rng(9)
    >>> f = rng.normal(size=(400, 1)); g = np.repeat([0.7, 0.2], 200)[:, None] * f + rng.normal(size=(400, 1))
    >>> data = pd.DataFrame(np.hstack([f @ [[1.0, 0.8, 0.9]], g @ [[1.0, 0.8, 0.9]]]) + rng.normal(scale=0.6, size=(400, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> data["platform"] = np.repeat(["Douyin", "Kuaishou"], 200)
    >>> spec = parse_model("F =~ x1 + x2 + x3\\nG =~ y1 + y2 + y3\\nG ~ F")
    >>> metric = fit_multigroup(spec, data, "platform", ("loadings",))
    >>> group_path_tests(spec, data, "platform", metric)[["path", "delta_chisq", "delta_df", "pvalue", "result"]].round(3)
         path  delta_chisq  delta_df  pvalue                 result
    0  F -> G       33.126         1     0.0  differs across groups
    """
    records = []
    for (lhs, rhs), rows in _tested_paths(spec, base.parameters):
        constrained = fit_multigroup(spec, data, group, base.group_equal, equal_paths=((lhs, "~", rhs),),
                                     warm=base, estimator=estimator, missing=missing)
        change = compare(constrained.fit_measures, base.fit_measures)
        records.append(_path_record(lhs, rhs, rows, constrained.fit_measures.chisq, constrained.fit_measures.df,
                                    change))
    return pd.DataFrame(records)


def ordinal_group_path_tests(spec: ModelSyntax, data: pd.DataFrame, group: str, estimator: str = "WLSMV",
                             missing: str = "listwise") -> pd.DataFrame:
    """Each regression of a model of ordinal items constrained equal across groups in turn, on
    the ordinal ladder's loadings step (thresholds and loadings equal, Wu & Estabrook's
    identification: :func:`~semtrust.estimation.ordinal_groups.fit_ordinal_groups`), and
    compared with it by lavaan's ``lavTestLRT(constrained, base)`` (the scaled-shifted
    difference, Satorra 2000; the plain one under DWLS); a labelled path is already equal
    across the groups (lavaan's label semantics) and is not tested. The rows carry
    :func:`group_path_tests`' columns: the path, each group's ``b_<group>`` and standardized
    ``beta_<group>`` in the base model, the constrained model's ``chisq`` (the scaled one in
    ``chisq_scaled``) and ``df``, Δχ², Δdf, p and the result.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.syntax import parse_model
    >>> rng = np.random.default_rng(9)
    >>> f = rng.normal(size=(800, 1)); g = np.repeat([0.7, 0.1], 400)[:, None] * f + rng.normal(size=(800, 1))
    >>> latent = np.hstack([f, f, f, g, g, g]) * [0.8, 0.7, 0.9, 0.8, 0.7, 0.9] + rng.normal(scale=0.6, size=(800, 6))
    >>> items = pd.DataFrame(np.digitize(latent, [-0.8, 0.0, 0.8]) + 1, columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> items["platform"] = np.repeat(["Douyin", "Kuaishou"], 400)
    >>> spec = parse_model("F =~ x1 + x2 + x3\\nG =~ y1 + y2 + y3\\nG ~ F")
    >>> tests = ordinal_group_path_tests(spec, items, "platform")
    >>> tests[["path", "beta_Douyin", "beta_Kuaishou", "delta_chisq", "delta_df"]].round(3)
         path  beta_Douyin  beta_Kuaishou  delta_chisq  delta_df
    0  F -> G        0.509          0.057       33.859         1
    >>> tests.loc[0, "result"]
    'differs across groups'
    """
    base = fit_ordinal_groups(data, spec, group, ("thresholds", "loadings"), estimator=estimator, missing=missing)
    parameters = base.parameters.merge(base.standardized_regressions(), on=["lhs", "op", "rhs", "group"])
    # a labelled path is one parameter in every group (lavaan): already equal, nothing to test
    labelled = {(s.lhs, s.rhs) for s in spec.statements if s.op == "~" and s.label}
    parameters = parameters[[(lhs, rhs) not in labelled for lhs, rhs in zip(parameters.lhs, parameters.rhs)]]
    records = []
    for (lhs, rhs), rows in _tested_paths(spec, parameters):
        constrained = fit_ordinal_groups(data, spec, group, base.group_equal, estimator=estimator, missing=missing,
                                         warm=base, equal_paths=((lhs, "~", rhs),))
        measures = constrained.fit_measures
        record = _path_record(lhs, rhs, rows, float(measures["chisq"]), int(measures["df"]),
                              _ordinal_change(constrained, base))
        if "chisq_scaled" in measures.index:
            record["chisq_scaled"] = float(measures["chisq_scaled"])
        records.append(record)
    return pd.DataFrame(records)


def _tested_paths(spec: ModelSyntax, parameters: pd.DataFrame):
    """The regressions to compare across groups, each with its per-group rows of ``parameters``
    (est and std_all); a path with c(...) modifiers is already group-specific: there is no
    equality to test."""
    written = {(s.lhs, s.rhs) for s in spec.statements if s.op == "~" and s.per_group}
    for (lhs, rhs), rows in parameters[parameters.op == "~"].groupby(["lhs", "rhs"], sort=False):
        if (lhs, rhs) not in written:
            yield (lhs, rhs), rows


def _path_record(lhs: str, rhs: str, rows: pd.DataFrame, chisq: float, df: int, change: dict) -> dict:
    """One row of the group path tests: the per-group estimates, the constrained model's χ² and
    the difference test against the base model."""
    return {"path": f"{rhs} -> {lhs}", "lhs": lhs, "rhs": rhs,
            **{f"beta_{g}": b for g, b in zip(rows.group, rows.std_all)},
            **{f"b_{g}": b for g, b in zip(rows.group, rows.est)},
            "chisq": chisq, "df": df,
            "delta_chisq": change["delta_chisq"], "delta_df": change["delta_df"], "pvalue": change["pvalue"],
            "result": "differs across groups" if change["pvalue"] < 0.05 else "no significant difference"}
