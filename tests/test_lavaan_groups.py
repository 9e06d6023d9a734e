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


@pytest.mark.parametrize("name", ["comparison_fiml", "comparison_mlr", "comparison_mlr_fiml"])
def test_competing_models_use_the_main_models_fit_flavour(name):
    """The competing-models rows show the indices the main model's verdict reads: under FIML
    lavaan's missing-data corrected robust CFI/TLI/RMSEA, under MLR the robust ones and the
    scaled χ², with lavTestLRT's difference test."""
    from semtrust.estimation.select import fit_model
    from semtrust.model.syntax import parse_model
    from semtrust.structural.paths import model_comparison

    fixture = load(name)
    data = pd.read_csv(CONFORMANCE / fixture["data"])

    def fit(syntax):
        return fit_model(syntax, data, estimator=fixture["estimator"], missing=fixture["missing"])

    spec = parse_model(fixture["hypothesised"])
    table = model_comparison(spec, fit(spec), None, None, fit)
    assert list(table.model) == ["hypothesised model", "partial mediation (+1 direct path)"]
    scaled = fixture["estimator"] == "MLR"
    for row, lavaan in zip(table.itertuples(), (fixture["fit_hypothesised"], fixture["fit_partial"])):
        assert row.chisq == pytest.approx(lavaan["chisq_scaled" if scaled else "chisq"], abs=TOL)
        assert row.df == lavaan["df"]
        for index in ("cfi", "tli", "rmsea"):
            assert getattr(row, index) == pytest.approx(lavaan[f"{index}_robust"], abs=TOL), index
        if name == "comparison_fiml":   # the corrected indices are other numbers than the naive ones
            assert abs(lavaan["rmsea_robust"] - lavaan["rmsea"]) > 2e-3 and abs(lavaan["cfi_robust"] - lavaan["cfi"]) > 2e-3
        assert row.srmr == pytest.approx(lavaan["srmr"], abs=TOL)
        assert row.aic == pytest.approx(lavaan["aic"], abs=TOL)
    partial = table.iloc[1]
    assert partial.delta_chisq == pytest.approx(fixture["delta_chisq"], abs=TOL)
    assert partial.delta_df == fixture["delta_df"]
    assert partial.pvalue == pytest.approx(fixture["pvalue"], abs=TOL)
