"""`semtrust fit --moderator` with the default --moderation latent: the instrument's moderation
hypotheses as latent interactions (double-mean-centred product indicators) on the bundled
moderation example, against lavaan + semTools (tests/conformance/make_latent_moderation_example_fixture.R)."""
import json
from dataclasses import replace

import pandas as pd
import pytest
from conftest import CONFORMANCE, ROOT

from semtrust.cli import main
from semtrust.model.instrument import load_instrument
from semtrust.structural.latent_interaction import latent_interaction
from semtrust.structural.moderation_hypotheses import LatentModerationTest

EXAMPLE = ROOT / "example_data" / "trust_survey_moderation.csv"
EXPECTED = json.loads((CONFORMANCE / "fixtures" / "latent_moderation_example.json").read_text())
TOL = 1e-4


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("latent") / "out"
    code = main(["fit", str(EXAMPLE), "--moderator", "INV", "FAM", "--bootstrap", "0", "--measurement-bootstrap", "0",
                 "--no-screen", "--quiet", "--out", str(out)])   # all 600 rows, as the fixture
    assert code == 0
    return out, json.loads((out / "results.json").read_text())


def _paths(entry: dict) -> dict:
    return {(p["lhs"], p["rhs"].replace(":", "x")): p for p in entry["analysis"]["paths"]}


def test_latent_is_the_default_and_matches_lavaan(run):
    _, results = run
    assert results["config"]["moderation"] == "latent"
    mh1, mh2 = results["moderation"]
    assert (mh1["method"], mh1["analysis"]["pairs"], mh2["analysis"]["pairs"]) == ("latent", "matched", "all")
    for entry, key in ((mh1, "MH1"), (mh2, "MH2")):
        expected = EXPECTED[key]
        assert entry["analysis"]["products"] == expected["products"]
        assert entry["analysis"]["fit"]["chisq"] == pytest.approx(expected["chisq"], abs=1e-3)
        assert entry["analysis"]["fit"]["df"] == expected["df"]
        mine = _paths(entry)
        for row in expected["paths"]:
            got = mine[(row["lhs"], row["rhs"])]
            for ours, theirs in (("est", "est"), ("se", "se"), ("z", "z"), ("ci_lower", "ci.lower"),
                                 ("ci_upper", "ci.upper")):
                assert got[ours] == pytest.approx(row[theirs], abs=TOL), (key, row["rhs"], ours)
        moderator = entry["moderator"]
        for got, row in zip(entry["analysis"]["simple_slopes"], expected["simple_slopes"]):
            assert got[moderator] == pytest.approx(row[moderator], abs=TOL)
            for k in ("est", "se", "z"):
                assert got[k] == pytest.approx(row[k], abs=TOL), (key, k)
    defined = {row["lhs"]: row for row in EXPECTED["MH2"]["defined"]}
    for got, name in zip(mh2["analysis"]["indirect_effects"], ("ind_minus", "ind_zero", "ind_plus")):
        assert (got["est"], got["se"]) == pytest.approx((defined[name]["est"], defined[name]["se"]), abs=TOL)
    imm = defined["imm"]
    assert mh2["index"]["est"] == pytest.approx(imm["est"], abs=TOL)
    assert mh2["index"]["llci"] == pytest.approx(imm["est"] - 1.959964 * imm["se"], abs=TOL)
    interaction = mh1["interaction"]
    row = next(p for p in EXPECTED["MH1"]["paths"] if p["rhs"] == "PVxINV")
    assert (interaction["b"], interaction["z"], interaction["p"]) == pytest.approx(
        (row["est"], row["z"], row["pvalue"]), abs=TOL)
    assert mh1["verdict"] == mh2["verdict"] == "supported"
    assert "latent interaction b = 0.176, z = 4.16" in mh1["line"] and "matched pairs" in mh1["line"]


def test_latent_report_and_plots(run):
    out, results = run
    html = (out / "report.html").read_text()
    assert "Moderation hypotheses (latent interactions, double-mean-centred product indicators)" in html
    assert "<title>Simple slopes of PV on PI at values of INV</title>" in html and "INV = 0 (mean)" in html
    assert {p.name for p in out.glob("moderation_*.svg")} == {
        "moderation_MH1_simple_slopes.svg", "moderation_MH1_johnson_neyman.svg", "moderation_MH2_simple_slopes.svg"}
    jn = results["moderation"][0]["analysis"]["plots"]["johnson_neyman"]
    assert jn["points"] == []          # the PV -> PI slope is significant over INV's mean ± 2 SD
    assert all(row["llci"] > 0 for row in jn["curve"])


def test_second_stage_hypothesis_as_a_latent_interaction():
    """A second-stage hypothesis (MH2 moved to PV -> PI) fits M ~ X; Y ~ M + W + M:W + X."""
    trust = load_instrument("trust_mechanism")
    [h] = [h for h in trust.moderation_hypotheses if h.id == "MH2"]
    items = pd.read_csv(EXAMPLE)
    items[trust.reverse_items] = 8 - items[trust.reverse_items]
    test = LatentModerationTest(replace(h, stage="second"), latent_interaction(
        items, ("HT", [f"HT{i}" for i in range(1, 6)]), ("FAM", ["FAM1", "FAM2", "FAM3"]), ("PI", ["PI1", "PI2", "PI3"]),
        m=("PV", [f"PV{i}" for i in range(1, 5)]), stage="second", match=False))
    assert test.interaction_test()["b"] == pytest.approx(
        test.result.paths.set_index(["lhs", "rhs"]).loc[("PI", "PV:FAM"), "est"], abs=1e-12)
    assert "PV.FAM1" not in test.result.products and "PV1.FAM1" in test.result.products
    assert test.to_dict()["analysis"]["plots"]["simple_slopes"]["focal"] == "PV"


def test_latent_conditional_effects_table(run):
    from semtrust.report.render import report_document

    _, results = run
    doc = report_document(results, "zh")
    [table] = [t for t in doc.tables() if t.id.startswith("tab-moderation-") and t.id != "tab-moderation"]
    rows = table.body_texts()
    assert len(rows) == 9 and table.inference == "wald"     # MH1 slopes, MH2 first-stage slopes and indirect effects
    slope = EXPECTED["MH1"]["simple_slopes"][0]
    assert rows[0][:5] == ["MH1", "PV → PI", f"INV = −{abs(slope['INV']):.2f} (均值 − 1 SD)", f"{slope['est']:.3f}",
                           f"{slope['se']:.3f}"]
    assert rows[6][1] == "HT → PV → PI" and rows[6][3] == f"{EXPECTED['MH2']['defined'][0]['est']:.3f}"
