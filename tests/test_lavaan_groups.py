"""Multi-group runs as lavaan's ``sem(model, group = )``: FIML with fixed.x covariates in the
pipeline's group comparisons, competing models in the main model's fit-index flavour, and a
``--group`` run whose model has ``c(...)`` modifiers fitted as one multi-group model (fixtures
from tests/conformance/make_lavaan_features_fixtures.R and make_lavaan_groups_fixtures.R)."""
import json

import pandas as pd
import pytest

from conftest import CONFORMANCE

TOL = 1e-3


def load(name):
    return json.loads((CONFORMANCE / "fixtures" / f"{name}.json").read_text())


def test_group_comparisons_use_fiml_with_covariates():
    """The invariance ladder and the path tests keep FIML when the model has fixed.x covariates
    (lavaan deletes, per group, the cases without them), instead of falling back to listwise."""
    import semtrust as st

    fixture = load("feature_multigroup_fixedx_fiml")
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    study = st.fit(data, model=fixture["model_syntax"], group="school", missing="fiml", bootstrap=0,
                   measurement_bootstrap=0)
    assert not any("complete responses (multi-group" in w for w in study.warnings)
    # the measurement ladder has no covariates: every case that answered anything
    assert sum(study.invariance["n"].values()) == 301
    paths = study.group_paths.set_index("path")
    assert list(paths.index) == ["ageyr -> visual", "sex -> visual", "ageyr -> textual"]
    assert (paths.delta_df == 1).all() and paths.pvalue.between(0, 1).all()
