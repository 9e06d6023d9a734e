"""Measurement-model quality against lavaan / semTools / psych (make_measurement_fixtures.R)
and the seeded bootstrap CIs of CR, AVE and HTMT."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import CONFORMANCE
from semtrust.assessment.reliability import fit_measurement, item_groups
from semtrust.model.syntax import parse_model
from semtrust.assessment.validity import assess_measurement, correlation_band

TOL = 1e-3
CASES = [p for p in sorted((CONFORMANCE / "fixtures").glob("measurement_*.json"))
         if "items" in json.loads(p.read_text())]
BOOTSTRAP_REFERENCE = CONFORMANCE / "fixtures" / "measurement_holzinger_bootstrap.json"


def load(path):
    fixture = json.loads(path.read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    for item in fixture["reverse"]:
        data[item] = fixture["scale_points"] + 1 - data[item]
    spec = parse_model((CONFORMANCE / fixture["model"]).read_text())
    frame = data[spec.observed].dropna()
    return fixture, frame, spec


@pytest.fixture(scope="module", params=CASES, ids=lambda p: p.stem)
def case(request):
    fixture, frame, spec = load(request.param)
    groups = item_groups(spec)
    quality = assess_measurement(frame, groups, fit_measurement(spec, frame))
    return fixture, quality


def test_cases_present():
    assert {p.stem for p in CASES} == {"measurement_holzinger_cfa", "measurement_bfi_reversed",
                                       "measurement_trust_example_cfa"}


def test_reliability(case):
    fixture, quality = case
    results = quality.to_dict()["reliability"]
    assert set(results) == set(fixture["reliability"])
    for construct, expected in fixture["reliability"].items():
        got = results[construct]
        for key in ("alpha", "omega", "cr", "ave", "msv", "asv", "mean", "sd"):
            assert got[key] == pytest.approx(expected[key], abs=TOL), (construct, key)
        np.testing.assert_allclose(got["alpha_ci"], expected["alpha_ci"], atol=TOL)
        assert got["cr"] == pytest.approx(expected["cr_formula"], abs=TOL)
        assert got["ave"] == pytest.approx(expected["ave_formula"], abs=TOL)


def test_item_statistics(case):
    fixture, quality = case
    items = quality.items.set_index("item")
    assert len(items) == len(fixture["items"])
    for expected in fixture["items"]:
        got = items.loc[expected["item"]]
        assert got.construct == expected["construct"]
        for key in ("std_loading", "se", "ci_lower", "ci_upper", "item_total", "alpha_if_deleted",
                    "mean", "sd", "skew", "kurtosis"):
            assert got[key] == pytest.approx(expected[key], abs=TOL), (expected["item"], key)
        assert got.loading_verdict == ("ok" if expected["std_loading"] >= 0.70 else "low")


def test_latent_correlations(case):
    fixture, quality = case
    got = {frozenset((r.lhs, r.rhs)): r for r in quality.latent_correlations.itertuples()}
    assert len(got) == len(fixture["latent_correlations"])
    for expected in fixture["latent_correlations"]:
        row = got[frozenset((expected["lhs"], expected["rhs"]))]._asdict()
        for key in ("est", "se", "ci_lower", "ci_upper"):
            assert row[key] == pytest.approx(expected[key], abs=TOL), (expected["lhs"], expected["rhs"], key)


@pytest.mark.parametrize("key", ["htmt", "htmt2"])
def test_htmt(case, key):
    fixture, quality = case
    got = quality.to_dict()[key]
    for a, row in fixture[key].items():
        for b, value in row.items():
            if a != b:
                assert got[a][b] == pytest.approx(value, abs=TOL), (a, b)


def test_mardia(case):
    fixture, quality = case
    got = quality.normality["mardia"]
    for key in ("n", "p", "b1p", "b2p", "skew", "p_skew", "small_skew", "p_small", "kurtosis", "p_kurt"):
        assert got[key] == pytest.approx(fixture["mardia"][key], abs=TOL, rel=1e-6), key


def test_fornell_larcker_diagonal_is_root_ave(case):
    fixture, quality = case
    fl = quality.to_dict()["fornell_larcker"]
    for construct, expected in fixture["reliability"].items():
        assert fl[construct][construct] == pytest.approx(np.sqrt(expected["ave"]), abs=TOL)


def test_second_order_model_has_every_factor_correlation(holzinger):
    """Under a second-order factor the first-order factors have no covariance parameter; their
    correlations are model-implied (lavaan: lavInspect(fit, "cor.lv"))."""
    spec = parse_model(HS + "\ng =~ visual + textual + speed")
    frame = holzinger[spec.observed]
    fit = fit_measurement(spec, frame)
    quality = assess_measurement(frame, item_groups(spec), fit)
    implied = fit.correlation(["visual", "textual", "speed"])
    pairs = {(r.lhs, r.rhs): r.est for r in quality.latent_correlations.itertuples()}
    assert set(pairs) == {("visual", "textual"), ("visual", "speed"), ("textual", "speed")}
    for (a, b), value in pairs.items():
        assert value == pytest.approx(implied.loc[a, b], abs=1e-10)
        assert quality.fornell_larcker.loc[a, b] == pytest.approx(value)
    # a just-identified second-order model reproduces the first-order factor correlations
    first_order = assess_measurement(frame, item_groups(spec), fit_measurement(parse_model(HS), frame))
    for row in first_order.latent_correlations.itertuples():
        assert pairs[row.lhs, row.rhs] == pytest.approx(row.est, abs=1e-4)
    for key in ("omega", "cr", "ave"):   # omega needs the factors' total, not residual, variance
        np.testing.assert_allclose(quality.reliability[key].astype(float),
                                   first_order.reliability[key].astype(float), atol=1e-4)


def test_correlation_bands():
    assert correlation_band(0.5, 0.79) == "no problem"
    assert correlation_band(0.7, 0.85) == "marginal"
    assert correlation_band(-0.95, -0.8) == "moderate"
    assert correlation_band(0.9, 1.02) == "severe"


def test_normality_flags_heavy_tails():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400),
                          "c": rng.standard_t(2.5, size=400) ** 3})
    from semtrust.assessment.reliability import normality
    checks = normality(frame, ["a", "b", "c"])
    assert checks["violated"] and checks["recommendation"] == "MLR"
    assert checks["kurtotic_items"] == ["c"]
    calm = normality(frame[["a", "b"]], ["a", "b"])
    assert not calm["violated"] and calm["recommendation"] is None


HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _bootstrap(frame, draws, seed):
    spec = parse_model(HS)
    return assess_measurement(frame, item_groups(spec), fit_measurement(spec, frame), draws=draws, seed=seed,
                              workers=1).to_dict()


@pytest.fixture(scope="module")
def holzinger():
    return pd.read_csv(CONFORMANCE / "data" / "HolzingerSwineford1939.csv")


def test_bootstrap_is_seeded_and_contains_the_estimates(holzinger):
    first, again, other = (_bootstrap(holzinger, 200, seed) for seed in (7, 7, 8))
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert first["reliability"]["visual"]["cr_ci"] != other["reliability"]["visual"]["cr_ci"]
    assert first["measurement_bootstrap"]["successful"] == 200
    for construct, rel in first["reliability"].items():
        for key in ("cr", "ave"):
            lo, hi = rel[f"{key}_ci"]
            assert lo < rel[key] < hi, (construct, key)
    for key in ("htmt", "htmt2"):
        for a, row in first[key].items():
            for b, value in row.items():
                lo, hi = first[f"{key}_ci"][a][b]
                assert lo < value < hi and first[f"{key}_ci"][b][a] == [lo, hi]


def test_bootstrap_intervals_shrink_with_n(holzinger):
    small = _bootstrap(holzinger.iloc[::2], 200, 1)
    rng = np.random.default_rng(0)
    large = holzinger.iloc[rng.integers(0, len(holzinger), size=1200)].reset_index(drop=True)
    large = _bootstrap(large, 200, 1)
    for construct in ("visual", "textual", "speed"):
        for key in ("cr_ci", "ave_ci"):
            width = lambda r: r["reliability"][construct][key][1] - r["reliability"][construct][key][0]  # noqa: E731
            assert width(large) < 0.75 * width(small), (construct, key)
    lo, hi = large["htmt_ci"]["visual"]["speed"]
    lo_s, hi_s = small["htmt_ci"]["visual"]["speed"]
    assert hi - lo < 0.75 * (hi_s - lo_s)


@pytest.mark.slow
def test_bootstrap_agrees_with_lavaan_within_monte_carlo_error(holzinger):
    """Percentile CIs from 2000 resamples each: lavaan's bootstrap of CR and AVE (defined
    parameters of the std.all loadings) and boot() over semTools::htmt, against semtrust's own
    seeded resamples. A CI limit from B draws has a Monte Carlo SE of about 0.06 bootstrap SDs,
    so the two may differ by up to 0.35 SD (about 4 SEs of the difference)."""
    reference = json.loads(BOOTSTRAP_REFERENCE.read_text())
    ours = _bootstrap(holzinger, reference["draws"], 20261123)
    for construct, expected in reference["reliability"].items():
        for key in ("cr", "ave"):
            assert ours["reliability"][construct][key] == pytest.approx(expected[key], abs=TOL)
            np.testing.assert_allclose(ours["reliability"][construct][f"{key}_ci"], expected[f"{key}_ci"],
                                       atol=0.35 * expected[f"{key}_sd"], err_msg=f"{construct} {key}")
    for key in ("htmt_ci", "htmt2_ci"):
        for pair in reference[key].values():
            np.testing.assert_allclose(ours[key][pair["a"]][pair["b"]], pair["ci"], atol=0.35 * pair["sd"],
                                       err_msg=f"{key} {pair['a']} {pair['b']}")


def test_measurement_bootstrap_from_study_file_or_flag(tmp_path):
    """The study file's count holds unless the flag is given (the flag has no default of its own)."""
    from semtrust.cli import _parser
    from semtrust.io.study import resolve_config

    study = tmp_path / "study.yaml"
    study.write_text("data: survey.csv\nmeasurement_bootstrap: 250\n", encoding="utf-8")
    for flags, expected in ((["fit", str(study)], 250), (["fit", str(study), "--measurement-bootstrap", "0"], 0),
                            (["fit", "survey.csv"], 1000)):
        args = vars(_parser().parse_args(flags))
        path = args["data"] if args["data"].endswith(".yaml") else None
        config = resolve_config(path, dict(args, data=None if path else args["data"]))
        assert config.measurement_bootstrap == expected, flags
