"""Survey-platform readers and item mapping: each platform's export of the example survey gives
the same item scores as the clean CSV, and the WJX text download the same estimates."""

import numpy as np
import pandas as pd
import pytest

import export_fixtures as fx
from conftest import ROOT
from semtrust.io.survey import code_items, match_columns, read_survey
from semtrust.errors import InputError
from semtrust.io.exports import detect_platform, parse_duration
from semtrust.io.mapping import find_column, map_items, normalize_wording, read_mapping
from semtrust.api import fit as run_study

ITEMS = fx.TRUST.item_ids
LABELS = fx.TRUST.scale.label_scores()


@pytest.fixture(scope="module")
def clean():
    return pd.read_csv(ROOT / "example_data" / "trust_survey.csv")


def scores(path, **kwargs):
    """Item scores (item ids as columns) through the reader, the mapping and the coder."""
    table = read_survey(path, kwargs.pop("format", None))
    mapping = map_items(table, ITEMS, fx.TRUST, kwargs.pop("mapping", None))
    coded = code_items(table, ITEMS, points=7, labels=LABELS)
    return table, mapping, coded.frame


@pytest.mark.parametrize("text, seconds", [("136秒", 136), ("2分3秒", 123), ("02:16", 136), ("1:02:03", 3723),
                                           ("1小时2分", 3720), (" 45 ", 45), (87.5, 87.5), ("", np.nan),
                                           ("很快", np.nan), (-4, np.nan)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds, nan_ok=True)


def test_normalize_wording_strips_numbering_tags_and_punctuation():
    assert normalize_wording("9、 请评价本产品 (矩阵单选题 *必答)") == "请评价本产品"
    assert normalize_wording("第9题(面料舒适)") == "面料舒适"
    assert normalize_wording("Q12_3. I trust  this brand!") == "itrustthisbrand"
    assert normalize_wording("11、质量不好（反向题）") == "质量不好"


def test_wjx_text_xlsx_maps_without_a_manual_step(tmp_path, clean):
    skipped = [(3, "CA1"), (10, "PV4"), (11, "RC3")]
    path = tmp_path / "[问卷星数据]800_800_0.xlsx"
    fx.wjx_text(clean, skipped).to_excel(path, index=False)
    before = path.read_bytes()
    table, mapping, frame = scores(path)
    assert table.platform == "wjx" and table.download == "text" and table.format == "xlsx"
    assert mapping.how == {item: "wording" for item in ITEMS}
    assert mapping.unmapped == [f"{k}、{c} (单选题 *必答)" for k, c in enumerate(fx.DEMOGRAPHICS, start=1)]
    assert table.id_column == "序号" and table.duration_column == "所用时间"
    assert table.frame["所用时间"].tolist() == fx.durations(len(clean))[1]
    assert table.missing_reasons[mapping.columns["PV4"]] == {"skipped by logic": 1}
    expected = fx.with_blanks(clean, skipped)[ITEMS].replace("", np.nan).astype(float)
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    assert find_column(table, "platform") == "1、platform (单选题 *必答)"   # --group by the question wording
    assert path.read_bytes() == before


def test_group_smaller_than_the_variables(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 1)) + rng.normal(size=(40, 3))
    frame = pd.DataFrame(np.round(x, 3), columns=["x1", "x2", "x3"]).assign(g=["a"] * 37 + ["b"] * 3)
    frame.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text("F =~ x1 + x2 + x3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column 'g': group 'b' has 3 complete responses, not more than the 3 "
                                         r"observed variables .* merge it with another group"):
        run_study(tmp_path / "d.csv", model=tmp_path / "m.lav", group="g", bootstrap=0, measurement_bootstrap=0)


def test_wjx_text_xlsx_same_estimates_as_clean_csv(tmp_path, clean):
    """The done-when check: the WJX export and the equivalent clean CSV give identical results."""
    skipped = [(3, "CA1"), (10, "PV4"), (11, "RC3"), (40, "HT4")]
    attention = fx.attention_answers(len(clean), {"AC1": [5, 6], "AC2": [6, 7]})
    wjx = tmp_path / "wjx.xlsx"
    fx.wjx_text(clean, skipped, attention).to_excel(wjx, index=False)
    csv = tmp_path / "clean.csv"
    fx.with_blanks(clean, skipped, attention).to_csv(csv, index=False)
    a = run_study(wjx, bootstrap=0, measurement_bootstrap=0).to_dict()
    b = run_study(csv, bootstrap=0, measurement_bootstrap=0).to_dict()
    assert a["n"] == b["n"] and a["input"]["rows"] == b["input"]["rows"] == 600
    assert a["input"]["mapping"]["columns"]["AC1"] == fx.TRUST.attention_checks[0].text["zh"]
    for results in (a, b):   # the attention checks found (by wording in the WJX file) and scored alike
        steps = {s["rule"]: s for s in results["screening"]["steps"]}
        assert steps["attention"]["excluded"] == 3 and steps["speed"]["excluded"] > 0
    assert a["parameters"] == b["parameters"] and a["fit"] == b["fit"] and a["reliability"] == b["reliability"]
    assert a["hypotheses"] == b["hypotheses"]
    assert a["input"]["platform"] == "wjx" and a["input"]["mapping"]["matched_by"] == {"wording": 53}
    assert a["input"]["missing_reasons"]["HT4"] == {"skipped by logic": 1}
    assert a["input"]["reversed_items"] == ["HT4", "PV4", "RI3"]


def test_wjx_option_index_csv_gbk(tmp_path):
    """按选项序号 CSV in GBK: -3 (skipped) and -2 (not ranked) become missing, with their reason."""
    text = ("序号,提交答卷时间,所用时间,来源,来源详情,来自IP,1、性别,第3题(财经),第3题(体育),"
            "第9题(面料舒适),第9题(做工精细),第9题(款式新颖)\n"
            "1,2024/05/06 10:12:03,312秒,手机提交,微信,112.10.33.8(浙江-杭州),2,1,-2,4,5,3\n"
            "2,2024/05/06 10:15:40,41秒,手机提交,直接访问,112.10.33.8(浙江-杭州),1,-3,-3,5,-3,5\n")
    path = tmp_path / "wjx_2.csv"
    path.write_bytes(text.encode("gbk"))
    table = read_survey(path)
    assert (table.platform, table.download, table.encoding) == ("wjx", "option index", "gb18030")
    assert table.missing_reasons == {"第3题(体育)": {"not ranked": 1, "skipped by logic": 1},
                                     "第3题(财经)": {"skipped by logic": 1}, "第9题(做工精细)": {"skipped by logic": 1}}
    assert table.questions["第9题(面料舒适)"] == ["面料舒适"]
    assert table.frame["所用时间"].tolist() == [312.0, 41.0]
    map_items(table, ["A1", "A2"], mapping={"第9题(面料舒适)": "A1", "第9题(做工精细)": "A2"})
    coded = code_items(table, ["A1", "A2"], points=5)
    np.testing.assert_array_equal(coded.frame["A2"], [5, np.nan])
    assert any("option-index download" in line for line in table.log)


def test_tencent_csv(tmp_path, clean):
    path = tmp_path / "12345678_20240506101203.csv"
    path.write_bytes(fx.tencent_csv(clean.head(40)))
    table, mapping, frame = scores(path)
    assert (table.platform, table.encoding, table.id_column, table.duration_column) == \
           ("tencent", "utf-8-sig", "编号", "答题时长")
    assert "1.检查日期:请选择 [2]" in table.frame.columns and "column 58" not in table.frame.columns
    assert table.frame["答题时长"].iloc[:2].tolist() == [300.0, 301.0]
    pd.testing.assert_frame_equal(frame, clean.head(40)[ITEMS].astype(float), check_dtype=False)


def test_qualtrics_csv(tmp_path, clean):
    path = tmp_path / "qualtrics.csv"
    path.write_text(fx.qualtrics_csv(clean.head(30)), encoding="utf-8")
    table, mapping, frame = scores(path)
    assert (table.platform, table.first_data_row, table.id_column, table.download) == \
           ("qualtrics", 4, "ResponseId", "numeric values")
    assert table.frame["Duration (in seconds)"].tolist()[:2] == [200.0, 201.0]
    assert set(mapping.how.values()) == {"wording"} and mapping.columns["HT4"] == "Q6_4"
    pd.testing.assert_frame_equal(frame, clean.head(30)[ITEMS].astype(float), check_dtype=False)


@pytest.mark.parametrize("name", ["qualtrics.tsv", "renamed.csv"])
def test_qualtrics_utf16_tsv(tmp_path, clean, name):
    """Qualtrics recommends TSV for non-Latin scripts: UTF-16 with BOM, tab-separated."""
    path = tmp_path / name
    path.write_bytes(fx.qualtrics_csv(clean.head(20), sep="\t").encode("utf-16"))
    table, mapping, frame = scores(path)
    assert (table.platform, table.encoding) == ("qualtrics", "utf-16")
    pd.testing.assert_frame_equal(frame, clean.head(20)[ITEMS].astype(float), check_dtype=False)


def test_surveymonkey_xlsx(tmp_path, clean):
    path = tmp_path / "monkey.xlsx"
    fx.surveymonkey_rows(clean.head(30)).to_excel(path, index=False, header=False)
    table, mapping, frame = scores(path)
    assert (table.platform, table.id_column, table.first_data_row) == ("surveymonkey", "Respondent ID", 3)
    assert table.duration_column == "duration_seconds" and table.frame["duration_seconds"].iloc[0] == 312.0
    assert "What is your gender?" in mapping.unmapped
    pd.testing.assert_frame_equal(frame, clean.head(30)[ITEMS].astype(float), check_dtype=False)


def test_google_forms_csv(tmp_path, clean):
    path = tmp_path / "form.csv"
    path.write_text(fx.google_csv(clean.head(30)), encoding="utf-8")
    table, mapping, frame = scores(path)
    assert table.platform == "google" and table.id_column is None and table.duration_column is None
    assert table.download == "text"
    pd.testing.assert_frame_equal(frame, clean.head(30)[ITEMS].astype(float), check_dtype=False)


def test_sav_value_labels_and_user_missing(tmp_path, clean):
    path = tmp_path / "wjx.sav"
    fx.write_sav(clean.head(30), path)
    table, mapping, frame = scores(path)
    assert table.platform == "sav" and table.duration_column == "duration"
    assert table.missing_reasons == {"Q1": {"user-missing code": 1}}
    expected = clean.head(30)[ITEMS].astype(float)
    expected.loc[0, "CA1"] = np.nan
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)   # code 0 = 非常不同意 = 1


def test_format_forces_a_reader(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("序号,所用时间,1、题目一,题目二\n1,10秒,3,4\n", encoding="utf-8")
    assert read_survey(path).platform == "wjx"
    assert read_survey(path, "generic").platform == "generic"
    with pytest.raises(InputError, match="--format spss: use one of auto, wjx"):
        read_survey(path, "spss")
    with pytest.raises(InputError, match="--format sav needs an SPSS .sav file"):
        read_survey(path, "sav")


def test_detect_platform_signatures():
    assert detect_platform([["编号", "答题时长", "1.性别"]]) == "tencent"
    assert detect_platform([["Timestamp", "Q"]]) == "google"
    assert detect_platform([["id", "A1"]]) == "generic"
    assert detect_platform([["Respondent ID", "Q"], ["", "Response"]]) == "surveymonkey"


def test_mapping_file_csv_and_yaml(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("who,q1,q2,q3\na,1,2,3\nb,3,2,1\nc,2,2,2\n", encoding="utf-8")
    table = read_survey(data)
    csv_map = tmp_path / "m.csv"
    csv_map.write_text("column,item\nq1,A1\nq3,A2\n", encoding="utf-8")
    yaml_map = tmp_path / "m.yaml"
    yaml_map.write_text("mapping:\n  q1: A1\n  q3: A2\n", encoding="utf-8")
    for path in (csv_map, yaml_map):
        mapping = map_items(table, ["A1", "A2"], mapping=read_mapping(path), mapping_source=str(path))
        assert mapping.columns == {"A1": "q1", "A2": "q3"} and mapping.unmapped == ["who", "q2"]
    with pytest.raises(InputError, match=r"no column 'q9'; copy the column name"):
        map_items(table, ["A1"], mapping={"q9": "A1"}, mapping_source="m.csv")
    with pytest.raises(InputError, match=r"'q1' is mapped to 'B7', which is not an item"):
        map_items(table, ["A1"], mapping={"q1": "B7"}, mapping_source="m.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("q1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv: row 1: expected 'column,item'"):
        read_mapping(bad)


def test_item_id_leading_the_wording_and_ambiguity(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1、CA1 这位主播…,2、[CA2] 不加滤镜,3、其他\n1,2,3\n2,3,4\n", encoding="utf-8")
    mapping = map_items(read_survey(path, "wjx"), ["CA1", "CA2"])
    assert mapping.columns == {"CA1": "1、CA1 这位主播…", "CA2": "2、[CA2] 不加滤镜"}
    assert mapping.unmapped == ["3、其他"]
    twice = tmp_path / "twice.csv"
    text = fx.TRUST.items[0].text["zh"]
    twice.write_text(f"1、{text},2、{text},ID1\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no column for CA1 .*ambiguous: CA1 ~ 1、.* / 2、"):
        map_items(read_survey(twice), ["CA1", "ID1"], fx.TRUST)


def test_non_likert_column_mapped_to_an_item(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("age,A2\n" + "".join(f"{a},3\n" for a in (23, 35, 41, 19)), encoding="utf-8")
    table = read_survey(path)
    with pytest.raises(InputError, match=r"column 'age' \(mapped to item A1\) does not hold answers on the 1-7 "
                                         r"scale \('23', '35', '41', \.\.\.\); check the mapping"):
        map_items(table, ["A1", "A2"], mapping={"age": "A1"})
        code_items(table, ["A1", "A2"], points=7)


@pytest.mark.parametrize("content, message", [
    ("1,2,3,4\n5,6,7,1\n", r"row 1 holds numbers \(1, 2, 3, \.\.\.\), not column names"),
    ("Trust items,,,,\nA1,A2,A3,A4,A5\n1,2,3,4,5\n", r"row 1 has only 1 names over 5 columns and row 2 looks like"),
])
def test_malformed_headers(tmp_path, content, message):
    path = tmp_path / "h.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as error:
        map_items(read_survey(path), ["A1", "A2"])
    assert str(path) in str(error.value)


def test_optional_ids_and_item_columns_recorded(tmp_path):
    """Attention checks map when the export has them, and every stage finds the mapped columns."""
    from types import SimpleNamespace

    item = SimpleNamespace(id="CA1", text={"zh": "这位主播展示真实的生活场景。", "en": "Real scenes."})
    check = SimpleNamespace(id="AC1", text={"zh": "本题请选择“同意”。", "en": "Select Agree."})
    instrument = SimpleNamespace(items=[item], attention_checks=[check])
    path = tmp_path / "d.csv"
    path.write_text("序号,所用时间,5、请评价—这位主播展示真实的生活场景,本题请选择“同意”\n1,10秒,3,同意\n",
                    encoding="utf-8")
    table = read_survey(path)
    mapping = map_items(table, ["CA1"], instrument, optional=["AC1", "AC2"])
    assert mapping.columns == {"CA1": "5、请评价—这位主播展示真实的生活场景", "AC1": "本题请选择“同意”"}
    assert match_columns(table, ["CA1", "AC1"], "items") == mapping.columns == table.item_columns
