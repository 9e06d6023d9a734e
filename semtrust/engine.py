"""Maximum-likelihood SEM with lavaan's defaults, in RAM form.

semopy parses and fits ML models, but lavaan's conventions (``fixed.x``, ``auto.cov.y``,
unbounded variances, N rather than N-1, defined parameters) decide whether a number
agrees with what reviewers check. This module builds lavaan's parameter table from
:mod:`semtrust.syntax`, writes it into the reticular action model

    Sigma = F (I - A)^-1 S (I - A)^-T F'

and fits it by Fisher scoring with analytic derivatives. The same compiled model is what
the bootstrap refits, so every estimate in a report comes from one engine.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> f = rng.normal(size=500)
>>> data = pd.DataFrame({f"x{i}": f + rng.normal(size=500) for i in (1, 2, 3)})
>>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
>>> fit.fit_measures.df
0
>>> round(float(fit.parameters.query("op == '=~'").est.iloc[1]), 2)
0.96
"""
from __future__ import annotations

import ast
import math
import operator
from dataclasses import asdict, dataclass, field, replace
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from semtrust.errors import EstimationError, InputError
from semtrust.missing import em_estimates, missing_patterns
from semtrust.syntax import ModelSyntax, parse_model

Z975 = stats.norm.ppf(0.975)
ESTIMATORS = ("ML", "MLR")
MISSING = ("listwise", "fiml")
PARAMETER_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue",
                     "ci_lower", "ci_upper", "std_all"]


@dataclass
class Row:
    """One row of the parameter table (lavaan's ``parTable``)."""

    lhs: str
    op: str
    rhs: str
    label: str = ""
    free: int = -1          # index into the free-parameter vector, -1 when fixed
    value: float = 0.0      # fixed value, or the start value of a free parameter
    user: bool = True       # written by the user (False: added by lavaan's defaults)
    fixed_x: bool = False   # exogenous covariate moment fixed at its sample value
    start: float | None = None


@dataclass
class ParameterTable:
    rows: list[Row]
    observed: list[str]
    latent: list[str]
    covariates: list[str]          # observed exogenous variables (fixed.x)
    definitions: list             # syntax.Definition

    @property
    def n_free(self) -> int:
        return max((r.free for r in self.rows), default=-1) + 1


def _key(lhs: str, op: str, rhs: str) -> tuple:
    return (op, *sorted((lhs, rhs))) if op == "~~" else (op, lhs, rhs)


def build_parameter_table(spec: ModelSyntax, fixed_x: bool = True) -> ParameterTable:
    """lavaan's ``sem()`` defaults: first loading fixed to 1, residual and latent variances
    free, exogenous latent covariances free, residual covariances among observed outcomes
    free, exogenous observed covariates fixed at their sample moments."""
    latent = spec.latent
    lv = set(latent)
    statements = spec.statements
    indicators = {s.rhs for s in statements if s.op == "=~"}
    regressed = {s.lhs for s in statements if s.op == "~"}
    predictors = {s.rhs for s in statements if s.op == "~"}
    observed = [v for v in spec.variables if v not in lv]
    for s in statements:
        if s.op == "=~" and s.rhs == s.lhs:
            raise InputError(f"{spec.source}, line {s.line}: '{s.lhs}' cannot measure itself")
        if s.op == "~" and s.lhs == s.rhs:
            raise InputError(f"{spec.source}, line {s.line}: '{s.lhs}' cannot predict itself")
        if s.op == "|":
            raise InputError(f"{spec.source}, line {s.line}: thresholds ('{s.lhs} | {s.rhs}') belong to ordinal "
                             "items: fit with estimator WLSMV and the items declared ordered")
    covariates = [v for v in observed if fixed_x and v in predictors
                  and v not in regressed and v not in indicators]
    exogenous_latent = [v for v in latent if v not in regressed and v not in indicators]
    # lavaan's auto.cov.y: disturbances of pure outcomes (regressed, predicting nothing) covary
    outcomes = [v for v in spec.variables if v in regressed and v not in predictors and v not in indicators]

    rows: list[Row] = []
    seen: dict[tuple, int] = {}
    first_indicator: dict[str, str] = {}
    for s in statements:
        key = _key(s.lhs, s.op, s.rhs)
        if key in seen:
            raise InputError(f"{spec.source}, line {s.line}: '{s.lhs} {s.op} {s.rhs}' is specified twice")
        if s.op == "~~" and {s.lhs, s.rhs} <= set(covariates) and s.fixed is None:
            continue  # lavaan: covariate moments stay fixed at their sample values
        seen[key] = len(rows)
        fixed = s.fixed
        if s.op == "=~" and s.lhs not in first_indicator:
            first_indicator[s.lhs] = s.rhs
            if fixed is None and not s.free:
                fixed = 1.0
        rows.append(Row(s.lhs, s.op, s.rhs, label=s.label or "",
                        free=-1 if fixed is not None else 0,
                        value=fixed if fixed is not None else 0.0, start=s.start))

    def add(lhs, rhs, *, value=0.0, free=True, fixed_x=False):
        if _key(lhs, "~~", rhs) not in seen:
            seen[_key(lhs, "~~", rhs)] = len(rows)
            rows.append(Row(lhs, "~~", rhs, free=0 if free else -1, value=value,
                            user=False, fixed_x=fixed_x))

    single = {lat: [s.rhs for s in statements if s.op == "=~" and s.lhs == lat] for lat in latent}
    single_ind = {inds[0] for inds in single.values() if len(inds) == 1 and inds[0] not in lv}
    for v in observed:
        if v not in covariates:
            add(v, v, free=v not in single_ind)  # lavaan's auto.fix.single
    for v in latent:
        add(v, v)
    for a, b in combinations(exogenous_latent, 2):
        add(a, b)
    for a, b in combinations(outcomes, 2):
        add(a, b)
    for i, a in enumerate(covariates):
        for b in covariates[i:]:
            add(a, b, free=False, fixed_x=True)

    labels: dict[str, int] = {}
    n_free = 0
    for r in rows:
        if r.free < 0:
            continue
        if r.label and r.label in labels:
            r.free = labels[r.label]
            continue
        r.free = n_free
        if r.label:
            labels[r.label] = n_free
        n_free += 1
    known = {r.label for r in rows if r.label}
    for d in spec.definitions:
        if d.name in known:
            raise InputError(f"{spec.source}, line {d.line}: '{d.name}' is already a parameter label")
        known.add(d.name)
    return ParameterTable(rows, observed, latent, covariates, list(spec.definitions))


class _Expression:
    """A defined parameter's expression, evaluated safely over label values."""

    _ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
            ast.Div: operator.truediv, ast.Pow: operator.pow, ast.USub: operator.neg,
            ast.UAdd: operator.pos}
    _functions = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs}

    def __init__(self, text: str, where: str):
        try:
            self.tree = ast.parse(text.replace("^", "**"), mode="eval").body
        except SyntaxError:
            raise InputError(f"{where}: cannot read the expression '{text}'") from None
        self.names = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)} - set(self._functions)
        self.where = where

    def __call__(self, values: dict) -> float:
        return float(self._eval(self.tree, values))

    def _eval(self, node, values):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in self._ops:
            return self._ops[type(node.op)](self._eval(node.left, values), self._eval(node.right, values))
        if isinstance(node, ast.UnaryOp) and type(node.op) in self._ops:
            return self._ops[type(node.op)](self._eval(node.operand, values))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in self._functions and len(node.args) == 1):
            return self._functions[node.func.id](self._eval(node.args[0], values))
        raise InputError(f"{self.where}: only + - * / ^ and exp/log/sqrt/abs are allowed in definitions")


@dataclass
class FitMeasures:
    """lavaan's ``fitMeasures()`` names with '.' written as '_'."""

    npar: int
    ntotal: int
    chisq: float
    df: int
    pvalue: float
    baseline_chisq: float
    baseline_df: int
    baseline_pvalue: float
    cfi: float
    tli: float
    logl: float
    unrestricted_logl: float
    aic: float
    bic: float
    bic2: float
    rmsea: float
    rmsea_ci_lower: float
    rmsea_ci_upper: float
    rmsea_pvalue: float
    srmr: float
    # MLR: the Yuan-Bentler (Mplus) scaled statistics and the robust indices
    chisq_scaled: float | None = None
    pvalue_scaled: float | None = None
    chisq_scaling_factor: float | None = None
    baseline_chisq_scaled: float | None = None
    baseline_chisq_scaling_factor: float | None = None
    cfi_scaled: float | None = None
    tli_scaled: float | None = None
    cfi_robust: float | None = None
    tli_robust: float | None = None
    rmsea_scaled: float | None = None
    rmsea_ci_lower_scaled: float | None = None
    rmsea_ci_upper_scaled: float | None = None
    rmsea_pvalue_scaled: float | None = None
    rmsea_robust: float | None = None
    rmsea_ci_lower_robust: float | None = None
    rmsea_ci_upper_robust: float | None = None
    rmsea_pvalue_robust: float | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class CompiledModel:
    """The parameter table written into RAM matrices, with ML objective and derivatives."""

    def __init__(self, table: ParameterTable, observed_order: list[str]):
        self.table = table
        self.observed = list(observed_order)
        self.names = self.observed + table.latent
        self.p = len(self.observed)
        self.n_vars = len(self.names)
        self.n_free = table.n_free
        index = {v: i for i, v in enumerate(self.names)}
        self.row_positions: list[tuple[str, int, int]] = []
        for r in table.rows:
            if r.op == "=~":
                self.row_positions.append(("A", index[r.rhs], index[r.lhs]))
            elif r.op == "~":
                self.row_positions.append(("A", index[r.lhs], index[r.rhs]))
            elif r.op == "~1":
                self.row_positions.append(("M", index[r.lhs], 0))
            else:
                self.row_positions.append(("S", index[r.lhs], index[r.rhs]))
        self.A0 = np.zeros((self.n_vars, self.n_vars))
        self.S0 = np.zeros((self.n_vars, self.n_vars))
        self.alpha0 = np.zeros(self.n_vars)
        self.has_means = any(r.op == "~1" for r in table.rows)
        free = {"A": [], "S": [], "M": []}
        for r, (m, i, j) in zip(table.rows, self.row_positions):
            if r.free < 0:
                self._set(m, i, j, r.value)
            else:
                free[m].append((i, j, r.free))
        self.a_idx, self.s_idx, self.m_idx = (
            tuple(np.array(x, dtype=int) for x in zip(*free[m])) if free[m] else None for m in "ASM")
        # the free parameters this table uses: in a multi-group model each group uses a subset
        self.used = np.unique([k for m in "ASM" for *_, k in free[m]]).astype(int)

    def _set(self, m, i, j, value):
        if m == "A":
            self.A0[i, j] = value
        elif m == "M":
            self.alpha0[i] = value
        else:
            self.S0[i, j] = self.S0[j, i] = value

    def alpha(self, theta: np.ndarray) -> np.ndarray:
        """Intercepts of observed and means of latent variables (mean structure)."""
        alpha = self.alpha0.copy()
        if self.m_idx is not None:
            i, _, k = self.m_idx
            alpha[i] = theta[k]
        return alpha

    def implied_mean(self, theta: np.ndarray) -> np.ndarray:
        A, _ = self.matrices(theta)
        E = np.linalg.inv(np.eye(self.n_vars) - A)
        return E[: self.p] @ self.alpha(theta)

    def matrices(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        A, S = self.A0.copy(), self.S0.copy()
        if self.a_idx is not None:
            i, j, k = self.a_idx
            A[i, j] = theta[k]
        if self.s_idx is not None:
            i, j, k = self.s_idx
            S[i, j] = theta[k]
            S[j, i] = theta[k]
        return A, S

    def implied(self, theta: np.ndarray):
        """Return (Sigma, E, S) with E = (I - A)^-1."""
        A, S = self.matrices(theta)
        E = np.linalg.inv(np.eye(self.n_vars) - A)
        Fe = E[: self.p]
        return Fe @ S @ Fe.T, E, S

    def objective(self, theta: np.ndarray, sample_cov: np.ndarray, logdet_s: float,
                  sample_mean: np.ndarray | None = None) -> float:
        """F_ML = ln|Sigma| + tr(S Sigma^-1) - ln|S| - p [+ (m - mu)' Sigma^-1 (m - mu)],
        or inf where Sigma is not positive definite."""
        sigma, E, _ = self.implied(theta)
        try:
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return math.inf
        logdet = 2.0 * np.log(np.diag(chol)).sum()
        inv_chol = np.linalg.inv(chol)
        trace = np.einsum("ij,ij->", inv_chol @ sample_cov, inv_chol)
        value = logdet + trace - logdet_s - self.p
        if sample_mean is not None:
            residual = inv_chol @ (sample_mean - E[: self.p] @ self.alpha(theta))
            value += residual @ residual
        return float(value)

    def gradient(self, theta: np.ndarray, sample_cov: np.ndarray,
                 sample_mean: np.ndarray | None = None) -> np.ndarray:
        sigma, E, S = self.implied(theta)
        W = np.linalg.inv(sigma)
        G = W - W @ sample_cov @ W
        if sample_mean is None:
            return self.contract(theta, G, E=E, S=S)
        wd = W @ (sample_mean - E[: self.p] @ self.alpha(theta))
        return self.contract(theta, G - np.outer(wd, wd), -2.0 * wd, E=E, S=S)

    def contract(self, theta: np.ndarray, G: np.ndarray, g_mean: np.ndarray | None = None, *,
                 E: np.ndarray | None = None, S: np.ndarray | None = None) -> np.ndarray:
        """sum_ab G_ab dSigma_ab/dtheta [+ sum_a g_a dmu_a/dtheta] for a symmetric G, without
        forming the Jacobians: the chain rule of any discrepancy whose derivatives with respect
        to the implied moments are G (and g_mean). ``E`` = (I - A)^-1 and ``S`` when the caller
        has them already."""
        if E is None:
            _, E, S = self.implied(theta)
        Fe = E[: self.p]
        H = Fe.T @ G @ Fe
        dA = 2.0 * H @ S @ E.T
        if g_mean is not None:
            v = Fe.T @ g_mean
            dA = dA + np.outer(v, E @ self.alpha(theta))
        grad = np.zeros(self.n_free)
        if self.a_idx is not None:
            i, j, k = self.a_idx
            np.add.at(grad, k, dA[i, j])
        if self.s_idx is not None:
            i, j, k = self.s_idx
            np.add.at(grad, k, np.where(i == j, H[i, j], 2.0 * H[i, j]))
        if g_mean is not None and self.m_idx is not None:
            i, _, k = self.m_idx
            np.add.at(grad, k, v[i])
        return grad

    def _local(self, k: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.used, k)

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """d Sigma / d theta for the parameters in ``self.used``: shape (len(used), p, p)."""
        sigma, E, S = self.implied(theta)
        Fe = E[: self.p]
        Q = E @ S @ Fe.T
        jac = np.zeros((len(self.used), self.p, self.p))
        if self.a_idx is not None:
            i, j, k = self.a_idx
            d = Fe[:, i].T[:, :, None] * Q[j][:, None, :]
            np.add.at(jac, self._local(k), d + d.transpose(0, 2, 1))
        if self.s_idx is not None:
            i, j, k = self.s_idx
            d = Fe[:, i].T[:, :, None] * Fe[:, j].T[:, None, :]
            off = (i != j)[:, None, None]
            np.add.at(jac, self._local(k), d + off * d.transpose(0, 2, 1))
        return jac

    def mean_jacobian(self, theta: np.ndarray) -> np.ndarray:
        """d mu / d theta for the parameters in ``self.used``: shape (len(used), p)."""
        A, _ = self.matrices(theta)
        E = np.linalg.inv(np.eye(self.n_vars) - A)
        Fe, e_alpha = E[: self.p], E @ self.alpha(theta)
        jac = np.zeros((len(self.used), self.p))
        if self.a_idx is not None:
            i, j, k = self.a_idx
            np.add.at(jac, self._local(k), Fe[:, i].T * e_alpha[j][:, None])
        if self.m_idx is not None:
            i, _, k = self.m_idx
            np.add.at(jac, self._local(k), Fe[:, i].T)
        return jac

    def information(self, theta: np.ndarray) -> np.ndarray:
        """Expected (Fisher) information per observation: 1/2 tr(W dS_a W dS_b) [+ dmu_a' W dmu_b]."""
        sigma, _, _ = self.implied(theta)
        W = np.linalg.inv(sigma)
        T = W @ self.jacobian(theta)           # W dSigma_k
        flat = T.reshape(len(T), -1)
        local = 0.5 * flat @ T.transpose(0, 2, 1).reshape(len(T), -1).T
        if self.has_means:
            mu = self.mean_jacobian(theta)
            local += mu @ W @ mu.T
        if len(self.used) == self.n_free:
            return local
        info = np.zeros((self.n_free, self.n_free))
        info[np.ix_(self.used, self.used)] = local
        return info

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        """Model-implied SDs of every variable, latent ones included (for std.all)."""
        A, S = self.matrices(theta)
        E = np.linalg.inv(np.eye(self.n_vars) - A)
        return np.sqrt(np.clip(((E @ S) * E).sum(axis=1), 0, None))

    def refit(self, sample_cov: np.ndarray, start: np.ndarray, metric_inv: np.ndarray, *,
              tol: float = 1e-6, max_iter: int = 60) -> tuple[np.ndarray, bool]:
        """BFGS from ``start`` with ``metric_inv`` (the inverse of twice the information at the
        full-sample estimates) as the initial inverse Hessian. A bootstrap resample changes only
        the sample covariance, so a dozen gradient evaluations reach the optimum, where Fisher
        scoring would recompute the information every step; returns (theta, converged)."""
        theta, inverse = start.copy(), metric_inv.copy()
        try:
            grad = self.gradient(theta, sample_cov)
            for _ in range(max_iter):
                step = -inverse @ grad
                theta = theta + step
                new_grad = self.gradient(theta, sample_cov)
                if not np.all(np.isfinite(new_grad)):
                    return theta, False
                if np.max(np.abs(step)) < tol:
                    return theta, True
                bfgs_update(inverse, step, new_grad - grad, 1e-12)
                grad = new_grad
        except np.linalg.LinAlgError:
            pass
        return theta, False

    def estimate(self, sample_cov: np.ndarray, start: np.ndarray, *, tol: float = 1e-10,
                 max_iter: int = 500) -> tuple[np.ndarray, int]:
        """Fisher scoring with step halving; returns (theta, iterations)."""
        logdet_s = np.linalg.slogdet(sample_cov)[1]
        return fisher_scoring(lambda t: self.objective(t, sample_cov, logdet_s),
                              lambda t: self.gradient(t, sample_cov), self.information, start,
                              tol=tol, max_iter=max_iter)


def bfgs_update(inverse: np.ndarray, step: np.ndarray, change: np.ndarray, min_curvature: float) -> None:
    """BFGS update, in place, of an inverse Hessian after ``step`` changed the gradient by
    ``change``; skipped where the curvature is not positive."""
    curvature = step @ change
    if curvature > min_curvature:
        hy = inverse @ change
        rho = 1.0 / curvature
        inverse += (rho * rho * (change @ hy) + rho) * np.outer(step, step) \
            - rho * (np.outer(hy, step) + np.outer(step, hy))


def fisher_scoring(objective, gradient, information, start: np.ndarray, *, tol: float = 1e-10,
                   max_iter: int = 500, switch: float = 1e-3) -> tuple[np.ndarray, int]:
    """Minimise an ML discrepancy whose expected Hessian is twice ``information``.

    Fisher scoring with step halving until the steps are small (< ``switch``), then BFGS
    started from the last information: near the optimum BFGS converges superlinearly with
    gradients only, where Fisher scoring would keep recomputing the costly information and
    still converge linearly when the model misfits. Warm starts (refits) go straight to BFGS.
    """
    theta = start.copy()
    value = objective(theta)
    if not math.isfinite(value):
        raise EstimationError("the starting values give a non-positive-definite implied covariance matrix")
    inverse = None
    grad = gradient(theta)
    for iteration in range(1, max_iter + 1):
        if inverse is None:
            hessian = 2.0 * information(theta)
            try:
                step = -np.linalg.solve(hessian, grad)
            except np.linalg.LinAlgError:
                step = -np.linalg.lstsq(hessian, grad, rcond=None)[0]
        else:
            step = -inverse @ grad
        scale = 1.0
        for _ in range(30):
            candidate = theta + scale * step
            new_value = objective(candidate)
            if new_value <= value + 1e-14 * max(1.0, abs(value)):
                break
            scale /= 2.0
        else:
            if inverse is not None:  # BFGS lost its way: back to Fisher scoring
                inverse = None
                continue
            break
        new_grad = gradient(candidate)
        taken = scale * step
        if inverse is None and np.max(np.abs(taken)) < switch:
            try:
                inverse = np.linalg.inv(hessian)
            except np.linalg.LinAlgError:
                inverse = None
        elif inverse is not None:
            bfgs_update(inverse, taken, new_grad - grad, 1e-14)
        theta, improvement, value, grad = candidate, value - new_value, new_value, new_grad
        if np.max(np.abs(taken)) < tol or (improvement < 1e-15 and scale < 1):
            return theta, iteration
    if np.max(np.abs(grad)) > 1e-6:
        raise EstimationError(f"the model did not converge in {max_iter} iterations "
                              f"(largest gradient {np.max(np.abs(grad)):.2g}); check that it is identified")
    return theta, max_iter


def _start_values(table: ParameterTable, cm: CompiledModel, sample_cov: pd.DataFrame) -> np.ndarray:
    """Simple, data-based starts: reference-indicator ratios for loadings, half the observed
    variance for residuals, the reference indicator's common variance for factors."""
    cov = sample_cov
    theta = np.zeros(cm.n_free)
    loadings: dict[tuple[str, str], float] = {}
    by_factor: dict[str, list[Row]] = {}
    for r in table.rows:
        if r.op == "=~":
            by_factor.setdefault(r.lhs, []).append(r)
    factor_var: dict[str, float] = {}
    for lat, rows in by_factor.items():
        obs_rows = [r for r in rows if r.rhs in cov.index]
        ref = obs_rows[0].rhs if obs_rows else None
        for r in obs_rows[1:]:
            others = [o.rhs for o in obs_rows if o.rhs not in (ref, r.rhs)]
            ratios = [cov.loc[r.rhs, o] / cov.loc[ref, o] for o in others if abs(cov.loc[ref, o]) > 1e-8]
            loadings[(lat, r.rhs)] = float(np.median(ratios)) if ratios else 1.0
        if ref is not None:
            common = [cov.loc[ref, r.rhs] / loadings[(lat, r.rhs)] for r in obs_rows[1:]
                      if abs(loadings[(lat, r.rhs)]) > 1e-8]
            factor_var[lat] = float(max(np.mean(common), 0.05 * cov.loc[ref, ref])) if common else 0.5 * cov.loc[ref, ref]
    endogenous = {r.lhs for r in table.rows if r.op == "~"} | {r.rhs for r in table.rows if r.op == "=~"}
    for r in table.rows:
        if r.free < 0 or theta[r.free] != 0:
            continue
        if r.start is not None:
            value = r.start
        elif r.op == "=~":
            value = loadings.get((r.lhs, r.rhs), 1.0)
        elif r.op == "~~" and r.lhs == r.rhs:
            if r.lhs in cov.index:
                value = cov.loc[r.lhs, r.lhs] * (0.5 if r.lhs in endogenous else 1.0)
            else:
                value = factor_var.get(r.lhs, 0.05) * (0.5 if r.lhs in endogenous else 1.0)
        elif r.op == "~~" and r.lhs in cov.index and r.rhs in cov.index and r.lhs not in endogenous:
            value = cov.loc[r.lhs, r.rhs]
        else:
            value = 0.0
        theta[r.free] = value
    return theta


class SEM:
    """A structural equation model from lavaan syntax (the model, before data).

    ``SEM(syntax).fit(data)`` returns a :class:`SEMResults`; ``fit(cov=..., n=...)``
    fits summary data the way lavaan's ``sample.cov`` does.
    """

    def __init__(self, syntax: str | ModelSyntax, source: str = "<model>"):
        self.spec = syntax if isinstance(syntax, ModelSyntax) else parse_model(syntax, source)
        self.table = build_parameter_table(self.spec)
        self.source = self.spec.source

    @property
    def observed(self) -> list[str]:
        return self.table.observed

    def fit(self, data: pd.DataFrame | None = None, *, cov: pd.DataFrame | None = None,
            n: int | None = None, estimator: str = "ML", missing: str = "listwise") -> "SEMResults":
        """Fit by maximum likelihood. ``estimator="MLR"`` adds robust (sandwich) standard errors
        and the scaled chi-square; ``missing="fiml"`` uses every case's observed values (with a
        mean structure) instead of the complete cases."""
        if estimator not in ESTIMATORS:
            raise InputError(f"estimator '{estimator}' is not available; use one of {', '.join(ESTIMATORS)}")
        if missing not in MISSING:
            raise InputError(f"missing-data treatment '{missing}' is not available; use one of {', '.join(MISSING)}")
        if data is not None:
            absent = [v for v in self.observed if v not in data.columns]
            if absent:
                raise InputError(f"the data have no column for {', '.join(absent)} "
                                 f"(used in {self.source}); rename the columns or fix the model")
            if missing == "fiml":
                return self._fit_fiml(data[self.observed].astype(float), estimator)
            values = data[self.observed].astype(float).dropna().to_numpy()
            n = len(values)
            if n <= len(self.observed):
                raise InputError(f"only {n} complete rows for {len(self.observed)} variables: "
                                 "the sample covariance matrix would be singular")
            centered = values - values.mean(axis=0)
            cov = pd.DataFrame(centered.T @ centered / n, index=self.observed, columns=self.observed)
        elif cov is None or n is None:
            raise ValueError("fit() needs data, or cov and n")
        elif estimator != "ML" or missing != "listwise":
            raise InputError("summary data (a covariance matrix) allow only estimator ML with complete data; "
                             "MLR and FIML need the raw responses")
        else:
            values = None
        cov = cov.loc[self.observed, self.observed]
        sample = cov.to_numpy(dtype=float)
        _check_nonsingular(sample)
        for r in self.table.rows:
            if r.fixed_x:
                r.value = float(cov.loc[r.lhs, r.rhs])
        compiled = CompiledModel(self.table, self.observed)
        start = _start_values(self.table, compiled, cov)
        theta, iterations = compiled.estimate(sample, start)
        cases = None
        if estimator == "MLR":
            self._no_covariates(estimator)
            cases = CaseData(missing_patterns(values), n, values.mean(axis=0), sample, complete=True)
        return SEMResults(self, compiled, theta, sample, int(n), iterations, data=values,
                          estimator=estimator, cases=cases)

    def _no_covariates(self, what: str) -> None:
        if self.table.covariates:
            raise InputError(f"{self.source}: {what} with observed exogenous predictors "
                             f"({', '.join(self.table.covariates)}) is not supported yet; "
                             "use --estimator ML --missing listwise or model them as single-indicator factors")

    def _fit_fiml(self, frame: pd.DataFrame, estimator: str) -> "SEMResults":
        self._no_covariates("FIML")
        values = frame.to_numpy()
        values = values[~np.isnan(values).all(axis=1)]
        if len(values) <= len(self.observed):
            raise InputError(f"only {len(values)} cases answered any of the {len(self.observed)} variables")
        patterns = missing_patterns(values)
        mean, cov = em_estimates(patterns, ", ".join(self.observed))
        _check_nonsingular(cov)
        return self.fit_cases(CaseData(patterns, len(values), mean, cov, complete=False), estimator)

    def fit_cases(self, cases: CaseData, estimator: str = "ML") -> "SEMResults":
        """FIML: casewise maximum likelihood over the missing-data patterns, with a mean
        structure, started from the ML fit to the EM moments."""
        from semtrust.estimators import CaseLikelihood

        cov = pd.DataFrame(cases.cov, index=self.observed, columns=self.observed)
        table = ParameterTable(self.table.rows + mean_rows(self.table), self.table.observed,
                               self.table.latent, self.table.covariates, self.table.definitions)
        compiled = CompiledModel(table, self.observed)
        start = _start_values(table, compiled, cov)
        for r in table.rows:
            if r.op == "~1" and r.free >= 0:
                start[r.free] = cases.mean[self.observed.index(r.lhs)]
        likelihood = CaseLikelihood(compiled, cases.patterns, cases.n)
        theta, iterations = fisher_scoring(likelihood.objective, likelihood.gradient, likelihood.information, start)
        return SEMResults(self, compiled, theta, cases.cov, cases.n, iterations, data=None, estimator=estimator,
                          cases=cases, likelihood=likelihood)


def mean_rows(table: ParameterTable) -> list[Row]:
    """lavaan's mean structure, numbered after the table's free parameters: a free intercept per
    observed variable (a covariate's mean fixed at its sample value under fixed.x) and latent
    means fixed at 0."""
    free = [v for v in table.observed if v not in table.covariates]
    rows = [Row(v, "~1", "", free=table.n_free + free.index(v), user=False) if v in free
            else Row(v, "~1", "", user=False, fixed_x=True) for v in table.observed]
    return rows + [Row(v, "~1", "", value=0.0, user=False) for v in table.latent]


def _check_nonsingular(sample: np.ndarray) -> None:
    if np.linalg.eigvalsh(sample).min() <= 1e-12 * max(1.0, np.abs(sample).max()):
        raise InputError("the sample covariance matrix is singular: an item is constant or a "
                         "linear combination of others; drop or merge it")


@dataclass
class CaseData:
    """The raw cases behind a fit, for FIML and the robust corrections: their missing-data
    patterns, and the saturated model's means and covariances (sample or EM)."""

    patterns: list
    n: int
    mean: np.ndarray
    cov: np.ndarray
    complete: bool
    _h1: dict = field(default_factory=dict, repr=False)

    def h1_information(self, meanstructure: bool) -> tuple[np.ndarray, np.ndarray]:
        """(A1, B1) of the saturated model, computed once for a model and its baseline."""
        if meanstructure not in self._h1:
            from semtrust.estimators import h1_information
            self._h1[meanstructure] = h1_information(self.patterns, self.n, self.mean, self.cov,
                                                     meanstructure, self.complete)
        return self._h1[meanstructure]


def estimate_rows(rows: list[Row], compiled: CompiledModel, theta: np.ndarray, vcov: np.ndarray) -> pd.DataFrame:
    """est, se and std.all (lavaan's conventions) for every row of a parameter table."""
    index = {v: i for i, v in enumerate(compiled.names)}
    A, S = compiled.matrices(theta)
    E = np.linalg.inv(np.eye(compiled.n_vars) - A)
    total_var = ((E @ S) * E).sum(axis=1)
    sd = np.sqrt(np.clip(total_var, 0, None))
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    records = []
    for r in rows:
        est = theta[r.free] if r.free >= 0 else r.value
        se = se_free[r.free] if r.free >= 0 else 0.0
        i = index[r.lhs]
        j = index.get(r.rhs, i)
        if r.op == "=~":
            std = est * sd[i] / sd[j]
        elif r.op == "~":
            std = est * sd[j] / sd[i]
        elif r.op == "~1":
            std = est / sd[i]
        elif i == j:
            std = est / total_var[i]
        else:
            # lavaan: covariances are scaled by the variance parameters of both sides,
            # so residual covariances become residual correlations
            std = est / math.sqrt(S[i, i] * S[j, j]) if S[i, i] * S[j, j] > 0 else math.nan
        records.append(dict(lhs=r.lhs, op=r.op, rhs=r.rhs, label=r.label, est=est, se=se,
                            std_all=std, free=r.free))
    return pd.DataFrame(records)


def add_inference(frame: pd.DataFrame) -> pd.DataFrame:
    """z, two-sided p and the Wald 95% CI; fixed parameters (se 0) get no z or p."""
    has_se = frame.se > 0
    frame["z"] = np.where(has_se, frame.est / frame.se.where(has_se, 1.0), np.nan)
    frame["pvalue"] = np.where(has_se, 2 * stats.norm.sf(np.abs(frame.z)), np.nan)
    frame["ci_lower"] = frame.est - Z975 * frame.se
    frame["ci_upper"] = frame.est + Z975 * frame.se
    return frame


class SEMResults:
    """Fitted model: the tidy parameter table, fit measures and implied moments."""

    def __init__(self, model: SEM, compiled: CompiledModel, theta: np.ndarray,
                 sample_cov: np.ndarray, n: int, iterations: int, data: np.ndarray | None = None,
                 estimator: str = "ML", cases: CaseData | None = None, likelihood=None):
        self.model = model
        self.data = data  # complete cases, columns in compiled.observed order (None for summary data / FIML)
        self.compiled = compiled
        self.theta = theta
        self.sample_cov = sample_cov   # the EM covariance matrix under FIML
        self.n = n
        self.iterations = iterations
        self.estimator = estimator
        self.missing = "listwise" if likelihood is None else "fiml"
        self.cases = cases
        self.likelihood = likelihood
        self.warnings: list[str] = []
        info = compiled.information(theta) if likelihood is None else likelihood.information(theta)
        eigen = np.linalg.eigvalsh(info)
        if eigen.min() < 1e-10 * max(eigen.max(), 1.0):
            raise EstimationError(f"{model.source}: the model is not identified (the information "
                                  "matrix is singular); fix a loading or a variance per factor")
        self.vcov = np.linalg.inv(info) / n
        if estimator == "MLR" or likelihood is not None:
            self.vcov = self._observed_vcov()
        self.implied_cov, E, S = compiled.implied(theta)
        self.total_cov = E @ S @ E.T
        self.parameters = self._parameter_table()
        self.fit_measures = self._fit_measures()
        self._check_solution()

    # -- parameter table -------------------------------------------------
    def _parameter_table(self) -> pd.DataFrame:
        frame = estimate_rows(self.compiled.table.rows, self.compiled, self.theta, self.vcov)
        return add_inference(pd.concat([frame, self._defined(frame)], ignore_index=True))[PARAMETER_COLUMNS]

    def _label_values(self, theta: np.ndarray, column: str, frame: pd.DataFrame) -> dict:
        labelled = frame[frame.label != ""]
        if column == "est":
            return {lab: (theta[f] if f >= 0 else e) for lab, f, e in
                    zip(labelled.label, labelled.free, labelled.est)}
        return dict(zip(labelled.label, labelled[column]))

    def _defined(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Defined parameters (``:=``) with delta-method SEs, as lavaan computes them."""
        records = []
        defined_values: dict[str, float] = {}
        defined_std: dict[str, float] = {}
        expressions = []
        for d in self.model.table.definitions:
            expr = _Expression(d.expression, f"{self.model.source}, line {d.line}")
            known = set(frame.label[frame.label != ""]) | set(defined_values)
            unknown = expr.names - known
            if unknown:
                raise InputError(f"{self.model.source}, line {d.line}: '{d.name}' uses "
                                 f"{', '.join(sorted(unknown))}, which no parameter is labelled")
            expressions.append((d, expr))

            def value_at(theta, _expr=expr, _d=d):
                values = self._label_values(theta, "est", frame)
                for prev_d, prev_expr in expressions:
                    if prev_d is _d:
                        break
                    values[prev_d.name] = prev_expr(values)
                return _expr(values)

            est, se = delta_method(value_at, self.theta, self.vcov)
            defined_values[d.name] = est
            std_values = {**self._label_values(self.theta, "std_all", frame), **defined_std}
            defined_std[d.name] = expr(std_values)
            records.append(dict(lhs=d.name, op=":=", rhs="".join(d.expression.split()), label=d.name, est=est,
                                se=se, std_all=defined_std[d.name], free=-1))
        return pd.DataFrame(records)

    # -- fit measures ----------------------------------------------------
    def _observed_vcov(self) -> np.ndarray:
        """lavaan's standard errors under FIML (inverse observed information) and MLR (the
        Huber-White sandwich around it); keeps the observed information and the casewise
        scores for the scaled test."""
        from semtrust.estimators import model_scores, numerical_hessian

        if self.likelihood is not None:
            gradient = self.likelihood.gradient
        else:
            gradient = lambda t: self.compiled.gradient(t, self.sample_cov)  # noqa: E731
        self._observed_information = numerical_hessian(lambda t: gradient(t) / 2, self.theta)
        try:
            inverse = np.linalg.inv(self._observed_information)
        except np.linalg.LinAlgError:
            raise EstimationError(f"{self.model.source}: the observed information matrix is singular; "
                                  "the model is not identified at the estimates") from None
        if self.estimator != "MLR":
            return inverse / self.n
        scores = model_scores(self.compiled, self.theta, self.cases.patterns, self.n, self.cases.mean)
        self._first_order = scores.T @ scores / self.n
        return inverse @ self._first_order @ inverse / self.n

    def _fit_measures(self) -> FitMeasures:
        n, p = self.n, self.compiled.p
        sample = self.sample_cov
        covariates = [self.compiled.observed.index(v) for v in self.model.table.covariates]
        if self.likelihood is None:
            f_ml = self.compiled.objective(self.theta, sample, np.linalg.slogdet(sample)[1])
            df = p * (p + 1) // 2 - self.compiled.n_free - len(covariates) * (len(covariates) + 1) // 2
            chisq, unrestricted = n * f_ml, unrestricted_loglik(sample, n, covariates)
            base_chisq, base_df = baseline_model(sample, n, covariates)
            fit_srmr = srmr(sample, self.implied_cov)
        else:
            from semtrust.estimators import independence_loglik
            from semtrust.missing import loglik

            unrestricted = loglik(self.cases.patterns, self.cases.mean, self.cases.cov)
            chisq = 2 * (unrestricted - self.likelihood.loglik(self.theta))
            df = p * (p + 3) // 2 - self.compiled.n_free
            base_chisq = 2 * (unrestricted - independence_loglik(self.cases.patterns))
            base_df = p * (p - 1) // 2
            fit_srmr = srmr(sample, self.implied_cov, self.cases.mean, self.compiled.implied_mean(self.theta))
        baseline = None
        if self.estimator == "MLR":
            if self._is_independence_model():
                baseline, base_chisq = self, chisq
            else:
                independence = SEM(independence_model(self.compiled.observed), f"{self.model.source} (baseline)")
                if self.likelihood is None:
                    baseline = independence.fit(pd.DataFrame(self.data, columns=self.compiled.observed),
                                                estimator="MLR")
                else:
                    baseline = independence.fit_cases(self.cases, "MLR")
                base_chisq = baseline.fit_measures.chisq
        measures = fit_measures(chisq=chisq, df=df, npar=self.compiled.n_free, n=n,
                                baseline_chisq=base_chisq, baseline_df=base_df,
                                unrestricted_logl=unrestricted, srmr=fit_srmr)
        if self.estimator == "MLR":
            measures = robust_fit_measures(measures, self.scaling_factor(df),
                                           baseline.scaling_factor(base_df))
        return measures

    def _is_independence_model(self) -> bool:
        return all(r.op == "~1" or (r.op == "~~" and r.lhs == r.rhs) for r in self.compiled.table.rows)

    def scaling_factor(self, df: int) -> float:
        """Yuan-Bentler (Mplus) scaling factor of this model's chi-square (MLR fits)."""
        from semtrust.estimators import scaling_factor

        A1, B1 = self.cases.h1_information(self.compiled.has_means)
        return scaling_factor(A1, B1, self._observed_information, self._first_order, df)

    def _check_solution(self) -> None:
        params = self.parameters
        variances = params[(params.op == "~~") & (params.lhs == params.rhs)]
        for row in variances.itertuples():
            if row.est < 0:
                self.warnings.append(f"Heywood case: the variance of {row.lhs} is negative "
                                     f"({row.est:.3f}); the solution is improper")
        loadings = params[params.op.isin(["=~", "~"])]
        for row in loadings.itertuples():
            if abs(row.std_all) > 1:
                self.warnings.append(f"standardized estimate {row.lhs} {row.op} {row.rhs} = "
                                     f"{row.std_all:.3f} exceeds 1 in absolute value")
        if self.fit_measures.df < 0:
            raise EstimationError(f"{self.model.source}: the model has {self.fit_measures.df} "
                                  "degrees of freedom and is not identified")

    def correlation(self, names: list[str]) -> pd.DataFrame:
        """Model-implied correlations among any variables (latent or observed)."""
        index = [self.compiled.names.index(v) for v in names]
        cov = self.total_cov[np.ix_(index, index)]
        sd = np.sqrt(np.diag(cov))
        return pd.DataFrame(cov / np.outer(sd, sd), index=names, columns=names)

    def r_squared(self) -> dict[str, float]:
        """R² of every endogenous variable (1 - residual variance / total variance)."""
        A, S = self.compiled.matrices(self.theta)
        names = self.compiled.names
        result = {}
        for i, v in enumerate(names):
            if np.any(A[i] != 0):
                result[v] = float(1 - S[i, i] / self.total_cov[i, i])
        return result


def independence_model(observed: list[str]) -> str:
    """lavaan's baseline model in syntax: every observed variable's variance, nothing else."""
    return "\n".join(f"{v} ~~ {v}" for v in observed)


def robust_fit_measures(measures: FitMeasures, scaling: float, baseline_scaling: float) -> FitMeasures:
    """Add lavaan's scaled statistics (the chi-squares divided by their scaling factors) and
    the robust CFI, TLI and RMSEA (Brosseau-Liard & Savalei 2014; Brosseau-Liard, Savalei &
    Li 2012), which correct the noncentrality instead of the statistic."""
    df, base_df, n = measures.df, measures.baseline_df, measures.ntotal
    chisq_scaled = measures.chisq / scaling
    base_scaled = measures.baseline_chisq / baseline_scaling
    scaled = fit_measures(chisq=chisq_scaled, df=df, npar=measures.npar, n=n, baseline_chisq=base_scaled,
                          baseline_df=base_df, unrestricted_logl=measures.unrestricted_logl, srmr=measures.srmr)
    t1 = max(measures.chisq - scaling * df, 0.0)
    t2 = max(t1, measures.baseline_chisq - baseline_scaling * base_df)
    cfi_robust = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli_robust = 1.0 - ((measures.chisq - scaling * df) * base_df) / ((measures.baseline_chisq - baseline_scaling * base_df) * df)
    rmsea, lower, upper, pclose = rmsea_with_interval(chisq_scaled, df, n, c_hat=scaling)
    # lavaan's scaled RMSEA refers the unscaled statistic to a chi-square with tr(U Gamma) = c df
    # degrees of freedom (the same point estimate as the scaled statistic on df, another interval)
    scaled_rmsea = rmsea_with_interval(measures.chisq, scaling * df, n)
    return replace(measures, chisq_scaled=chisq_scaled, pvalue_scaled=scaled.pvalue, chisq_scaling_factor=scaling,
                   baseline_chisq_scaled=base_scaled, baseline_chisq_scaling_factor=baseline_scaling,
                   cfi_scaled=scaled.cfi, tli_scaled=scaled.tli, cfi_robust=cfi_robust, tli_robust=tli_robust,
                   rmsea_scaled=scaled_rmsea[0], rmsea_ci_lower_scaled=scaled_rmsea[1],
                   rmsea_ci_upper_scaled=scaled_rmsea[2], rmsea_pvalue_scaled=scaled_rmsea[3],
                   rmsea_robust=rmsea, rmsea_ci_lower_robust=lower, rmsea_ci_upper_robust=upper,
                   rmsea_pvalue_robust=pclose)


def baseline_model(sample: np.ndarray, n: int, covariates: list[int]) -> tuple[float, int]:
    """Chi-square and df of lavaan's independence model: free variances, with
    covariate moments kept at their sample values under fixed.x."""
    p = len(sample)
    baseline = np.diag(np.diag(sample))
    for i in covariates:
        for j in covariates:
            baseline[i, j] = sample[i, j]
    logdet_s = np.linalg.slogdet(sample)[1]
    chisq = n * (np.linalg.slogdet(baseline)[1] + np.trace(sample @ np.linalg.inv(baseline)) - logdet_s - p)
    df = p * (p + 1) // 2 - p - len(covariates) * (len(covariates) - 1) // 2
    return float(chisq), df


def unrestricted_loglik(sample: np.ndarray, n: int, covariates: list[int]) -> float:
    """Saturated-model log-likelihood; conditional on the covariates under fixed.x, as lavaan."""
    p = len(sample)
    value = -n / 2 * (p * math.log(2 * math.pi) + np.linalg.slogdet(sample)[1] + p)
    if covariates:
        q = len(covariates)
        logdet_x = np.linalg.slogdet(sample[np.ix_(covariates, covariates)])[1]
        value += n / 2 * (q * math.log(2 * math.pi) + logdet_x + q)
    return float(value)


def srmr(sample: np.ndarray, implied: np.ndarray, sample_mean: np.ndarray | None = None,
         implied_mean: np.ndarray | None = None) -> float:
    """Bentler's SRMR: residuals scaled by the observed SDs, lower triangle with the diagonal
    (and the means when the model has a mean structure)."""
    sd = np.sqrt(np.diag(sample))
    residuals = ((sample - implied) / np.outer(sd, sd))[np.tril_indices(len(sample))]
    if sample_mean is not None:
        residuals = np.concatenate([residuals, (sample_mean - implied_mean) / sd])
    return float(np.sqrt(np.mean(residuals ** 2)))


def fit_measures(*, chisq: float, df: int, npar: int, n: int, baseline_chisq: float, baseline_df: int,
                 unrestricted_logl: float, srmr: float, groups: int = 1) -> FitMeasures:
    """lavaan's fitMeasures() from the model and baseline chi-squares (ML, N convention)."""
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, baseline_chisq - baseline_df, 0.0)
    cfi = 1.0 if t1 == 0 and t2 == 0 else 1.0 - t1 / t2
    if df > 0:
        a, b = baseline_chisq / baseline_df - chisq / df, baseline_chisq / baseline_df - 1.0
        tli = 1.0 if (a < 0 and b < 0) else a / b
    else:
        tli = 1.0
    logl = unrestricted_logl - chisq / 2
    rmsea, lower, upper, pclose = rmsea_with_interval(chisq, df, n, groups)
    return FitMeasures(
        npar=npar, ntotal=n, chisq=chisq, df=df,
        pvalue=float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan,
        baseline_chisq=baseline_chisq, baseline_df=baseline_df,
        baseline_pvalue=float(stats.chi2.sf(baseline_chisq, baseline_df)),
        cfi=cfi, tli=tli, logl=logl, unrestricted_logl=unrestricted_logl,
        aic=-2 * logl + 2 * npar, bic=-2 * logl + npar * math.log(n),
        bic2=-2 * logl + npar * math.log((n + 2) / 24),
        rmsea=rmsea, rmsea_ci_lower=lower, rmsea_ci_upper=upper, rmsea_pvalue=pclose, srmr=srmr)


def delta_method(function, theta: np.ndarray, vcov: np.ndarray) -> tuple[float, float]:
    """Value and delta-method SE of ``function(theta)``, with a central-difference gradient
    (lavaan differentiates defined parameters numerically too)."""
    grad = np.zeros(len(theta))
    for k in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        grad[k] = (function(up) - function(down)) / (2 * h)
    return function(theta), math.sqrt(max(grad @ vcov @ grad, 0.0))


def rmsea_with_interval(chisq: float, df: float, n: int, groups: int = 1,
                        c_hat: float = 1.0) -> tuple[float, float, float, float]:
    """RMSEA with lavaan's N convention, its 90% CI from the noncentral chi-square, and PCLOSE;
    with several groups lavaan multiplies by sqrt(groups) (Steiger 1998). Given a scaled
    chi-square and its scaling factor ``c_hat``, the robust RMSEA (noncentrality times c_hat)."""
    if df <= 0:
        return 0.0, 0.0, 0.0, math.nan

    def cdf(lam):
        return stats.chi2.cdf(chisq, df) if lam <= 0 else stats.ncx2.cdf(chisq, df, lam)

    from scipy.optimize import brentq
    rmsea = math.sqrt(max(chisq - df, 0.0) / (df * n))
    lam_lower = 0.0 if cdf(0.0) < 0.95 else brentq(lambda l: cdf(l) - 0.95, 0.0, chisq)
    top = max(n, chisq * 4)
    if cdf(top) > 0.05 or cdf(0.0) < 0.05:
        lam_upper = 0.0
    else:
        lam_upper = brentq(lambda l: cdf(l) - 0.05, 0.0, top)
    pclose = float(stats.ncx2.sf(chisq, df, n * df * 0.05 ** 2 / (groups * c_hat)))
    scale = math.sqrt(groups * c_hat)
    return (rmsea * scale, math.sqrt(lam_lower / (n * df)) * scale, math.sqrt(lam_upper / (n * df)) * scale,
            pclose)


def modification_indices(results: SEMResults) -> pd.DataFrame:
    """Score tests for the parameters lavaan's ``modindices()`` considers: cross-loadings and
    residual covariances among observed variables not in the model. ``mi`` is the expected drop
    in chi-square when the parameter is freed, ``epc`` its expected value, ``sepc_all`` that
    value standardized (Sorbom 1989; Saris, Satorra & van der Veen 2009)."""
    table = results.model.table
    present = {_key(r.lhs, r.op, r.rhs) for r in table.rows}
    loads = {(r.lhs, r.rhs) for r in table.rows if r.op == "=~"}
    indicators = [v for v in table.observed if any(v == rhs for _, rhs in loads)]
    candidates = [Row(lv, "=~", ov, free=0, user=False) for lv in table.latent for ov in indicators
                  if (lv, ov) not in loads and ov not in table.latent]
    observed = [v for v in table.observed if v not in table.covariates]
    candidates += [Row(a, "~~", b, free=0, user=False) for i, a in enumerate(observed) for b in observed[i + 1:]
                   if _key(a, "~~", b) not in present]
    if not candidates:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "epc", "sepc_all"])
    k = results.compiled.n_free
    for offset, row in enumerate(candidates):
        row.free = k + offset
    extended = CompiledModel(ParameterTable(table.rows + candidates, table.observed, table.latent,
                                            table.covariates, []), results.compiled.observed)
    theta = np.concatenate([results.theta, np.zeros(len(candidates))])
    grad = extended.gradient(theta, results.sample_cov)[k:]
    info = extended.information(theta)
    schur = info[k:, k:] - info[k:, :k] @ np.linalg.solve(info[:k, :k], info[:k, k:])
    variance = np.diag(schur)
    mi = results.n * grad ** 2 / (4 * variance)
    epc = -grad / (2 * variance)
    names = results.compiled.names
    sd = np.sqrt(np.diag(results.total_cov))
    _, S = results.compiled.matrices(results.theta)
    records = []
    for row, m, e in zip(candidates, mi, epc):
        i, j = names.index(row.lhs), names.index(row.rhs)
        scale = sd[i] / sd[j] if row.op == "=~" else 1 / math.sqrt(S[i, i] * S[j, j])
        records.append(dict(lhs=row.lhs, op=row.op, rhs=row.rhs, mi=float(m), epc=float(e), sepc_all=float(e * scale)))
    return pd.DataFrame(records)
