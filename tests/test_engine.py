"""The estimation core on models without lavaan fixtures: semopy as an independent check,
the simulation's truth, and lavaan's default parameterization rules."""
import json

import numpy as np
import pandas as pd
import pytest

from semtrust.estimation.ml import SEM

from semtrust.model.partable import build_parameter_table

from semtrust.estimation.fit_measures import rmsea_with_interval
from semtrust.errors import EstimationError, InputError
from semtrust.model.instrument import load_instrument
from semtrust.model.syntax import parse_model
from conftest import ROOT


@pytest.fixture(scope="module")
def trust():
    inst = load_instrument("trust_mechanism")
    data = pd.read_csv(ROOT / "example_data" / "trust_survey.csv")
    for item in inst.reverse_items:
        data[item] = 8 - data[item]
    return inst, data[inst.item_ids].astype(float)


def test_agrees_with_semopy_on_the_trust_model(trust):
    import semopy
    inst, data = trust
    # semopy leaves outcome disturbances uncorrelated; state lavaan's defaults explicitly
    syntax = inst.model_syntax() + "PI ~~ RI + RC\nRI ~~ RC\n"
    model = semopy.Model(syntax)
    model.fit(data, options={"ftol": 1e-12})
    theirs = model.inspect()
    ours = SEM(syntax).fit(data).parameters.set_index(["lhs", "op", "rhs"])
    factors = set(inst.item_groups)
    compared = 0
    for row in theirs.itertuples():
        if row.op == "~" and row.rval in factors and row.lval not in factors:
            key = (row.rval, "=~", row.lval)
        else:
            key = (row.lval, row.op, row.rval)
        if key not in ours.index:
            key = (row.rval, row.op, row.lval)
        assert ours.loc[key, "est"] == pytest.approx(float(row.Estimate), abs=1e-3), key
        compared += 1
    assert compared == len(ours)


def test_recovers_simulation_truth(trust):
    inst, data = trust
    truth = json.loads((ROOT / "example_data" / "trust_survey.truth.json").read_text())
    paths = SEM(inst.model_syntax()).fit(data).parameters.query("op == '~'").set_index(["lhs", "rhs"])
    errors = [paths.loc[(p["to"], p["from"]), "std_all"] - p["beta"] for p in truth["paths"]]
    assert np.max(np.abs(errors)) < 0.15
    assert abs(np.mean(errors)) < 0.03


def test_lavaan_default_rows():
    spec = parse_model("f =~ x1 + x2 + x3\ng =~ x4\ny ~ f + g + z1 + z2\nw ~ f")
    rows = {(r.lhs, r.op, r.rhs): r for r in build_parameter_table(spec).rows}
    assert rows[("f", "=~", "x1")].free < 0 and rows[("f", "=~", "x1")].value == 1
    assert rows[("x4", "~~", "x4")].free < 0 and rows[("x4", "~~", "x4")].value == 0  # auto.fix.single
    assert rows[("f", "~~", "g")].free >= 0           # exogenous latents covary
    assert rows[("y", "~~", "w")].free >= 0           # auto.cov.y
    assert rows[("z1", "~~", "z2")].fixed_x           # fixed.x covariates
    assert ("z1", "~~", "z1") in rows and rows[("z1", "~~", "z1")].free < 0


def test_shared_labels_are_one_parameter():
    table = build_parameter_table(parse_model("f =~ x1 + a*x2 + a*x3"))
    free = [r.free for r in table.rows if r.op == "=~"]
    assert free[1] == free[2] >= 0


def test_rmsea_interval_edges():
    assert rmsea_with_interval(10.0, 0, 100)[:3] == (0.0, 0.0, 0.0)
    rmsea, lower, upper, pclose = rmsea_with_interval(5.0, 10, 300)   # chi2 < df
    assert rmsea == 0 and lower == 0 and upper > 0 and pclose > 0.9


def test_not_identified_and_problems():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.normal(size=(200, 4)), columns=["x1", "x2", "x3", "x4"])
    with pytest.raises((EstimationError, InputError)):
        SEM("f =~ NA*x1 + x2 + x3").fit(data)        # no scale for f
    with pytest.raises(InputError, match="specified twice"):
        SEM("f =~ x1 + x2 + x3\nf =~ x2")
    with pytest.raises(InputError, match="no column for x9"):
        SEM("f =~ x1 + x2 + x9").fit(data)
    data["x4"] = data["x1"] * 2
    with pytest.raises(InputError, match="singular"):
        SEM("f =~ x1 + x2 + x3 + x4").fit(data)


def test_summary_covariance_input_equals_raw_data(trust):
    inst, data = trust
    syntax = "HT =~ HT1 + HT2 + HT3 + HT4 + HT5\nPR =~ PR1 + PR2 + PR3\nPR ~ HT"
    raw = SEM(syntax).fit(data)
    cov = data.cov(ddof=0)
    summary = SEM(syntax).fit(cov=cov, n=len(data))
    pd.testing.assert_frame_equal(raw.parameters, summary.parameters)


def test_measurement_part_keeps_scale_setting_statements():
    from semtrust.assessment.reliability import measurement_model
    spec = parse_model("PC =~ NA*p1 + p2 + p3\nTR =~ t1 + t2 + t3\nPC ~~ 1*PC\nTR ~ PC\nt1 ~~ t2")
    kept = {(s.lhs, s.op, s.rhs) for s in measurement_model(spec).statements}
    assert ("PC", "~~", "PC") in kept and ("t1", "~~", "t2") in kept and ("TR", "~", "PC") not in kept


def test_defined_parameter_rhs_as_lavaan_writes_it():
    rng = np.random.default_rng(5)
    x = rng.normal(size=300)
    m = 0.5 * x + rng.normal(size=300)
    y = 0.3 * m + 0.2 * x + rng.normal(size=300)
    fit = SEM("m ~ a*x\ny ~ b*m + c*x\ntotal := c + a * b").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
    row = fit.parameters.query("op == ':='").iloc[0]
    assert row.rhs == "c+a*b"
    coef = fit.parameters.set_index("label").est
    assert row.est == pytest.approx(coef["c"] + coef["a"] * coef["b"])


def test_measurement_model_effects_are_the_lu_inverse_exactly():
    """A CFA's (I - A)^-1 is I + A (arrows one step, factor to indicator): the shortcut must give
    the LU inverse's very numbers, so refits and standard errors do not move in the last bit; a
    model with paths between factors keeps the LU inverse."""
    from semtrust.estimation.compiled import CompiledModel

    syntax = "F1 =~ a1 + a2 + a3\nF2 =~ b1 + b2 + b3 + a3\n"
    cfa = CompiledModel(build_parameter_table(parse_model(syntax)), ["a1", "a2", "a3", "b1", "b2", "b3"])
    sem = CompiledModel(build_parameter_table(parse_model(syntax + "F2 ~ F1\n")),
                        ["a1", "a2", "a3", "b1", "b2", "b3"])
    assert cfa._one_step and not sem._one_step
    rng = np.random.default_rng(3)
    for _ in range(200):
        A, _ = cfa.matrices(rng.normal(0, 3, cfa.n_free))
        lu = np.linalg.inv(np.eye(cfa.n_vars) - A)
        assert np.array_equal(cfa.effects(A), lu) and np.array_equal(np.signbit(cfa.effects(A)), np.signbit(lu))
    A, _ = sem.matrices(rng.normal(0, 1, sem.n_free))
    assert np.array_equal(sem.effects(A), np.linalg.inv(np.eye(sem.n_vars) - A))
