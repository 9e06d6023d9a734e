"""Choosing among competing structural models by BIC and the Geweke–Meese criterion (GM).

Stage: structural-model assessment. Sharma, Sarstedt, Shmueli, Kim & Thiele (2019) and Sharma et
al. (2021) recommend BIC and GM, computed per target construct, to pick among theoretically
plausible alternative models estimated on the same data; the model with the lowest value for the
target of interest is preferred. Akaike weights (the share exp(−Δ/2) / Σ exp(−Δ/2)) are given for
BIC, as Danks et al. suggest, to show how clear the choice is. The criteria themselves are
:attr:`PLSResults.information_criteria` (GM needs the saturated model, which is the same for
competing models that share their constructs and causal order).

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(6)
>>> x = rng.normal(size=(400, 3))
>>> y = 0.6 * x[:, 0] + rng.normal(scale=0.7, size=400)
>>> survey = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y})
>>> common = "A =~ a\\nB =~ b\\nC =~ c\\nY =~ y\\n"
>>> table = compare_models(survey, {"full": common + "Y ~ A + B + C", "lean": common + "Y ~ A + B\\nC ~ B"}, target="Y")
>>> table[["model", "bic_best", "gm_best"]].values.tolist()
[['full', False, False], ['lean', True, True]]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from semtrust.errors import InputError
from semtrust.estimation.pls.estimate import estimate_pls
from semtrust.estimation.pls.model import PLSModel

__all__ = ["compare_models"]


def compare_models(data: pd.DataFrame, models: dict[str, str | PLSModel], *, target: str, **options) -> pd.DataFrame:
    """BIC and GM of ``target`` in each competing model (name → syntax or PLSModel), estimated with ``options``
    (estimate_pls keywords), with R², the best model by each criterion and BIC Akaike weights.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(6)
    >>> x = rng.normal(size=(300, 2))
    >>> survey = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": 0.6 * x[:, 0] + rng.normal(scale=0.7, size=300)})
    >>> common = "A =~ a\\nB =~ b\\nY =~ y\\n"
    >>> table = compare_models(survey, {"both": common + "Y ~ A + B", "chain": common + "Y ~ A\\nA ~ B"}, target="Y")
    >>> table[["model", "r2", "bic", "bic_best"]].round(3)
       model     r2      bic  bic_best
    0   both  0.452 -164.586     False
    1  chain  0.450 -168.950      True
    """
    if len(models) < 2:
        raise InputError("model selection compares at least two competing models")
    rows = []
    for name, syntax in models.items():
        results = estimate_pls(data, syntax, **options)
        criteria = results.information_criteria.set_index("construct")
        if target not in criteria.index:
            raise InputError(f"model '{name}': '{target}' is not an endogenous construct, so it cannot be compared")
        rows.append((name, target, float(results.r_squared_table.loc[target, "r2"]), *criteria.loc[target, ["bic", "gm"]]))
    table = pd.DataFrame(rows, columns=["model", "construct", "r2", "bic", "gm"])
    for criterion in ("bic", "gm"):
        table[f"{criterion}_best"] = table[criterion] == table[criterion].min()
    relative = np.exp(-(table["bic"] - table["bic"].min()) / 2)
    table["bic_weight"] = relative / relative.sum()
    return table
