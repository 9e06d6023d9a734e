"""Read survey exports and turn item columns into scale scores.

CSV (UTF-8 with or without BOM, UTF-16 with BOM, GB18030/GBK), XLSX and SPSS ``.sav`` are
read without modifying the file. Item cells may hold numbers or the response labels of
the instrument's scale in Chinese or English (``非常同意``, ``Strongly agree``, ``4分``);
anything else stops the run with one line naming the file, row, column and the fix.

>>> import pandas as pd
>>> table = SurveyTable(pd.DataFrame({"A1": ["非常同意", "2", ""]}), "demo.csv", "csv", "utf-8")
>>> code_items(table, ["A1"], points=7, labels={"非常同意": 7}).frame["A1"].tolist()
[7.0, 2.0, nan]
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from semtrust.errors import InputError, shown
from semtrust.io import exports
from semtrust.io.table import EXCEL_ERRORS, Formula, SurveyTable, is_missing

__all__ = ["read_survey", "code_items", "read_summary_matrix", "match_columns", "score_answer", "input_hash"]

_OPTION_LETTER = re.compile(r"^[A-Za-z]\s*[.．、)）]\s*(\S.*)$")
_LEADING_SCORE = re.compile(r"^\s*([+-]?\d+)\s*(?:分|[=:：.、)）\-–—]\s*\S.*)?\s*$")
MAX_ANSWER = 1e12   # larger is no answer on any scale, and its square would swamp a covariance


@dataclass
class CodedItems:
    """Item scores coded from an export: floats with NaN for missing answers, the items reverse-
    keyed and how many cells were response labels."""
    frame: pd.DataFrame                 # float scores, NaN where missing
    reversed: list[str] = field(default_factory=list)
    labels_decoded: int = 0             # cells given as text labels


def detect_encoding(raw: bytes, path: str) -> str:
    """BOM, then strict UTF-8, then GB18030 (a superset of GBK) or Big5 (traditional Chinese,
    Taiwan/Hong Kong exports), whichever reads as common Chinese characters; never latin-1.

    >>> text = "序號,請評價您對主播的信任程度,我相信這位主播推薦的產品品質可靠"
    >>> detect_encoding(text.encode("cp950"), "d.csv"), detect_encoding(text.encode("gb18030"), "d.csv")
    ('cp950', 'gb18030')
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and _is_big5(raw):
            return "cp950"
        return encoding
    raise InputError(f"{path}: the file is neither UTF-8 nor GBK/GB18030 text; "
                     "re-export it as UTF-8 CSV or as .xlsx")


def _common_chinese_share(text: str) -> float:
    """Share of the non-ASCII characters that are among the most frequent Chinese characters
    (level 1 of GB2312 or of Big5): near 1 for real text, far lower for mojibake."""
    wide = [c for c in text if ord(c) > 0x7F and not c.isspace()]
    common = 0
    for char in wide:
        for encoding, low, high in (("gb2312", 0xB0, 0xD7), ("cp950", 0xA4, 0xC6)):
            try:
                lead = char.encode(encoding)[0]
            except UnicodeEncodeError:
                continue
            if low <= lead <= high and len(char.encode(encoding)) == 2:
                common += 1
                break
    return common / len(wide) if wide else 1.0


def _is_big5(raw: bytes) -> bool:
    """Big5 bytes also decode as GB18030, into mojibake: prefer Big5 when it decodes and reads
    as clearly more common characters (judged on the first 64 KB)."""
    sample = raw[:65536]
    try:
        as_big5 = sample.decode("cp950", errors="strict" if len(raw) <= 65536 else "ignore")
    except UnicodeDecodeError:
        return False
    return _common_chinese_share(as_big5) > _common_chinese_share(sample.decode("gb18030", errors="ignore")) + 0.2


def read_survey(path: str | Path | pd.DataFrame, format: str | None = None) -> SurveyTable:
    """Read a survey export as it is; the file itself is never written. A DataFrame is read as
    a plain table would be (its index too, when it is named: a summary matrix's row names).

    The single entry point: CSV/TSV, XLSX (XLS with xlrd) and SPSS ``.sav`` files are read cell
    by cell, the platform that produced them (Wenjuanxing, Tencent Survey, Qualtrics,
    SurveyMonkey, Google Forms, or a plain table) is detected from the header, or forced
    with ``format``, and :mod:`semtrust.exports` turns its layout into a :class:`SurveyTable`.

    >>> import pandas as pd
    >>> table = read_survey(pd.DataFrame({"respondent_id": [1, 2], "CA1": ["5", "6"]}))
    >>> table.platform, table.id_column, table.frame.shape
    ('generic', 'respondent_id', (2, 2))
    """
    if isinstance(path, pd.DataFrame):
        return exports.parse_rows(_frame_rows(path), "<DataFrame>", "DataFrame", None,
                                  exports.check_format(format, "<DataFrame>"))
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"{name}: no such file")
    platform = exports.check_format(format, name)
    suffix = path.suffix.lower()
    if suffix == ".sav":
        return exports.read_sav(path, platform)
    if platform == "sav":
        raise InputError(f"{name}: --format sav needs an SPSS .sav file; drop --format or give the .sav export")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        (rows, lines), kind, encoding = _workbook_rows(path, suffix), "xls" if suffix == ".xls" else "xlsx", None
    elif suffix in (".csv", ".txt", ".tsv"):
        (rows, lines, encoding), kind = _text_rows(path, "\t" if suffix == ".tsv" else ","), "csv"
    else:
        raise InputError(f"{name}: unknown file type '{suffix}'; give a .csv, .xlsx or .sav file")
    return exports.parse_rows(rows, name, kind, encoding, platform, lines)


def _frame_rows(frame: pd.DataFrame) -> list[list]:
    """A DataFrame as the rows of a file: the header, then the cells (missing cells as None)."""
    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    cells = frame.astype(object).where(frame.notna(), None)
    return [[str(c) for c in frame.columns]] + cells.values.tolist()


def input_hash(source: str | Path | pd.DataFrame) -> str:
    """SHA-256 of the input file's bytes, or of a DataFrame's CSV text.

    >>> import pandas as pd
    >>> input_hash(pd.DataFrame({"x": [1, 2]}))[:16]
    'aea284871ddeeeba'
    """
    import hashlib

    if isinstance(source, pd.DataFrame):
        raw = source.to_csv(index=not isinstance(source.index, pd.RangeIndex), lineterminator="\n").encode()
    else:
        raw = Path(source).read_bytes()
    return hashlib.sha256(raw).hexdigest()


def _workbook_rows(path: Path, suffix: str) -> list[list]:
    """The first sheet's cells, header rows included, every row as a list (cached values of
    formulas, as Excel last computed them)."""
    name = str(path)
    try:
        if suffix == ".xls":
            try:
                import xlrd  # noqa: F401  (optional: only old .xls workbooks need it)
            except ImportError:
                raise InputError(f"{name}: reading .xls needs the xlrd package (pip install xlrd); "
                                 "or open it in Excel/WPS and save it as .xlsx") from None
            frame = pd.read_excel(path, dtype=object, header=None, engine="xlrd")
            cells = frame.itertuples(index=False)
        else:
            from openpyxl import load_workbook

            workbook = load_workbook(path, read_only=True, data_only=True)
            cells = list(workbook.worksheets[0].iter_rows(values_only=True))
            workbook.close()
            cells = _uncomputed_formulas(path, cells)
    except InputError:
        raise
    except Exception as exc:  # the engines raise many types for damaged files
        raise InputError(f"{name}: cannot read the workbook ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'damaged'}); save it again as .xlsx") from None
    numbered = [(line, [None if is_missing(v) else v for v in row]) for line, row in enumerate(cells, start=1)]
    numbered = [(line, r) for line, r in numbered if any(v is not None and str(v).strip() for v in r)]
    if not numbered:
        raise InputError(f"{name}: the first sheet is empty; put the data on the first sheet")
    width = max(len(r) for _, r in numbered)
    return [r + [None] * (width - len(r)) for _, r in numbered], [line for line, _ in numbered]


def _uncomputed_formulas(path: Path, cells: list[tuple]) -> list[tuple]:
    """Cells whose formula has no cached value (empty when read for values) as :class:`Formula`,
    so they are refused by name instead of read as missing answers."""
    from openpyxl import load_workbook

    if not any(v is None for row in cells for v in row):
        return cells
    workbook = load_workbook(path, read_only=True, data_only=False)
    formulas = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return [tuple(Formula(f) if v is None and isinstance(f, str) and f.startswith("=") else v
                  for v, f in zip(row, formula_row)) for row, formula_row in zip(cells, formulas)]


def _text_rows(path: Path, delimiter: str) -> tuple[list[list[str]], list[int], str]:
    """Non-blank CSV rows as lists of strings, the file line each starts on, and the encoding
    detected."""
    name = str(path)
    raw = path.read_bytes()
    if not raw.strip(b"\xef\xbb\xbf \r\n\t,;\x00"):
        raise InputError(f"{name}: the file is empty; export the responses again")
    encoding = detect_encoding(raw, name)
    text = raw.decode(encoding)
    if "\x00" in text:
        raise InputError(f"{name}: the file holds binary data (NUL bytes), not CSV text; "
                         "export the responses as CSV or .xlsx")
    if encoding == "utf-16" and delimiter == "," and "\t" in text.split("\n", 1)[0]:
        delimiter = "\t"   # UTF-16 text exports (Qualtrics TSV) are tab-separated
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, lines, last = [], [], 0
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
                lines.append(last + 1)
            last = reader.line_num
    except csv.Error as exc:
        raise InputError(f"{name}: not a readable CSV file ({exc}); export it again as CSV") from None
    if not rows:
        raise InputError(f"{name}: the file is empty; export the responses again")
    return rows, lines, encoding


def match_columns(table: SurveyTable, names: list[str], what: str) -> dict[str, str]:
    """Map each required name to a column: as the item mapping assigned it, exactly, or case-
    and space-insensitively.

    >>> import pandas as pd
    >>> from semtrust.io.table import SurveyTable
    >>> table = SurveyTable(pd.DataFrame({"ca1 ": [5], "CA2": [6]}), "d.csv", "csv")
    >>> match_columns(table, ["CA1", "CA2"], "item")
    {'CA1': 'ca1 ', 'CA2': 'CA2'}
    """
    columns = list(table.frame.columns)
    folded: dict[str, list[str]] = {}
    for c in columns:
        folded.setdefault(str(c).strip().casefold(), []).append(c)
    mapping, missing = {}, []
    for name in names:
        if table.item_columns.get(name) in columns:
            mapping[name] = table.item_columns[name]
        elif name in columns:
            mapping[name] = name
        elif len(folded.get(name.casefold(), [])) == 1:
            mapping[name] = folded[name.casefold()][0]
        else:
            missing.append(name)
    if missing:
        listed = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise InputError(f"{table.path}: no column for {listed} ({what}); rename the columns to these "
                         "ids or fix the model")
    return mapping


def score_answer(value, labels: dict[str, int]) -> tuple[float, bool] | None:
    """(score, was_label) for one cell, or None when the cell cannot be read.

    >>> score_answer("非常同意", {"非常同意": 7}), score_answer("5分", {}), score_answer("maybe", {})
    ((7.0, True), (5.0, True), None)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan, False
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value), False
    text = str(value).strip()
    if text == "" or text.casefold() in ("na", "nan", "(跳过)", "(空)"):
        return np.nan, False
    if text.casefold() in labels:
        return float(labels[text.casefold()]), True
    lettered = _OPTION_LETTER.match(text)   # Tencent numbers options: A.非常同意
    if lettered and lettered.group(1).strip().casefold() in labels:
        return float(labels[lettered.group(1).strip().casefold()]), True
    try:
        return float(text), False
    except ValueError:
        pass
    match = _LEADING_SCORE.match(text)
    if match:
        return float(match.group(1)), True
    return None


def _refuse_missing_code(scores: np.ndarray, table: SurveyTable, column: str, values) -> None:
    """Without a scale, a negative code among positive answers (-99, -9) is almost surely a
    missing-value code: analysing it as a score would be silently wrong."""
    observed = scores[~np.isnan(scores)]
    negative = observed[observed < 0]
    if len(negative) and len(negative) <= 0.25 * len(observed) and np.all(observed[observed >= 0] > 0):
        code = negative[0]
        row = int(np.flatnonzero(scores == code)[0])
        listed = int(code) if code == int(code) else code
        raise InputError(f"{table.path}: row {table.row_number(row)}, column '{column}': {listed} looks "
                         f"like a missing-value code; pass --na {listed} to treat it as missing, or "
                         "--scale-points K to check the range")


def code_items(table: SurveyTable, items: list[str], *, points: int | None = None,
               labels: dict[str, int] | None = None, reverse: list[str] = (),
               missing_codes: list[float] = ()) -> CodedItems:
    """Scores for ``items`` (ids), reverse-keyed items recoded as ``points + 1 - x``.

    ``points`` enables the range check; without it any number is accepted, so numeric
    missing-value codes (-99, 999) must be named in ``missing_codes``. Items are read from the
    columns :func:`semtrust.mapping.map_items` assigned, else from the columns named by their
    ids. SPSS codes whose value labels are all response labels of the
    scale are scored by their label (an option code is not necessarily the score).

    >>> import pandas as pd
    >>> from semtrust.io.table import SurveyTable
    >>> table = SurveyTable(pd.DataFrame({"A1": ["1", "7", "4"], "A2": ["2", "6", ""]}), "d.csv", "csv")
    >>> coded = code_items(table, ["A1", "A2"], points=7, reverse=["A2"])
    >>> coded.frame
        A1   A2
    0  1.0  6.0
    1  7.0  2.0
    2  4.0  NaN
    """
    labels = {k.strip().casefold(): v for k, v in (labels or {}).items()}
    mapping = match_columns(table, list(items), "item columns")
    unknown = [r for r in reverse if r not in items]
    if unknown:
        raise InputError(f"--reverse names {', '.join(unknown)}, which the model does not use")
    if reverse and points is None:
        raise InputError("reverse-keying needs the scale length: add --scale-points K (e.g. 7)")
    scores = {}
    decoded = 0
    for item in items:
        column = mapping[item]
        values = _decode_value_labels(table.frame[column], table.value_labels.get(column), labels)
        out = np.empty(len(values))
        bad = []
        for row, value in enumerate(values):
            if isinstance(value, Formula) or str(value).strip().upper() in EXCEL_ERRORS:
                bad.append((row, value, "formula"))
                continue
            scored = score_answer(value, labels)
            if scored is None:
                bad.append((row, value, "text"))
                continue
            score, was_label = scored
            if score in missing_codes:
                score, was_label = np.nan, False
            decoded += was_label
            if not np.isnan(score) and not abs(score) <= MAX_ANSWER:
                bad.append((row, value, "huge"))
            elif points is not None and not np.isnan(score) and (score != int(score) or not 1 <= score <= points):
                bad.append((row, value, "range"))
            out[row] = score
        given = sum(not is_missing(v) and str(v).strip() != "" for v in values)
        if len(bad) >= 3 and len(bad) > 0.5 * given:
            examples = ", ".join(shown(str(v), 20) for _, v, _ in bad[:3])
            raise InputError(f"{table.path}: column '{column}' (mapped to item {item}) does not hold answers on "
                             f"the {f'1-{points} ' if points else ''}scale ({examples}, ...); check the mapping "
                             "(--mapping) or the export")
        if bad:
            row, value, kind = bad[0]
            where = f"{table.path}: row {table.row_number(row)}, column '{column}'"
            more = f" ({len(bad) - 1} more cells in this column are like it)" if len(bad) > 1 else ""
            if kind == "text":
                hint = (f"use 1-{points} or a label of the scale" if points else "use numbers")
                raise InputError(f"{where}: {shown(str(value))} is not a number or a response label; {hint}, "
                                 f"or leave the cell empty for a missing answer{more}")
            if kind == "formula":
                what = (f"the formula {shown(str(value), 30)} without a computed value" if isinstance(value, Formula)
                        else f"the spreadsheet error {str(value).strip()}")
                raise InputError(f"{where}: holds {what}, not an answer; open the file in Excel/WPS (it "
                                 f"recalculates), fix the cell and save, or type the answer{more}")
            if kind == "huge":
                raise InputError(f"{where}: {shown(str(value))} is not a finite answer (beyond ±{MAX_ANSWER:g}); "
                                 f"correct it or leave the cell empty for a missing answer{more}")
            code = f" (a missing-value code? pass --na {value})" if str(value).strip().startswith("-") else ""
            raise InputError(f"{where}: {shown(str(value))[1:-1]} is outside the 1-{points} response scale{code}; correct it "
                             f"or leave it empty for a missing answer{more}")
        if np.all(np.isnan(out)):
            raise InputError(f"{table.path}: column '{column}' has no answers; check the export")
        if points is None:
            _refuse_missing_code(out, table, column, values)
        scores[item] = out
    frame = pd.DataFrame(scores)
    for item in reverse:
        frame[item] = points + 1 - frame[item]
    return CodedItems(frame, list(reverse), decoded)


def _decode_value_labels(values: pd.Series, value_labels: dict | None, labels: dict[str, int]) -> pd.Series:
    """Codes replaced by their value label when every label is a response label of the scale
    (so codes 0-6 labelled 非常不同意…非常同意 score 1-7); otherwise the codes as they are."""
    if not value_labels:
        return values
    scored = {code: score_answer(label, labels) for code, label in value_labels.items()}
    if not all(s is not None and s[1] and not np.isnan(s[0]) for s in scored.values()):
        return values
    return values.map(lambda v: value_labels.get(v, v) if not is_missing(v) else v)


def read_summary_matrix(path: str | Path | pd.DataFrame, variables: list[str], n: int) -> tuple[pd.DataFrame, dict]:
    """A published correlation or covariance matrix as a covariance matrix for ML.

    The CSV has variable names in the header and the first column, a full or lower-triangular
    matrix, and optionally a row named ``sd`` (turning correlations into covariances) and a row
    ``mean`` (ignored). As lavaan's ``sample.cov``, the matrix is taken as unbiased (divisor
    N - 1) and rescaled by (N - 1) / N.

    >>> import pandas as pd
    >>> matrix = pd.DataFrame([[1.0, 0.5], [0.5, 1.0], [2.0, 1.0]], columns=["x", "y"], index=pd.Index(["x", "y", "sd"], name="variable"))
    >>> cov, info = read_summary_matrix(matrix, ["x", "y"], n=101)
    >>> cov.round(3)
          x     y
    x  3.96  0.99
    y  0.99  0.99
    """
    name = "<DataFrame>" if isinstance(path, pd.DataFrame) else path
    if n is None or n < 3:
        raise InputError(f"{name}: summary-data input needs the sample size (e.g. --summary 300)")
    table = read_survey(path)
    frame = table.frame.set_index(table.frame.columns[0])
    frame.index = [str(i).strip() for i in frame.index]
    extra = {i.casefold(): i for i in frame.index if i.casefold() in ("sd", "mean")}
    names = [i for i in frame.index if i.casefold() not in ("sd", "mean")]
    if names != [str(c).strip() for c in frame.columns[: len(names)]]:
        raise InputError(f"{name}: the row names must repeat the column names in the same order "
                         "(a square matrix with a first column of variable names)")

    def number(value, row, column):
        text = str(value).strip()
        if text in ("", "nan", "None"):
            return np.nan
        try:
            return float(text)
        except ValueError:
            raise InputError(f"{name}: row '{row}', column '{column}': '{text}' is not a number") from None

    matrix = np.array([[number(frame.iloc[i, j], names[i], names[j]) for j in range(len(names))]
                       for i in range(len(names))])
    upper = np.triu_indices(len(names), 1)
    lower_only = np.all(np.isnan(matrix[upper]))
    if lower_only:
        matrix[upper] = matrix.T[upper]
    if np.isnan(matrix).any():
        i, j = map(int, np.argwhere(np.isnan(matrix))[0])
        raise InputError(f"{name}: row '{names[i]}', column '{names[j]}' is empty; give the full or the "
                         "lower-triangular matrix")
    if not np.allclose(matrix, matrix.T, atol=1e-8):
        raise InputError(f"{name}: the matrix is not symmetric; check the transcription")
    kind = "correlation" if np.allclose(np.diag(matrix), 1.0) else "covariance"
    if "sd" in extra:
        sd = np.array([number(frame.loc[extra["sd"]].iloc[j], "sd", names[j]) for j in range(len(names))])
        if kind == "covariance":
            raise InputError(f"{name}: an 'sd' row goes with a correlation matrix, not a covariance matrix")
        matrix = matrix * np.outer(sd, sd)
        kind = "correlation + SDs"
    cov = pd.DataFrame(matrix * (n - 1) / n, index=names, columns=names)
    missing = [v for v in variables if v not in names]
    if missing:
        raise InputError(f"{name}: the matrix has no row for {', '.join(missing)} (used in the model)")
    return cov, {"format": f"summary {kind} matrix", "encoding": table.encoding, "summary_n": n}
