import numpy as np
import pandas as pd
import pytest

from semtrust.io.survey import code_items, read_survey
from semtrust.errors import InputError

LABELS = {"非常同意": 7, "Strongly agree": 7, "非常不同意": 1, "Strongly disagree": 1, "一般": 4}
TEXT = "id,A1,A2\nr1,非常同意,2\nr2,3,一般\nr3,,7\n"


@pytest.mark.parametrize("encoding, prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""),
                                              ("gb18030", b"")])
def test_csv_encodings(tmp_path, encoding, prefix):
    path = tmp_path / "survey.csv"
    path.write_bytes(prefix + TEXT.encode(encoding))
    table = read_survey(path)
    assert table.encoding == ("utf-8-sig" if prefix else "utf-8" if encoding == "utf-8" else "gb18030")
    coded = code_items(table, ["A1", "A2"], points=7, labels=LABELS)
    np.testing.assert_array_equal(coded.frame["A1"], [7, 3, np.nan])
    np.testing.assert_array_equal(coded.frame["A2"], [2, 4, 7])
    assert coded.labels_decoded == 2
    assert path.read_bytes() == prefix + TEXT.encode(encoding)  # never modified


def test_xlsx_and_sav(tmp_path):
    frame = pd.DataFrame({"A1": [1, 5, 7], "A2": ["Strongly agree", "2", "4分"]})
    xlsx = tmp_path / "s.xlsx"
    frame.to_excel(xlsx, index=False)
    coded = code_items(read_survey(xlsx), ["A1", "A2"], points=7, labels=LABELS)
    np.testing.assert_array_equal(coded.frame["A2"], [7, 2, 4])
    import pyreadstat
    sav = tmp_path / "s.sav"
    pyreadstat.write_sav(pd.DataFrame({"A1": [1.0, 5.0, 7.0], "A2": [2.0, 3.0, 4.0]}), str(sav))
    coded = code_items(read_survey(sav), ["A1", "A2"], points=7)
    np.testing.assert_array_equal(coded.frame["A1"], [1, 5, 7])


def test_reverse_and_case_insensitive_columns(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a1 ,A2\n1,7\n7,1\n", encoding="utf-8")
    coded = code_items(read_survey(path), ["A1", "A2"], points=7, reverse=["A2"])
    assert coded.frame["A2"].tolist() == [1.0, 7.0]
    assert coded.reversed == ["A2"]


@pytest.mark.parametrize("content, message", [
    ("id,A1\nr1,3\n", r"no column for A2 \(item columns\)"),
    ("A1,A2\n3,4\n5,lots\n", r"row 3, column 'A2': 'lots' is not a number or a response label"),
    ("A1,A2\n3,4\n9,4\n", r"row 3, column 'A1': 9 is outside the 1-7 response scale"),
    ("A1,A2\n3,4.5\n", r"row 2, column 'A2': 4.5 is outside"),
    ("", r"the file is empty"),
    ("A1,A2\n", r"header but no responses"),
    ("A1,A1,A2\n1,2,3\n", r"columns 1 and 2 are both named 'A1'"),
    ("A1,A2\n,4\n,5\n", r"column 'A1' has no answers"),
])
def test_bad_input_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as error:
        code_items(read_survey(path), ["A1", "A2"], points=7)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_undecodable_and_unknown_type(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"A1\n\xff\xfe\xfa\x80\x81\n")
    with pytest.raises(InputError, match="neither UTF-8 nor GBK"):
        read_survey(path)
    other = tmp_path / "data.json"
    other.write_text("{}")
    with pytest.raises(InputError, match="unknown file type"):
        read_survey(other)
    with pytest.raises(InputError, match="no such file"):
        read_survey(tmp_path / "missing.csv")


def test_missing_value_codes(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("A1,A2\n3,4\n-99,5\n6,7\n2,1\n5,5\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 3, column 'A1': -99 looks like a missing-value code; pass --na -99"):
        code_items(read_survey(path), ["A1", "A2"])
    coded = code_items(read_survey(path), ["A1", "A2"], missing_codes=[-99])
    assert np.isnan(coded.frame["A1"][1]) and coded.frame["A1"].count() == 4
