"""Latent interaction by double-mean-centred product indicators against lavaan + semTools
(indProd, sem, probe2WayMC). Fixtures: tests/conformance/make_latent_interaction_fixtures.py."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from semtrust.errors import InputError
from semtrust.structural.latent_interaction import latent_interaction, product_indicators

HERE = Path(__file__).parent / "conformance"
FIXTURES = json.loads((HERE / "fixtures" / "latent_interaction.json").read_text())
DATA = pd.read_csv(HERE / "data" / "latent_interaction_sim.csv")
X, W, Y = ("X", ["x1", "x2", "x3"]), ("W", ["w1", "w2", "w3"]), ("Y", ["y1", "y2", "y3"])


@pytest.mark.parametrize("kind", ["matched", "all_pairs"])
def test_matches_lavaan_and_probe2waymc(kind):
    expected = FIXTURES[kind]
    products = product_indicators(DATA, X[1], W[1], match=kind == "matched")
    assert list(products.columns) == expected["products"]
    reference = pd.DataFrame(expected["first_rows"])
    assert products.iloc[:5].to_numpy() == pytest.approx(reference[expected["products"]].to_numpy(), abs=1e-8)

    result = latent_interaction(DATA, X, W, Y, match=kind == "matched", values=[-1.0, 0.0, 1.0])
    assert result.fit.fit_measures["chisq"] == pytest.approx(expected["chisq"], abs=1e-3)
    assert result.fit.fit_measures["df"] == expected["df"]
    paths = result.paths.set_index("rhs")
    for row in expected["paths"]:
        mine = paths.loc["X:W" if row["rhs"] == "XW" else row["rhs"]]
        for key in ("est", "se", "z"):
            assert mine[key] == pytest.approx(row[key], abs=1e-4), (row["rhs"], key)
    for mine, row in zip(result.simple_slopes.to_dict("records"), expected["simple_slopes"]):
        assert mine["W"] == row["W"]
        for key in ("est", "se", "z", "pvalue"):
            assert mine[key] == pytest.approx(row[key], abs=1e-4), key


def test_default_probes_are_one_latent_sd_around_zero():
    result = latent_interaction(DATA, X, W, Y)
    sd = FIXTURES["matched"]["w_variance"] ** 0.5
    assert result.simple_slopes.W.tolist() == pytest.approx([-sd, 0.0, sd], abs=1e-4)
    assert "X:W =~ x1.w1 + x2.w2 + x3.w3" in result.syntax
    block = json.loads(json.dumps(result.to_dict()))
    assert [p["rhs"] for p in block["paths"]] == ["X", "W", "X:W"]


def test_unequal_indicator_counts_need_all_pairs():
    with pytest.raises(InputError, match="3 vs 2"):
        product_indicators(DATA, X[1], ["w1", "w2"])


def test_latent_first_stage_moderated_mediation_matches_lavaan():
    expected = FIXTURES["mediated"]
    result = latent_interaction(DATA, X, W, ("O", ["o1", "o2", "o3"]), m=("M", ["m1", "m2", "m3"]),
                                values=[-1.0, 0.0, 1.0])
    assert result.fit.fit_measures["chisq"] == pytest.approx(expected["chisq"], abs=1e-3)
    paths = result.paths.set_index(["lhs", "rhs"])
    for row in expected["paths"]:
        mine = paths.loc[(row["lhs"], "X:W" if row["rhs"] == "XW" else row["rhs"])]
        assert mine.est == pytest.approx(row["est"], abs=1e-4) and mine.se == pytest.approx(row["se"], abs=1e-4)
    for mine, row in zip(result.simple_slopes.to_dict("records"), expected["simple_slopes"]):
        assert (mine["est"], mine["se"]) == pytest.approx((row["est"], row["se"]), abs=1e-4)
    defined = {row["lhs"]: row for row in expected["defined"]}
    for mine, name in zip(result.indirect_effects.to_dict("records"), ("ind_minus", "ind_zero", "ind_plus")):
        for key in ("est", "se", "z", "pvalue"):
            assert mine[key] == pytest.approx(defined[name][key], abs=1e-4), (name, key)
    for key in ("est", "se", "z", "pvalue"):
        assert result.index_of_moderated_mediation[key] == pytest.approx(defined["imm"][key], abs=1e-4)


def test_latent_second_stage_moderated_mediation_matches_lavaan():
    expected = FIXTURES["second_stage"]
    result = latent_interaction(DATA, X, W, ("O", ["o1", "o2", "o3"]), m=("M", ["m1", "m2", "m3"]),
                                stage="second", values=[-1.0, 0.0, 1.0])
    assert result.products == ["m1.w1", "m2.w2", "m3.w3"]
    assert result.fit.fit_measures["chisq"] == pytest.approx(expected["chisq"], abs=1e-3)
    assert result.fit.fit_measures["df"] == expected["df"]
    paths = result.paths.set_index(["lhs", "rhs"])
    for row in expected["paths"]:
        mine = paths.loc[(row["lhs"], "M:W" if row["rhs"] == "MW" else row["rhs"])]
        assert (mine.est, mine.se) == pytest.approx((row["est"], row["se"]), abs=1e-4), row["rhs"]
    for mine, row in zip(result.simple_slopes.to_dict("records"), expected["simple_slopes"]):
        assert (mine["est"], mine["se"], mine["z"]) == pytest.approx((row["est"], row["se"], row["z"]), abs=1e-4)
    defined = {row["lhs"]: row for row in expected["defined"]}
    for mine, name in zip(result.indirect_effects.to_dict("records"), ("ind_minus", "ind_zero", "ind_plus")):
        for key, theirs in (("est", "est"), ("se", "se"), ("ci_lower", "ci.lower"), ("ci_upper", "ci.upper")):
            assert mine[key] == pytest.approx(defined[name][theirs], abs=1e-4), (name, key)
    assert result.index_of_moderated_mediation["est"] == pytest.approx(defined["imm"]["est"], abs=1e-4)
    assert result.plots["simple_slopes"]["focal"] == "M" and result.plots["johnson_neyman"] is None
