"""Hardened input: no file a user can give produces a traceback. Every reader, the item mapping,
the coder and the study/instrument/mapping loaders either succeed or raise InputError (one
line). Bounded and derandomized for CI; SEMTRUST_FUZZ_EXAMPLES=2000 explores further."""
import io
import os
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from semtrust.io.survey import code_items, read_survey
from semtrust.errors import InputError
from semtrust.model.instrument import BUNDLED, load_instrument
from semtrust.io.mapping import map_items, read_mapping
from semtrust.io.study import load_study

ROOT = Path(__file__).resolve().parent.parent
TRUST = load_instrument("trust_mechanism")
EXAMPLES = int(os.environ.get("SEMTRUST_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 40,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

HEADERS = ["序号", "提交答卷时间", "所用时间", "来源", "来自IP", "编号", "答题时长", "开始答题时间", "ResponseId",
           "Finished", "Duration (in seconds)", "Respondent ID", "Timestamp", "respondent_id", "platform", "CA1",
           "CA2", "ID1", "1、性别", "9、请评价—面料舒适", "做工精细", "第3题(财经)", "3(体育)", "2.信息渠道？:微信",
           "Please rate [I trust this brand]", "Q9_1", "", "A1", "CA1", TRUST.items[0].text["zh"],
           TRUST.items[1].text["en"], "Response", '{"ImportId":"QID9_1"}', "{", "题(", "—"]
CELLS = ["", "1", "4", "7", "8", "-3", "-2", "-99", "(跳过)", "(空)", "136秒", "2分3秒", "02:16", "非常同意",
         "Strongly agree", "A.同意", "4分", "1=非常不同意", "Response", "男", "1e400", "nan", "NaN", "inf", "3.5",
         " ", "运动┋影视", "A→B", '{"ImportId":"x"}', "\u00a0", "0", "99999999999999999999"]
text_cell = st.one_of(st.sampled_from(CELLS), st.text(max_size=8))
grids = st.lists(st.lists(st.one_of(st.sampled_from(HEADERS), text_cell), min_size=0, max_size=7),
                 min_size=0, max_size=6)


def _square(grid) -> list[list]:
    width = max((len(row) for row in grid), default=0)
    return [row + [""] * (width - len(row)) for row in grid]


def _grid_csv(grid) -> str:
    buffer = io.StringIO()
    pd.DataFrame(_square(grid)).to_csv(buffer, index=False, header=False) if grid else None
    return buffer.getvalue()


def _through_the_data_stage(path, format=None):
    """Read, map to the trust items (or two ids), code: InputError is the only way out."""
    try:
        table = read_survey(path, format)
        for items, instrument in ((["CA1", "CA2"], None), (TRUST.item_ids, TRUST)):
            try:
                map_items(table, items, instrument)
                code_items(table, items, points=7, labels=TRUST.scale.label_scores())
            except InputError as error:
                _one_line(error)
    except InputError as error:
        _one_line(error)


def _one_line(error: InputError) -> None:
    assert str(error) and "\n" not in str(error) and "Traceback" not in str(error)


@FUZZ
@given(raw=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".tsv", ".xlsx", ".sav", ".xls"]))
def test_arbitrary_bytes(tmp_path_factory, raw, suffix):
    path = tmp_path_factory.mktemp("bytes") / f"data{suffix}"
    path.write_bytes(raw)
    _through_the_data_stage(path)
    assert path.read_bytes() == raw   # never modified


@FUZZ
@given(grid=grids, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
       format=st.sampled_from([None, "wjx", "tencent", "qualtrics", "surveymonkey", "google", "generic"]),
       trailing=st.booleans())
def test_platform_like_csv(tmp_path_factory, grid, encoding, format, trailing):
    text = _grid_csv(grid)
    if trailing:
        text = text.replace("\n", ",\n")
    path = tmp_path_factory.mktemp("csv") / "export.csv"
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        return
    _through_the_data_stage(path, format)


@settings(max_examples=max(10, EXAMPLES // 4), deadline=None, derandomize=EXAMPLES <= 40,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(grid=grids)
def test_platform_like_xlsx(tmp_path_factory, grid):
    path = tmp_path_factory.mktemp("xlsx") / "export.xlsx"
    clean = [[c.replace("\x00", "") if isinstance(c, str) else c for c in row] for row in grid]
    try:
        pd.DataFrame(_square(clean)).to_excel(path, index=False, header=False)
    except Exception:   # openpyxl refuses some control characters: not a file a user can have
        return
    _through_the_data_stage(path)


STUDY_KEYS = ["data", "format", "mapping", "instrument", "model", "out", "reverse", "scale_points", "na",
              "screening", "group", "summary", "estimator", "missing", "bootstrap", "ci", "workers", "seed",
              "colour", "Data"]
yaml_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=True),
                                     st.text(max_size=10), st.sampled_from(["ML", "MLR", "fiml", "wjx", "CA1"])),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                           max_leaves=6)


@FUZZ
@given(study=st.one_of(st.dictionaries(st.sampled_from(STUDY_KEYS), yaml_values, max_size=6), yaml_values),
       raw=st.binary(max_size=60), use_raw=st.booleans())
def test_study_loader(tmp_path_factory, study, raw, use_raw):
    path = tmp_path_factory.mktemp("study") / "study.yaml"
    path.write_bytes(raw if use_raw else yaml.safe_dump(study, allow_unicode=True).encode("utf-8"))
    try:
        settings_ = load_study(path)
    except InputError as error:
        _one_line(error)
    else:
        assert "data" in settings_


@FUZZ
@given(raw=st.one_of(st.binary(max_size=120),
                     st.lists(st.tuples(st.sampled_from(["column", "q1", "", "题1"]), st.text(string.printable,
                                                                                           max_size=6)),
                              max_size=4).map(lambda rows: "\n".join(f"{a},{b}" for a, b in rows).encode())),
       suffix=st.sampled_from([".csv", ".yaml", ".txt", ".json"]))
def test_mapping_loader(tmp_path_factory, raw, suffix):
    path = tmp_path_factory.mktemp("mapping") / f"map{suffix}"
    path.write_bytes(raw)
    try:
        mapping = read_mapping(path)
    except InputError as error:
        _one_line(error)
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())


def _mutations(data, draw_path, value):
    """The instrument with one value somewhere replaced (or removed when value is the sentinel)."""
    target = data
    for key in draw_path[:-1]:
        target = target[key]
    last = draw_path[-1]
    if value == "<remove>":
        del target[last]
    else:
        target[last] = value
    return data


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            yield prefix + (index,)
            yield from _paths(value, prefix + (index,))


with open(BUNDLED / "trust_mechanism.yaml",
          encoding="utf-8") as handle:
    INSTRUMENT = yaml.safe_load(handle)
INSTRUMENT_PATHS = list(_paths(INSTRUMENT))


@FUZZ
@given(where=st.sampled_from(INSTRUMENT_PATHS), value=st.one_of(yaml_values, st.just("<remove>")))
def test_instrument_loader(tmp_path_factory, where, value):
    import copy

    data = _mutations(copy.deepcopy(INSTRUMENT), where, value)
    path = tmp_path_factory.mktemp("instrument") / "trust_mechanism.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        load_instrument(path)
    except InputError as error:
        _one_line(error)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b",,,\n,,,\n", b"a,b\n", b"\x00\x01\x02", b"\xff\xfe\x00"])
def test_degenerate_files_one_line(tmp_path, content):
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        read_survey(path)
    _one_line(error.value)
    assert str(path) in str(error.value)


@settings(max_examples=max(8, EXAMPLES // 4), deadline=None, derandomize=EXAMPLES <= 40,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.lists(st.lists(st.sampled_from(["1", "2", "3", "4", "5", "", "7", "-3", "(跳过)", "同意", "x"]),
                              min_size=3, max_size=3), min_size=0, max_size=12),
       header=st.sampled_from(["x1,x2,x3", "序号,所用时间,x1,x2,x3", "x1,x1,x3", "x1,x2"]))
@example(body=[["1", "2", "1"], ["2", "1", ""], ["2", "", "1"]], header="x1,x2,x3")   # singular EM covariance
def test_whole_run_exits_cleanly(tmp_path_factory, body, header):
    """A whole `semtrust fit` on a small fuzzed table ends with 0, 2 (input) or 3 (estimation),
    never with an internal error."""
    from semtrust.cli import main

    folder = tmp_path_factory.mktemp("run")
    width = len(header.split(","))
    rows = [",".join(([str(i + 1), "30秒"] if width == 5 else []) + r)[: 10**6] for i, r in enumerate(body)]
    (folder / "d.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    (folder / "m.lav").write_text("F =~ x1 + x2 + x3\n", encoding="utf-8")
    code = main(["fit", str(folder / "d.csv"), "--model", str(folder / "m.lav"), "--scale-points", "5",
                 "--bootstrap", "0", "--quiet", "--out", str(folder / "out")])
    assert code in (0, 2, 3)


# -- issue 17: whole runs with arbitrary cell values, models and flags ------------------------

WILD_CELLS = ["inf", "-inf", "1e999", "1e300", "-1e308", "=1/0", "#DIV/0!", "=SUM(A1:A2)", "nan", "", "3", "4",
              "5", "2", "99999999999999999999", "0x10", "1_000", "四"]
MODELS = ["F =~ x1 + x2 + x3\n", "x2 ~ x1\nx3 ~ x2\n", "x1 ~ x2\nx2 ~ x3\nx3 ~ x1\n", "x1 ~ x2\nx2 ~ x1\n",
          "F =~ x1 + x2 + x3\nd := 9^9^9^9\n", "F =~ a*x1 + b*x2 + x3\nl := log(a - b - 100)\nq := a/(b-b)\n",
          "F =~ x1 + x2\nG =~ x3\n", "F =~ x1 + x2 + x3\nx1 ~~ x1\nF ~~ 0*F\n", "root:x:0:0:/bin/bash\n"]
FLAGS = [[], ["--seed", "-1"], ["--seed", "0"], ["--scale-points", "5"], ["--estimator", "MLR"],
         ["--missing", "fiml"], ["--screen-set", "duplicate_min_items=many"], ["--screen-set", "irv_min=.inf"],
         ["--screen-set", "k=!!python/name:os.system"], ["--summary", "1"], ["--na", "-99"]]


@settings(max_examples=max(8, EXAMPLES // 4), deadline=None, derandomize=EXAMPLES <= 40,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.lists(st.lists(st.one_of(st.sampled_from(WILD_CELLS), st.integers(1, 5).map(str)),
                              min_size=3, max_size=3), min_size=0, max_size=30),
       model=st.sampled_from(MODELS), flags=st.sampled_from(FLAGS))
def test_whole_run_wild_cells_models_flags(tmp_path_factory, body, model, flags):
    """Any cell value, model and flag: exit 0, 2 or 3 with at most one error line."""
    import contextlib

    from semtrust.cli import main

    folder = tmp_path_factory.mktemp("wild")
    (folder / "d.csv").write_text("x1,x2,x3\n" + "\n".join(",".join(r) for r in body) + "\n", encoding="utf-8")
    (folder / "m.lav").write_text(model, encoding="utf-8")
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code = main(["fit", str(folder / "d.csv"), "--model", str(folder / "m.lav"), "--bootstrap", "0",
                     "--measurement-bootstrap", "0", "--quiet", "--out", str(folder / "out"), *flags])
    assert code in (0, 2, 3), errors.getvalue()
    assert "internal error" not in errors.getvalue()


BOUNDED_RUNS = {
    "feedback loop": ("F =~ x1 + x2 + x3\n", "x1 ~ x2\nx2 ~ x3\nx3 ~ x1\n"),
    "power tower": ("", "F =~ x1 + x2 + x3\nbig := 9^9^9^9^9\n"),
    "billion laughs": ("study", "F =~ x1 + x2 + x3\n"),
}


@pytest.mark.parametrize("case", [pytest.param(c, marks=[] if c == "feedback loop" else pytest.mark.slow)
                                  for c in BOUNDED_RUNS])   # the slow ones are also covered in-process
def test_tiny_inputs_bounded_in_time_and_memory(tmp_path, case):
    """A subprocess limited to 2 GB of address space and 60 s: a tiny adversarial input ends
    with exit 0, 2 or 3 (it used to hang or be killed at 23 GB)."""
    import resource
    import subprocess
    import sys

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2 ** 30, 2 * 2 ** 30))

    rng = np.random.default_rng(0)
    f = rng.normal(size=200)
    pd.DataFrame({f"x{j}": f + rng.normal(size=200) for j in (1, 2, 3)}).to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text(BOUNDED_RUNS[case][1], encoding="utf-8")
    target = [str(tmp_path / "d.csv"), "--model", str(tmp_path / "m.lav")]
    if case == "billion laughs":
        lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        lines += [f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
                  for p, c in zip("abcdefgh", "bcdefghi")]
        (tmp_path / "s.yaml").write_text("\n".join(lines + ["data: d.csv", "model: m.lav", "seed: *i"]) + "\n")
        target = [str(tmp_path / "s.yaml")]
    done = subprocess.run([sys.executable, "-m", "semtrust.cli", "fit", *target, "--bootstrap", "20", "--workers", "1",
                           "--measurement-bootstrap", "0", "--quiet", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60, preexec_fn=limit, cwd=ROOT)
    assert done.returncode in (0, 2, 3), done.stderr[-500:]
    assert "internal error" not in done.stderr and len(done.stderr.strip().splitlines()) <= 1, done.stderr[-500:]
