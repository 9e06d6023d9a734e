"""EFA and common-method bias against psych and lavaan (tests/conformance/make_efa_cmb_fixtures.R)."""
import json
from html import unescape

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from semtrust.report.format import tex_text
from conftest import html_captions, tex_captions, CONFORMANCE
from semtrust.assessment import efa
from semtrust.estimation.ml import SEM
from semtrust.errors import InputError
from semtrust.model.instrument import BUNDLED, load_instrument
from semtrust.assessment.reliability import item_groups
from semtrust.assessment.method_bias import decision_line, method_bias, ulmc_model
from semtrust.model.syntax import parse_model

TOL = 1e-3
ROTATION_TOL = 1e-2   # the brief's tolerance for rotated loadings
CASES = ["holzinger", "bfi", "trust"]


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """As ``semtrust fit`` runs: threaded BLAS only slows these small matrices down."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def load(case):
    fixture = json.loads((CONFORMANCE / "fixtures" / f"efa_cmb_{case}.json").read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"])[fixture["items"]].dropna()
    for item in fixture["reverse"]:
        data[item] = 8 - data[item]
    spec = parse_model((CONFORMANCE / fixture["model"]).read_text(), fixture["model"])
    return fixture, data, spec


@pytest.fixture(scope="module", params=CASES)
def case(request):
    fixture, data, spec = load(request.param)
    return fixture, data, spec, SEM(spec).fit(data)


@pytest.fixture(scope="module")
def cmb(case):
    fixture, data, spec, cfa = case
    return method_bias(data, spec, cfa, markers=fixture["marker"]["markers"] if fixture["marker"] else ())


def aligned(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Our columns reordered and reflected to R's (rotation leaves order and sign free)."""
    rows, cols = linear_sum_assignment(-np.abs(ours.T @ theirs))
    out = np.empty_like(theirs)
    for r, c in zip(rows, cols):
        out[:, c] = ours[:, r] * np.sign(ours[:, r] @ theirs[:, c])
    return out


def test_kmo_and_bartlett(case):
    fixture, data, _, _ = case
    overall, per_item = efa.kmo(data)
    assert overall == pytest.approx(fixture["kmo"]["overall"], abs=TOL)
    assert per_item.to_dict() == pytest.approx(fixture["kmo"]["items"], abs=TOL)
    bartlett = efa.bartlett_sphericity(data)
    assert bartlett["chisq"] == pytest.approx(fixture["bartlett"]["chisq"], abs=TOL)
    assert bartlett["df"] == fixture["bartlett"]["df"]
    assert bartlett["pvalue"] == pytest.approx(fixture["bartlett"]["pvalue"], abs=TOL)


@pytest.mark.parametrize("key, method, rotation", [("efa", "minres", "oblimin"), ("efa_ml_promax", "ml", "promax")])
def test_rotated_loadings_match_psych(case, key, method, rotation):
    fixture, data, _, _ = case
    expected = fixture[key]
    loadings, phi = efa.factor_analysis(data, len(expected["factors"]), method, rotation)
    theirs = np.array(expected["loadings"])
    assert np.abs(aligned(loadings.to_numpy(), theirs) - theirs).max() < ROTATION_TOL
    variance = efa.variance_explained(loadings, phi)
    assert sorted(variance.ss_loadings, reverse=True) == pytest.approx(sorted(expected["ss_loadings"], reverse=True),
                                                                       abs=ROTATION_TOL)
    assert variance.cumulative.iloc[-1] == pytest.approx(expected["cumulative"][-1], abs=TOL)
    h2 = efa._communalities(loadings, phi)
    assert h2 == pytest.approx(expected["communalities"], abs=TOL)


def test_parallel_analysis(case):
    """Simulated eigenvalues are random, so only the observed ones are compared with psych;
    the suggestion must be a sensible count and reproducible from the seed."""
    fixture, data, _, _ = case
    first = efa.parallel_analysis(data, seed=7)
    assert first.eigenvalues.observed_pc.to_numpy() == pytest.approx(fixture["parallel"]["pc_values"], abs=TOL)
    assert first.eigenvalues.observed_fa.to_numpy() == pytest.approx(fixture["parallel"]["fa_values"], abs=TOL)
    assert 1 <= first.factors <= data.shape[1] and 1 <= first.components <= data.shape[1]
    assert abs(first.factors - fixture["parallel"]["nfact"]) <= 1
    assert abs(first.components - fixture["parallel"]["ncomp"]) <= 1
    again = efa.parallel_analysis(data, seed=7)
    assert again.eigenvalues.equals(first.eigenvalues) and again.factors == first.factors


def test_harman_single_factor(case, cmb):
    fixture, *_ = case
    assert cmb.harman["component_share"] == pytest.approx(fixture["harman"]["principal_proportion"], abs=TOL)
    assert cmb.harman["factor_share"] == pytest.approx(fixture["harman"]["fa_proportion"], abs=TOL)


def test_one_factor_and_ulmc_fit_match_lavaan(case, cmb):
    fixture, *_ = case
    models = cmb.models.set_index("model")
    for name, key in (("Hypothesized CFA", "cfa"), ("One-factor CFA (Harman)", "one_factor"), ("CFA + ULMC", "ulmc")):
        for measure in ("chisq", "df", "cfi", "rmsea", "srmr", "aic"):
            assert models.loc[name, measure] == pytest.approx(fixture[key][measure], abs=TOL), (name, measure)
    one = models.loc["One-factor CFA (Harman)"]
    assert one.delta_chisq == pytest.approx(fixture["one_factor"]["chisq"] - fixture["cfa"]["chisq"], abs=TOL)
    assert one.delta_df == fixture["one_factor"]["df"] - fixture["cfa"]["df"]
    assert models.loc["CFA + ULMC", "delta_df"] == 1   # one method variance


def test_ulmc_loadings_and_method_variance_match_lavaan(case, cmb):
    fixture, *_ = case
    expected = {(r["lhs"], r["rhs"]): r["std_all"] for r in fixture["ulmc"]["loadings"]}
    method = {("METHOD", r["item"]): r["std_all"] for r in cmb.ulmc["method_loadings"]}
    substantive = {(r["construct"], r["item"]): r["ulmc"] for r in cmb.ulmc["loading_changes"]}
    assert {**method, **substantive} == pytest.approx(expected, abs=TOL)
    share = np.mean([v ** 2 for (lhs, _), v in expected.items() if lhs == "METHOD"])
    assert cmb.ulmc["method_variance"] == pytest.approx(share, abs=TOL)
    before = {(r["lhs"], r["rhs"]): r["std_all"] for r in fixture["ulmc"]["cfa_loadings"]}
    changes = [substantive[k] - before[k] for k in before]
    assert cmb.ulmc["max_abs_change"] == pytest.approx(max(map(abs, changes)), abs=TOL)


def test_ulmc_free_loadings_match_lavaan():
    fixture, data, spec = load("holzinger")
    fitted = SEM(ulmc_model(spec, equal_loadings=False)).fit(data)
    assert fitted.fit_measures.chisq == pytest.approx(fixture["ulmc_free"]["chisq"], abs=TOL)
    assert fitted.fit_measures.df == fixture["ulmc_free"]["df"]
    p = fitted.parameters.set_index(["lhs", "rhs"])
    rows = [r for r in fixture["ulmc_free"]["loadings"] if r["std_all"] is not None]
    assert len(rows) >= 15   # lavaan has no std.all for the factor whose variance is negative
    for row in rows:
        assert p.loc[(row["lhs"], row["rhs"])].std_all == pytest.approx(row["std_all"], abs=TOL)


def test_ulmc_free_loadings_reach_at_least_lavaans_optimum():
    """On the trust data lavaan stops at χ² = 1078.00; the weakly identified free-loading
    model has a better optimum, which semtrust finds (lavaan does not converge at all on bfi)."""
    fixture, data, spec = load("trust")
    fitted = SEM(ulmc_model(spec, equal_loadings=False)).fit(data)
    assert fitted.fit_measures.df == fixture["ulmc_free"]["df"]
    assert fitted.fit_measures.chisq < fixture["ulmc_free"]["chisq"] - 1


def test_marker_technique_matches_lavaan():
    fixture, data, spec = load("trust")
    result = method_bias(data, spec, markers=fixture["marker"]["markers"])
    marker = result.marker
    assert marker["retained"] == fixture["marker"]["retained"]
    ours = {m["model"]: m for m in marker["models"]}
    for expected in fixture["marker"]["models"]:
        for measure in ("chisq", "df", "cfi", "srmr"):
            assert ours[expected["model"]][measure] == pytest.approx(expected[measure], abs=TOL), expected["model"]
    assert marker["method_variance"] == pytest.approx(fixture["marker"]["method_variance"], abs=TOL)
    assert "marker factor (AT1, AT2, AT3)" in result.decision


def test_efa_flags_items_against_constructs():
    fixture, data, spec = load("bfi")
    groups = item_groups(spec)
    result = efa.exploratory_factor_analysis(data, groups, seed=1)
    assert result.loadings.shape == (25, 5) and set(result.factor_constructs.values()) == set(groups)
    flags = result.items.set_index("item")
    # as psych::fa(bfi, 5): N4 loads .40 on the extraversion factor, O4 .33 there, E3 .30 on openness
    flagged = flags[flags.flag.notna()]
    assert list(flagged.index) == ["E3", "N4", "O4"] and set(flagged.flag) == {"cross-loading"}
    assert flags.loc["N4", "cross_loadings"] == {flags.loc["E1", "own_factor"]: pytest.approx(0.405, abs=TOL)}
    reverse_keyed = flags.loc["A1"]   # loads −.44 on agreeableness: a reverse-keyed item, not flagged
    assert reverse_keyed.factor == reverse_keyed.own_factor and reverse_keyed.own_loading == pytest.approx(-0.44, abs=.01)
    assert result.kmo == pytest.approx(fixture["kmo"]["overall"], abs=TOL)


def test_efa_default_factor_count_and_bad_arguments():
    fixture, data, spec = load("holzinger")
    result = efa.exploratory_factor_analysis(data, item_groups(spec), seed=3)
    assert result.loadings.shape[1] == 3 and result.parallel.seed == 3
    assert efa.exploratory_factor_analysis(data, seed=3).loadings.shape[1] == result.parallel.factors
    with pytest.raises(InputError, match="rotation"):
        efa.factor_analysis(data, 3, rotation="geomin")
    with pytest.raises(InputError, match="more than 9 items"):
        efa.factor_analysis(data, 9)


def test_decision_line_states_the_evidence():
    harman = {"component_share": 0.62}
    one_factor = {"delta_chisq": 12.0, "delta_df": 3, "pvalue_difference": 0.007}
    ulmc = {"method_variance": 0.041, "max_abs_change": 0.05}
    line = decision_line(harman, one_factor, ulmc, None)
    assert line.startswith("First unrotated component explains 62.0 % (≥ 50 %)")
    assert "Δχ²(3) = 12.00, p = .007" in line and "4.1 % method variance (< 25 %)" in line
    assert "may bias" in line and "Podsakoff et al., 2003, 2012; Williams et al., 2010" in line
    assert "CMB unlikely" in decision_line({"component_share": 0.38}, one_factor, ulmc, None)
    assert "the ULMC model did not converge" in decision_line({"component_share": 0.38}, one_factor,
                                                              {"method_variance": None}, None)
    failed = decision_line({"component_share": 0.38}, {"delta_chisq": None}, ulmc, None)
    assert "the one-factor CFA did not converge" in failed and "CMB unlikely" in failed
    marker = {"markers": ["MK1"], "method_variance": 0.31}
    assert "takes 31.0 %" in decision_line({"component_share": 0.38}, one_factor, ulmc, marker)
    assert "may bias" in decision_line({"component_share": 0.38}, one_factor, ulmc, marker)


def test_instrument_marker_items(tmp_path):
    text = (load_instrument("trust_mechanism").path and
            open(BUNDLED / "trust_mechanism.yaml", encoding="utf-8").read())
    path = tmp_path / "trust_mechanism.yaml"
    path.write_text(text + "\nmarker_items: [MK1, MK2]\n", encoding="utf-8")
    assert load_instrument(str(path)).marker_items == ("MK1", "MK2")
    path.write_text(text + "\nmarker_items: [1, 2]\n", encoding="utf-8")
    with pytest.raises(InputError, match="marker_items"):
        load_instrument(str(path))


def test_fit_command_writes_efa_and_cmb(tmp_path):
    """--model run with a marker column outside the model: results.json and both reports."""
    import subprocess
    import sys

    from conftest import ROOT

    def run(*args):
        return subprocess.run([sys.executable, "-m", "semtrust.cli", "fit", "tests/conformance/data/HolzingerSwineford1939.csv",
                               "--model", "tests/conformance/models/holzinger_cfa.lav", "--bootstrap", "0", "--quiet",
                               "--out", tmp_path, *args], cwd=ROOT, capture_output=True, text=True)

    done = run("--marker", "agemo", "--efa-extraction", "ml", "--efa-rotation", "promax")
    assert done.returncode == 0, done.stderr
    assert "Common-method bias: First unrotated component explains 35.7 %" in done.stdout
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    fixture, *_ = load("holzinger")
    assert results["efa"]["kmo"]["overall"] == pytest.approx(fixture["kmo"]["overall"], abs=TOL)
    assert (results["efa"]["n_factors"], results["efa"]["method"], results["efa"]["rotation"]) == (3, "ml", "promax")
    loadings = np.array([[results["efa"]["loadings"][item][f] for f in ("F1", "F2", "F3")] for item in fixture["items"]])
    theirs = np.array(fixture["efa_ml_promax"]["loadings"])
    assert np.abs(aligned(loadings, theirs) - theirs).max() < ROTATION_TOL
    assert results["efa"]["parallel_analysis"]["seed"] == results["seed"]
    assert results["cmb"]["harman"]["component_share"] == pytest.approx(
        fixture["harman"]["principal_proportion"], abs=TOL)
    assert [m["model"] for m in results["cmb"]["models"]] == ["Hypothesized CFA", "One-factor CFA (Harman)", "CFA + ULMC"]
    assert results["cmb"]["models"][1]["delta_df"] == 3
    assert results["cmb"]["marker"]["markers"] == ["agemo"]
    assert [m["model"] for m in results["cmb"]["marker"]["models"]][:3] == ["Baseline", "Method-C", "Method-U"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    tex = (tmp_path / "report.tex").read_text(encoding="utf-8")
    captions = html_captions(html)
    assert [n for n, _ in captions] == list(range(1, len(captions) + 1))   # numbered in order, no gaps
    assert [tex_text(unescape(title)) for _, title in captions] == tex_captions(tex)   # the same tables in both
    assert "Common-method-bias models" in tex_captions(tex)
    for report in (html, tex):
        assert "Exploratory factor analysis" in report
        assert "Marker: Method-C" in report
    missing = run("--marker", "NOPE")
    assert missing.returncode == 2 and "NOPE" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1


def test_ulmc_on_a_second_order_model_flags_the_improper_solution():
    """lavaan gives the same χ² (54.897, df 23) and warns that a latent variance is negative."""
    _, data, _ = load("holzinger")
    spec = parse_model("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"
                       "g =~ visual + textual + speed")
    result = method_bias(data, spec)
    assert result.models.set_index("model").loc["CFA + ULMC", "chisq"] == pytest.approx(54.897, abs=TOL)
    assert result.ulmc["improper"] and "improper solution" in result.decision
    assert [r["item"] for r in result.ulmc["loading_changes"]] == [f"x{i}" for i in range(1, 10)]
    assert any(w.startswith("ULMC: Heywood case: the variance of g") for w in result.warnings)


def test_summary_matrix_runs_have_no_efa_or_cmb(tmp_path):
    from semtrust.api import fit as run_study

    _, data, _ = load("holzinger")
    matrix = tmp_path / "cov.csv"
    data.cov().to_csv(matrix)
    model = CONFORMANCE / "models" / "holzinger_cfa.lav"
    result = run_study(matrix, model=model, summary=len(data), bootstrap=0)
    assert result.efa is None and result.cmb is None
    assert result.to_dict()["efa"] is None and result.to_dict()["cmb"] is None
    with pytest.raises(InputError, match="--marker needs raw data"):
        run_study(matrix, model=model, summary=len(data), bootstrap=0, marker=["x1"])


def test_cmb_under_mlr_uses_the_runs_estimator():
    """Under MLR the CFA, one-factor and ULMC rows are MLR fits (the scaled χ²; lavaan fixtures
    in tests/test_lavaan_groups.py), so the CFA row is the run's measurement model."""
    from semtrust.api import fit as run_study

    fixture, *_ = load("holzinger")
    result = run_study(CONFORMANCE / fixture["data"], model=CONFORMANCE / fixture["model"], bootstrap=0,
                       estimator="MLR")
    models = result.cmb.models.set_index("model")
    assert models.loc["Hypothesized CFA", "chisq"] == pytest.approx(result.fit_measures.loc["chisq_scaled", "measurement"])
    assert models.loc["Hypothesized CFA", "chisq"] != pytest.approx(fixture["cfa"]["chisq"], abs=TOL)   # not the ML χ²
    assert models.loc["One-factor CFA (Harman)", "df"] == 27
