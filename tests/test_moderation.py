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
    (dict(model=6, x="x", m="m1", y="y"), "model 6 is not available"),
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
