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

from semtrust.errors import InputError

_LEADING_SCORE = re.compile(r"^\s*([+-]?\d+)\s*(?:分|[=:：.、)）\-–—]\s*\S.*)?\s*$")


@dataclass
class SurveyTable:
    """Cells as the file holds them (strings, or numbers for xlsx/sav), plus provenance."""

    frame: pd.DataFrame
    path: str
    format: str
    encoding: str | None = None
    first_data_row: int = 2   # file row number of frame.iloc[0] (the header is row 1)
    id_column: str | None = None         # respondent id, when the export has one
    duration_column: str | None = None   # completion time in seconds (numeric), when the export has one


@dataclass
class CodedItems:
    frame: pd.DataFrame                 # float scores, NaN where missing
    reversed: list[str] = field(default_factory=list)
    labels_decoded: int = 0             # cells given as text labels


def detect_encoding(raw: bytes, path: str) -> str:
    """BOM, then strict UTF-8, then GB18030 (a superset of GBK); never latin-1."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            raw.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: the file is neither UTF-8 nor GBK/GB18030 text; "
                     "re-export it as UTF-8 CSV or as .xlsx")


def _check_header(columns: list, path: str) -> list[str]:
    names = [str(c).strip() if c is not None and not (isinstance(c, float) and np.isnan(c)) else "" for c in columns]
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name and name in seen:
            raise InputError(f"{path}: columns {seen[name]} and {position} are both named '{name}'; "
                             "rename one so every column has a unique name")
        seen[name] = position
    return names


def read_survey(path: str | Path) -> SurveyTable:
    """Read a CSV, XLSX or SPSS .sav export as it is; the file itself is never written."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"{name}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, dtype=object, header=None)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise InputError(f"{name}: cannot read the workbook ({exc}); save it again as .xlsx") from None
        if frame.empty:
            raise InputError(f"{name}: the first sheet is empty; put the data on the first sheet")
        header = _check_header(list(frame.iloc[0]), name)
        frame = frame.iloc[1:].reset_index(drop=True)
        frame.columns = header
        return SurveyTable(_drop_unnamed(frame), name, "xlsx", None)
    if suffix == ".sav":
        import pyreadstat
        try:
            frame, _ = pyreadstat.read_sav(str(path), user_missing=False)
        except Exception as exc:
            raise InputError(f"{name}: cannot read the SPSS file ({exc})") from None
        return SurveyTable(frame, name, "sav", "stamped in file")
    if suffix not in (".csv", ".txt", ".tsv"):
        raise InputError(f"{name}: unknown file type '{suffix}'; give a .csv, .xlsx or .sav file")
    raw = path.read_bytes()
    if not raw.strip(b"\xef\xbb\xbf \r\n\t,"):
        raise InputError(f"{name}: the file is empty; export the responses again")
    encoding = detect_encoding(raw, name)
    text = raw.decode(encoding)
    delimiter = "\t" if suffix == ".tsv" else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    header = _check_header(rows[0], name)
    body = rows[1:]
    if not body:
        raise InputError(f"{name}: the file has a header but no responses")
    width = len(header)
    for line, row in enumerate(body, start=2):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            raise InputError(f"{name}: row {line} has {len(row)} cells but the header has {width}; "
                             "check for unquoted commas in that row")
    frame = pd.DataFrame([row[:width] + [""] * (width - len(row)) for row in body], columns=header, dtype=object)
    return SurveyTable(_drop_unnamed(frame), name, "csv", encoding)


def _drop_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the empty trailing column some exports add (a trailing comma)."""
    keep = [c for c in frame.columns if c != "" or frame[c].astype(str).str.strip().replace("nan", "").any()]
    return frame[keep]


def match_columns(table: SurveyTable, names: list[str], what: str) -> dict[str, str]:
    """Map each required name to a column: exact, else case- and space-insensitive."""
    columns = list(table.frame.columns)
    folded: dict[str, list[str]] = {}
    for c in columns:
        folded.setdefault(str(c).strip().casefold(), []).append(c)
    mapping, missing = {}, []
    for name in names:
        if name in columns:
            mapping[name] = name
        elif len(folded.get(name.casefold(), [])) == 1:
            mapping[name] = folded[name.casefold()][0]
        else:
            missing.append(name)
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise InputError(f"{table.path}: no column for {shown} ({what}); rename the columns to these "
                         "ids or fix the model")
    return mapping


def _score(value, labels: dict[str, int]) -> tuple[float, bool] | None:
    """(score, was_label) for one cell, or None when the cell cannot be read."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan, False
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value), False
    text = str(value).strip()
    if text == "" or text.casefold() in ("na", "nan", "(跳过)", "(空)"):
        return np.nan, False
    if text.casefold() in labels:
        return float(labels[text.casefold()]), True
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
        shown = int(code) if code == int(code) else code
        raise InputError(f"{table.path}: row {row + table.first_data_row}, column '{column}': {shown} looks "
                         f"like a missing-value code; pass --na {shown} to treat it as missing, or "
                         "--scale-points K to check the range")


def code_items(table: SurveyTable, items: list[str], *, points: int | None = None,
               labels: dict[str, int] | None = None, reverse: list[str] = (),
               missing_codes: list[float] = ()) -> CodedItems:
    """Scores for ``items`` (ids), reverse-keyed items recoded as ``points + 1 - x``.

    ``points`` enables the range check; without it any number is accepted, so numeric
    missing-value codes (-99, 999) must be named in ``missing_codes``.
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
        values = table.frame[column]
        out = np.empty(len(values))
        bad = []
        for row, value in enumerate(values):
            scored = _score(value, labels)
            if scored is None:
                bad.append((row, value, "text"))
                continue
            score, was_label = scored
            if score in missing_codes:
                score, was_label = np.nan, False
            decoded += was_label
            if points is not None and not np.isnan(score) and (score != int(score) or not 1 <= score <= points):
                bad.append((row, value, "range"))
            out[row] = score
        if bad:
            row, value, kind = bad[0]
            where = f"{table.path}: row {row + table.first_data_row}, column '{column}'"
            more = f" ({len(bad) - 1} more cells in this column are like it)" if len(bad) > 1 else ""
            if kind == "text":
                hint = (f"use 1-{points} or a label of the scale" if points else "use numbers")
                raise InputError(f"{where}: '{value}' is not a number or a response label; {hint}, "
                                 f"or leave the cell empty for a missing answer{more}")
            raise InputError(f"{where}: {value} is outside the 1-{points} response scale; correct it "
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


def read_summary_matrix(path: str | Path, variables: list[str], n: int) -> tuple[pd.DataFrame, dict]:
    """A published correlation or covariance matrix as a covariance matrix for ML.

    The CSV has variable names in the header and the first column, a full or lower-triangular
    matrix, and optionally a row named ``sd`` (turning correlations into covariances) and a row
    ``mean`` (ignored). As lavaan's ``sample.cov``, the matrix is taken as unbiased (divisor
    N - 1) and rescaled by (N - 1) / N.
    """
    if n is None or n < 3:
        raise InputError(f"{path}: summary-data input needs the sample size (e.g. --summary 300)")
    table = read_survey(path)
    frame = table.frame.set_index(table.frame.columns[0])
    frame.index = [str(i).strip() for i in frame.index]
    extra = {i.casefold(): i for i in frame.index if i.casefold() in ("sd", "mean")}
    names = [i for i in frame.index if i.casefold() not in ("sd", "mean")]
    if names != [str(c).strip() for c in frame.columns[: len(names)]]:
        raise InputError(f"{path}: the row names must repeat the column names in the same order "
                         "(a square matrix with a first column of variable names)")

    def number(value, row, column):
        text = str(value).strip()
        if text in ("", "nan", "None"):
            return np.nan
        try:
            return float(text)
        except ValueError:
            raise InputError(f"{path}: row '{row}', column '{column}': '{text}' is not a number") from None

    matrix = np.array([[number(frame.iloc[i, j], names[i], names[j]) for j in range(len(names))]
                       for i in range(len(names))])
    upper = np.triu_indices(len(names), 1)
    lower_only = np.all(np.isnan(matrix[upper]))
    if lower_only:
        matrix[upper] = matrix.T[upper]
    if np.isnan(matrix).any():
        i, j = map(int, np.argwhere(np.isnan(matrix))[0])
        raise InputError(f"{path}: row '{names[i]}', column '{names[j]}' is empty; give the full or the "
                         "lower-triangular matrix")
    if not np.allclose(matrix, matrix.T, atol=1e-8):
        raise InputError(f"{path}: the matrix is not symmetric; check the transcription")
    kind = "correlation" if np.allclose(np.diag(matrix), 1.0) else "covariance"
    if "sd" in extra:
        sd = np.array([number(frame.loc[extra["sd"]].iloc[j], "sd", names[j]) for j in range(len(names))])
        if kind == "covariance":
            raise InputError(f"{path}: an 'sd' row goes with a correlation matrix, not a covariance matrix")
        matrix = matrix * np.outer(sd, sd)
        kind = "correlation + SDs"
    cov = pd.DataFrame(matrix * (n - 1) / n, index=names, columns=names)
    missing = [v for v in variables if v not in names]
    if missing:
        raise InputError(f"{path}: the matrix has no row for {', '.join(missing)} (used in the model)")
    return cov, {"format": f"summary {kind} matrix", "encoding": table.encoding, "summary_n": n}
