"""PROCESS models against pyprocessmacro (and R sandwich for HC4) fixtures: estimates, SEs, t, p,
CIs, R² changes and Johnson–Neyman points to 1e-4; bootstrap SEs and CI bounds within Monte Carlo
error of two independent 5,000-resample runs. Fixtures: tests/conformance/make_moderation_fixtures.py."""
from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest

from semtrust.cli import main
from semtrust.errors import EstimationError, InputError
from semtrust.report.moderation_plots import johnson_neyman_svg, simple_slopes_svg
from semtrust.structural.group_paths import compare_groups
from semtrust.structural.moderation import process, process_syntax

HERE = Path(__file__).parent / "conformance"
FIXTURES = json.loads((HERE / "fixtures" / "moderation.json").read_text())
DATA = pd.read_csv(HERE / "data" / "moderation_sim.csv")
TOL = 1e-4


@pytest.fixture(scope="module")
def fits():
    cache = {}

    def fit(name):
        if name not in cache:
            case = dict(FIXTURES["cases"][name]["case"])
            cache[name] = process(DATA, case.pop("model"), bootstrap=FIXTURES["bootstrap"], seed=7, **case)
        return cache[name]
    return fit


def _matching(frame: pd.DataFrame, at: dict, **keys) -> pd.Series:
    mask = np.ones(len(frame), bool)
    for column, value in keys.items():
        mask &= frame[column].to_numpy() == value
    for moderator, value in at.items():
        mask &= np.isclose(frame[moderator].to_numpy(dtype=float), value, atol=1e-6)
    rows = frame[mask]
    assert len(rows) == 1, f"{keys} {at}: {len(rows)} rows"
    return rows.iloc[0]


def _close(row, expected: dict, keys=("effect", "se", "t", "p", "llci", "ulci")):
    for key in keys:
        if key in expected:
            assert row[key] == pytest.approx(expected[key], abs=TOL), key


def _boot_close(row, expected: dict):
    """Two independent bootstraps: SEs within 8 %, bounds within a quarter of the SE (the Monte
    Carlo SD of a 2.5 % quantile from 5,000 draws is about 0.04 SE)."""
    assert row.effect == pytest.approx(expected["effect"], abs=TOL)
    assert row.boot_se == pytest.approx(expected["se"], rel=0.08)
    assert row.boot_llci == pytest.approx(expected["llci"], abs=0.25 * expected["se"])
    assert row.boot_ulci == pytest.approx(expected["ulci"], abs=0.25 * expected["se"])


CASES = sorted(FIXTURES["cases"])


@pytest.mark.parametrize("name", CASES)
def test_coefficients(fits, name):
    result, expected = fits(name), FIXTURES["cases"][name]
    table = result.coefficients.assign(factors=[":".join(sorted(t.split(":"))) for t in result.coefficients.term])
    assert len(table) == len(expected["coefficients"])
    for row in expected["coefficients"]:
        mine = _matching(table, {}, outcome=row["outcome"], factors=":".join(row["term"]))
        _close(mine.rename({"b": "effect"}), row)


@pytest.mark.parametrize("name", [n for n in CASES if FIXTURES["cases"][n]["direct"]])
def test_conditional_direct_effects(fits, name):
    result, expected = fits(name), FIXTURES["cases"][name]
    for row in expected["direct"]:
        probe = row["probe"] if row["at"] else None
        frame = result.direct_effects
        mine = _matching(frame, row["at"], probe=probe) if probe else frame.iloc[0]
        _close(mine, row)


@pytest.mark.parametrize("name", [n for n in CASES if FIXTURES["cases"][n]["indirect"]])
def test_conditional_indirect_effects(fits, name):
    result, expected = fits(name), FIXTURES["cases"][name]
    for row in expected["indirect"]:
        keys = {"mediator": row["mediator"], **({"probe": row["probe"]} if row["at"] else {})}
        _boot_close(_matching(result.indirect_effects, row["at"], **keys), row)


@pytest.mark.parametrize("name", [n for n in CASES if FIXTURES["cases"][n]["index"]])
def test_indices_of_moderated_mediation(fits, name):
    result, expected = fits(name), FIXTURES["cases"][name]
    for row in expected["index"]:
        table = result.index_of_moderated_mediation.query("mediator == @row['mediator']")
        if row["index"] == "conditional moderated mediation":
            (at, value), = row["at"].items()
            mine = table[(table["index"] == row["index"]) & (table.moderator == row["moderator"])
                         & (table.probe == row["probe"]) & np.isclose(table.other_value.astype(float), value)]
            assert len(mine) == 1 and mine.iloc[0].other_moderator == at
            mine = mine.iloc[0]
        else:
            mine = table[table["index"] == row["index"]].iloc[0]
        _boot_close(mine, row)
    assert len(result.index_of_moderated_mediation) == len(
        {(r["mediator"], r["index"], r["probe"] if r["at"] else "", str(r["at"])) for r in expected["index"]})


@pytest.mark.parametrize("name", [n for n in CASES if FIXTURES["cases"][n]["case"].get("hc") != "HC4"])
def test_johnson_neyman_points(fits, name):
    result, expected = fits(name), FIXTURES["cases"][name]
    assert result.jn.value.tolist() == pytest.approx(expected["jn"], abs=TOL)


@pytest.mark.parametrize("name", [n for n in CASES if FIXTURES["cases"][n]["interactions"]])
def test_interaction_r2_change(fits, name):
    result, expected = fits(name), FIXTURES["cases"][name]
    table = result.interactions.assign(
        factors=["both" if t == "both" else ":".join(sorted(t.split(":"))) for t in result.interactions.term])
    assert len(table) == len(expected["interactions"])
    for row in expected["interactions"]:
        factors = "both" if row["term"] == "both" else ":".join(row["term"])
        mine = _matching(table, {}, outcome=row["outcome"], factors=factors)
        for key in ("r2_change", "F", "p"):
            assert mine[key] == pytest.approx(row[key], abs=TOL), key
        assert (mine.df1, mine.df2) == (row["df1"], row["df2"])


def test_bootstrap_is_reproducible_and_seeded():
    kwargs = dict(x="x", m="m1", w="w", y="y", bootstrap=300)
    first = process(DATA, 7, seed=11, **kwargs).indirect_effects
    again = process(DATA, 7, seed=11, **kwargs).indirect_effects
    other = process(DATA, 7, seed=12, **kwargs).indirect_effects
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first.boot_llci, other.boot_llci)


def test_to_dict_is_json():
    result = process(DATA, 14, x="x", m="m1", w="w", y="y", bootstrap=200, seed=1)
    block = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert block["model"] == 14 and block["n"] == 300
    assert block["index_of_moderated_mediation"][0]["moderator"] == "w"
    assert {r["term"] for r in block["coefficients"] if r["outcome"] == "y"} == {"const", "x", "m1", "w", "m1:w"}
    assert "Index of moderated mediation" in result.summary()


@pytest.mark.parametrize("kwargs, message", [
    (dict(model=9, x="x", m="m1", y="y"), "model 9 is not available"),
    (dict(model=7, x="x", m="m1", y="y"), "needs a moderator W"),
    (dict(model=1, x="x", w="w", y="nope"), "'nope' is not in the data"),
    (dict(model=1, x="x", w="platform", y="y"), "'platform' has non-numeric values"),
    (dict(model=1, x="x", w="w", y="y", hc="HC5"), "unknown hc"),
    (dict(model=4, x="x", y="y"), "needs a mediator"),
    (dict(model=4, x="x", m="m1", y="y", bootstrap=-5), "bootstrap -5: give 0"),
    (dict(model=1, x="x", w="w", y="y", conf=0.95), "conf must be a percentage"),
    (dict(model=1, x="x", w="w", y="y", center=True, covariates=["x"]), "a column is given for two roles"),
])
def test_bad_input_is_one_line(kwargs, message):
    with pytest.raises(InputError, match=message):
        process(DATA, **kwargs)


def test_singular_design_is_an_estimation_error():
    data = DATA.assign(c2=DATA.c1 * 2)
    with pytest.raises(EstimationError, match="singular"):
        process(data, 1, x="x", w="w", y="y", covariates=["c1", "c2"])


@pytest.mark.parametrize("expected", FIXTURES["groups"], ids=lambda g: g["hc"] or "classical")
def test_group_paths_and_holm_contrasts_match_r(expected):
    result = compare_groups(DATA, "platform", x="x", m="m1", y="y", covariates=["c1"], hc=expected["hc"])
    assert len(result.paths) == len(expected["paths"]) == 9
    for row in expected["paths"]:
        mine = _matching(result.paths, {}, path=row["path"], group=row["group"])
        assert mine.n == row["n"]
        for key in ("b", "se", "t", "p", "beta"):
            assert mine[key] == pytest.approx(row[key], abs=TOL), key
    assert len(result.contrasts) == len(expected["contrasts"]) == 9
    for row in expected["contrasts"]:
        mine = _matching(result.contrasts, {}, path=row["path"], group_1=row["group_1"], group_2=row["group_2"])
        for key in ("difference", "se", "z", "p", "p_holm"):
            assert mine[key] == pytest.approx(row[key], abs=TOL), key


def test_group_comparison_input_errors():
    with pytest.raises(InputError, match="has 1 group"):
        compare_groups(DATA.assign(g="a"), "g", x="x", y="y")
    with pytest.raises(InputError, match="group 'tiny' of 'g' has 3 complete rows"):
        compare_groups(DATA.assign(g=["tiny"] * 3 + ["big"] * 297), "g", x="x", y="y")


def test_cli_process_writes_json_and_plots(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["process", str(HERE / "data" / "moderation_sim.csv"), "--model", "1", "--x", "x", "--w", "w",
                 "--y", "y", "--cov", "c1", "--out", str(out)])
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    block = results["moderation"]
    expected = FIXTURES["cases"]["model1"]
    assert block["johnson_neyman"][0]["value"] == pytest.approx(expected["jn"][0], abs=TOL)
    x_w = next(r for r in block["coefficients"] if r["term"] == "x:w")
    assert x_w["b"] == pytest.approx(next(r["effect"] for r in expected["coefficients"] if r["term"] == ["w", "x"]),
                                     abs=TOL)
    assert results["method"] == "process" and results["command"] == (
        "semtrust process moderation_sim.csv --model 1 --x x --w w --y y --cov c1 --bootstrap 0 --seed 20240101 "
        "--conf 95 --lang en")
    for name in ("simple_slopes.svg", "johnson_neyman.svg"):
        ElementTree.fromstring((out / name).read_text())
    manifest = json.loads((out / ".semtrust-outputs.json").read_text())["files"]
    assert {"results.json", "report.html", "report.tex", "report.docx", "tables.xlsx", "simple_slopes.pdf"} <= set(manifest)
    printed = capsys.readouterr().out
    assert "Johnson-Neyman point(s) of significance" in printed and "results.json" in printed


def test_cli_process_with_a_group_column(tmp_path, capsys):
    code = main(["process", str(HERE / "data" / "moderation_sim.csv"), "--model", "4", "--x", "x", "--m", "m1",
                 "--y", "y", "--cov", "c1", "--group", "platform", "--bootstrap", "200", "--out", str(tmp_path)])
    assert code == 0
    groups = json.loads((tmp_path / "results.json").read_text())["moderation"]["groups"]
    expected = FIXTURES["groups"][0]
    mine = {(r["path"], r["group_1"], r["group_2"]): r["p_holm"] for r in groups["contrasts"]}
    for row in expected["contrasts"]:
        assert mine[(row["path"], row["group_1"], row["group_2"])] == pytest.approx(row["p_holm"], abs=TOL)
    assert "Pairwise group contrasts (Holm-adjusted p)" in capsys.readouterr().out


def test_cli_process_bad_column_exits_2(tmp_path, capsys):
    code = main(["process", str(HERE / "data" / "moderation_sim.csv"), "--model", "7", "--x", "x", "--m", "m9",
                 "--w", "w", "--y", "y", "--out", str(tmp_path)])
    assert code == 2
    assert capsys.readouterr().err.strip() == ("semtrust: error: column 'm9' is not in the data; the columns are "
                                               "x, w, z, d, m1, m2, y, c1, platform")


def test_plots_follow_the_fit():
    fit = process(DATA, 1, x="x", w="w", y="y", covariates=["c1"])
    plots = json.loads(json.dumps(fit.to_dict()))["plots"]     # drawn from results.json alone
    slopes = ElementTree.fromstring(simple_slopes_svg(plots, language="zh"))
    lines = [e for e in slopes.iter() if e.tag.endswith("polyline")]
    assert len(lines) == 3                      # the 16th, 50th and 84th percentiles of W
    assert "简单斜率" in simple_slopes_svg(plots, language="zh") and "第16百分位" in simple_slopes_svg(plots, "zh")
    spec = plots["simple_slopes"]
    w16, y = spec["lines"][0]["value"], spec["lines"][0]["predicted"]
    coef = fit.coefficients.set_index("term").b
    slope = coef["x"] + coef["x:w"] * w16       # the line's slope is the conditional effect at W's 16th percentile
    assert (y[1] - y[0]) / (spec["focal_range"][1] - spec["focal_range"][0]) == pytest.approx(slope, abs=1e-9)
    assert slope == pytest.approx(fit.direct_effects.query("probe == 'percentiles'").effect.iloc[0], abs=1e-9)
    jn = johnson_neyman_svg(plots)
    marker = f">{fit.jn.value[0]:.3g}<"
    assert marker in jn                          # the J-N point is labelled on the plot
    curve = plots["johnson_neyman"]["curve"]
    assert len(curve) == 61 and curve[0]["value"] == pytest.approx(DATA.w.min())
    assert johnson_neyman_svg(process(DATA, 7, x="x", m="m1", w="w", y="y", bootstrap=0).to_dict()["plots"]) is None
    assert simple_slopes_svg(process(DATA, 4, x="x", m="m1", y="y", bootstrap=0).to_dict()["plots"]) is None

def test_draws_do_not_depend_on_the_worker_count():
    kwargs = dict(x="x", m=["m1", "m2"], w="w", y="y", covariates=["c1"], bootstrap=2500, seed=5)
    one = process(DATA, 7, workers=1, **kwargs)
    two = process(DATA, 7, workers=2, **kwargs)
    for key in one.equations:
        assert np.array_equal(one.equations[key].draws, two.equations[key].draws)
    pd.testing.assert_frame_equal(one.indirect_effects, two.indirect_effects)


def test_model3_conditional_interaction_at_z(fits):
    expected = FIXTURES["cases"]["model3"]["conditional_interactions"]
    table = fits("model3").conditional_interactions
    assert len(table) == len(expected) == 6
    for row in expected:
        _close(_matching(table, row["at"], probe=row["probe"]), row)


def test_johnson_neyman_table_crosses_significance_at_the_jn_points(fits):
    result = fits("model1")
    table = result.johnson_neyman_table()
    assert len(table) == 21 + len(result.jn) == 22
    at_point = table[np.isclose(table.value, result.jn.value[0])].iloc[0]
    assert at_point.p == pytest.approx(0.05, abs=1e-9)
    below, above = table[table.value < at_point.value], table[table.value > at_point.value]
    assert (below.p > 0.05).all() and (above.p < 0.05).all()   # the effect is significant above 1.161
    assert len(json.loads(json.dumps(result.to_dict()))["johnson_neyman_table"]) == 22


def test_singular_resamples_are_dropped_and_counted():
    rare = DATA.assign(flag=np.r_[np.ones(2), np.zeros(len(DATA) - 2)])   # absent from ~13 % of resamples
    result = process(rare, 4, x="x", m="m1", y="y", covariates=["flag"], bootstrap=400, seed=2)
    assert 20 < result.bootstrap_failed < 100
    draws = result.equations["y"].draws
    assert np.isnan(draws).any(axis=1).sum() == result.bootstrap_failed
    row = result.indirect_effects.iloc[0]
    assert row.boot_llci < row.effect < row.boot_ulci
    assert f"({result.bootstrap_failed} singular resamples dropped)" in result.summary()


@pytest.mark.parametrize("name", CASES)
def test_every_model_serialises_without_nan(fits, name):
    block = json.loads(json.dumps(fits(name).to_dict(), allow_nan=False))
    assert block["model"] == FIXTURES["cases"][name]["case"]["model"]
    assert len(block["coefficients"]) == len(FIXTURES["cases"][name]["coefficients"])


def test_syntax_model_reproduces_process_model_59():
    kwargs = dict(bootstrap=1000, seed=4, hc="HC3")
    template = process(DATA, 59, x="x", m="m1", w="w", y="y", covariates=["c1"], **kwargs)
    written = process_syntax(DATA, """
        m1 ~ x + w + x:w + c1
        y ~ x + m1 + w + x:w + m1:w + c1   # PROCESS model 59
    """, x="x", **kwargs)
    pd.testing.assert_frame_equal(template.coefficients, written.coefficients)
    for table in ("direct_effects", "indirect_effects", "interactions", "jn", "model_summary"):
        pd.testing.assert_frame_equal(getattr(template, table), getattr(written, table), check_exact=False,
                                      rtol=1e-12, atol=1e-12)
    assert written.model is None and "PROCESS model 59" in written.summary()


def test_syntax_model_with_two_moderators_on_two_stages(fits):
    """W on the first stage and Z on the second is PROCESS model 21, whatever the term order."""
    written = process_syntax(DATA, "y ~ z:m1 + m1 + z + x; m1 ~ w:x + x + w", x="x",
                             bootstrap=FIXTURES["bootstrap"], seed=7)
    expected = FIXTURES["cases"]["model21"]
    for row in expected["indirect"]:
        _boot_close(_matching(written.indirect_effects, row["at"], mediator="m1", probe=row["probe"]), row)
    kinds = set(written.index_of_moderated_mediation["index"])
    assert kinds == {"moderated moderated mediation", "conditional moderated mediation"}


@pytest.mark.parametrize("syntax, message", [
    ("m1 ~ x\ny ~ m1\nm2 ~ x", "exactly one final outcome"),
    ("m1 ~ x\nm2 ~ x + m1\ny ~ m1 + m2", "serial mediation is not supported"),
    ("y ~ b*x + w", "write regressions as"),
    ("m1 ~ w\ny ~ m1 + x", "m1 must be regressed on x"),
])
def test_syntax_errors_are_one_line(syntax, message):
    with pytest.raises(InputError, match=message):
        process_syntax(DATA, syntax, x="x")


def test_api_takes_a_process_number_or_regressions():
    import semtrust as st

    by_number = st.process(DATA, 1, x="x", w="w", y="y")
    by_syntax = st.process(DATA, "y ~ x + w + x:w", x="x")
    pd.testing.assert_frame_equal(by_number.coefficients, by_syntax.coefficients)
    with pytest.raises(InputError, match="give only x"):
        st.process(DATA, "y ~ x + w + x:w", x="x", w="w")


def test_serial_mediation_model6_matches_pyprocessmacro():
    """PROCESS model 6 with two serial mediators (fixture: make_process_model6_fixture.py)."""
    expected = json.loads((HERE / "fixtures" / "process_model6.json").read_text())
    case = dict(expected["case"])
    result = process(DATA, case.pop("model"), bootstrap=expected["bootstrap"], seed=7, **case)
    table = result.coefficients.assign(factors=[":".join(sorted(t.split(":"))) for t in result.coefficients.term])
    assert len(table) == len(expected["coefficients"]) == 12     # 3 + 4 + 5 terms
    for row in expected["coefficients"]:
        _close(_matching(table, {}, outcome=row["outcome"], factors=":".join(row["term"])).rename({"b": "effect"}), row)
    _close(result.direct_effects.iloc[0], expected["direct"][0])
    assert sorted(result.indirect_effects.mediator) == sorted(r["mediator"] for r in expected["indirect"])
    for row in expected["indirect"]:
        _boot_close(_matching(result.indirect_effects, {}, mediator=row["mediator"]), row)
    assert "Indirect effect(s) of x on y" in result.summary()


def test_model6_needs_two_to_four_mediators():
    with pytest.raises(InputError, match="model 6 \\(serial mediation\\) takes two to four mediators"):
        process(DATA, 6, x="x", m="m1", y="y")
