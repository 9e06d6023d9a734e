"""Structural stage, moderation hypotheses: an instrument's moderators tested as latent
interactions or on scale scores.

``semtrust fit --moderator INV`` runs every moderation hypothesis of the instrument whose
moderator is INV (:class:`~semtrust.model.instrument.ModerationHypothesis`) in one of two ways
(``--moderation``):

- ``latent`` (the default, what lavaan users write with semTools): a latent interaction with
  double-mean-centred product indicators (:mod:`semtrust.structural.latent_interaction`) on the
  coded items, ``Y ~ X + W + X:W`` for a moderated path, ``M ~ X + W + X:W, Y ~ M + X`` for a
  moderated first stage and ``M ~ X, Y ~ M + W + M:W + X`` for a moderated second stage, with the
  index of moderated mediation's delta-method CI;
- ``scores``: a PROCESS model (:func:`semtrust.structural.moderation.process`) on scale scores,
  the mean of each construct's items after reverse-keying: model 1 for a moderated path, model 7
  for a moderated first stage and model 14 for a moderated second stage, with bootstrap CIs.

The verdict: *supported* when the interaction coefficient has the hypothesised sign with p < .05
and, for a moderated stage, the CI of the index of moderated mediation excludes zero.

>>> import numpy as np, pandas as pd
>>> from semtrust.model.instrument import load_instrument
>>> rng = np.random.default_rng(5)
>>> value, involvement = rng.normal(size=300), rng.normal(size=300)
>>> intention = 0.4 * value + 0.3 * value * involvement + rng.normal(size=300)
>>> scores = pd.DataFrame({"PV": value, "INV": involvement, "PI": intention})
>>> [test] = run_moderation_hypotheses(load_instrument("trust_mechanism"), scores, ["INV"], bootstrap=0, seed=1)
>>> test.verdict
'supported'
>>> print(test.line())
MH1: PV -> PI, path x INV (expected +): interaction b = 0.380, p < .001, ΔR² = .085 (PROCESS model 1); supported
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from semtrust.errors import InputError
from semtrust.model.instrument import Instrument, ModerationHypothesis
from semtrust.report.format import apa
from semtrust.structural.latent_interaction import LatentInteraction, latent_interaction
from semtrust.structural.moderation import ProcessResult, process, term_name

__all__ = ["run_moderation_hypotheses", "ModerationTest", "selected_hypotheses", "scale_scores"]

ALPHA = 0.05


class HypothesisVerdict:
    """The verdict rule both ways of testing a moderation hypothesis share: *supported* when the
    interaction has the hypothesised sign with p < .05 and, for a moderated stage, the CI of the
    index of moderated mediation excludes zero. Subclasses give :meth:`interaction_test`
    (b, SE, t or z, p, CI) and :meth:`index_test` (estimate and CI, or None)."""

    hypothesis: ModerationHypothesis
    method = ""

    def interaction_test(self) -> dict:
        raise NotImplementedError

    def index_test(self) -> dict | None:
        raise NotImplementedError

    @property
    def verdict(self) -> str:
        row = self.interaction_test()
        signed = row["b"] > 0 if self.hypothesis.sign == "+" else row["b"] < 0
        if not (signed and row["p"] < ALPHA):
            return "not supported"
        index = self.index_test()
        if self.hypothesis.through and (index is None or index["llci"] is None):
            return "supported (interaction only: no bootstrap, so the index of moderated mediation is untested)"
        if index is not None and index["llci"] <= 0 <= index["ulci"]:
            return "not supported"
        return "supported"

    def entry(self, analysis: dict) -> dict:
        """An entry of results.json's ``moderation`` list."""
        h = self.hypothesis
        return {"id": h.id, "from": h.source, "through": h.through, "to": h.target, "moderator": h.moderator,
                "stage": h.stage, "expected_sign": h.sign, "process_model": h.process_model, "method": self.method,
                "interaction": self.interaction_test(), "index": self.index_test(), "verdict": self.verdict,
                "line": self.line(), "analysis": analysis}

    def line(self) -> str:
        raise NotImplementedError


@dataclass
class ModerationTest(HypothesisVerdict):
    """One moderation hypothesis, its PROCESS analysis on scale scores and the verdict.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.instrument import load_instrument
    >>> rng = np.random.default_rng(1)
    >>> scores = pd.DataFrame(rng.normal(size=(200, 3)), columns=["PV", "PI", "INV"])
    >>> scores["PI"] += 0.4 * scores.PV + 0.3 * scores.PV * scores.INV
    >>> test = run_moderation_hypotheses(load_instrument("trust_mechanism"), scores, ["INV"], bootstrap=0, seed=1)[0]
    >>> test.hypothesis.id, test.verdict
    ('MH1', 'supported')
    """

    hypothesis: ModerationHypothesis
    result: ProcessResult
    method = "scores"

    @property
    def interaction(self) -> pd.Series:
        """The coefficient row of the moderated path's product term."""
        predictor, outcome = self.hypothesis.moderated_path
        table = self.result.coefficients
        return table[(table.outcome == outcome)
                     & (table.term == term_name((predictor, self.hypothesis.moderator)))].iloc[0]

    def interaction_test(self) -> dict:
        return {k: float(self.interaction[k]) for k in ("b", "se", "t", "p", "llci", "ulci")}

    @property
    def index(self) -> pd.Series | None:
        """The index of moderated mediation (moderated stages only)."""
        table = self.result.index_of_moderated_mediation
        return table.iloc[0] if self.hypothesis.through and len(table) else None

    def index_test(self) -> dict | None:
        index = self.index
        if index is None:
            return None
        bounds = (None, None) if pd.isna(index.boot_llci) else (float(index.boot_llci), float(index.boot_ulci))
        return {"est": float(index.effect), "se": None if pd.isna(index.boot_se) else float(index.boot_se),
                "llci": bounds[0], "ulci": bounds[1], "ci": "percentile bootstrap"}

    def line(self) -> str:
        """The verdict line (console summary and reports)."""
        h, row = self.hypothesis, self.interaction
        p = apa(row.p, 3, True)
        changes = self.result.interactions
        change = changes[changes.term == row.term]
        text = (f"{h.id}: {h.describe()} (expected {h.sign}): interaction b = {row.b:.3f}, "
                f"p {'< .001' if row.p < 0.001 else '= ' + p}")
        if len(change):
            text += f", ΔR² = {apa(change.r2_change.iloc[0], 3, True)}"
        index = self.index
        if index is not None and not pd.isna(index.boot_llci):
            text += (f"; index of moderated mediation = {index.effect:.3f} "
                     f"[{index.boot_llci:.3f}, {index.boot_ulci:.3f}]")
        return f"{text} (PROCESS model {h.process_model}); {self.verdict}"

    def to_dict(self) -> dict:
        """An entry of results.json's ``moderation`` list."""
        return self.entry(self.result.to_dict())


@dataclass
class LatentModerationTest(HypothesisVerdict):
    """One moderation hypothesis as a latent interaction (double-mean-centred product indicators,
    :func:`~semtrust.structural.latent_interaction.latent_interaction`) and the verdict; the
    index of moderated mediation with its delta-method (Wald) CI, as lavaan's ``:=``."""

    hypothesis: ModerationHypothesis
    result: LatentInteraction
    method = "latent"

    def interaction_test(self) -> dict:
        predictor, outcome = self.hypothesis.moderated_path
        paths = self.result.paths
        row = paths[(paths.lhs == outcome) & (paths.rhs == f"{predictor}:{self.hypothesis.moderator}")].iloc[0]
        return {"b": float(row.est), "se": float(row.se), "z": float(row.z), "p": float(row.pvalue),
                "llci": float(row.ci_lower), "ulci": float(row.ci_upper)}

    def index_test(self) -> dict | None:
        index = self.result.index_of_moderated_mediation
        if index is None:
            return None
        return {"est": index["est"], "se": index["se"], "llci": index["ci_lower"], "ulci": index["ci_upper"],
                "ci": "delta method"}

    def line(self) -> str:
        h, row = self.hypothesis, self.interaction_test()
        p = "< .001" if row["p"] < 0.001 else "= " + apa(row["p"], 3, True)
        text = f"{h.id}: {h.describe()} (expected {h.sign}): latent interaction b = {row['b']:.3f}, z = {row['z']:.2f}, p {p}"
        index = self.index_test()
        if index is not None:
            text += f"; index of moderated mediation = {index['est']:.3f} [{index['llci']:.3f}, {index['ulci']:.3f}]"
        pairs = "matched pairs" if self.result.matched else "all pairs"
        return f"{text} (latent, double-mean-centred product indicators, {pairs}); {self.verdict}"

    def to_dict(self) -> dict:
        return self.entry(self.result.to_dict())


def selected_hypotheses(instrument: Instrument, moderators: list[str]) -> list[ModerationHypothesis]:
    """The moderation hypotheses of ``moderators`` (ids), or one line naming what is wrong.

    >>> from semtrust.model.instrument import load_instrument
    >>> [h.id for h in selected_hypotheses(load_instrument("trust_mechanism"), ["INV"])]
    ['MH1']
    """
    declared = [c.id for c in instrument.moderators]
    unknown = [m for m in moderators if m not in declared]
    if unknown:
        raise InputError(f"--moderator {', '.join(unknown)}: the instrument {instrument.id} declares "
                         + (f"the moderators {', '.join(declared)}" if declared else "no moderators")
                         + "; name one of them (see semtrust instrument show)")
    chosen = [h for h in instrument.moderation_hypotheses if h.moderator in moderators]
    idle = [m for m in moderators if not any(h.moderator == m for h in chosen)]
    if idle:
        raise InputError(f"--moderator {', '.join(idle)}: the instrument {instrument.id} has no moderation "
                         "hypothesis for it; add one under moderation_hypotheses")
    return chosen


def run_moderation_hypotheses(instrument: Instrument, scores: pd.DataFrame, moderators: list[str], *,
                    bootstrap: int, seed: int) -> list[ModerationTest]:
    """Run the moderation hypotheses of ``moderators`` on ``scores`` (one column per construct).

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.instrument import load_instrument
    >>> rng = np.random.default_rng(1)
    >>> scores = pd.DataFrame(rng.normal(size=(200, 3)), columns=["PV", "PI", "INV"])
    >>> scores["PI"] += 0.4 * scores.PV + 0.3 * scores.PV * scores.INV
    >>> tests = run_moderation_hypotheses(load_instrument("trust_mechanism"), scores, ["INV"], bootstrap=0, seed=1)
    >>> [(t.hypothesis.id, t.verdict) for t in tests]
    [('MH1', 'supported')]
    """
    tests = []
    for h in selected_hypotheses(instrument, moderators):
        result = process(scores, h.process_model, x=h.source, y=h.target, m=h.through, w=h.moderator,
                         bootstrap=bootstrap if h.through else 0, seed=seed)
        tests.append(ModerationTest(h, result))
    return tests


def run_latent_moderation_hypotheses(instrument: Instrument, items: pd.DataFrame,
                                     moderators: list[str]) -> list[LatentModerationTest]:
    """Run the moderation hypotheses of ``moderators`` as latent interactions on the coded item
    responses ``items``: the product factor's indicators are matched pairs when the two factors
    have as many items, else all pairs (with the residual covariances of products sharing an item)."""
    tests = []
    factors = {c.id: (c.id, [i.id for i in c.items]) for c in instrument.constructs + instrument.moderators}
    for h in selected_hypotheses(instrument, moderators):
        w = factors[h.moderator]
        focal = factors[h.moderated_path[0]]      # X, or M for a moderated second stage
        result = latent_interaction(items, factors[h.source], w, factors[h.target],
                                    m=factors[h.through] if h.through else None,
                                    stage=h.stage if h.through else "first", match=len(focal[1]) == len(w[1]))
        tests.append(LatentModerationTest(h, result))
    return tests


def scale_scores(items: pd.DataFrame, groups: dict[str, list[str]]) -> pd.DataFrame:
    """The mean of each construct's items (``groups``: construct -> item columns); a respondent
    missing any of a construct's items has no score for it.

    >>> scale_scores(pd.DataFrame({"A1": [1, 2], "A2": [3, None]}), {"A": ["A1", "A2"]})
         A
    0  2.0
    1  NaN
    """
    return pd.DataFrame({cid: items[cols].mean(axis=1, skipna=False) for cid, cols in groups.items()})
