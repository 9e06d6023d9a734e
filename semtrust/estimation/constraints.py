"""Estimation stage: lavaan's explicit constraints (``==``, ``<``, ``>``) on labelled parameters.

A constraint compares two expressions over parameter labels (``a + b == 1.2``, ``b == a^2``,
``d < c - 0.25``). The model is fitted by sequential quadratic programming with the expected
information as the Hessian, the inequalities handled by an active set: an inequality enters
when the fit violates it and leaves when its Lagrange multiplier has the wrong sign. As in
lavaan, the standard errors come from the information projected onto the null space of the
Jacobian of the equality and active inequality constraints, each equality constraint adds a
degree of freedom and removes a parameter from ``npar``, and inequality constraints change
neither.

>>> from semtrust.model.syntax import parse_model
>>> from semtrust.model.partable import build_parameter_table
>>> table = build_parameter_table(parse_model("F =~ x1 + a*x2 + b*x3\\na + b == 1"))
>>> problem = ConstraintSet(table)
>>> problem.equality(np.array([0.4, 0.6, 1, 1, 1, 1])).round(12).tolist()
[0.0]
"""
from __future__ import annotations

import math

import numpy as np
from scipy.linalg import null_space

from semtrust.errors import EstimationError
from semtrust.model.expressions import Expression
from semtrust.model.partable import ParameterTable

__all__ = ["numerical_jacobian"]


class ConstraintSet:
    """The table's constraints as functions of the free-parameter vector: equalities h(theta) = 0
    and inequalities g(theta) >= 0 (``lhs > rhs`` reads lhs - rhs >= 0)."""

    def __init__(self, table: ParameterTable):
        self.labels = {r.label: r for r in table.rows if r.label}
        self.equalities, self.inequalities = [], []
        for c in table.constraints:
            where = f"line {c.line}"
            sides = (Expression(c.lhs, where), Expression(c.rhs, where))
            if c.op == "==":
                self.equalities.append(sides)
            else:   # "<": rhs - lhs >= 0
                self.inequalities.append(sides if c.op == ">" else sides[::-1])

    def __len__(self) -> int:
        return len(self.equalities) + len(self.inequalities)

    def _values(self, theta: np.ndarray) -> dict:
        return {label: (theta[r.free] if r.free >= 0 else r.value) for label, r in self.labels.items()}

    def _evaluate(self, pairs, theta: np.ndarray) -> np.ndarray:
        values = self._values(theta)
        return np.array([left(values) - right(values) for left, right in pairs])

    def equality(self, theta: np.ndarray) -> np.ndarray:
        return self._evaluate(self.equalities, theta)

    def inequality(self, theta: np.ndarray) -> np.ndarray:
        return self._evaluate(self.inequalities, theta)

    def active(self, theta: np.ndarray, active: list[int]) -> np.ndarray:
        """The equalities and the inequalities in ``active``, as one vector that must be zero."""
        return np.concatenate([self.equality(theta), self.inequality(theta)[active]])

    def jacobian(self, theta: np.ndarray, active: list[int]) -> np.ndarray:
        """Jacobian of :meth:`active` (lavaan differentiates constraints numerically too)."""
        return numerical_jacobian(lambda t: self.active(t, active), theta).reshape(-1, len(theta))


def numerical_jacobian(function, theta: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a vector function, steps relative to each parameter.

    >>> numerical_jacobian(lambda t: np.array([t[0] * t[1]]), np.array([2.0, 3.0])).round(6).tolist()
    [[3.0, 2.0]]
    """
    columns = []
    for k in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        columns.append((function(up) - function(down)) / (2 * h))
    return np.column_stack(columns)


def constrained_scoring(objective, gradient, information, start: np.ndarray, constraints: ConstraintSet, *,
                        tol: float = 1e-9, max_iter: int = 2000) -> tuple[np.ndarray, int, list[int]]:
    """Minimise an ML discrepancy (expected Hessian twice ``information``) subject to the
    constraints; returns (theta, iterations, active inequalities)."""
    active: list[int] = []
    theta, total = start.copy(), 0
    for _ in range(2 * len(constraints.inequalities) + 2):
        theta, iterations, multipliers = _sqp(objective, gradient, information, theta, constraints, active,
                                              tol=tol, max_iter=max_iter)
        total += iterations
        n_eq = len(constraints.equalities)
        wrong_sign = [active[i] for i, m in enumerate(multipliers[n_eq:]) if m < -1e-8]
        if wrong_sign:
            active.remove(wrong_sign[0])
            continue
        slack = constraints.inequality(theta)
        violated = [k for k in np.argsort(slack) if slack[k] < -1e-9 and k not in active]
        if not violated:
            return theta, total, sorted(active)
        active.append(int(violated[0]))
    raise EstimationError("the inequality constraints could not be satisfied; check that they are consistent")


def _sqp(objective, gradient, information, theta: np.ndarray, constraints: ConstraintSet, active: list[int], *,
         tol: float, max_iter: int) -> tuple[np.ndarray, int, np.ndarray]:
    """Equality-constrained SQP with an L1 merit function; returns (theta, iterations, multipliers)."""
    value = objective(theta)
    if not math.isfinite(value):
        raise EstimationError("the starting values give a non-positive-definite implied covariance matrix")
    multipliers = np.zeros(len(constraints.equalities) + len(active))
    penalty = 10.0
    for iteration in range(1, max_iter + 1):
        grad = gradient(theta)
        residual = constraints.active(theta, active)
        J = constraints.jacobian(theta, active)
        hessian = 2.0 * information(theta)
        m = len(residual)
        kkt = np.block([[hessian, J.T], [J, np.zeros((m, m))]])
        solution = np.linalg.lstsq(kkt, -np.concatenate([grad, residual]), rcond=None)[0]
        step, multipliers = solution[: len(theta)], -solution[len(theta):]
        penalty = max(penalty, 2.0 * np.max(np.abs(multipliers), initial=0.0))

        def merit(t, f, weight=penalty):
            return f + weight * np.abs(constraints.active(t, active)).sum()

        current = merit(theta, value)
        scale = 1.0
        for _ in range(40):
            candidate = theta + scale * step
            new_value = objective(candidate)
            if math.isfinite(new_value) and merit(candidate, new_value) <= current + 1e-14 * max(1.0, abs(current)):
                break
            scale /= 2.0
        else:
            break
        theta, value = candidate, new_value
        if np.max(np.abs(scale * step)) < tol:
            return theta, iteration, multipliers
    if np.max(np.abs(constraints.active(theta, active)), initial=0.0) > 1e-6:
        raise EstimationError("the model did not converge under its constraints; check that they are consistent")
    return theta, max_iter, multipliers


def projected_inverse(information: np.ndarray, jacobian: np.ndarray) -> np.ndarray:
    """lavaan's constrained inverse of an information matrix: K (K' I K)^-1 K' with K a basis of
    the null space of the constraint Jacobian (the directions the constraints leave free)."""
    if len(jacobian) == 0:
        return np.linalg.inv(information)
    K = null_space(jacobian)
    inverse = K @ np.linalg.inv(K.T @ information @ K) @ K.T
    # a parameter that the constraints fix has no sampling variance (lavaan reports no SE)
    fixed = np.abs(K).max(axis=1) < 1e-10
    inverse[fixed, :] = 0.0
    inverse[:, fixed] = 0.0
    return (inverse + inverse.T) / 2
