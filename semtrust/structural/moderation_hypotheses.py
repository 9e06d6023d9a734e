"""Structural stage, moderation hypotheses: an instrument's moderators tested on scale scores.

``semtrust fit --moderator INV`` runs every moderation hypothesis of the instrument whose
moderator is INV (:class:`~semtrust.model.instrument.ModerationHypothesis`) as a PROCESS model
(:func:`semtrust.structural.moderation.process`) on scale scores, the mean of each construct's
items after reverse-keying: model 1 for a moderated path, model 7 for a moderated first stage
and model 14 for a moderated second stage of an indirect effect. The verdict: *supported* when
the interaction coefficient has the hypothesised sign with p < .05 and, for a moderated stage,
the bootstrap CI of the index of moderated mediation excludes zero.

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
from semtrust.structural.moderation import ProcessResult, process, term_name

__all__ = ["run_moderation_hypotheses", "ModerationTest", "selected_hypotheses", "scale_scores"]

ALPHA = 0.05


@dataclass
class ModerationTest:
    """One moderation hypothesis, its PROCESS analysis and the verdict.

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

    @property
    def interaction(self) -> pd.Series:
        """The coefficient row of the moderated path's product term."""
        predictor, outcome = self.hypothesis.moderated_path
        table = self.result.coefficients
        return table[(table.outcome == outcome)
                     & (table.term == term_name((predictor, self.hypothesis.moderator)))].iloc[0]

    @property
    def index(self) -> pd.Series | None:
        """The index of moderated mediation (moderated stages only)."""
        table = self.result.index_of_moderated_mediation
        return table.iloc[0] if self.hypothesis.through and len(table) else None

    @property
    def verdict(self) -> str:
        row = self.interaction
        signed = row.b > 0 if self.hypothesis.sign == "+" else row.b < 0
        if not (signed and row.p < ALPHA):
            return "not supported"
        index = self.index
        if self.hypothesis.through and (index is None or pd.isna(index.boot_llci)):
            return "supported (interaction only: no bootstrap, so the index of moderated mediation is untested)"
        if index is not None and index.boot_llci <= 0 <= index.boot_ulci:
            return "not supported"
        return "supported"

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
        h = self.hypothesis
        return {"id": h.id, "from": h.source, "through": h.through, "to": h.target, "moderator": h.moderator,
                "stage": h.stage, "expected_sign": h.sign, "process_model": h.process_model,
                "interaction": {k: float(self.interaction[k]) for k in ("b", "se", "t", "p", "llci", "ulci")},
                "verdict": self.verdict, "line": self.line(), "analysis": self.result.to_dict()}


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


def scale_scores(items: pd.DataFrame, groups: dict[str, list[str]]) -> pd.DataFrame:
    """The mean of each construct's items (``groups``: construct -> item columns); a respondent
    missing any of a construct's items has no score for it.

    >>> scale_scores(pd.DataFrame({"A1": [1, 2], "A2": [3, None]}), {"A": ["A1", "A2"]})
         A
    0  2.0
    1  NaN
    """
    return pd.DataFrame({cid: items[cols].mean(axis=1, skipna=False) for cid, cols in groups.items()})
