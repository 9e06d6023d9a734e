"""Screening stage: indices against R, detection of injected careless responders, rule logic."""
import json

import numpy as np
import pandas as pd
import pytest

from careless import KINDS, careless_survey
from conftest import CONFORMANCE
from semtrust.io.survey import SurveyTable, code_items
from semtrust.errors import InputError
from semtrust.model.instrument import load_instrument
from semtrust.screening.careless import (RULE_ORDER, ScreeningRules, evenodd, irv, longstring, mahalanobis, screen,
                                screen_survey)

TOL = 1e-3


@pytest.fixture(scope="module")
def bfi_indices():
    fixture = json.loads((CONFORMANCE / "fixtures" / "screening_bfi.json").read_text())
    bfi = pd.read_csv(CONFORMANCE / fixture["data"])
    items = [i for f in fixture["factors"].values() for i in f]
    answers = bfi[items].dropna()
    coded = answers.copy()
    coded[fixture["reverse"]] = fixture["scale_points"] + 1 - coded[fixture["reverse"]]
    groups = [np.array([items.index(i) for i in f]) for f in fixture["factors"].values()]
    keep = len(fixture["irv"])
    d2, p = mahalanobis(coded.to_numpy())
    ours = {"longstring": longstring(answers.to_numpy()), "irv": irv(answers.to_numpy()),
            "evenodd": evenodd(coded.to_numpy(), groups), "d2": d2, "d2_pvalue": p}
    return fixture, {k: v[:keep] for k, v in ours.items()}


@pytest.mark.parametrize("index", ["longstring", "irv", "evenodd", "d2", "d2_pvalue"])
def test_indices_match_r(bfi_indices, index):
    fixture, ours = bfi_indices
    expected = np.array([np.nan if v is None else v for v in fixture[index]], dtype=float)
    assert np.isnan(expected).sum() == np.isnan(ours[index]).sum()
    assert np.nanmax(np.abs(ours[index] - expected)) < TOL


def test_longstring_breaks_runs_at_missing_answers():
    assert longstring(np.array([[3, 3, np.nan, 3, 3, 3], [np.nan] * 6])).tolist() == [3, 0]


# ----------------------------------------------------------------- injected careless responders

def _screen_frame(data, inst, attention=True, rules=None):
    table = SurveyTable(data.drop(columns=[] if attention else [a.id for a in inst.attention_checks]),
                        "careless.csv", "csv")
    coded = code_items(table, inst.item_ids, points=inst.scale.points, reverse=inst.reverse_items)
    return screen_survey(table, coded.frame, rules=rules, groups=inst.item_groups, reversed_items=coded.reversed,
                         points=inst.scale.points, instrument=inst, duration_column="duration")


@pytest.fixture(scope="module")
def careless():
    inst = load_instrument("trust_mechanism")
    return inst, careless_survey(inst, n_genuine=2000, n_per_kind=60, seed=20261123)


@pytest.mark.parametrize("attention", [True, False], ids=["with attention items", "without attention items"])
def test_careless_responders_caught_genuine_kept(careless, attention):
    inst, data = careless
    result = _screen_frame(data, inst, attention)
    excluded = ~data.index.isin(result.kept)
    rates = pd.Series(excluded).groupby(data.kind.to_numpy()).mean()
    for kind in KINDS:
        assert rates[kind] >= 0.90, (kind, rates[kind])
    assert excluded[data.kind != "genuine"].mean() >= 0.95
    assert rates["genuine"] <= 0.03
    assert result.n_screened == len(data) and len(result.kept) == (~excluded).sum()


def test_flow_counts_add_up(careless):
    inst, data = careless
    result = _screen_frame(data, inst)
    steps = result.steps.set_index("rule")
    assert list(steps.index) == list(RULE_ORDER)
    assert steps.n_before.iloc[0] == len(data)
    assert (steps.n_after.to_numpy()[:-1] == steps.n_before.to_numpy()[1:]).all()
    assert (steps.n_before - steps.excluded == steps.n_after).all()
    assert steps.n_after.iloc[-1] == len(result.kept)
    assert len(result.exclusions) == steps.excluded.sum() == result.n_screened - len(result.kept)
    assert steps.loc["evenodd", "action"] == "flag" and steps.loc["evenodd", "excluded"] == 0
    assert steps.loc["evenodd", "flagged"] == (result.flags.rule == "evenodd").sum() > 0
    # every duplicate is the later submission of an id, logged with the row of the first one
    duplicates = result.exclusions[result.exclusions.rule == "duplicates"]
    first_rows = duplicates.reason.str.extract(r"row (\d+)")[0].astype(int)
    assert (first_rows < duplicates.row).all()
    by_id = duplicates[duplicates.reason.str.startswith("respondent id")]
    assert set(data.kind.iloc[by_id.row - 2]) == {"duplicate"} and len(by_id) == (data.kind == "duplicate").sum()
    assert result.columns == {"respondent_id": "respondent_id", "duration": "duration", "attention": ["AC1", "AC2"]}


def test_rules_switched_off_or_flag_only(careless):
    inst, data = careless
    everything_off = _screen_frame(data, inst, rules=ScreeningRules(skip=RULE_ORDER))
    assert len(everything_off.kept) == len(data) and set(everything_off.steps.action) == {"off"}
    flag_all = _screen_frame(data, inst, rules=ScreeningRules(flag_only=RULE_ORDER))
    assert len(flag_all.kept) == len(data) and flag_all.exclusions.empty
    # flag-only rules see the whole sample, so they flag at least what the excluding run removed
    assert len(flag_all.flags) >= len(_screen_frame(data, inst).exclusions)
    half = _screen_frame(data, inst, rules=ScreeningRules(speed_fraction=0.5, skip=("attention",)))
    speed = half.steps.set_index("rule").loc["speed"]
    assert "1/2 of the median" in speed.criterion and speed.excluded >= 60


def test_speeders_against_the_median():
    scores = pd.DataFrame(np.random.default_rng(2).integers(1, 8, size=(7, 12)).astype(float))
    durations = pd.Series([300, 300, 300, 99, 101, np.nan, 300.0])
    result = screen(scores, ScreeningRules(skip=("mahalanobis", "duplicates")), durations=durations)
    assert result.exclusions.row.tolist() == [3]           # 99 s < 300/3 = 100 s; 101 s and a blank pass
    assert result.exclusions.reason[0] == "99 s < 100.0 s (1/3 of the median 300 s)"


def test_attention_rule_follows_meade_and_craig():
    scores = pd.DataFrame(np.random.default_rng(1).integers(1, 8, size=(4, 12)).astype(float))
    attention = pd.DataFrame({"AC1": [6, 6, 2, 5.0], "AC2": [1, 3, 4, 1], "AC3": [7, 7, 7, np.nan]})
    correct = {"AC1": (6,), "AC2": (1,), "AC3": (7,)}
    rules = ScreeningRules(skip=("duplicates", "longstring", "irv", "evenodd", "mahalanobis"))
    three = screen(scores, rules, attention=attention, attention_correct=correct)
    assert three.exclusions.row.tolist() == [2, 3]        # two or more failures of three items
    assert three.exclusions.reason[0] == "failed AC1, AC2 (answered 2, 4)"
    assert three.exclusions.reason[1] == "failed AC1, AC3 (answered 5, nothing)"
    two = screen(scores, rules, attention=attention[["AC1", "AC2"]], attention_correct={"AC1": (6,), "AC2": (1,)})
    assert two.exclusions.row.tolist() == [1, 2, 3]       # one failure is enough with two items
    lenient = screen(scores, ScreeningRules(attention_max_failures=3, skip=rules.skip), attention=attention,
                     attention_correct=correct)
    assert lenient.exclusions.empty


def test_identical_answers_but_not_identical_straight_lines():
    rng = np.random.default_rng(3)
    scores = pd.DataFrame(rng.integers(1, 8, size=(6, 12)).astype(float))
    scores.iloc[4] = scores.iloc[1]
    scores.iloc[2] = scores.iloc[5] = 4.0
    result = screen(scores, ScreeningRules(skip=("longstring", "irv", "evenodd", "mahalanobis")))
    assert result.exclusions.row.tolist() == [4]
    assert result.exclusions.reason[0] == "same answers to all 12 items as row 1"
    few = screen(scores.iloc[:, :6], ScreeningRules(skip=("longstring", "irv", "evenodd", "mahalanobis")))
    assert few.exclusions.empty and "not applied" in few.steps.action.tolist()


def test_missing_inputs_are_reported_not_guessed():
    inst = load_instrument("trust_mechanism")
    table = SurveyTable(pd.read_csv(CONFORMANCE.parent.parent / "example_data" / "trust_survey.csv"), "t.csv", "csv")
    coded = code_items(table, inst.item_ids, points=7, reverse=inst.reverse_items)
    result = screen_survey(table, coded.frame, groups=inst.item_groups, reversed_items=coded.reversed, points=7,
                           instrument=inst)
    notes = result.steps.set_index("rule").note
    assert notes["attention"] == "no column for the attention item(s) AC1, AC2"
    assert notes["speed"] == "no completion-time column (name it with --duration)"
    assert len(result.kept) == 600
    with pytest.raises(InputError, match=r"t.csv: no column 'seconds' \(--duration\)"):
        screen_survey(table, coded.frame, instrument=inst, duration_column="seconds")
    table.frame["time"] = ["136秒"] + [400] * 599
    with pytest.raises(InputError, match=r"row 2, column 'time': '136秒' is not a number of seconds"):
        screen_survey(table, coded.frame, instrument=inst, duration_column="time")


def test_rules_validate_their_settings():
    assert ScreeningRules.from_dict({"speed_fraction": 0.5}).speed_fraction == 0.5
    with pytest.raises(InputError, match="unknown setting speed"):
        ScreeningRules.from_dict({"speed": 0.5})
    with pytest.raises(InputError, match="unknown rule attentoin"):
        ScreeningRules(skip=("attentoin",))
    with pytest.raises(InputError, match="mahalanobis_alpha = 2"):
        ScreeningRules(mahalanobis_alpha=2)
    assert ScreeningRules().to_dict()["flag_only"] == ["evenodd"]


# ----------------------------------------------------------------- attention items in the instrument

def test_attention_checks_in_instrument_and_questionnaire():
    import subprocess
    import sys

    inst = load_instrument("trust_mechanism")
    assert [(a.id, a.correct, a.after) for a in inst.attention_checks] == [("AC1", (6,), "PT4"), ("AC2", (1,), "EA3")]
    assert "同意" in inst.attention_checks[0].text["zh"] and "Agree" in inst.attention_checks[0].text["en"]
    order = [row["id"] for row in inst.questionnaire_items()]
    assert order[order.index("PT4") + 1] == "AC1" and order[order.index("EA3") + 1] == "AC2"
    moderator_items = [i.id for c in inst.moderators for i in c.items]   # fielded last, outside the model
    assert len(order) == len(inst.item_ids) + 2 + 7 and order[-7:] == moderator_items
    assert "AC1" not in inst.model_syntax()
    md = subprocess.run([sys.executable, "-m", "semtrust.cli", "instrument", "show", "trust_mechanism",
                         "--format", "md"], capture_output=True, text=True, check=True).stdout
    assert "| AC1 | 为确认您在认真作答，本题请选择“同意”。 |" in md
    html = subprocess.run([sys.executable, "-m", "semtrust.cli", "instrument", "show", "trust_mechanism",
                           "--format", "html", "--lang", "en"], capture_output=True, text=True, check=True).stdout
    assert 'name="AC2"' in html and "This is an attention check" in html


@pytest.mark.parametrize("check, message", [
    ({"id": "AC1", "after": "XX9", "correct": [6]}, r"attention_checks\[0\] \(AC1\).after: 'XX9' is not an item id"),
    ({"id": "AC1", "after": "PT4", "correct": [9]}, r"attention_checks\[0\] \(AC1\).correct: \[9\]: give the accepted score"),
    ({"id": "PT4", "after": "PT4", "correct": 6}, r"attention_checks\[0\] \(PT4\).id: 'PT4' is used twice"),
    ({"id": "ac1", "after": "PT4", "correct": 6}, r"ids are upper-case letters then digits"),
])
def test_malformed_attention_checks(tmp_path, check, message):
    import yaml

    from semtrust.model.instrument import BUNDLED

    data = yaml.safe_load((BUNDLED / "trust_mechanism.yaml").read_text(encoding="utf-8"))
    data["attention_checks"] = [{"text": {"zh": "请选择", "en": "Select"}, **check}]
    path = tmp_path / "trust_mechanism.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_instrument(path)
