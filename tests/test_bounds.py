"""Issue 17: bounded work on tiny inputs, and every failure one clear line (exit 2/3).

Each test reproduces one reported failure: an endless loop, a memory blow-up, an internal
error, a silently wrong number or a vague message."""
import math
import re
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from semtrust.cli import main
from semtrust.errors import EstimationError, InputError
from semtrust.estimation.ml import SEM

def _survey(seed=1, n=300) -> pd.DataFrame:
    """Two correlated 3-item factors on a 1-7 scale, with an id column."""
    rng = np.random.default_rng(seed)
    factors = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=n)
    data = {f"{f}{j}": np.clip(np.round(4 + 0.9 * factors[:, k] + rng.normal(size=n) * 0.8), 1, 7).astype(int)
            for k, f in enumerate("ab") for j in (1, 2, 3)}
    return pd.DataFrame({"id": [f"R{i}" for i in range(n)], **data})


def _run(tmp_path, capsys, data: pd.DataFrame | str, model: str, *flags) -> tuple[int, str]:
    data_path = tmp_path / "d.csv"
    if isinstance(data, str):
        data_path.write_text(data, encoding="utf-8")
    else:
        data.to_csv(data_path, index=False)
    (tmp_path / "m.lav").write_text(model, encoding="utf-8")
    code = main(["fit", str(data_path), "--model", str(tmp_path / "m.lav"), "--bootstrap", "0",
                 "--measurement-bootstrap", "0", "--quiet", "--out", str(tmp_path / "out"), *flags])
    err = capsys.readouterr().err.strip()
    return code, err


def _one_line_error(code, err, expected_code, *fragments):
    assert code == expected_code, err
    assert len(err.splitlines()) == 1 and "internal error" not in err and "Warning" not in err, err
    for fragment in fragments:
        assert fragment in err, err


# -- item 2: bounded work -------------------------------------------------------------------

def test_feedback_loop_total_effects_by_matrix_formula():
    """y1 ~ y2, y2 ~ y3, y3 ~ y1 used to enumerate paths until the kernel killed it."""
    from semtrust.structural.effects import EffectSet, feedback_loop

    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["y1", "y2", "y3"])
    frame["y2"] += 0.4 * frame.y1
    fit = SEM("y1 ~ y2\ny2 ~ y3\ny3 ~ y1").fit(frame)
    effects = EffectSet(fit)
    assert feedback_loop(set(effects.edges)) is not None
    b = fit.parameters.set_index(["lhs", "rhs"]).est
    b12, b23, b31 = b[("y1", "y2")], b[("y2", "y3")], b[("y3", "y1")]
    values = dict(zip([(e.source, e.target) for e in effects.effects], effects.values(fit.theta)[0]))
    loop = 1 - b12 * b23 * b31     # (I - B)^-1 of a 3-cycle: every path around the loop, summed
    assert values[("y2", "y1")] == pytest.approx(b12 / loop, rel=1e-10)
    assert values[("y3", "y1")] == pytest.approx(b12 * b23 / loop, rel=1e-10)
    assert len(values) == 6


def test_feedback_loop_that_does_not_converge_is_a_warning():
    from semtrust.structural.effects import EffectSet

    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(200, 2)), columns=["y1", "y2"])
    # fixed paths with b12 * b21 = 1.5 > 1: the loop's effects diverge
    fit = SEM("y1 ~ 1.5*y2 + x\ny2 ~ 1*y1").fit(frame.assign(x=rng.normal(size=200)))
    effects = EffectSet(fit)
    assert not [e for e in effects.effects if e.feedback]
    assert any("spectral radius 1.22" in w for w in fit.warnings), fit.warnings


def test_mardia_large_n_without_n_by_n_matrix():
    """n = 100,000 used to ask for 80 GB (an n x n matrix); now a few MB."""
    from semtrust.assessment.reliability import mardia

    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.normal(size=(100_000, 6)))
    tracemalloc.start()
    result = mardia(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 * 2 ** 20
    assert result["b2p"] == pytest.approx(6 * 8, rel=0.01)    # normal data: p(p + 2)
    assert result["p_skew"] > 0.001


def test_mardia_both_routes_agree():
    """Blocks of case products (n < p^2) and the third-moment tensor (n >= p^2) give the
    same b1p (psych::mardia's fixtures cover the numbers)."""
    from semtrust.assessment.reliability import _sum_of_cubed_products

    white = np.random.default_rng(1).normal(size=(40, 5))
    direct = float(((white @ white.T) ** 3).sum())
    assert _sum_of_cubed_products(white) == pytest.approx(direct, rel=1e-12)
    assert _sum_of_cubed_products(white, chunk_cells=7) == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize("definition, fragment", [
    ("big := 9^9^9^9", "overflows"),
    ("l := log(-1)", "undefined (log of a value <= 0)"),
    ("d := x / 0", "divides by zero"),
    ("r := (-8)^(1/3)", "fractional power"),
])
def test_defined_parameters_bounded(definition, fragment):
    """9^9^9^9 used to hang; log(-1) and /0 were internal errors with warning spam."""
    model = "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nB ~ x*A\n" + definition + "\n"
    with pytest.raises(InputError, match=r"line 4: .*" + re.escape(fragment)):
        SEM(model).fit(_survey().drop(columns="id"))


def test_defined_parameter_error_through_the_cli(tmp_path, capsys):
    model = "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nB ~ x*A\nbig := 9^9^9^9\n"
    code, err = _run(tmp_path, capsys, _survey(), model)
    _one_line_error(code, err, 2, "m.lav, line 4", "overflows")
    assert "d.csv" not in err   # a model error is not blamed on the data


def test_yaml_billion_laughs_refused_before_expansion(tmp_path, capsys):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]" for p, c in zip("abcdefgh", "bcdefghi")]
    study = tmp_path / "study.yaml"
    study.write_text("\n".join(lines + ["data: d.csv", "seed: *i"]) + "\n", encoding="utf-8")
    assert len(study.read_bytes()) < 600
    tracemalloc.start()
    code = main(["fit", str(study)])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    err = capsys.readouterr().err.strip()
    _one_line_error(code, err, 2, "study.yaml", "expand to more than")
    assert peak < 50 * 2 ** 20


@pytest.mark.parametrize("loader", ["mapping", "instrument"])
def test_yaml_recursive_alias_refused(tmp_path, loader):
    from semtrust.io.mapping import read_mapping
    from semtrust.model.instrument import load_instrument

    path = tmp_path / "x.yaml"
    path.write_text("a: &a [*a]\n", encoding="utf-8")
    with pytest.raises(InputError, match="refers to itself"):
        (read_mapping if loader == "mapping" else load_instrument)(path)


def test_messages_bound_user_values():
    from semtrust.errors import shown

    huge = {"k": ["x" * 10_000] * 10_000}
    assert len(shown(huge)) <= 60
    error = InputError("data.csv: 'a\nb' " + "y" * 100_000 + " ; the fix")
    assert len(str(error)) <= 400 and "\n" not in str(error) and str(error).endswith("the fix")


def test_memory_estimate_refuses_before_allocating(monkeypatch):
    from semtrust.estimation import compiled

    monkeypatch.setattr(compiled, "MEMORY_LIMIT", 2 ** 10)   # 1 KB: below a 6-item CFA's 19 KB
    rng = np.random.default_rng(2)
    frame = _survey().drop(columns="id") + rng.normal(size=(300, 6)) * 0.01
    with pytest.raises(EstimationError, match=r"information matrix of 13 parameters over 6 variables would need "
                                              r"0\.0 GB"):
        SEM("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3").fit(frame)


# -- item 3: internal errors ----------------------------------------------------------------

@pytest.mark.parametrize("cell", ["inf", "1e999", "-inf", "1e300"])
def test_item_cell_not_finite(tmp_path, capsys, cell):
    data = _survey().astype(object)
    data.loc[4, "a2"] = cell
    code, err = _run(tmp_path, capsys, data, "A =~ a1 + a2 + a3\n")
    _one_line_error(code, err, 2, "row 6, column 'a2'", "not a finite answer")


@pytest.mark.parametrize("flags, fragment", [
    (["--seed", "-1"], "'seed: -1' is out of range"),
    (["--screen-set", "duplicate_min_items=many"], "duplicate_min_items = 'many' must be a whole number"),
    (["--screen-set", "k=!!python/object/apply:os.system [echo]"], "!!python/... is not allowed"),
    (["--screen-set", "duplicate_ids='no'"], "duplicate_ids = 'no' must be true or false"),   # a quoted 'no'

])
def test_bad_flags_one_line(tmp_path, capsys, flags, fragment):
    code, err = _run(tmp_path, capsys, _survey(), "A =~ a1 + a2 + a3\n", "--scale-points", "7", *flags)
    _one_line_error(code, err, 2, fragment)


def test_heywood_case_modification_indices():
    """A negative residual variance gave 'math domain error' in the standardized EPC."""
    from semtrust.estimation.modindices import modification_indices

    rng = np.random.default_rng(7)
    f = rng.normal(size=400)
    frame = pd.DataFrame({"x1": f + rng.normal(size=400) * 0.05, "x2": 0.5 * f + rng.normal(size=400),
                          "x3": 0.5 * f + rng.normal(size=400), "x4": rng.normal(size=400)})
    fit = SEM("F =~ x1 + x2 + x3 + x4\nx1 ~~ -0.01*x1").fit(frame)
    table = modification_indices(fit)
    x1_rows = table[(table.op == "~~") & ((table.lhs == "x1") | (table.rhs == "x1"))]
    assert x1_rows.sepc_all.isna().all() and np.isfinite(x1_rows.mi).all()


def test_two_indicator_factor_no_warnings_and_na_mi(recwarn):
    """Unidentified candidates (a two-indicator factor's residual covariance) are NA, as in
    lavaan, not 1/0 with RuntimeWarnings."""
    from semtrust.estimation.modindices import modification_indices

    fit = SEM("A =~ a1 + a2\nB =~ b1 + b2 + b3").fit(_survey().drop(columns="id"))
    table = modification_indices(fit).set_index(["lhs", "op", "rhs"])
    assert math.isnan(table.loc[("a1", "~~", "a2"), "mi"])
    assert np.isfinite(table.loc[("a1", "~~", "b1"), "mi"])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("model", ["A =~ a1 + a2 + a3\n", "a2 ~ a1\na3 ~ a2\n", "a1 ~ a2\na2 ~ a3\na3 ~ a1\n"])
def test_single_factor_and_path_models_run(tmp_path, capsys, model):
    code, err = _run(tmp_path, capsys, _survey(), model, "--scale-points", "7")
    assert code == 0, err
    assert "internal error" not in err


# -- item 6: silently wrong output ----------------------------------------------------------

def test_infinite_mi_not_reported_as_dash(tmp_path, capsys, example_csv):
    """Two two-indicator factors: the residual covariance of AG1 and AG2 had an infinite MI,
    listed first and printed as a dash, with RuntimeWarnings even under --quiet."""
    import json

    model = "CA =~ CA1 + CA2\nID =~ ID1 + ID2 + ID3\nAG =~ AG1 + AG2\nID ~ CA\nAG ~ ID\n"
    code, err = _run(tmp_path, capsys, pd.read_csv(example_csv), model, "--scale-points", "7")
    assert code == 0 and "RuntimeWarning" not in err, err
    indices = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["modification_indices"]
    assert indices and all(isinstance(m["mi"], float) and m["mi"] < 1e6 for m in indices)
    assert ("AG1", "~~", "AG2") not in [(m["lhs"], m["op"], m["rhs"]) for m in indices]


def test_big5_csv_decoded_not_mojibake(tmp_path):
    from semtrust.io.survey import read_survey

    header = "序號,請評價您對主播的信任程度,我相信這位主播推薦的產品品質可靠,性別"
    path = tmp_path / "big5.csv"
    path.write_bytes((header + "\n1,5,6,男\n2,4,4,女\n").encode("cp950"))
    table = read_survey(path)
    assert list(table.frame.columns) == header.split(",") and table.encoding == "cp950"
    assert "cp950 encoding" in table.log[0]


def test_xlsx_formula_without_value_and_error_cells_refused(tmp_path):
    from openpyxl import Workbook

    from semtrust.io.survey import code_items, read_survey

    book = Workbook()
    sheet = book.active
    for row in (["id", "a1", "a2"], ["R1", 1, 2], ["R2", "=1/0", 3], ["R3", 2, "#DIV/0!"], ["R4", 3, 3]):
        sheet.append(row)
    book.save(tmp_path / "d.xlsx")   # written by a program: the formula has no cached value
    table = read_survey(tmp_path / "d.xlsx")
    with pytest.raises(InputError, match=r"row 3, column 'a1': holds the formula '=1/0' without a computed value"):
        code_items(table, ["a1", "a2"], points=7)
    with pytest.raises(InputError, match=r"row 4, column 'a2': holds the spreadsheet error #DIV/0!"):
        code_items(table, ["a2"], points=7)


@pytest.mark.parametrize("platform", ["qualtrics", "surveymonkey"])
def test_forced_platform_on_plain_csv_keeps_first_respondent(tmp_path, platform):
    from semtrust.io.survey import read_survey

    path = tmp_path / "plain.csv"
    path.write_text("id,a1,a2,a3\nR1,1,2,3\nR2,2,2,3\nR3,2,2,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"row 2 holds answers.*drop --format {platform}"):
        read_survey(path, platform)


def test_blank_lines_keep_file_row_numbers(tmp_path):
    from semtrust.io.survey import code_items, read_survey

    path = tmp_path / "blank.csv"
    path.write_text("id,a1,a2\n\nR1,1,2\n\n\nR2,2,3\n\nR3,9,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 8, column 'a1': 9 is outside the 1-7"):
        code_items(read_survey(path), ["a1", "a2"], points=7)


def test_strict_screening_booleans():
    from semtrust.screening.careless import ScreeningRules

    with pytest.raises(InputError, match="duplicate_ids = 'no' must be true or false"):
        ScreeningRules.from_dict({"duplicate_ids": "no"}, "study.yaml: screening")
    assert ScreeningRules.from_dict({"duplicate_ids": False}).duplicate_ids is False


# -- item 7: LaTeX --------------------------------------------------------------------------

def test_tex_escape_brackets_at_row_start():
    from semtrust.report.format import tex_escape

    row = r"\\" + "\n" + tex_escape("[Q5] Monthly income") + r" & 3 \\"
    assert "\\\\\n{[}Q5{]}" in row


# -- item 8: vague messages -----------------------------------------------------------------

def test_singular_names_items_and_scale(tmp_path, capsys):
    data = _survey()
    code, err = _run(tmp_path, capsys, data.assign(a3=data.a1 + data.a2), "A =~ a1 + a2 + a3\n")
    _one_line_error(code, err, 2, "d.csv", "linearly dependent", "a1", "a2", "a3")
    code, err = _run(tmp_path, capsys, data.assign(a3=data.a3 * 1e7), "A =~ a1 + a2 + a3\n")
    _one_line_error(code, err, 2, "d.csv", "rescale", "a3")


def test_all_duplicate_ids_blame_the_rule(tmp_path, capsys):
    code, err = _run(tmp_path, capsys, _survey().assign(id="R1"), "A =~ a1 + a2 + a3\n",
                     "--scale-points", "7", "--id", "id")
    _one_line_error(code, err, 2, "d.csv", "screening excluded 299 of 300", "duplicates 299", "--screen-skip")


def test_model_file_not_quoted(tmp_path, capsys):
    secret = "root:x:0:0:root:/root:/bin/bash\n" * 20
    code, err = _run(tmp_path, capsys, _survey(), secret)
    _one_line_error(code, err, 2, "line 1: no operator", "not a lavaan model")
    assert "bin/bash" not in err and "root:x" not in err
