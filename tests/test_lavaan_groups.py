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
    (lavaan deletes, per group, the cases without them), instead of falling back to listwise:
    the path test of visual ~ ageyr against lavaan's lavTestLRT on the metric model."""
    import semtrust as st

    fixture = load("group_path_fiml_fixedx")
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    study = st.fit(data, model=fixture["model_syntax"], group="school", missing="fiml", bootstrap=0,
                   measurement_bootstrap=0)
    assert not any("complete responses (multi-group" in w for w in study.warnings)
    # the measurement ladder has no covariates: every case that answered anything
    assert sum(study.invariance["n"].values()) == 301
    paths = study.group_paths.set_index("path")
    assert list(paths.index) == ["ageyr -> visual", "sex -> visual", "ageyr -> textual"]
    path = paths.loc["ageyr -> visual"]
    for group in fixture["groups"]:
        assert path[f"b_{group}"] == pytest.approx(fixture["b"][group], abs=TOL)
        assert path[f"beta_{group}"] == pytest.approx(fixture["beta"][group], abs=TOL)
    assert path.chisq == pytest.approx(fixture["chisq"], abs=TOL) and path.df == fixture["df"]
    assert path.delta_chisq == pytest.approx(fixture["delta_chisq"], abs=TOL)
    assert path.delta_df == fixture["delta_df"]
    assert path.pvalue == pytest.approx(fixture["pvalue"], abs=TOL)


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
    for row, lavaan in zip(table.itertuples(), (fixture["fit_hypothesised"], fixture["fit_alternative"])):
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


def semtrust(*args, cwd):
    import subprocess
    import sys

    from conftest import ROOT
    return subprocess.run([sys.executable, "-m", "semtrust.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def assert_matches_lavaan(results: dict, fixture: dict) -> None:
    """results.json's main model against lavaan's multi-group fit: every fit measure, and est,
    SE and std.all of every row of parameterEstimates() with its group (the defined ones too)."""
    measures = results["fit"]["structural"]
    for key, expected in fixture["fit"].items():
        if expected is not None:
            assert measures[key] == pytest.approx(expected, rel=1e-4, abs=TOL), key
    ours = {(p["lhs"], p["op"], p["rhs"], p["group"]): p for p in results["parameters"]}
    assert len(ours) == len(results["parameters"]) == len(fixture["parameters"])
    for row in fixture["parameters"]:
        actual = ours[(row["lhs"], row["op"], row["rhs"], row["group"])]
        assert actual["label"] == row["label"]
        for column in ("est", "se", "std_all"):
            assert (actual[column] or 0.0) == pytest.approx(row[column] or 0.0, abs=TOL), (row, column)


@pytest.mark.parametrize("name", ["groups_mediation_latent", "groups_mediation_observed"])
def test_group_modifiers_fit_one_multigroup_model_through_the_cli(name, tmp_path):
    """`semtrust fit` with a group (study file key, or --group) fits a model with c(a1, a2)
    modifiers as lavaan's sem(model, group = ): the parameters with their group, the multi-group
    fit, the := over the groups' labels with delta-method SEs, and reports with a group column."""
    fixture = load(name)
    (tmp_path / "model.lav").write_text(fixture["model_syntax"], encoding="utf-8")
    data = CONFORMANCE / fixture["data"]
    if name.endswith("latent"):   # a study file's group key; the effects bootstrapped within the groups
        (tmp_path / "study.yaml").write_text(f"data: {data}\nmodel: model.lav\ngroup: school\nbootstrap: 60\n"
                                             "measurement_bootstrap: 0\nout: out\n", encoding="utf-8")
        done = semtrust("fit", "study.yaml", cwd=tmp_path)
    else:
        done = semtrust("fit", data, "--model", "model.lav", "--group", "school", "--estimator",
                        fixture["estimator"], "--bootstrap", "0", "--measurement-bootstrap", "0", "--out", "out",
                        cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert_matches_lavaan(results, fixture)
    assert results["n"] == fixture["n"] == 301
    # each group's indirect effect, and the defined difference (its delta-method SE in the parameters)
    effects = {(e["path"], e["group"]): e for e in results["indirect_effects"]}
    difference = next(p for p in fixture["parameters"] if p["lhs"] == "ind_diff")
    assert effects[(f"ind_diff := {difference['rhs']}", "")]["est"] == pytest.approx(difference["est"], abs=TOL)
    b = {p["group"]: p["est"] for p in fixture["parameters"] if p["label"] in ("b1", "b2")}
    a = {p["group"]: p["est"] for p in fixture["parameters"] if p["label"] in ("a1", "a2")}
    source, mediator, outcome = ("visual", "textual", "speed") if name.endswith("latent") else ("x1", "x4", "x7")
    for group in fixture["groups"]:
        indirect = effects[(f"{source} -> {mediator} -> {outcome}", group)]
        assert indirect["est"] == pytest.approx(a[group] * b[group], abs=TOL)
    assert set(results["r2"]) == {f"{v} ({g})" for v in (mediator, outcome) for g in fixture["groups"]}
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<th>Group</th>" in html.replace(' class="l"', "") and "[Grant-White]" in html
    if name.endswith("latent"):
        # a few resamples have no ML solution (lavaan does not converge on them either)
        how = results["bootstrap"]
        assert how["method"] == "bootstrap" and how["successful"] + how["failed"] == 60 and how["successful"] >= 54
        contrast = effects[(f"ind_diff := {difference['rhs']}", "")]
        assert contrast["ci_lower"] < difference["est"] < contrast["ci_upper"]
        assert contrast["se"] == pytest.approx(difference["se"], rel=0.5)   # bootstrap SE near lavaan's delta SE


def test_bootstrap_resamples_within_groups():
    """A resample keeps each group's size, and its warm refit equals a fresh multi-group fit to
    it, the covariate's moments (fixed.x) included."""
    import numpy as np

    from semtrust.estimation.bootstrap import resample_rows
    from semtrust.model.syntax import parse_model
    from semtrust.structural.multigroup import fit_grouped

    fixture = load("groups_mediation_observed")
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    fitted = fit_grouped(parse_model(fixture["model_syntax"]), data, "school")
    resampler = fitted.resampler()
    assert resampler.strata == (156, 145)
    rows = resample_rows(11, 0, resampler.n, resampler.strata)
    assert (rows[:156] < 156).all() and (rows[156:] >= 156).all()
    refit = resampler.refit(rows)
    frame = pd.DataFrame(resampler.values[rows], columns=fitted.partable.observed)
    fresh = fit_grouped(parse_model(fixture["model_syntax"]), frame.assign(school=np.repeat(fitted.groups, (156, 145))),
                        "school")
    assert refit == pytest.approx(fresh.theta, abs=1e-6)
    assert not np.allclose(refit, fitted.theta, atol=1e-3)
    assert resampler.total_sd(refit) == pytest.approx(fresh.total_sd(fresh.theta), abs=1e-8)


def test_group_modifiers_through_the_api():
    """st.fit(..., group=) as the CLI: the study's parameters carry lavaan's group column."""
    import semtrust as st

    fixture = load("groups_mediation_observed")
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    study = st.fit(data, model=fixture["model_syntax"], group="school", estimator="MLR", bootstrap=0,
                   measurement_bootstrap=0)
    assert_matches_lavaan(study.results, fixture)
    assert "Group 2 [Grant-White]:" in study.summary()
    assert study.group_paths.empty   # the paths with c(...) modifiers are group-specific already


def test_group_modifiers_under_mlr_fiml_with_a_covariate():
    """The main multi-group model under MLR + FIML with a fixed.x covariate (the run's fit of
    its main model, without the ladder the whole run adds)."""
    from semtrust.model.syntax import parse_model
    from semtrust.structural.multigroup import fit_grouped

    fixture = load("groups_mediation_fiml")
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    fitted = fit_grouped(parse_model(fixture["model_syntax"]), data, "school", "MLR", "fiml")
    assert fitted.n == fixture["n"] == 286   # 15 without the covariate ageyr
    parameters = fitted.parameters.astype(object).where(fitted.parameters.notna(), None)
    assert_matches_lavaan({"fit": {"structural": fitted.fit_measures.to_dict()},
                           "parameters": parameters.to_dict(orient="records")}, fixture)


def test_group_modifiers_without_groups_or_with_ordinal_items_are_refused_in_one_line():
    import semtrust as st
    from semtrust.errors import InputError

    fixture = load("groups_mediation_observed")
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    with pytest.raises(InputError, match=r"c\(\.\.\.\) need a multi-group run \(--group\)"):
        st.fit(data, model=fixture["model_syntax"], bootstrap=0)
    ordinal = data.assign(**{v: pd.cut(data[v], 4, labels=False) + 1 for v in ("x1", "x4", "x7")})
    with pytest.raises(InputError, match=r"^--group school: a model with group-specific c\(\.\.\.\) modifiers .* "
                                         r"not WLSMV; rerun with --estimator MLR$"):
        st.fit(ordinal, model=fixture["model_syntax"], group="school", estimator="WLSMV", ordered="all", bootstrap=0)


@pytest.mark.parametrize("name", ["cmb_fiml", "cmb_mlr", "cmb_mlr_fiml"])
def test_one_factor_cfa_rows_use_the_main_models_fit_flavour(name):
    """The common-method-bias table's CFA and one-factor CFA rows, fitted as the run's main model
    (the fitting function the pipeline passes), against lavaan: robust (FIML-corrected) indices,
    the scaled χ² under MLR and lavTestLRT's difference test."""
    from semtrust.assessment.method_bias import method_bias
    from semtrust.estimation.select import fit_model
    from semtrust.model.syntax import parse_model

    fixture = load(name)
    data = pd.read_csv(CONFORMANCE / fixture["data"])

    def fit(syntax):
        return fit_model(syntax, data, estimator=fixture["estimator"], missing=fixture["missing"])

    spec = parse_model(fixture["hypothesised"])
    result = method_bias(data.dropna(), spec, fit(spec), fit=fit)
    hypothesised, one_factor = (row for _, row in result.models.iloc[:2].iterrows())
    assert one_factor.model == "One-factor CFA (Harman)"
    scaled = fixture["estimator"] == "MLR"
    for row, lavaan in ((hypothesised, fixture["fit_hypothesised"]), (one_factor, fixture["fit_alternative"])):
        assert row.chisq == pytest.approx(lavaan["chisq_scaled" if scaled else "chisq"], abs=TOL)
        assert row.pvalue == pytest.approx(lavaan["pvalue_scaled" if scaled else "pvalue"], abs=TOL)
        for index in ("cfi", "tli", "rmsea"):
            assert row[index] == pytest.approx(lavaan[f"{index}_robust"], abs=TOL), index
    # the scaled difference amplifies the scaling factors' last digits (they agree to 1e-5): relative 1e-4
    assert one_factor.delta_chisq == pytest.approx(fixture["delta_chisq"], rel=1e-4, abs=TOL)
    assert one_factor.delta_df == fixture["delta_df"]
    assert one_factor.pvalue_difference == pytest.approx(fixture["pvalue"], abs=TOL)
    assert result.n == fixture["fit_hypothesised"]["ntotal"]
