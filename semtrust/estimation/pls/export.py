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

import pandas as pd

from semtrust.estimation.pls.estimate import PLSResults
from semtrust.estimation.pls.groups import GroupComparison


def records(frame: pd.DataFrame) -> list[dict]:
    """Row records with plain Python numbers and null for NaN."""
    return json.loads(frame.to_json(orient="records", double_precision=15))


def _long(matrix: pd.DataFrame, row: str, column: str, value: str) -> list[dict]:
    stacked = matrix.rename_axis(index=row, columns=column).stack().rename(value).reset_index()
    return records(stacked)


def pls_block(results: PLSResults, *, prediction: pd.DataFrame | None = None, cvpat: pd.DataFrame | None = None,
              comparison: GroupComparison | None = None, ipma: pd.DataFrame | None = None) -> dict:
    """results.json's ``pls`` part for a fitted model and whichever extra analyses were run."""
    block = {
        "settings": {"weighting": results.weighting, "consistent": results.consistent,
                     "higher_order": list(results.model.higher_order), "ci": results.ci, "level": results.level,
                     "seed": None if results.draws is None else results.draws.seed},
        "fit_measures": json.loads(results.fit_measures.to_json()),
        "parameters": records(results.parameters),
        "r2": records(results.r_squared.reset_index()),
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
    extras = {"plspredict": prediction, "cvpat": cvpat, "ipma": ipma}
    block.update({name: records(frame) for name, frame in extras.items() if frame is not None})
    if comparison is not None:
        block["micom"] = records(comparison.micom)
        block["mga"] = records(comparison.mga)
        block["groups"] = {"labels": [str(g) for g in comparison.groups], "sizes": list(comparison.sizes)}
    return block
