"""Power analysis, stage 4: the replications summarised, as DataFrames and power.json (the report
and its power curves: :mod:`semtrust.report.power_report`).

An effect counts as detected in a replication when its test rejects zero in the direction of
its population value: a path when its Wald 1 - alpha interval excludes zero, an indirect effect
when its Monte Carlo (or bootstrap) percentile interval does. Power is the share of converged
replications that detect it, with its Monte Carlo standard error sqrt(p(1 - p) / R). Bias is
the mean estimate minus the population value (the analysis model fitted to the population
moments, so for Likert items the value of the category scores); coverage is the share of
intervals containing it. The required n of an effect is the smallest sample size in the grid
from which on its power stays at or above the target. The model-fit rows are the rejection
rates of the chi-square test of exact fit and of MacCallum, Browne & Sugawara's (1996) test of
close fit (H0: RMSEA <= .05).

>>> from semtrust.power.population import Population
>>> from semtrust.power.replicate import build_design, run_batch
>>> design = build_design(Population.from_syntax("y ~ 0.5*x"), "y ~ x", seed=2)
>>> result = summarise(design, [run_batch(design, 40, 0, 30)], [40], 30, target=0.8)
>>> row = result.summary.iloc[0]
>>> row.effect, round(float(row.power), 3), round(float(row.coverage), 3)
('y ~ x', 0.933, 0.933)
>>> int(result.required_n.n[0]), result.required_n_all
(40, 40)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from semtrust.power.replicate import Design
from semtrust.results import software_versions
from semtrust.version import __version__

__all__ = ["PowerResult", "summarise"]

CLOSE_FIT_RMSEA = 0.05
ZERO = 1e-8   # population values this small are zero (fitted to the population moments, not set)
FIT_TESTS = ("exact fit (χ² test)", "close fit (RMSEA ≤ .05)")


@dataclass
class PowerResult:
    """Summary of a Monte Carlo power analysis.

    ``summary`` has one row per effect and sample size (columns ``effect``, ``kind``,
    ``hypothesis``, ``n``, ``true``, ``power``, ``power_se``, ``mean_estimate``, ``bias``,
    ``relative_bias``, ``coverage``, ``converged``); ``convergence`` one row per sample size.

    >>> from semtrust.power import power
    >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
    >>> result.summary[["effect", "n", "power", "coverage"]].round(2)
                        effect    n  power  coverage
    0                    m ~ x   60   0.95      0.95
    1                    m ~ x  120   1.00      0.95
    2                    y ~ m   60   1.00      1.00
    3                    y ~ m  120   1.00      0.95
    4              x -> m -> y   60   0.90      1.00
    5              x -> m -> y  120   1.00      0.95
    6      exact fit (χ² test)   60   0.10       NaN
    7      exact fit (χ² test)  120   0.15       NaN
    8  close fit (RMSEA ≤ .05)   60   0.10       NaN
    9  close fit (RMSEA ≤ .05)  120   0.10       NaN
    """

    summary: pd.DataFrame
    convergence: pd.DataFrame
    settings: dict
    population: dict
    analysis_syntax: str
    replications: dict = field(repr=False, default_factory=dict)

    @property
    def power_table(self) -> pd.DataFrame:
        """Power, one row per effect (in model order) and one column per sample size.

        >>> from semtrust.power import power
        >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
        >>> result.power_table.round(2).to_dict("index")
        {'m ~ x': {60: 0.95, 120: 1.0}, 'y ~ m': {60: 1.0, 120: 1.0}, 'x -> m -> y': {60: 0.9, 120: 1.0}, 'exact fit (χ² test)': {60: 0.1, 120: 0.15}, 'close fit (RMSEA ≤ .05)': {60: 0.1, 120: 0.1}}
        """
        table = self.summary.pivot(index="effect", columns="n", values="power")
        return table.loc[list(dict.fromkeys(self.summary.effect))]

    @property
    def required_n(self) -> pd.DataFrame:
        """Smallest n in the grid from which on each effect's power stays >= the target
        (missing when never; effects whose population value is zero are not targets).

        >>> from semtrust.power import power
        >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
        >>> result.required_n
                            effect      kind hypothesis     n
        0                    m ~ x      path       None    60
        1                    y ~ m      path       None    60
        2              x -> m -> y  indirect       None    60
        3      exact fit (χ² test)       fit       None  <NA>
        4  close fit (RMSEA ≤ .05)       fit       None  <NA>
        """
        target = self.settings["target"]
        rows = []
        for effect, group in self.summary.groupby("effect", sort=False):
            kind, true = group.kind.iloc[0], group.true.iloc[0]
            needed = None
            if kind != "fit" and abs(true) > ZERO:
                reached = group.power.to_numpy() >= target
                for k in range(len(reached)):
                    if reached[k:].all():
                        needed = int(group.n.iloc[k])
                        break
            rows.append({"effect": effect, "kind": kind, "hypothesis": group.hypothesis.iloc[0], "n": needed})
        return pd.DataFrame(rows).astype({"n": "Int64"})

    @property
    def required_n_all(self) -> int | None:
        """Smallest n at which every (non-zero) path and indirect effect reaches the target.

        >>> from semtrust.power import power
        >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
        >>> result.required_n_all
        60
        """
        required = self.required_n
        required = required[required.kind != "fit"]
        targets = [e for e, group in self.summary[self.summary.kind != "fit"].groupby("effect")
                   if abs(group.true.iloc[0]) > ZERO]
        needed = required[required.effect.isin(targets)].n
        if needed.isna().any() or needed.empty:
            return None
        return int(needed.max())

    def console_summary(self) -> str:
        """Power per path and n with each path's required n; the indirect effects in one line.

        >>> from semtrust.power import power
        >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
        >>> print(result.console_summary())  # doctest: +ELLIPSIS
        n                          60   120 n for 0.80
        m ~ x                    0.95  1.00         60
        y ~ m                    1.00  1.00         60
        exact fit (χ² test)      0.10  0.15          —
        close fit (RMSEA ≤ .05)  0.10  0.10          —
        Indirect effects: 1 of 1 reach power 0.80 within the grid (all by n = 60)
        n for power 0.80 on every path and indirect effect: 60
        Convergence rate by n: 60: 1.000, 120: 1.000
        """
        target = self.settings["target"]
        required = self.required_n.set_index("effect").n
        table = self.power_table
        kinds = self.summary.drop_duplicates("effect").set_index("effect").kind
        hypotheses = self.summary.drop_duplicates("effect").set_index("effect").hypothesis
        shown = table.loc[[e for e in table.index if kinds[e] in ("path", "defined", "fit")]].round(3)
        shown[f"n for {target:.2f}"] = [("—" if kinds[e] == "fit" else
                                         "not reached" if pd.isna(required[e]) else str(required[e]))
                                        for e in shown.index]
        shown.index = [f"{hypotheses[e]}: {e}" if isinstance(hypotheses[e], str) else e for e in shown.index]
        lines = [shown.to_string()]
        indirect = [e for e in table.index if kinds[e] in ("indirect", "total indirect")]
        if indirect:
            reached = required[indirect].dropna()
            lines.append(f"Indirect effects: {len(reached)} of {len(indirect)} reach power {target:.2f} "
                         f"within the grid" + (f" (all by n = {int(reached.max())})" if len(reached) else ""))
        every = self.required_n_all
        lines.append(f"n for power {target:.2f} on every path and indirect effect: "
                     + (str(every) if every else "not reached in the grid"))
        rates = ", ".join(f"{r.n}: {r.convergence_rate:.3f}" for r in self.convergence.itertuples())
        lines.append(f"Convergence rate by n: {rates}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """results.json of the power analysis (``power.json``).

        >>> from semtrust.power import power
        >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
        >>> sorted(result.to_dict())
        ['analysis_model', 'convergence', 'population', 'required_n', 'required_n_all', 'semtrust_version', 'settings', 'software', 'summary']
        """
        return _clean({
            "semtrust_version": __version__,
            "software": software_versions(),
            "settings": self.settings,
            "population": self.population,
            "analysis_model": self.analysis_syntax,
            "convergence": self.convergence.to_dict(orient="records"),
            "required_n": self.required_n.to_dict(orient="records"),
            "required_n_all": self.required_n_all,
            "summary": self.summary.to_dict(orient="records"),
        })

    def output_files(self, lang: str | None = None) -> dict[str, bytes]:
        """power.json, the report in ``lang`` (default: the instrument's report language, else
        English; power_report.html, .tex, .docx, power_tables.xlsx)
        and the power curves (power_curves.svg, and .pdf for the LaTeX report).

        >>> from semtrust.power import power
        >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
        >>> sorted(result.output_files())
        ['power.json', 'power_curves.pdf', 'power_curves.svg', 'power_report.docx', 'power_report.html', 'power_report.tex', 'power_tables.xlsx']
        """
        from semtrust.report.power_report import power_files

        return power_files(self.to_dict(), lang or self.settings.get("report_language") or "en")

    def write(self, out: str | Path, lang: str | None = None, inputs: dict | None = None) -> dict[str, Path]:
        """Write :meth:`output_files` into the output folder ``out``, all or none, power.json last
        (:class:`~semtrust.io.output_folder.OutputFolder`, never over ``inputs`` or files semtrust
        did not write); returns ``{file name: path}``.

        >>> from semtrust.power import power
        >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
        >>> import tempfile
        >>> sorted(path.name for path in result.write(tempfile.mkdtemp()).values())
        ['power.json', 'power_curves.pdf', 'power_curves.svg', 'power_report.docx', 'power_report.html', 'power_report.tex', 'power_tables.xlsx']
        """
        from semtrust.io.output_folder import OutputFolder

        with OutputFolder(out, inputs, family="power") as folder:
            return folder.commit(self.output_files(lang))


def _clean(obj):
    if obj is pd.NA:
        return None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _combine(parts: list[dict], ns: list[int], reps: int) -> dict:
    """Batches joined into arrays ordered by (n as given, replication)."""
    order = sorted(range(len(parts)), key=lambda k: (ns.index(parts[k]["n"]), parts[k]["first"]))
    keys = [k for k in parts[0] if k not in ("n", "first")]
    joined = {key: np.concatenate([parts[k][key] for k in order]) for key in keys}
    joined["n"] = np.repeat(ns, reps)
    return joined


def summarise(design: Design, parts: list[dict], ns: list[int], reps: int, *, target: float,
              hypotheses: dict[str, str] | None = None, settings: dict | None = None) -> PowerResult:
    """Power, bias and coverage per effect and n from the batches' arrays.

    >>> from semtrust.power.population import Population
    >>> from semtrust.power.replicate import build_design, run_batch
    >>> design = build_design(Population.from_syntax("y ~ 0.3*x"), "y ~ x", seed=3)
    >>> result = summarise(design, [run_batch(design, 100, 0, 10)], [100], 10, target=0.8)
    >>> result.summary[["effect", "n", "power", "bias"]].round(3)
      effect    n  power   bias
    0  y ~ x  100    0.9 -0.007
    """
    data = _combine(parts, ns, reps)
    z = stats.norm.ppf(1 - design.alpha / 2)
    hypotheses = hypotheses or {}
    est, se = data["estimates"], data["se"]
    path_truth = design.path_truth
    # a non-zero effect is detected in its own direction; for a zero one any rejection counts
    # (its "power" is the type I error rate)
    path_sign = np.where(np.abs(path_truth) > ZERO, np.sign(path_truth), 0)
    detected_paths = (np.abs(est) > z * se) & ((path_sign == 0) | (np.sign(est) == path_sign))
    covered_paths = np.abs(est - path_truth) <= z * se
    eff, lower, upper = data["effects"], data["lower"], data["upper"]
    effect_truth = design.effect_truth
    detected_effects = ((lower > 0) & (effect_truth > -ZERO)) | ((upper < 0) & (effect_truth < ZERO))
    covered_effects = (lower <= effect_truth) & (effect_truth <= upper)
    kinds = ["path"] * len(design.path_labels) + [
        "total indirect" if e.kind == "total_indirect" else "indirect" for e in design.effects.effects] + [
        "defined"] * (len(design.effect_labels) - len(design.effects.effects))
    labels = design.path_labels + design.effect_labels
    truth = np.concatenate([path_truth, effect_truth])
    estimates = np.hstack([est, eff])
    detected = np.hstack([detected_paths, detected_effects])
    covered = np.hstack([covered_paths, covered_effects])
    n_rep = data["n"]
    fit_tests = {}   # none for a saturated model
    if design.df > 0:
        fit_tests = dict(zip(FIT_TESTS, (
            stats.chi2.sf(data["chisq"], design.df) < design.alpha,
            stats.ncx2.sf(data["chisq"], design.df, n_rep * design.df * CLOSE_FIT_RMSEA ** 2) < design.alpha)))
    rows, convergence = [], []
    for n in ns:
        here = (n_rep == n) & data["converged"]
        m = int(here.sum())
        convergence.append({"n": n, "replications": reps, "converged": m, "convergence_rate": m / reps,
                            "admissible_rate": float(data["admissible"][n_rep == n].mean())})
        for j, label in enumerate(labels):
            power = float(detected[here, j].mean()) if m else math.nan
            mean = float(estimates[here, j].mean()) if m else math.nan
            rows.append({"effect": label, "kind": kinds[j], "hypothesis": hypotheses.get(label), "n": n,
                         "true": float(truth[j]), "power": power,
                         "power_se": math.sqrt(power * (1 - power) / m) if m else math.nan,
                         "mean_estimate": mean, "bias": mean - truth[j],
                         "relative_bias": (mean - truth[j]) / truth[j] if truth[j] != 0 else math.nan,
                         "coverage": float(covered[here, j].mean()) if m else math.nan, "converged": m})
        for label, rejected in fit_tests.items():
            rate = float(rejected[here].mean()) if m else math.nan
            rows.append({"effect": label, "kind": "fit", "hypothesis": None, "n": n, "true": math.nan,
                         "power": rate, "power_se": math.sqrt(rate * (1 - rate) / m) if m else math.nan,
                         "mean_estimate": math.nan, "bias": math.nan, "relative_bias": math.nan,
                         "coverage": math.nan, "converged": m})
    order = {label: k for k, label in enumerate(labels + list(FIT_TESTS))}
    summary = pd.DataFrame(rows).sort_values(["effect", "n"], key=lambda c: c.map(order) if c.name == "effect" else c,
                                             kind="stable").reset_index(drop=True)
    return PowerResult(summary, pd.DataFrame(convergence), {**(settings or {}), "target": target},
                       design.population.to_dict(), design.analysis_syntax, data)
