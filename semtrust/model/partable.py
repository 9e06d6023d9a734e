"""Model stage: lavaan's parameter table (``parTable``) built from parsed syntax.

One row per parameter, free or fixed, with lavaan's ``sem()`` defaults added (first loading
fixed, variances, exogenous covariances, ``fixed.x`` covariate moments); every estimator
writes its estimates against these rows, and every later stage reads them.

>>> from semtrust.model.syntax import parse_model
>>> table = build_parameter_table(parse_model("F =~ a + b + c"))
>>> [(r.lhs, r.op, r.rhs, r.free) for r in table.rows][:3]
[('F', '=~', 'a', -1), ('F', '=~', 'b', 0), ('F', '=~', 'c', 1)]
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations

from semtrust.errors import InputError
from semtrust.model.expressions import Expression
from semtrust.model.syntax import ModelSyntax

__all__ = ["ParameterTable", "Row", "build_parameter_table", "parameter_key", "mean_rows", "with_means",
           "independence_table", "independence_model"]

PARAMETER_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue",
                     "ci_lower", "ci_upper", "std_all"]


@dataclass
class Row:
    """One row of the parameter table (lavaan's ``parTable``).

    >>> Row("F", "=~", "x2", free=0, value=1.0)
    Row(lhs='F', op='=~', rhs='x2', label='', free=0, value=1.0, user=True, fixed_x=False, start=None, per_group=(), group=0)
    """

    lhs: str
    op: str
    rhs: str
    label: str = ""
    free: int = -1          # index into the free-parameter vector, -1 when fixed
    value: float = 0.0      # fixed value, or the start value of a free parameter
    user: bool = True       # written by the user (False: added by lavaan's defaults)
    fixed_x: bool = False   # exogenous covariate moment fixed at its sample value
    start: float | None = None
    per_group: tuple = ()   # c(...) modifier: a label, fixed value or None (free) per group
    group: int = 0          # the group (0, 1, ...) whose row this is in a multi-group model


@dataclass
class ParameterTable:
    """lavaan's parameter table: the rows, the observed and latent variables, the fixed.x
    covariates, the defined parameters and the constraints.

    >>> from semtrust.model.syntax import parse_model
    >>> table = build_parameter_table(parse_model("F =~ x1 + x2 + x3\\ny ~ F"))
    >>> table.observed, table.latent, sum(r.free >= 0 for r in table.rows)
    (['x1', 'x2', 'x3', 'y'], ['F'], 8)
    """
    rows: list[Row]
    observed: list[str]
    latent: list[str]
    covariates: list[str]          # observed exogenous variables (fixed.x)
    definitions: list             # syntax.Definition
    constraints: list = field(default_factory=list)   # syntax.Constraint (==, <, >)

    @property
    def n_free(self) -> int:
        return max((r.free for r in self.rows), default=-1) + 1

    @property
    def meanstructure(self) -> bool:
        """True when the model writes an intercept or mean (``~ 1``): lavaan then fits the means."""
        return any(r.op == "~1" for r in self.rows)




def parameter_key(lhs: str, op: str, rhs: str) -> tuple:
    """Rows are the same parameter when this key is equal (``a ~~ b`` is ``b ~~ a``).

    >>> parameter_key("y1", "~~", "y2") == parameter_key("y2", "~~", "y1"), parameter_key("F", "=~", "x1")
    (True, ('=~', 'F', 'x1'))
    """
    return (op, *sorted((lhs, rhs))) if op == "~~" else (op, lhs, rhs)



def group_specific(spec: ModelSyntax) -> bool:
    """Whether the model writes group-specific modifiers (``c(a1, a2)*x``): lavaan fits it only
    as one multi-group model.

    >>> from semtrust.model.syntax import parse_model
    >>> group_specific(parse_model("y ~ c(a1, a2)*x")), group_specific(parse_model("y ~ a*x"))
    (True, False)
    """
    return any(s.per_group for s in spec.statements)


def pooled_model(spec: ModelSyntax) -> ModelSyntax:
    """The model without its group-specific modifiers (each ``c(...)*x`` a free ``x``): the
    single-group model of the pooled sample.

    >>> from semtrust.model.syntax import parse_model
    >>> pooled_model(parse_model("y ~ c(a1, a2)*x")).statements[0].per_group
    ()
    """
    return ModelSyntax([replace(s, per_group=()) for s in spec.statements], [], spec.source + " (pooled)")


def observed_covariates(spec: ModelSyntax) -> list[str]:
    """The observed exogenous variables (fixed.x covariates): predictors that are neither
    regressed nor indicators.

    >>> from semtrust.model.syntax import parse_model
    >>> observed_covariates(parse_model("F =~ a + b + c\\nF ~ x\\ny ~ F + z"))
    ['x', 'z']
    """
    latent = set(spec.latent)
    statements = spec.statements
    indicators = {s.rhs for s in statements if s.op == "=~"}
    regressed = {s.lhs for s in statements if s.op == "~"}
    predictors = {s.rhs for s in statements if s.op == "~"}
    return [v for v in spec.variables if v not in latent and v in predictors
            and v not in regressed and v not in indicators]


def build_parameter_table(spec: ModelSyntax, fixed_x: bool = True, groups: int = 1) -> ParameterTable:
    """lavaan's ``sem()`` defaults: first loading fixed to 1, residual and latent variances
    free, exogenous latent covariances free, residual covariances among observed outcomes
    free, exogenous observed covariates fixed at their sample moments.

    >>> from semtrust.model.syntax import parse_model
    >>> table = build_parameter_table(parse_model("F =~ x1 + x2 + x3\\ny ~ F + z"))
    >>> [(r.lhs, r.op, r.rhs, r.free, r.fixed_x) for r in table.rows if r.free < 0]
    [('F', '=~', 'x1', -1, False), ('z', '~~', 'z', -1, True)]
    """
    latent = spec.latent
    lv = set(latent)
    statements = spec.statements
    indicators = {s.rhs for s in statements if s.op == "=~"}
    regressed = {s.lhs for s in statements if s.op == "~"}
    predictors = {s.rhs for s in statements if s.op == "~"}
    observed = [v for v in spec.variables if v not in lv]
    for s in statements:
        if s.efa:
            raise InputError(f"{spec.source}, line {s.line}: efa() blocks are fitted with their rotation by "
                             "semtrust.api.sem (one group, ML); this step does not take them")
        if s.op == "=~" and s.rhs == s.lhs:
            raise InputError(f"{spec.source}, line {s.line}: '{s.lhs}' cannot measure itself")
        if s.op == "~" and s.lhs == s.rhs:
            raise InputError(f"{spec.source}, line {s.line}: '{s.lhs}' cannot predict itself")
        if s.op == "|":
            raise InputError(f"{spec.source}, line {s.line}: thresholds ('{s.lhs} | {s.rhs}') belong to ordinal "
                             "items: fit with estimator WLSMV and the items declared ordered")
    covariates = observed_covariates(spec) if fixed_x else []
    exogenous_latent = [v for v in latent if v not in regressed and v not in indicators]
    # lavaan's auto.cov.y: disturbances of pure outcomes (regressed, predicting nothing) covary
    outcomes = [v for v in spec.variables if v in regressed and v not in predictors and v not in indicators]

    rows: list[Row] = []
    seen: dict[tuple, int] = {}
    first_indicator: dict[str, str] = {}
    for s in statements:
        key = parameter_key(s.lhs, s.op, s.rhs)
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
        if s.per_group and groups == 1:
            raise InputError(f"{spec.source}, line {s.line}: group-specific modifiers c(...) need a multi-group "
                             "run (--group)")
        if s.per_group and len(s.per_group) != groups:
            raise InputError(f"{spec.source}, line {s.line}: c(...) has {len(s.per_group)} elements for {groups} "
                             "groups; give one per group")
        rows.append(Row(s.lhs, s.op, s.rhs, label=s.label or "",
                        free=-1 if fixed is not None and not s.per_group else 0,
                        value=fixed if fixed is not None else 0.0, start=s.start, per_group=s.per_group))

    def add(lhs, rhs, *, value=0.0, free=True, fixed_x=False):
        if parameter_key(lhs, "~~", rhs) not in seen:
            seen[parameter_key(lhs, "~~", rhs)] = len(rows)
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
    known = {r.label for r in rows if r.label} | {m for r in rows for m in r.per_group if isinstance(m, str)}
    for d in spec.definitions:
        if d.name in known:
            raise InputError(f"{spec.source}, line {d.line}: '{d.name}' is already a parameter label")
        known.add(d.name)
    for c in spec.constraints:
        _check_constraint_labels(c, known, spec.source)
    return ParameterTable(rows, observed, latent, covariates, list(spec.definitions), list(spec.constraints))


def _check_constraint_labels(constraint, known: set[str], source: str) -> None:
    where = f"{source}, line {constraint.line}"
    names = Expression(constraint.lhs, where).names | Expression(constraint.rhs, where).names
    if not names:
        raise InputError(f"{where}: the constraint '{constraint.lhs} {constraint.op} {constraint.rhs}' "
                         "names no parameter label")
    unknown = names - known
    if unknown:
        raise InputError(f"{where}: the constraint uses {', '.join(sorted(unknown))}, which no parameter "
                         "is labelled (label it: a*x1)")


def mean_rows(table: ParameterTable) -> list[Row]:
    """lavaan's mean structure, numbered after the table's free parameters: a free intercept per
    observed variable (a covariate's mean fixed at its sample value under fixed.x) and latent
    means fixed at 0, for every variable whose intercept the model does not write itself.

    >>> from semtrust.model.syntax import parse_model
    >>> table = build_parameter_table(parse_model("F =~ x1 + x2 + x3"))
    >>> [(r.lhs, r.op, r.free, r.value) for r in mean_rows(table)]
    [('x1', '~1', 6, 0.0), ('x2', '~1', 7, 0.0), ('x3', '~1', 8, 0.0), ('F', '~1', -1, 0.0)]
    """
    written = {r.lhs for r in table.rows if r.op == "~1"}
    free = [v for v in table.observed if v not in table.covariates and v not in written]
    rows = [Row(v, "~1", "", free=table.n_free + free.index(v), user=False) if v in free
            else Row(v, "~1", "", user=False, fixed_x=True) for v in table.observed
            if v not in written]
    return rows + [Row(v, "~1", "", value=0.0, user=False) for v in table.latent if v not in written]


def with_means(table: ParameterTable) -> ParameterTable:
    """The table with lavaan's mean structure added (:func:`mean_rows`).

    >>> from semtrust.model.syntax import parse_model
    >>> table = build_parameter_table(parse_model("F =~ x1 + x2 + x3"))
    >>> len(table.rows), len(with_means(table).rows)
    (7, 11)
    """
    return ParameterTable(table.rows + mean_rows(table), table.observed, table.latent, table.covariates,
                          table.definitions, table.constraints)


def independence_table(observed: list[str], covariates: list[str]) -> ParameterTable:
    """lavaan's baseline model as a table: a free variance per observed variable, the moments of
    the covariates fixed at their sample values (fixed.x) instead.

    >>> table = independence_table(["x1", "x2", "z"], ["z"])
    >>> [(r.lhs, r.op, r.rhs, r.free) for r in table.rows]
    [('x1', '~~', 'x1', 0), ('x2', '~~', 'x2', 1), ('z', '~~', 'z', -1)]
    """
    outcomes = [v for v in observed if v not in covariates]
    rows = [Row(v, "~~", v, free=k, user=False) for k, v in enumerate(outcomes)]
    rows += [Row(a, "~~", b, user=False, fixed_x=True) for i, a in enumerate(covariates) for b in covariates[i:]]
    return ParameterTable(rows, list(observed), [], list(covariates), [])


def independence_model(observed: list[str]) -> str:
    """lavaan's baseline model in syntax: every observed variable's variance, nothing else.

    >>> print(independence_model(["x1", "x2", "x3"]))
    x1 ~~ x1
    x2 ~~ x2
    x3 ~~ x3
    """
    return "\n".join(f"{v} ~~ {v}" for v in observed)
