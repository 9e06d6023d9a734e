"""Structural stage: the hypothesised paths, R² and the hypothesis verdicts.

>>> import pandas as pd
>>> paths = pd.DataFrame({"lhs": ["PR"], "rhs": ["HT"], "est": [-0.4], "se": [0.1],
...     "z": [-4.0], "pvalue": [6e-5], "ci_lower": [-0.6], "ci_upper": [-0.2], "std_all": [-0.35]})
>>> verdict(paths.iloc[0], "-")
'supported'
"""
from __future__ import annotations

import pandas as pd

from semtrust.engine import SEMResults
from semtrust.instrument import Instrument

ALPHA = 0.05


def path_table(results: SEMResults) -> pd.DataFrame:
    params = results.parameters
    return params[params.op == "~"].drop(columns=["op", "label"]).reset_index(drop=True)


def verdict(path: pd.Series, expected_sign: str) -> str:
    """Supported when significant at .05 in the expected direction."""
    if path.pvalue >= ALPHA:
        return "not supported"
    right_way = (path.est > 0) == (expected_sign == "+")
    return "supported" if right_way else "not supported (opposite sign)"


def hypothesis_table(results: SEMResults, instrument: Instrument) -> pd.DataFrame:
    paths = path_table(results).set_index(["lhs", "rhs"])
    records = []
    for h in instrument.hypotheses:
        p = paths.loc[(h.target, h.source)]
        records.append(dict(id=h.id, path=f"{h.source} -> {h.target}", source=h.source, target=h.target,
                            expected_sign=h.sign, est=p.est, se=p.se, z=p.z, pvalue=p.pvalue,
                            ci_lower=p.ci_lower, ci_upper=p.ci_upper, std_all=p.std_all,
                            result=verdict(p, h.sign)))
    return pd.DataFrame(records)
