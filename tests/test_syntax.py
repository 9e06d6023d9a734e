import pytest

from semtrust.errors import InputError
from semtrust.model.syntax import parse_model


def test_operators_modifiers_and_comments():
    spec = parse_model("""
    # measurement
    f1 =~ x1 + 0.5*x2 + NA*x3 +
          start(0.8)*x4          ! continued line
    f2 =~ y1 + a*y2 + a*y3; f2 ~ b*f1
    y1 ~~ y2
    ind := a * b
    """)
    rows = {(s.lhs, s.op, s.rhs): s for s in spec.statements}
    assert rows[("f1", "=~", "x2")].fixed == 0.5
    assert rows[("f1", "=~", "x3")].free is True
    assert rows[("f1", "=~", "x4")].start == 0.8
    assert rows[("f2", "=~", "y3")].label == "a"
    assert rows[("f2", "~", "f1")].label == "b"
    assert ("y1", "~~", "y2") in rows
    assert spec.latent == ["f1", "f2"]
    assert spec.definitions[0].name == "ind" and spec.definitions[0].expression == "a * b"
    assert spec.observed == ["x1", "x2", "x3", "x4", "y1", "y2", "y3"]


def test_multiple_lhs_and_unicode_names():
    spec = parse_model("信任 =~ 题1 + 题2 + 题3\ny1 + y2 ~ 信任")
    assert [(s.lhs, s.rhs) for s in spec.statements if s.op == "~"] == [("y1", "信任"), ("y2", "信任")]


@pytest.mark.parametrize("text, message", [
    ("f =~ x1 + x2\nx1 ~ 2", "line 2: an intercept is written 'x1 ~ 1'"),
    ('efa("b")*f1 ~ x1 + x2 + x3', "efa\\(\\) marks the factors of a measurement line"),
    ("f =~ x1 + 2x", "not a valid variable name"),
    ("f =~", "needs a left and a right side"),
    ("just words", "no operator"),
    ("", "no statements"),
    ("f =~ c(a,b+)*x1 + x2", "cannot read 'b\\+' in a c"),
    ("y ~ x | t", "not a valid variable name"),
    ("f =~ x1 + x2\nx1 | a1", "line 2: thresholds are named t1"),
    ("f <~ x1 + x2", "not supported"),
])
def test_errors_name_the_line(text, message):
    with pytest.raises(InputError, match=message):
        parse_model(text, "m.lav")


def test_intercepts_and_constraints():
    spec = parse_model("f =~ x1 + a*x2 + b*x3\nx1 ~ 0*1\nf ~ 1\ny ~ c*1 + f\na + b == 1.2\nb > 0.1")
    intercepts = [(s.lhs, s.fixed, s.label) for s in spec.statements if s.op == "~1"]
    assert intercepts == [("x1", 0.0, None), ("f", None, None), ("y", None, "c")]
    assert [(c.lhs, c.op, c.rhs, c.line) for c in spec.constraints] == [("a + b", "==", "1.2", 5), ("b", ">", "0.1", 6)]
    assert spec.observed == ["x1", "x2", "x3", "y"]


def test_a_constraint_must_name_labels():
    from semtrust.model.partable import build_parameter_table
    with pytest.raises(InputError, match="line 2: the constraint uses x1, which no parameter is labelled"):
        build_parameter_table(parse_model("f =~ x1 + a*x2 + x3\nx1 == a", "m.lav"))


def test_thresholds_are_statements_not_variables():
    spec = parse_model("f =~ x1 + x2 + x3\nx1 | a*t1 + 0.5*t2 +\n t3")
    assert [(s.lhs, s.op, s.rhs, s.label, s.fixed) for s in spec.statements if s.op == "|"] == [
        ("x1", "|", "t1", "a", None), ("x1", "|", "t2", None, 0.5), ("x1", "|", "t3", None, None)]
    assert spec.observed == ["x1", "x2", "x3"]
