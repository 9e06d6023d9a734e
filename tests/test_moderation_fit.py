"""`semtrust fit --moderator`: the instrument's moderation hypotheses on the bundled moderation
example (example_data/trust_survey_moderation.csv, simulated with a true interaction of +0.2 for
MH1 and -0.2 for MH2), from a study file, with the figures and report sections; one-line errors."""
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT, compile_latex
from semtrust.errors import InputError
from semtrust.model.instrument import load_instrument
from semtrust.model.simulate import simulate

EXAMPLE = ROOT / "example_data" / "trust_survey_moderation.csv"


def semtrust(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}   # this checkout, whatever the working folder
    return subprocess.run([sys.executable, "-m", "semtrust.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One whole run from a study file naming the moderators (the study-file key), on scale scores."""
    folder = tmp_path_factory.mktemp("moderation")
    (folder / "study.yaml").write_text(
        f"data: {EXAMPLE.as_posix()}\nmoderator: [INV, FAM]\nmoderation: scores\nbootstrap: 300\nmeasurement_bootstrap: 0\n"
        "seed: 11\nout: out\n", encoding="utf-8")
    done = semtrust("fit", folder / "study.yaml", "--quiet", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / "out", done.stdout, json.loads((folder / "out" / "results.json").read_text())


def test_interactions_found_with_the_simulated_signs(run):
    _, _, results = run
    truth = json.loads((ROOT / "example_data" / "trust_survey_moderation.truth.json").read_text())
    signs = {t["id"]: t["interaction"] for t in truth["moderation"]["interactions"]}
    block = {m["id"]: m for m in results["moderation"]}
    assert set(block) == {"MH1", "MH2"} == set(signs)
    mh1, mh2 = block["MH1"], block["MH2"]
    assert (mh1["process_model"], mh2["process_model"]) == (1, 7)
    assert mh1["interaction"]["b"] > 0 < signs["MH1"] and mh2["interaction"]["b"] < 0 > signs["MH2"]
    assert mh1["interaction"]["p"] < 0.001 and mh2["interaction"]["p"] < 0.001
    assert mh1["interaction"]["b"] == pytest.approx(0.1123, abs=1e-3)   # scale scores: attenuated latent 0.2
    [index] = mh2["analysis"]["index_of_moderated_mediation"]
    assert index["boot_ulci"] < 0 and index["effect"] == pytest.approx(-0.0830, abs=1e-3)
    assert mh1["verdict"] == mh2["verdict"] == "supported"
    assert mh2["analysis"]["options"]["bootstrap"] == 300 and mh2["analysis"]["options"]["seed"] == 11
    assert results["config"]["moderator"] == ["INV", "FAM"]
    assert "INV1" not in results["sample"]   # moderator items are not demographics


def test_console_figures_and_reports(run):
    out, stdout, results = run
    lines = [line for line in stdout.splitlines() if line.startswith("Moderation ")]
    assert lines == [f"Moderation {m['line']}" for m in results["moderation"]] and len(lines) == 2
    assert {p.name for p in out.glob("moderation_*.svg")} == {
        "moderation_MH1_simple_slopes.svg", "moderation_MH1_johnson_neyman.svg", "moderation_MH2_simple_slopes.svg"}
    manifest = json.loads((out / ".semtrust-outputs.json").read_text())["files"]
    assert "moderation_MH1_simple_slopes.svg" in manifest
    html = (out / "report.html").read_text()
    assert "Moderation hypotheses (PROCESS on scale scores)" in html and "Index of moderated mediation" in html
    tex = (out / "report.tex").read_text()
    assert "Moderation hypotheses}" in tex and "MH2" in tex


def test_unknown_moderator_is_one_line():
    done = semtrust("fit", EXAMPLE, "--moderator", "XYZ", "--out", "unused")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "--moderator XYZ: the instrument trust_mechanism declares the moderators INV, FAM" in done.stderr


def test_data_without_moderator_items_is_one_line(example_csv):
    done = semtrust("fit", example_csv, "--moderator", "INV", "--out", "unused")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith(
        "trust_survey.csv: no column for the moderator item(s) INV1, INV2, INV3, INV4; the data need the items of "
        "INV (see semtrust instrument show)")


def test_moderator_with_a_model_file_is_refused(tmp_path):
    from semtrust import pipeline
    from semtrust.config import RunConfig

    config = RunConfig.from_options({"data": str(EXAMPLE), "model": "F =~ CA1 + CA2 + CA3", "moderator": ["INV"]})
    with pytest.raises(InputError, match="moderation hypotheses come from an instrument"):
        pipeline.run(config)
    with pytest.raises(InputError, match="'moderator' must be a list"):
        RunConfig.from_options({"moderator": "INV"})


def test_instrument_keeps_moderators_out_of_the_model():
    trust = load_instrument("trust_mechanism")
    assert [c.id for c in trust.moderators] == ["INV", "FAM"] and {c.role for c in trust.moderators} == {"moderator"}
    assert "INV" not in trust.model_syntax() and "INV1" not in trust.item_ids and len(trust.items) == 51
    assert all(i.source and i.text["zh"] and i.text["en"] for c in trust.moderators for i in c.items)
    assert [(h.id, h.moderated_path, h.sign) for h in trust.moderation_hypotheses] == [
        ("MH1", ("PV", "PI"), "+"), ("MH2", ("HT", "PV"), "-")]


def test_moderation_hypothesis_must_moderate_a_hypothesised_path(tmp_path):
    text = (ROOT / "semtrust" / "instruments" / "trust_mechanism.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "trust_mechanism.yaml"
    bad.write_text(text.replace("  - id: MH1\n    from: PV\n", "  - id: MH1\n    from: CA\n"), encoding="utf-8")
    with pytest.raises(InputError, match=r"moderation_hypotheses\[0\] \(MH1\): the path CA -> PI is not a hypothesis"):
        load_instrument(bad)


def test_simulated_moderators_leave_the_other_columns_noise_alone():
    trust = load_instrument("trust_mechanism")
    plain, _ = simulate(trust, 80, 5)
    moderated, truth = simulate(trust, 80, 5, moderators=True)
    assert list(moderated.columns) == list(plain.columns) + ["INV1", "INV2", "INV3", "INV4", "FAM1", "FAM2", "FAM3"]
    untouched = ["CA1", "ID1", "AG1", "SR1", "AT1", "CT1", "PT1", "ST1", "PR1"]   # not downstream of HT -> PV, PV -> PI
    pd.testing.assert_frame_equal(moderated[untouched], plain[untouched])
    assert truth["moderation"]["interactions"][0] == {"id": "MH1", "path": ["PV", "PI"], "moderator": "INV",
                                                      "interaction": 0.2}


def test_scale_score_models_match_r_lm():
    """Coefficients, SEs, CIs, ΔR² and the index on the full moderation example match R's lm
    (tests/conformance/make_moderation_example_fixture.R)."""
    from conftest import CONFORMANCE
    from semtrust.structural.moderation_hypotheses import run_moderation_hypotheses, scale_scores

    expected = json.loads((CONFORMANCE / "fixtures" / "moderation_trust_example.json").read_text())
    trust = load_instrument("trust_mechanism")
    items = pd.read_csv(EXAMPLE)
    items[trust.reverse_items] = 8 - items[trust.reverse_items]
    groups = {c.id: [i.id for i in c.items] for c in trust.constructs + trust.moderators}
    mh1, mh2 = run_moderation_hypotheses(trust, scale_scores(items, groups), ["INV", "FAM"], bootstrap=0, seed=1)
    for test, equations in ((mh1, {"PI": expected["MH1"]["PI"]}),
                            (mh2, {"PV": expected["MH2"]["PV"], "PI": expected["MH2"]["PI"]})):
        assert test.result.n == expected["n"] == 600
        for outcome, rows in equations.items():
            got = test.result.coefficients.query("outcome == @outcome").set_index("term")
            for row in rows:
                for key in ("b", "se", "t", "llci", "ulci"):
                    assert got.loc[row["term"], key] == pytest.approx(row[key], abs=1e-8), (outcome, row["term"], key)
    for test, key in ((mh1, "MH1"), (mh2, "MH2")):
        change = test.result.interactions.iloc[0]
        assert change.r2_change == pytest.approx(expected[key]["change"]["r2_change"], abs=1e-10)
        assert change.F == pytest.approx(expected[key]["change"]["F"], rel=1e-8)
    coefficient = mh2.result.coefficients.set_index(["outcome", "term"]).b
    assert coefficient["PV", "HT:FAM"] * coefficient["PI", "PV"] == pytest.approx(expected["MH2"]["index"], abs=1e-10)
    assert mh2.verdict.startswith("supported (interaction only")   # no bootstrap: the index is untested


def test_simulate_regenerates_the_moderation_example(tmp_path):
    truth = json.loads((ROOT / "example_data" / "trust_survey_moderation.truth.json").read_text())
    out = tmp_path / "moderation.csv"
    args = truth["command"].split()[1:]
    args[args.index("--out") + 1] = str(out)
    assert semtrust(*args).returncode == 0
    assert out.read_bytes() == EXAMPLE.read_bytes()


def test_output_folder_owns_the_moderation_figures(tmp_path):
    from semtrust.io.output_folder import OutputFolder

    figure = "moderation_MH1_simple_slopes.svg"
    with OutputFolder(tmp_path / "out") as folder:
        folder.commit({"results.json": b"{}", figure: b"<svg/>"})
    assert (tmp_path / "out" / figure).read_bytes() == b"<svg/>"
    with OutputFolder(tmp_path / "out") as folder:   # a run without moderation removes the old figure
        folder.commit({"results.json": b"{}"})
    assert not (tmp_path / "out" / figure).exists()
    (tmp_path / "out" / figure).write_bytes(b"mine")   # a file semtrust did not write is never replaced
    with OutputFolder(tmp_path / "out") as folder, pytest.raises(InputError, match="was not written by semtrust"):
        folder.commit({"results.json": b"{}", figure: b"<svg/>"})
    assert (tmp_path / "out" / figure).read_bytes() == b"mine"
    with OutputFolder(tmp_path / "out2") as folder, pytest.raises(ValueError, match="not an output name"):
        folder.commit({"moderation_../x_simple_slopes.svg": b""})


def test_reports_embed_the_moderation_plots(run, tmp_path):
    """The simple-slopes and J–N plots are in every report: inline SVG in HTML, PDF files the LaTeX
    report includes, PNG pictures in Word; titled in the report's language."""
    from docx import Document as WordDocument

    from semtrust.report.render import write_reports

    out, _, results = run
    html = (out / "report.html").read_text()
    assert html.count("<svg") == 4 and "<title>Simple slopes of PV on PI at values of INV</title>" in html
    assert "Johnson–Neyman plot: conditional effect of PV → PI along INV" in html
    tex = (out / "report.tex").read_text()
    assert tex.count("\\includegraphics") == 3 and "{moderation_MH2_simple_slopes.pdf}" in tex
    assert (out / "moderation_MH1_johnson_neyman.pdf").read_bytes().startswith(b"%PDF")
    paths = write_reports(results, tmp_path, lang="zh")
    word = WordDocument(paths["report.docx"])
    assert len(word.inline_shapes) == 4                    # the path diagram and the three plots
    captions = [p.text for p in word.paragraphs]
    assert any(c.startswith("MH1: INV 不同取值下 PV 对 PI 的简单斜率") for c in captions)
    assert any("Johnson–Neyman 图：PV → PI 随 INV 变化的条件效应" in c for c in captions)
    assert "第16百分位" in (tmp_path / "moderation_MH1_simple_slopes.svg").read_text()
    assert "moderation_MH1_johnson_neyman.pdf" in compile_latex(tmp_path)


def test_conditional_effects_tables_one_inference_each(run):
    from semtrust.report.render import report_document

    _, _, results = run
    tables = {t.id: t for t in report_document(results, "en").tables()}
    direct, indirect = tables["tab-moderation-effects"], tables["tab-moderation-indirect"]
    assert (direct.inference, indirect.inference) == ("wald", "bootstrap")
    mh1 = next(e for e in results["moderation"][0]["analysis"]["direct_effects"] if e["probe"] == "percentiles")
    assert direct.body_texts()[0] == ["MH1", "PV → PI", f"INV = {mh1['INV']:.2f} (16th)", f"{mh1['effect']:.3f}",
                                      f"{mh1['se']:.3f}", "< .001", f"[{mh1['llci']:.3f}, {mh1['ulci']:.3f}]"]
    assert [r[1] for r in indirect.body_texts()] == ["HT → PV → PI"] * 3 and indirect.header_texts()[4] == "Boot SE"
