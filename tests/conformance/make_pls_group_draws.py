"""Write the permutation and bootstrap draws that semtrust's MICOM / PLS-MGA makes, for the base-R
reference (make_pls_r_fixtures.R) to use the very same draws.

Needs numpy only. Run from the repository root: ``python tests/conformance/make_pls_group_draws.py``.
It writes ``data/pls_group_draws.json.gz`` for the corporate reputation data
(``data/pls_corp_rep.csv``) split by ``servicetype`` (group 1: the value of the first case, as
``compare_groups`` orders groups by first appearance):

- ``group_1``: 0/1 per case (data order) of the observed split;
- ``permutations``: one string of 0/1 per permutation ``p`` — group-1 membership when the labels
  are permuted as semtrust does, ``np.random.default_rng([seed, p]).permutation(n)[:n_1]``;
- ``bootstrap_1`` / ``bootstrap_2``: per resample ``b``, the 0-based rows (within the group, in
  data order) that semtrust draws, ``np.random.default_rng([seed, b]).integers(0, n_g, n_g)``.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED, PERMUTATIONS, DRAWS = 31, 500, 200


def main() -> None:
    data = pd.read_csv(HERE / "data" / "pls_corp_rep.csv")
    labels = data["servicetype"].to_numpy()
    first = labels == labels[0]
    n, n_1 = len(first), int(first.sum())
    permutations = []
    for p in range(PERMUTATIONS):
        member = np.zeros(n, int)
        member[np.random.default_rng([SEED, p]).permutation(n)[:n_1]] = 1
        permutations.append("".join(map(str, member)))
    draws = {f"bootstrap_{g}": [np.random.default_rng([SEED, b]).integers(0, size, size=size).tolist()
                                for b in range(DRAWS)]
             for g, size in ((1, n_1), (2, n - n_1))}
    out = {"seed": SEED, "column": "servicetype", "group_1_value": float(labels[0]),
           "group_1": "".join(map(str, first.astype(int))), "permutations": permutations, **draws}
    with gzip.open(HERE / "data" / "pls_group_draws.json.gz", "wt", encoding="utf-8") as handle:
        json.dump(out, handle, separators=(",", ":"))
    print("wrote data/pls_group_draws.json.gz")


if __name__ == "__main__":
    main()
