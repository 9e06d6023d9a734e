"""The ``pls`` block of results.json: every PLS table as a list of row records.

Stage: reporting hand-off. Rows follow the project's conventions (``lhs op rhs est ...`` for
parameters; NaN written as null); matrices (HTMT, Fornell–Larcker, cross-loadings) are written
long, one record per cell that has a value. Optional parts are included when they were computed.

>>> import numpy as np, pandas as pd
>>> from semtrust.estimation.pls import estimate_pls
>>> noise = np.random.default_rng(7).normal(size=(4, 150))
>>> survey = pd.DataFrame({"a1": noise[0] + noise[3], "a2": noise[1] + noise[3], "b1": noise[2] + noise[3]})
>>> block = pls_block(estimate_pls(survey, "A =~ a1 + a2\\nB =~ b1\\nB ~ A"))
>>> sorted(block)[:6], block["parameters"][-1]["op"]
(['cross_loadings', 'effects', 'f2', 'fit_measures', 'fornell_larcker', 'htmt'], '~')
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from semtrust.errors import InputError
from semtrust.estimation.pls.blindfolding import blindfolding
from semtrust.estimation.pls.estimate import PLSResults, estimate_pls, redundancy_analysis
from semtrust.estimation.pls.groups import GroupComparison, compare_groups
from semtrust.estimation.pls.ipma import ipma as importance_performance
from semtrust.estimation.pls.model import parse_pls_model
from semtrust.estimation.pls.predict import cvpat as cross_validated_test
from semtrust.estimation.pls.predict import pls_predict
from semtrust.estimation.pls.selection import compare_models

__all__ = ["PLSAnalysis", "pls_block"]


def records(frame: pd.DataFrame) -> list[dict]:
    """Row records with plain Python numbers and null for NaN."""
    return json.loads(frame.to_json(orient="records", double_precision=15))


def _long(matrix: pd.DataFrame, row: str, column: str, value: str) -> list[dict]:
    stacked = matrix.rename_axis(index=row, columns=column).stack().rename(value).reset_index()
    return records(stacked)


def pls_block(results: PLSResults, *, prediction: pd.DataFrame | None = None, cvpat: pd.DataFrame | None = None,
              comparison: GroupComparison | None = None, ipma: pd.DataFrame | None = None,
              q2: pd.DataFrame | None = None, model_selection: pd.DataFrame | None = None,
              redundancy: pd.DataFrame | None = None) -> dict:
    """results.json's ``pls`` part for a fitted model and whichever extra analyses were run.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> from semtrust.estimation.pls.estimate import estimate_pls
    >>> res = estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> block = pls_block(res)
    >>> sorted(block)[:5]
    ['cross_loadings', 'effects', 'f2', 'fit_measures', 'fornell_larcker']
    """
    block = {
        "settings": {"weighting": results.weighting, "consistent": results.consistent,
                     "higher_order": list(results.model.higher_order), "modes": dict(results.model.modes), "ci": results.ci, "level": results.level,
                     "seed": None if results.draws is None else results.draws.seed},
        "fit_measures": json.loads(results.fit_measures.to_json(double_precision=15)),
        "parameters": records(results.parameters),
        "r2": records(results.r_squared_table.reset_index()),
        "reliability": records(results.reliability.rename_axis("construct").reset_index()),
        "htmt": _long(results.htmt, "construct_1", "construct_2", "htmt"),
        "htmt2": _long(results.htmt2, "construct_1", "construct_2", "htmt2"),
        "fornell_larcker": _long(results.fornell_larcker, "construct_1", "construct_2", "value"),
        "cross_loadings": _long(results.cross_loadings, "item", "construct", "loading"),
        "vif": {"outer": records(results.outer_vif), "inner": records(results.inner_vif)},
        "f2": records(results.f_squared),
        "effects": records(results.effects),
        "information_criteria": records(results.information_criteria),
    }
    if results.draws is not None:
        block["statistics"] = records(results.statistics)
        block["htmt_inference"] = records(results.htmt_inference)
        block["mediation"] = records(results.mediation)
    extras = {"plspredict": prediction, "cvpat": cvpat, "ipma": ipma, "q2": q2, "model_selection": model_selection,
              "redundancy": redundancy}
    block.update({name: records(frame) for name, frame in extras.items() if frame is not None})
    if comparison is not None:
        block["micom"] = records(comparison.micom)
        block["mga"] = records(comparison.mga)
        block["groups"] = {"labels": [str(g) for g in comparison.groups], "sizes": list(comparison.sizes)}
    return block


@dataclass
class PLSAnalysis:
    """A PLS run's analyses (what ``semtrust fit --method pls`` computes): the fitted model and,
    once run, PLSpredict and CVPAT, IPMA of the final outcomes and MICOM + MGA across groups.
    ``block()`` is results.json's ``pls`` part. The steps return notes (one line each) for
    analyses a model does not admit, e.g. PLSpredict of a two-stage higher-order model.

    >>> import numpy as np
    >>> noise = np.random.default_rng(3).normal(size=(5, 120))
    >>> survey = pd.DataFrame({"a1": noise[0] + noise[4], "a2": noise[1] + noise[4],
    ...                        "b1": noise[2] + noise[4], "b2": noise[3] + noise[4]})
    >>> analysis = PLSAnalysis(estimate_pls(survey, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A"))
    >>> analysis.predict(seed=1), analysis.importance()
    ([], [])
    >>> sorted(set(analysis.block()) & {"plspredict", "cvpat", "ipma"})
    ['cvpat', 'ipma', 'plspredict']
    """

    results: PLSResults
    scale: tuple[int, int] | None = None      # the answer scale's ends, for IPMA's 0–100 performance
    prediction: pd.DataFrame | None = None
    cvpat: pd.DataFrame | None = None
    ipma: pd.DataFrame | None = None
    comparison: GroupComparison | None = None
    q2: pd.DataFrame | None = None
    model_selection: pd.DataFrame | None = None
    redundancy: pd.DataFrame | None = None

    def check_redundancy(self, data: pd.DataFrame, global_items: dict[str, str], *, bootstrap: int, seed: int,
                         workers: int | None = None) -> None:
        """Redundancy analysis of each formative construct against its global item (a column of
        ``data``, whose index is the model's cases), with the run's bootstrap."""
        self.redundancy = redundancy_analysis(data.loc[self.results.items.index], self.results, global_items,
                                              bootstrap=bootstrap, seed=seed, workers=workers)

    def predict(self, *, seed: int, folds: int = 10, repetitions: int = 10) -> list[str]:
        """PLSpredict (``folds`` × ``repetitions``) and CVPAT against the LM and indicator-average benchmarks."""
        try:
            self.prediction = pls_predict(self.results, folds=folds, repetitions=repetitions, seed=seed)
            self.cvpat = cross_validated_test(self.results, folds=folds, seed=seed)
        except InputError as error:
            return [f"PLSpredict and CVPAT skipped: {error}"]
        return []

    def blindfold(self, omission_distance: int = 7) -> list[str]:
        """Q² by blindfolding (cross-validated redundancy and communality) of the endogenous constructs;
        when D divides the number of cases the next distance that does not is used (Hair et al. 2017)."""
        n, notes = self.results.n, []
        distance = next(d for d in range(omission_distance, n) if n % d) if n > omission_distance else omission_distance
        if distance != omission_distance:
            notes.append(f"Q² (blindfolding) uses the omission distance D = {distance}: n = {n} is a multiple of "
                         f"{omission_distance}, which would omit whole cases")
        try:
            self.q2 = blindfolding(self.results, distance)
        except InputError as error:
            return [f"Q² (blindfolding) skipped: {error}"]
        return notes

    def select(self, competing: dict[str, str], targets: list[str] | None = None) -> list[str]:
        """BIC and GM of each target in this model ("estimated") and each competing model (name →
        syntax); by default every construct that is endogenous in all of them."""
        if self.results.first_stage is not None:
            return ["model selection skipped: not available for two-stage higher-order models; "
                    "use --higher-order repeated"]
        models = {"estimated": self.results.model, **competing}
        try:
            if targets is None:
                endogenous = [set(parse_pls_model(m, name).endogenous) for name, m in competing.items()]
                targets = [c for c in self.results.model.endogenous if all(c in e for e in endogenous)]
            if not targets:
                raise InputError("the competing models share no endogenous construct with the fitted model")
            self.model_selection = pd.concat(
                [compare_models(self.results.items, models, target=target, weighting=self.results.weighting,
                                consistent=self.results.consistent) for target in targets], ignore_index=True)
        except InputError as error:
            return [f"model selection skipped: {error}"]
        return []

    def _final_outcomes(self) -> list[str]:
        """Endogenous constructs that predict no other construct."""
        model = self.results.model
        sources = {source for source, _ in model.paths}
        return [target for target in model.endogenous if target not in sources]

    def importance(self) -> list[str]:
        """IPMA of every final outcome (an endogenous construct that predicts none)."""
        scale = self.scale if self.results.first_stage is None else None   # stage-2 scores have no answer scale
        tables = [importance_performance(self.results, target, scale=scale).assign(target=target)
                  for target in self._final_outcomes()]
        self.ipma = pd.concat(tables, ignore_index=True)[["target", "construct", "importance", "performance",
                                                          "negative_weight"]]
        return []

    def compare(self, labels: pd.Series, *, draws: int, seed: int, workers: int | None = None) -> list[str]:
        """MICOM (``draws`` permutations) and PLS-MGA (``draws`` bootstrap resamples per group) for
        every pair of groups in ``labels`` (the group of each case, by the data's index)."""
        if self.results.first_stage is not None:
            return ["MICOM and MGA skipped: they are not available for two-stage higher-order models; "
                    "use --higher-order repeated"]
        labels = labels.reindex(self.results.items.index).dropna()
        levels = sorted(pd.unique(labels), key=lambda g: (-int((labels == g).sum()), g))
        if len(levels) < 2:
            return [f"MICOM and MGA skipped: '{labels.name}' has {len(levels)} group"]
        micom, mga = [], []
        for first, second in combinations(levels, 2):
            rows = labels.index[labels.isin([first, second])]
            subset = estimate_pls(self.results.items.loc[rows], self.results.model, weighting=self.results.weighting,
                                  consistent=self.results.consistent, missing="listwise")
            pair = compare_groups(subset, labels.loc[rows], bootstrap=draws, permutations=draws, seed=seed,
                                  workers=workers, level=self.results.level)
            named = {"group_a": str(pair.groups[0]), "group_b": str(pair.groups[1])}
            micom.append(pair.micom.assign(**named))
            mga.append(pair.mga.assign(**named))
        front = ["group_a", "group_b"]
        micom_table, mga_table = (pd.concat(t, ignore_index=True) for t in (micom, mga))
        self.comparison = GroupComparison(
            tuple(levels), tuple(int((labels == g).sum()) for g in levels),
            micom_table[front + [c for c in micom_table.columns if c not in front]],
            mga_table[front + [c for c in mga_table.columns if c not in front]])
        return []

    def block(self) -> dict:
        """results.json's ``pls`` part."""
        return pls_block(self.results, prediction=self.prediction, cvpat=self.cvpat, comparison=self.comparison,
                         ipma=self.ipma, q2=self.q2, model_selection=self.model_selection, redundancy=self.redundancy)
