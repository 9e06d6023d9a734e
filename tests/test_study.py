"""Study files: keys, paths relative to the file, flags override, config echoed, exit codes."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from semtrust.errors import InputError
from semtrust.io.study import load_study, resolve_config


def semtrust(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "semtrust.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)


def test_paths_are_relative_to_the_study_file(tmp_path):
    study = tmp_path / "project" / "study.yaml"
    study.parent.mkdir()
    study.write_text("data: data/export.xlsx\nmapping: {题1: CA1}\nformat: wjx\nbootstrap: 100\n"
                     "screening: {attention_checks: [{column: Q10, expect: 4}]}\nseed: 5\n", encoding="utf-8")
    settings = load_study(study)
    assert settings.data == str(study.parent.resolve() / "data" / "export.xlsx")
    assert settings.mapping == {"题1": "CA1"} and settings.format == "wjx"
    config = resolve_config(str(study), {"bootstrap": 0, "seed": None, "out": None})
    assert (config.bootstrap, config.seed, config.out) == (0, 5, "semtrust_output")
    assert config.instrument == "trust_mechanism" and config.study == str(study)
    assert config.screening == {"attention_checks": [{"column": "Q10", "expect": 4}]}


@pytest.mark.parametrize("text, message", [
    ("data: a.csv\ncolour: red\n", r"unknown key 'colour'; the keys are data, format"),
    ("instrument: trust_mechanism\n", r"'data' is missing"),
    ("data: a.csv\nbootstrap: many\n", r"'bootstrap' must be a whole number, not 'many'"),
    ("data: a.csv\nestimator: WLSMV\n", r"'estimator: WLSMV' must be one of ML, MLR"),
    ("data: a.csv\nmissing: pairwise\n", r"'missing: pairwise' must be one of auto, listwise, fiml"),
    ("data: a.csv\nseed: true\n", r"'seed' must be a whole number"),
    ("data: a.csv\nreverse: HT4\n", r"'reverse' must be a list"),
    ("data: [a.csv\n", r"line 2, column 1: not valid YAML"),
    ("- data\n", r"a study file is a mapping of keys"),
    ("data: a.csv\nmapping: {q1: [CA1]}\n", r"'q1': the item id must be a text"),
])
def test_bad_study_files(tmp_path, text, message):
    study = tmp_path / "study.yaml"
    study.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as error:
        load_study(study)
    assert str(study) in str(error.value) and "\n" not in str(error.value)


def test_every_setting_reaches_the_pipeline():
    """Every RunConfig field is read by the pipeline (or is where and how fast it runs)."""
    import inspect
    from dataclasses import replace

    from semtrust import pipeline
    from semtrust.config import RunConfig

    source = inspect.getsource(pipeline)
    unread = [key for key in RunConfig.keys() if f"config.{key}" not in source]
    # the CLI and Study.save decide where the files go; the report reads its sections from results.json
    assert unread == ["out", "sections"]
    config = resolve_config(None, {"data": "a.csv", "estimator": "MLR", "missing": "fiml", "marker": ["AT1"],
                                   "screening": {"speed_fraction": 0.5}})
    assert (config.estimator, config.missing, config.marker) == ("MLR", "fiml", ["AT1"])
    assert pipeline.screening_rules(config).speed_fraction == 0.5
    with pytest.raises(InputError, match="screening: unknown setting speed"):
        pipeline.screening_rules(replace(config, screening={"speed": 1}))


def test_cli_study_file_flags_override_and_config_echoed(tmp_path, example_csv):
    mapping = tmp_path / "columns.csv"
    mapping.write_text("column,item\nCA1,CA1\n", encoding="utf-8")
    study = tmp_path / "study.yaml"
    (tmp_path / "two.lav").write_text("CA =~ CA1 + CA2 + CA3\nID =~ ID1 + ID2 + ID3\n", encoding="utf-8")
    study.write_text(f"data: {example_csv}\nmapping: columns.csv\nmodel: two.lav\nscale_points: 7\n"
                     "bootstrap: 5000\nseed: 11\nout: out\nmeasurement_bootstrap: 0\nscreen: false\n",
                     encoding="utf-8")
    result = semtrust("fit", study, "--bootstrap", "0", "--quiet")
    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["config"]["bootstrap"] == 0 and results["config"]["seed"] == 11 == results["seed"]
    assert results["config"]["study"] == "study.yaml" and results["config"]["mapping"] == "columns.csv"
    assert results["input"]["mapping"]["matched_by"] == {"file": 1, "id": 5}
    assert results["bootstrap"] is None
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Run configuration" in html and "columns.csv" in html and "#}" not in html
    report = tmp_path / "out" / "column_mapping.csv"   # the mapping report reads back as --mapping
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines[:3] == ["column,item,matched_by", "CA1,CA1,file", "CA2,CA2,id"] and len(lines) == 7
    from semtrust.io.mapping import read_mapping
    assert read_mapping(report)["ID3"] == "ID3"


def test_cli_errors_exit_2(tmp_path, example_csv, capsys):
    from semtrust.cli import main

    def run(*args):
        code = main([str(a) for a in args])
        return code, capsys.readouterr().err

    study = tmp_path / "study.yaml"
    study.write_text("data: x.csv\nbootstraps: 10\n", encoding="utf-8")
    code, err = run("fit", study)
    assert code == 2 and "unknown key 'bootstraps'" in err and len(err.strip().splitlines()) == 1
    code, err = run("fit", example_csv, "--format", "sav", "--out", tmp_path)
    assert code == 2 and "--format sav needs an SPSS .sav file" in err
    code, err = run("fit", example_csv, "--mapping", study, "--out", tmp_path)   # the YAML is not a mapping
    assert code == 2 and "have no column 'data'; copy the column name" in err
    valid = tmp_path / "valid.yaml"
    valid.write_text(f"data: {example_csv}\n", encoding="utf-8")
    before = valid.read_bytes()
    code, err = run("fit", valid, "--out", valid)
    assert code == 2 and "is the study file" in err and valid.read_bytes() == before


def test_study_estimator_and_missing_reach_the_fit(tmp_path):
    from semtrust.cli import main

    data = ROOT / "tests" / "conformance" / "data" / "HolzingerSwineford1939.csv"
    (tmp_path / "cfa.lav").write_text("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\n", encoding="utf-8")
    study = tmp_path / "study.yaml"
    study.write_text(f"data: {data}\nmodel: cfa.lav\nestimator: MLR\nmissing: fiml\nbootstrap: 0\nout: out\n"
                     "measurement_bootstrap: 0\n", encoding="utf-8")
    assert main(["fit", str(study), "--missing", "listwise", "--quiet"]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert (results["estimator"], results["missing"]) == ("MLR", "listwise")   # the flag overrides the file
    assert results["config"]["model"] == "cfa.lav" and results["n"] == 301   # relative to the study file


def test_example_study_file_declares_the_default_run():
    """example_data/study.yaml spells out the defaults: it reproduces `semtrust fit trust_survey.csv
    --group platform`."""
    from semtrust.screening.careless import ScreeningRules

    from semtrust.pipeline import screening_rules

    config = resolve_config(str(ROOT / "example_data" / "study.yaml"), {})
    assert config.data == str(ROOT / "example_data" / "trust_survey.csv")
    assert screening_rules(config) == ScreeningRules()
    default = resolve_config(None, {"data": config.data, "group": "platform"})
    assert {k: v for k, v in config.echo().items() if k not in ("screening", "study", "data")} == \
           {k: v for k, v in default.echo().items() if k not in ("screening", "study", "data")}
    assert config.echo()["data"] == "trust_survey.csv"   # relative to the study file


def test_unset_flags_leave_the_study_files_settings(tmp_path):
    from semtrust.cli import _parser

    study = tmp_path / "study.yaml"
    study.write_text("data: survey.csv\nefa_rotation: promax\nefa_extraction: ml\nmarker: [AT1]\n"
                     "measurement_bootstrap: 0\n", encoding="utf-8")
    flags = vars(_parser().parse_args(["fit", str(study)]))
    config = resolve_config(str(study), dict(flags, data=None))
    assert (config.efa_rotation, config.efa_extraction, config.marker) == ("promax", "ml", ["AT1"])
    assert config.measurement_bootstrap == 0
    flags = vars(_parser().parse_args(["fit", str(study), "--efa-rotation", "varimax"]))
    assert resolve_config(str(study), dict(flags, data=None)).efa_rotation == "varimax"
