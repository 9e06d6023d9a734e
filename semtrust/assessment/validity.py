"""Measurement stage, part 2: discriminant validity and the bootstrap CIs of CR, AVE and HTMT.

:func:`assess_measurement` is the stage's entry point: it gathers the reliability and item
statistics of :mod:`semtrust.measurement`, the latent correlations with their CIs and the
Rönkkö & Cho (2022) bands, the Fornell–Larcker table with MSV and ASV, HTMT and HTMT2
(Henseler, Ringle & Sarstedt 2015; Roemer, Schuberth & Henseler 2021), normality, and the
percentile bootstrap CIs of CR, AVE, HTMT and HTMT2 (Cheung et al. 2023; Franke & Sarstedt 2019).

>>> import pandas as pd
>>> r = pd.DataFrame([[1, .6, .3, .3], [.6, 1, .3, .3], [.3, .3, 1, .5], [.3, .3, .5, 1]],
...                  index=list("abcd"), columns=list("abcd"))
>>> round(float(htmt(r, {"F": ["a", "b"], "G": ["c", "d"]}).loc["F", "G"]), 4)
0.5477
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from semtrust.assessment.reliability import (
    THRESHOLDS,
    average_variance_extracted,
    composite_reliability,
    item_statistics,
    normality,
    reliability_table,
    standardized_solution,
    verdict,
)
from semtrust.assessment.ordinal_reliability import ordinal_alpha, ordinal_omega
from semtrust.estimation.ml import SEMResults
from semtrust.estimation.ordinal import OrdinalResults

__all__ = ["assess_measurement", "MeasurementQuality", "htmt", "fornell_larcker", "latent_correlations",
           "correlation_band", "bootstrap_intervals", "BootstrapIntervals"]

# Rönkkö & Cho (2022): the CI limit of a factor correlation farthest from 0
CORRELATION_BANDS = ((0.80, "no problem"), (0.90, "marginal"), (1.00, "moderate"))
HTMT_THRESHOLDS = {"distinct": 0.85, "similar": 0.90}  # Henseler, Ringle & Sarstedt (2015)


def correlation_band(lower: float, upper: float) -> str | None:
    """Rönkkö & Cho (2022) CICFA(sys) class of a factor correlation from its 95% CI: the limit
    farthest from zero < .80 no problem, < .90 marginal, < 1 moderate, otherwise severe.

    >>> correlation_band(0.42, 0.61), correlation_band(0.81, 0.88), correlation_band(0.85, 1.02)
    ('no problem', 'marginal', 'severe')
    """
    bound = max(abs(lower), abs(upper))
    if not np.isfinite(bound):
        return None
    return next((label for cut, label in CORRELATION_BANDS if bound < cut), "severe")


def latent_correlations(cfa: SEMResults, constructs: list[str]) -> pd.DataFrame:
    """Correlations of every pair of constructs in the CFA (standardizedSolution rows) with
    their band.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> latent_correlations(cfa, ["F1", "F2"]).round(3)
      lhs rhs    est     se      z  pvalue  ci_lower  ci_upper        band
    0  F1  F2  0.467  0.057  8.125     0.0     0.354      0.58  no problem
    """
    solution = standardized_solution(cfa, constructs)
    rows = solution[solution.op == "~~"].drop(columns="op").reset_index(drop=True)
    rows["band"] = [correlation_band(lo, hi) for lo, hi in zip(rows.ci_lower, rows.ci_upper)]
    return rows


def _indicator(names: list[str], groups: dict[str, list[str]]) -> np.ndarray:
    """items x constructs 0/1 matrix: which items measure which construct."""
    position = {v: i for i, v in enumerate(names)}
    indicator = np.zeros((len(names), len(groups)))
    for k, items in enumerate(groups.values()):
        indicator[[position[i] for i in items], k] = 1.0
    return indicator


def _htmt_matrix(abs_r: np.ndarray, indicator: np.ndarray, geometric: bool) -> np.ndarray:
    """constructs x constructs HTMT from absolute item correlations: the mean heterotrait
    correlation over the geometric mean of the two mean monotrait correlations (diagonal
    excluded); arithmetic or geometric (log-scale) means. Block sums are B'RB, so one resample
    costs two matrix products."""
    counts = indicator.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if geometric:
            values = np.log(abs_r)
            np.fill_diagonal(values, 0.0)   # log 1: the diagonal drops out of the sums
        else:
            values = abs_r - np.eye(len(abs_r))
        sums = indicator.T @ values @ indicator
        means = sums / np.outer(counts, counts)
        within = np.diag(sums) / (counts * (counts - 1))
        if geometric:
            means, within = np.exp(means), np.exp(within)
        ratio = means / np.sqrt(np.outer(within, within))
    np.fill_diagonal(ratio, np.nan)
    return ratio


def htmt(correlations: pd.DataFrame, groups: dict[str, list[str]], geometric: bool = False) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of every pair of constructs from the items' correlations,
    as semTools::htmt(absolute = TRUE): arithmetic means (HTMT; ``htmt2 = FALSE``) or
    geometric means (HTMT2; ``htmt2 = TRUE``) of the absolute correlations. Symmetric, with
    NaN on the diagonal.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> htmt(data.corr(), groups).round(3)
           F1     F2
    F1    NaN  0.468
    F2  0.468    NaN
    """
    indicator = _indicator(list(correlations.columns), groups)
    ratio = _htmt_matrix(np.abs(correlations.to_numpy()), indicator, geometric)
    return pd.DataFrame(ratio, index=list(groups), columns=list(groups))


def fornell_larcker(reliability: pd.DataFrame, correlations: pd.DataFrame) -> pd.DataFrame:
    """√AVE on the diagonal, the factor correlations off it (Fornell & Larcker 1981).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> quality = assess_measurement(data, groups, cfa)
    >>> fornell_larcker(quality.reliability, latent_correlations(cfa, ["F1", "F2"])).round(3)
           F1     F2
    F1  0.768  0.467
    F2  0.467  0.790
    """
    constructs = list(reliability.index)
    table = pd.DataFrame(np.nan, index=constructs, columns=constructs)
    for row in correlations.itertuples():
        if row.lhs in table.index and row.rhs in table.index:
            table.loc[row.lhs, row.rhs] = table.loc[row.rhs, row.lhs] = row.est
    for c in constructs:
        table.loc[c, c] = math.sqrt(reliability.loc[c, "ave"])
    return table


@dataclass
class BootstrapIntervals:
    """Percentile 95% CIs of CR and AVE ({construct: (lo, hi)}) and of HTMT / HTMT2
    ({(a, b): (lo, hi)}), with how they were drawn.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> intervals = bootstrap_intervals(cfa, groups, draws=50, seed=1, workers=1)
    >>> intervals.info["draws"], intervals.info["failed"], [round(x, 3) for x in intervals.cr["F1"]]
    (50, 0, [0.774, 0.844])
    """

    cr: dict
    ave: dict
    htmt: dict
    htmt2: dict
    info: dict


def bootstrap_intervals(cfa: SEMResults, groups: dict[str, list[str]], draws: int, seed: int, *,
                        workers: int | None = None, level: float = 0.95,
                        progress=lambda done, total: None, pending=None) -> BootstrapIntervals:
    """Resample the rows (resample ``b`` seeded with ``(seed, b)``, as the effects bootstrap),
    refit the CFA warm from the full-sample estimates for CR and AVE, and recompute HTMT and
    HTMT2 from each resample's correlations; percentile CIs. ``pending``: the CFA's bootstrap
    (``draws``, ``seed``) already submitted to a
    :class:`~semtrust.estimation.bootstrap.ResamplingPool`, collected after the HTMT draws
    (which need no refit). An ordinal fit's HTMT draws are of each resample's polychorics.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> intervals = bootstrap_intervals(cfa, groups, draws=50, seed=1, workers=1)
    >>> {pair: [round(x, 3) for x in ci] for pair, ci in intervals.htmt.items()}
    {('F1', 'F2'): [0.357, 0.581]}
    """
    from semtrust.estimation import bootstrap as resampling

    compiled = cfa.compiled
    indicator = _indicator(compiled.observed, groups)
    ordinal = isinstance(cfa, OrdinalResults)
    n = len(cfa.frame if ordinal else cfa.data)
    htmt_draws, htmt2_draws = [], []
    resampler = cfa.resampler() if ordinal else None
    for b in range(draws):
        rows = resampling.resample_rows(seed, b, n)
        if ordinal:
            abs_r = np.abs(resampler.correlation(rows))
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                abs_r = np.abs(np.corrcoef(cfa.data[rows].T))
        htmt_draws.append(_htmt_matrix(abs_r, indicator, geometric=False))
        htmt2_draws.append(_htmt_matrix(abs_r, indicator, geometric=True))
    if pending is not None:
        sample = pending.result(progress)
    else:
        sample = resampling.bootstrap(cfa, draws, seed, workers=workers, progress=progress)
    names = compiled.names
    loading_index = {c: (names.index(c), np.array([names.index(i) for i in items])) for c, items in groups.items()}
    cr_draws = {c: [] for c in groups}
    ave_draws = {c: [] for c in groups}
    for theta, sd in zip(sample.theta, sample.sd):
        A, _ = compiled.matrices(theta)
        for c, (f, idx) in loading_index.items():
            std_loadings = A[idx, f] * sd[f] / sd[idx]
            cr_draws[c].append(composite_reliability(std_loadings))
            ave_draws[c].append(average_variance_extracted(std_loadings))

    def ci(values):
        return resampling.interval(np.asarray(values, dtype=float), math.nan, "percentile", level)

    constructs = list(groups)
    pairs = [(a, b) for k, a in enumerate(constructs) for b in constructs[k + 1:]]
    position = {c: k for k, c in enumerate(constructs)}
    htmt_draws, htmt2_draws = np.array(htmt_draws), np.array(htmt2_draws)
    return BootstrapIntervals(
        cr={c: ci(v) for c, v in cr_draws.items()}, ave={c: ci(v) for c, v in ave_draws.items()},
        htmt={(a, b): ci(htmt_draws[:, position[a], position[b]]) for a, b in pairs},
        htmt2={(a, b): ci(htmt2_draws[:, position[a], position[b]]) for a, b in pairs},
        info={"method": "bootstrap", "draws": draws, "successful": len(sample.theta), "failed": sample.failed,
              "seed": seed, "ci": "percentile", "level": level})


@dataclass
class MeasurementQuality:
    """Everything the reports say about the measurement model, as plain tables.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> quality = assess_measurement(data, groups, cfa)
    >>> quality.reliability[["alpha", "cr", "ave"]].astype(float).round(3)  # doctest: +NORMALIZE_WHITESPACE
               alpha     cr    ave
    construct
    F1         0.808  0.810  0.589
    F2         0.833  0.833  0.625
    """

    reliability: pd.DataFrame                 # per construct (index)
    items: pd.DataFrame                       # per item
    latent_correlations: pd.DataFrame
    fornell_larcker: pd.DataFrame | None
    htmt: pd.DataFrame | None
    htmt2: pd.DataFrame | None
    intervals: BootstrapIntervals | None
    normality: dict | None

    def to_dict(self) -> dict:
        """The results.json keys of the measurement stage (README.md documents them); numpy
        scalars and NaN are left for the pipeline's JSON cleaning."""
        def rows(frame):
            return frame.to_dict(orient="records")

        def matrix(frame, diagonal=True):
            if frame is None:
                return None
            return {a: {b: frame.loc[a, b] for b in frame.columns if diagonal or a != b} for a in frame.index}

        def pair_intervals(cis):
            if cis is None:
                return None
            out: dict = {}
            for (a, b), bounds in cis.items():
                out.setdefault(a, {})[b] = list(bounds)
                out.setdefault(b, {})[a] = list(bounds)
            return out

        return {
            "reliability": {c: self._construct_entry(row) for c, row in self.reliability.iterrows()},
            "item_statistics": rows(self.items),
            "latent_correlations": rows(self.latent_correlations),
            "fornell_larcker": matrix(self.fornell_larcker),
            "htmt": matrix(self.htmt, diagonal=False),
            "htmt_ci": pair_intervals(self.intervals and self.intervals.htmt),
            "htmt2": matrix(self.htmt2, diagonal=False),
            "htmt2_ci": pair_intervals(self.intervals and self.intervals.htmt2),
            "normality": self.normality,
            "measurement_bootstrap": self.intervals.info if self.intervals else None,
        }

    def _construct_entry(self, row: pd.Series) -> dict:
        entry = {"n_items": int(row.n_items)}
        present = lambda key: key in row and not pd.isna(row[key])  # noqa: E731
        if present("alpha"):
            entry.update(alpha=row.alpha, alpha_ci=[row.alpha_ci_lower, row.alpha_ci_upper])
        for key in ("mean", "sd", "omega", "cr", "ave", "min_loading", "msv", "asv"):
            if present(key):
                entry[key] = row[key]
                if key in ("cr", "ave") and self.intervals is not None:
                    entry[f"{key}_ci"] = list(getattr(self.intervals, key)[row.name])
        entry["verdicts"] = {k[len("verdict_"):]: row[k] for k in row.index
                             if k.startswith("verdict_") and isinstance(row[k], str)}
        return entry


def _verdicts(table: pd.DataFrame, fl: pd.DataFrame | None) -> pd.DataFrame:
    """Each criterion next to its number: 'ok', 'low' or 'high' (README: thresholds)."""
    t = THRESHOLDS
    get = lambda row, key: row[key] if key in row and not pd.isna(row[key]) else math.nan  # noqa: E731
    for c, row in table.iterrows():
        ave = get(row, "ave")
        checks = {"alpha": verdict(get(row, "alpha"), t["alpha"], t["upper"]),
                  "omega": verdict(get(row, "omega"), t["omega"], t["upper"]),
                  "cr": verdict(get(row, "cr"), t["cr"], t["upper"]),
                  "ave": verdict(ave, t["ave"]),
                  "loadings": verdict(get(row, "min_loading"), t["loading"]),
                  # MSV and ASV must stay below the construct's own AVE (Hair et al. 2010)
                  "msv": None if math.isnan(get(row, "msv")) else ("ok" if row.msv < ave else "high"),
                  "asv": None if math.isnan(get(row, "asv")) else ("ok" if row.asv < ave else "high")}
        if fl is not None and len(fl) > 1:
            others = fl.loc[c].drop(c).abs().max()
            checks["fornell_larcker"] = "ok" if fl.loc[c, c] > others else "fail"
        for key, value in checks.items():
            table.loc[c, f"verdict_{key}"] = value
    return table


def _ordinal_reliability(table: pd.DataFrame, fit: OrdinalResults, groups: dict[str, list[str]]) -> pd.DataFrame:
    """Reliability of ordinal items: ordinal alpha (of the polychoric matrix; no Feldt CI) and
    omega for categorical indicators, in place of the continuous ones."""
    omega = ordinal_omega(fit)
    for construct, items in groups.items():
        if len(items) >= 2:
            table.loc[construct, ["alpha", "alpha_ci_lower", "alpha_ci_upper"]] = (
                ordinal_alpha(fit.statistics.correlation, items), math.nan, math.nan)
        table.loc[construct, "omega"] = omega.get(construct, math.nan)
    return table


def assess_measurement(data: pd.DataFrame | None, groups: dict[str, list[str]], cfa: SEMResults | None, *,
                       draws: int = 0, seed: int = 0, workers: int | None = None,
                       progress=lambda message: None, progress_bar=lambda done, total: None) -> MeasurementQuality:
    """The measurement battery: reliability and convergent validity, discriminant validity,
    normality, and (``draws`` > 0, raw data) bootstrap CIs of CR, AVE, HTMT and HTMT2.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> quality = assess_measurement(data, groups, cfa, draws=50, seed=1, workers=1)
    >>> [round(x, 3) for x in quality.to_dict()["reliability"]["F1"]["cr_ci"]]
    [0.774, 0.844]
    """
    table = reliability_table(data, groups, cfa).astype(object)
    ordinal = isinstance(cfa, OrdinalResults)
    if ordinal:
        table = _ordinal_reliability(table, cfa, groups)
    items = item_statistics(data, groups, cfa)
    correlations = latent_correlations(cfa, list(groups)) if cfa is not None else pd.DataFrame()
    fl = ratio = ratio2 = intervals = None
    if cfa is not None:
        for c in table.index:
            r2 = [row.est ** 2 for row in correlations.itertuples() if c in (row.lhs, row.rhs)]
            table.loc[c, "msv"] = max(r2) if r2 else math.nan
            table.loc[c, "asv"] = float(np.mean(r2)) if r2 else math.nan
        fl = fornell_larcker(table, correlations)
        if ordinal:   # HTMT of the latent responses: the polychoric matrix
            r = cfa.statistics.correlation
        else:
            sd = np.sqrt(np.diag(cfa.sample_cov))
            r = pd.DataFrame(cfa.sample_cov / np.outer(sd, sd), index=cfa.compiled.observed,
                             columns=cfa.compiled.observed)
        ratio, ratio2 = htmt(r, groups), htmt(r, groups, geometric=True)
        if draws > 0 and cfa.data is not None:
            progress(f"bootstrapping CR, AVE and HTMT ({draws} resamples)")
            intervals = bootstrap_intervals(cfa, groups, draws, seed, workers=workers, progress=progress_bar)
    table = _verdicts(table, fl)
    observed = [i for items_ in groups.values() for i in items_]
    checks = normality(data, list(dict.fromkeys(observed))) if data is not None and observed else None
    if checks and ordinal:   # WLSMV assumes normal latent responses, not normal answers
        checks["recommendation"] = None
    return MeasurementQuality(reliability=table, items=items, latent_correlations=correlations, fornell_larcker=fl,
                              htmt=ratio, htmt2=ratio2, intervals=intervals, normality=checks)
