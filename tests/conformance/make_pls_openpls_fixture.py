"""Record what the PyPI package openpls-engine (a GPL-3.0-or-later fork of plspm-python) reports for
Q² and MICOM on the corporate reputation model, as a second, differently built reference.

Reference tool only (not a runtime dependency): ``pip install openpls-engine==1.13.0`` in its own
virtual environment (it needs pandas 3; plspm 0.5.7 needs pandas < 3). Run from the repository
root: ``python tests/conformance/make_pls_openpls_fixture.py``; writes ``fixtures/pls_openpls.json``.

openpls gets the mean-replaced items standardized per item (its ``scaled=True`` would divide by
one SD common to all items, the plspm bug noted in README.md), path weighting, 300 iterations and
tolerance 1e-14 on its squared-change rule; MICOM compares servicetype 2 (the first case's group,
semtrust's group 1) with 1. Its permutations use its own generator, so only the observed
statistics are comparable: MICOM step 3's mean difference (openpls scales scores to variance 1
with divisor n, so it is semtrust's × √(n/(n − 1))) and log-variance ratio. Its step-2 c and its
Q² follow other conventions (see README.md) and are recorded for the comparison table only.
"""
from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import openpls.config as config_module
import pandas as pd
from openpls import Plspm
from openpls.mga import GroupSpec
from openpls.micom import MICOM
from openpls.mode import Mode
from openpls.scheme import Scheme

HERE = Path(__file__).resolve().parent
BLOCKS = {"QUAL": ("B", [f"qual_{i}" for i in range(1, 9)]), "PERF": ("B", [f"perf_{i}" for i in range(1, 6)]),
          "CSOR": ("B", [f"csor_{i}" for i in range(1, 6)]), "ATTR": ("B", ["attr_1", "attr_2", "attr_3"]),
          "COMP": ("A", ["comp_1", "comp_2", "comp_3"]), "LIKE": ("A", ["like_1", "like_2", "like_3"]),
          "CUSA": ("A", ["cusa"]), "CUSL": ("A", ["cusl_1", "cusl_2", "cusl_3"])}


def openpls_inputs(data: pd.DataFrame):
    """The mean-replaced items standardized per item (and servicetype), and openpls's Config."""
    items = [item for _, block in BLOCKS.values() for item in block]
    frame = data[items + ["servicetype"]].replace(-99, np.nan)
    frame[items] = frame[items].fillna(frame[items].mean())
    frame[items] = (frame[items] - frame[items].mean()) / frame[items].std()
    structure = config_module.Structure()
    for source in ("QUAL", "PERF", "CSOR", "ATTR"):
        structure.add_path([source], ["COMP", "LIKE"])
    for source in ("COMP", "LIKE"):
        structure.add_path([source], ["CUSA", "CUSL"])
    structure.add_path(["CUSA"], ["CUSL"])
    config = config_module.Config(structure.path(), scaled=False)
    for name, (mode, block) in BLOCKS.items():
        config.add_lv(name, Mode.B if mode == "B" else Mode.A, *[config_module.MV(i) for i in block])
    return frame, config


def main() -> None:
    data = pd.read_csv(HERE / "data" / "pls_corp_rep.csv")
    frame, config = openpls_inputs(data)
    fit = Plspm(frame, config, Scheme.PATH, 300, 1e-14)
    first = float(data["servicetype"].iloc[0])
    micom = MICOM(frame, config, "servicetype", GroupSpec("first", values=[first]),
                  GroupSpec("second", values=[3.0 - first]), Scheme.PATH, iterations=200, seed=1)
    step2, step3 = micom.step2().set_index("construct"), micom.step3().set_index("construct")
    out = {"version": version("openpls-engine"), "data": "data/pls_corp_rep.csv", "n": len(frame),
           "q2": {c: float(v) for c, v in fit.q_squared(7)["q_squared"].items()},
           "micom": {c: {"c": float(step2.loc[c, "c"]), "mean_diff": float(step3.loc[c, "mean_diff"]),
                         "log_var_ratio": float(step3.loc[c, "log_var_ratio"])} for c in BLOCKS}}
    (HERE / "fixtures" / "pls_openpls.json").write_text(json.dumps(out, indent=1) + "\n")
    print("wrote fixtures/pls_openpls.json")


if __name__ == "__main__":
    main()
