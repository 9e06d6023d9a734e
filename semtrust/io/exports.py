"""Survey-platform exports: detect who produced a file and read its layout (data stage).

:func:`semtrust.data.read_survey` reads the cells; :func:`parse_rows` recognises the platform
from the header (or takes the one forced with ``--format``) and turns its layout into a
:class:`~semtrust.data.SurveyTable`: one column per answer, the question wording of every
column (for :mod:`semtrust.mapping`), the metadata columns, the respondent id and the
completion time in seconds. Platform quirks handled here (see the survey-exports reference):

- **Wenjuanxing (问卷星)**: ``N、题干`` headers with type tags, matrix rows headed by bare row
  labels after a ``stem—row`` first column (the stem is carried forward), text (按选项文本) or
  option-index (按选项序号) downloads, ``(跳过)``/``-3`` logic skips, ``(空)``, ``-2`` unranked,
  ``所用时间`` such as ``136秒``, ``2分3秒`` or ``02:16``.
- **Tencent Survey (腾讯问卷)**: BOM, trailing comma column, ``N.题干:选项`` headers, repeated names.
- **Qualtrics**: three header rows (names, question text ``stem - row``, ImportId JSON; two rows in
  the legacy format), ``Duration (in seconds)``, ``ResponseId``.
- **SurveyMonkey**: two header rows, the question text only over its first column.
- **Google Forms**: ``Timestamp`` first, grids as ``Title [Row]``.
- **SPSS .sav** (any platform): value labels kept, user-missing codes set to missing and counted.

Nothing here alters an answer except to set platform missing codes to missing (counted per
column and reason in ``missing_reasons``) and to put the completion time in seconds.

>>> parse_duration("2分3秒"), parse_duration("136秒"), parse_duration("02:16")
(123.0, 136.0, 136.0)
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from semtrust.errors import InputError
from semtrust.io.formats import FORMATS
from semtrust.io.table import SurveyTable, is_missing

__all__ = ["detect_platform", "parse_duration"]

PLATFORMS = FORMATS[1:]
PLATFORM_NAMES = {"wjx": "Wenjuanxing (问卷星)", "tencent": "Tencent Survey (腾讯问卷)", "qualtrics": "Qualtrics",
                  "surveymonkey": "SurveyMonkey", "google": "Google Forms", "sav": "SPSS .sav",
                  "generic": "plain table"}

WJX_METADATA = {"序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分", "答卷编号", "用户ID",
                "微信昵称", "自定义字段", "开始答题时间", "结束答题时间", "Q来源"}
TENCENT_METADATA = {"编号", "开始答题时间", "结束答题时间", "答题时长", "地理位置国家和地区", "地理位置省", "地理位置市",
                    "用户类型", "用户标识", "昵称", "自定义字段", "IP", "UA", "Referrer", "语言", "清洗数据结果",
                    "智能清洗数据无效概率", "审核状态", "中奖时间", "中奖金额", "家庭地址(经度，纬度)"}
QUALTRICS_METADATA = {"StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                      "RecordedDate", "ResponseId", "ResponseID", "RecipientLastName", "RecipientFirstName",
                      "RecipientEmail", "ExternalReference", "ExternalDataReference", "LocationLatitude",
                      "LocationLongitude", "DistributionChannel", "UserLanguage", "Q_RecaptchaScore",
                      "Q_RelevantIDDuplicate", "Q_RelevantIDDuplicateScore", "Q_RelevantIDFraudScore",
                      "Q_RelevantIDLastStartDate", "Q_BallotBoxStuffing", "ResponseSet", "Name", "EmailAddress"}
SURVEYMONKEY_METADATA = {"Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
                         "First Name", "Last Name", "Custom Data 1", "Custom Data"}
GOOGLE_METADATA = {"Timestamp", "时间戳记", "时间戳", "Email Address", "电子邮件地址", "Score", "分数"}
# Column names of a respondent id / completion time in a plain table (Credamo and other
# platforms without a dedicated reader), compared case-folded.
ID_NAMES = ("respondent_id", "respondent id", "responseid", "response id", "id", "答卷编号", "答题编号", "编号",
            "序号", "participant", "participant_id", "subject", "case", "caseid")
DURATION_NAMES = ("duration (in seconds)", "duration", "duration_seconds", "所用时间", "答题时长", "作答时长",
                  "用时", "time_taken", "timetaken", "completion_time")

_WJX_NUMBERED = re.compile(r"^(\d+)\s*[、.．:：]\s*(.*)$", re.S)
_WJX_INDEX = re.compile(r"^第(\d+)题\s*[(（](.*)[)）]$", re.S)
_WJX_NEW_INDEX = re.compile(r"^(\d+)[(（](.*)[)）]$", re.S)
_TYPE_TAG = re.compile(r"\s*[(（\[【][^()（）\[\]【】]*(?:题|必答|选填)[^()（）\[\]【】]*[)）\]】]\s*")
_TENCENT_NUMBERED = re.compile(r"^(\d+)\.(.*)$", re.S)


def check_format(format: str | None, path: str) -> str | None:
    """The platform forced with ``--format``, or None to detect it."""
    if format in (None, "", "auto"):
        return None
    if format not in PLATFORMS:
        raise InputError(f"{path}: --format {format}: use one of {', '.join(FORMATS)}")
    return format


def _cell_text(value) -> str:
    """A cell as text: '' for empty cells, integers without '.0' (xlsx gives floats)."""
    if is_missing(value):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def parse_duration(value) -> float:
    """Seconds from ``136``, ``136秒``, ``2分3秒``, ``1小时2分``, ``02:16``, ``0:02:16`` or an Excel
    time/duration cell; NaN when the cell is empty or not a duration.

    >>> parse_duration("2分3秒"), parse_duration("0:02:16"), parse_duration("")
    (123.0, 136.0, nan)
    """
    if is_missing(value):
        return np.nan
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, _dt.time):
        return value.hour * 3600.0 + value.minute * 60.0 + value.second + value.microsecond / 1e6
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value) if np.isfinite(value) and value >= 0 else np.nan
    text = str(value).strip().replace(" ", "")
    units = re.fullmatch(r"(?:(\d+(?:\.\d+)?)(?:小时|时|h))?(?:(\d+(?:\.\d+)?)(?:分钟|分|min|m))?"
                         r"(?:(\d+(?:\.\d+)?)(?:秒钟|秒|sec|s))?", text, re.I)
    if units and any(units.groups()):
        hours, minutes, seconds = (float(g) if g else 0.0 for g in units.groups())
        return hours * 3600 + minutes * 60 + seconds
    clock = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)", text)
    if clock:
        return float(clock.group(1) or 0) * 3600 + float(clock.group(2)) * 60 + float(clock.group(3))
    try:
        seconds = float(text)
    except ValueError:
        return np.nan
    return seconds if np.isfinite(seconds) and seconds >= 0 else np.nan


@dataclass
class Layout:
    """What a platform reader found in the header rows (positions are column indices)."""

    names: list[str]
    header_rows: int = 1
    questions: dict = field(default_factory=dict)   # position -> question wordings
    metadata: set = field(default_factory=set)      # positions of metadata columns
    id_name: str | None = None
    duration_name: str | None = None
    times: tuple | None = None      # (start, end) column names, when the duration must be computed
    missing_codes: dict = field(default_factory=dict)   # cell text -> reason, in question columns
    download: str | None = None
    notes: list = field(default_factory=list)


def detect_platform(rows: list[list]) -> str:
    """The platform whose header signature the first rows carry; 'generic' when none does.

    >>> detect_platform([["序号", "提交答卷时间", "所用时间", "1、我信任这位主播"], ["1", "2024/5/1 10:00", "136秒", "5"]])
    'wjx'
    >>> detect_platform([["id", "CA1", "CA2"], ["1", "5", "6"]])
    'generic'
    """
    header = [_cell_text(c) for c in rows[0]]
    names = set(header)
    third = [_cell_text(c) for c in rows[2]] if len(rows) > 2 else []
    if any(c.startswith('{"ImportId"') for c in third) or ({"ResponseId", "ResponseID"} & names
                                                          and {"Finished", "Progress"} & names):
        return "qualtrics"
    second = [_cell_text(c) for c in rows[1]] if len(rows) > 1 else []
    if "Respondent ID" in names and {"Response", "Open-Ended Response"} & set(second):
        return "surveymonkey"
    if ("序号" in names and {"提交答卷时间", "所用时间"} & names) or \
            sum(bool(_WJX_NUMBERED.match(c) and "、" in c[:6]) or bool(_WJX_INDEX.match(c)) for c in header) >= 2:
        return "wjx"
    if "编号" in names and {"答题时长", "开始答题时间", "结束答题时间"} & names:
        return "tencent"
    if header and header[0] in ("Timestamp", "时间戳记", "时间戳"):
        return "google"
    return "generic"


def parse_rows(rows: list[list], path: str, kind: str, encoding: str | None,
               platform: str | None = None, lines: list[int] | None = None) -> SurveyTable:
    """A SurveyTable from the raw rows of a CSV or workbook (header rows included); ``lines``
    are their row numbers in the file when blank rows were left out."""
    detected = detect_platform(rows)
    platform = platform or detected
    layout = READERS[platform](rows, path)
    table = _build(rows, layout, path, kind, encoding, platform, lines)
    how = "forced with --format" if platform != detected else "detected"
    table.log.insert(0, f"read {path} as {kind}" + (f" ({encoding} encoding)" if encoding else "")
                     + f"; layout: {PLATFORM_NAMES[platform]} ({how})"
                     + (f", {layout.download} download" if layout.download else ""))
    return table


def _header(rows: list[list], index: int) -> list[str]:
    return [_cell_text(c) for c in rows[index]] if index < len(rows) else []


def _found(names: list[str], wanted) -> str | None:
    return next((n for n in names if n in wanted), None)


def _by_keyword(names: list[str], keywords) -> str | None:
    folded = {n.casefold(): n for n in names}
    return next((folded[k] for k in keywords if k in folded), None)


def _generic(rows: list[list], path: str) -> Layout:
    names = _header(rows, 0)
    _check_plain_header(rows, names, path)
    return Layout(names, id_name=_by_keyword(names, ID_NAMES), duration_name=_by_keyword(names, DURATION_NAMES))


def _check_plain_header(rows, names, path) -> None:
    """A plain table has its column names in row 1: refuse a merged heading there."""
    filled = [n for n in names if n]
    second = _header(rows, 1)
    if len(names) >= 4 and len(filled) <= len(names) // 2 and second and all(second) and \
            not any(re.fullmatch(r"[+-]?\d+(\.\d+)?", c) for c in second):
        raise InputError(f"{path}: row 1 has only {len(filled)} names over {len(names)} columns and row 2 looks "
                         "like the column names (a merged heading row?); delete row 1 so the names are in row 1")


def _wjx(rows: list[list], path: str) -> Layout:
    """Wenjuanxing: numbered questions, matrix rows under a carried-forward stem."""
    names = _header(rows, 0)
    layout = Layout(names, id_name=_found(names, {"序号"}), duration_name=_found(names, {"所用时间"}))
    stem = None   # the matrix question whose bare row labels follow
    index_headers = 0
    for position, name in enumerate(names):
        if name in WJX_METADATA:
            layout.metadata.add(position)
            stem = None
            continue
        numbered, indexed = _WJX_NUMBERED.match(name), _WJX_INDEX.match(name) or _WJX_NEW_INDEX.match(name)
        if indexed:
            index_headers += 1
            layout.questions[position] = [indexed.group(2)]
            stem = None
        elif numbered:
            title = _TYPE_TAG.sub(" ", numbered.group(2)).strip()
            if "—" in title:
                stem, row = (part.strip() for part in title.rsplit("—", 1))
                layout.questions[position] = [row, f"{stem} {row}"]
            else:
                stem = None
                layout.questions[position] = [title]
        elif stem is not None and name:
            layout.questions[position] = [name, f"{stem} {name}"]
        elif name:
            layout.questions[position] = [name]   # unnumbered question (region) or custom field
    if _numeric_answers(rows, layout, skip=("(跳过)", "(空)")) or index_headers:
        layout.download = "option index"
        layout.missing_codes = {"-3": "skipped by logic", "-2": "not ranked", "(跳过)": "skipped by logic",
                                "(空)": "not answered"}
        layout.notes.append("option-index download (按选项序号): answers are 1-based option positions, taken as "
                            "scale scores in the instrument's option order")
    else:
        layout.download = "text"
        layout.missing_codes = {"(跳过)": "skipped by logic", "(空)": "not answered"}
    return layout


def _numeric_answers(rows: list[list], layout: Layout, skip=()) -> bool:
    """Whether the question cells hold whole numbers (codes), not option text."""
    answers = [_cell_text(row[p]) for row in rows[layout.header_rows:] for p in layout.questions if p < len(row)]
    answers = [a for a in answers if a and a not in skip]
    return bool(answers) and np.mean([bool(re.fullmatch(r"-?\d+", a)) for a in answers]) >= 0.95


def _answer_kind(rows: list[list], layout: Layout) -> Layout:
    layout.download = "numeric values" if _numeric_answers(rows, layout) else "text"
    return layout


def _tencent(rows: list[list], path: str) -> Layout:
    """Tencent Survey: ``N.题干`` and ``N.题干:选项/行`` headers, metadata by name."""
    names = _header(rows, 0)
    layout = Layout(names, id_name=_found(names, {"编号"}), duration_name=_found(names, {"答题时长"}),
                    times=("开始答题时间", "结束答题时间"),
                    missing_codes={"(跳过)": "skipped by logic", "(空)": "not answered"})
    for position, name in enumerate(names):
        if name in TENCENT_METADATA:
            layout.metadata.add(position)
            continue
        numbered = _TENCENT_NUMBERED.match(name)
        title = _TYPE_TAG.sub(" ", numbered.group(2) if numbered else name).strip()
        parts = re.split(r"[:：]", title, maxsplit=1)
        layout.questions[position] = [parts[1].strip(), parts[0].strip(), title] if len(parts) == 2 else [title]
    return _answer_kind(rows, layout)


def _header_row_not_answers(rows: list[list], path: str, platform: str, what: str) -> None:
    """A forced platform reads row 2 as a header row: refuse when it holds answers (mostly
    numbers), which would silently drop the first respondent of a plain table."""
    cells = [_cell_text(c) for c in rows[1]] if len(rows) > 1 else []
    filled = [c for c in cells if c]
    numeric = sum(bool(re.fullmatch(r"[+-]?\d+(?:\.\d+)?", c)) for c in filled)
    if filled and numeric > len(filled) / 2:
        raise InputError(f"{path}: row 2 holds answers, not the {what} a {PLATFORM_NAMES[platform]} export has "
                         f"there; drop --format {platform} (the file reads as a plain table) or export the file "
                         "again from the platform")


def _qualtrics(rows: list[list], path: str) -> Layout:
    """Qualtrics: names, question text, ImportId JSON (legacy exports: names and text only)."""
    _header_row_not_answers(rows, path, "qualtrics", "question texts")
    names, texts = _header(rows, 0), _header(rows, 1)
    imports = _header(rows, 2)
    json_row = any(c.startswith("{") and "ImportId" in c for c in imports)
    layout = Layout(names, header_rows=3 if json_row else 2,
                    id_name=_found(names, {"ResponseId", "ResponseID"}),
                    duration_name=_found(names, {"Duration (in seconds)"}))
    for position, name in enumerate(names):
        import_id = ""
        if json_row and position < len(imports):
            try:
                import_id = str(json.loads(imports[position]).get("ImportId", ""))
            except (ValueError, AttributeError):
                import_id = ""
        if name in QUALTRICS_METADATA or (import_id and not import_id.startswith("QID")):
            layout.metadata.add(position)
            continue
        text = texts[position] if position < len(texts) else ""
        text = re.sub(r"<[^>]+>", " ", text).strip()   # question text may carry HTML
        parts = re.split(r"\s-\s", text, maxsplit=1)
        layout.questions[position] = ([parts[-1].strip(), parts[0].strip(), text] if len(parts) == 2 else [text])
    return _answer_kind(rows, layout)


def _surveymonkey(rows: list[list], path: str) -> Layout:
    """SurveyMonkey: question text over the first column of each question, sub-labels in row 2."""
    _header_row_not_answers(rows, path, "surveymonkey", "answer-option labels")
    top, sub = _header(rows, 0), _header(rows, 1)
    names, questions, metadata, stem = [], {}, set(), ""
    for position, heading in enumerate(top):
        label = sub[position] if position < len(sub) else ""
        if heading in SURVEYMONKEY_METADATA:
            names.append(heading)
            metadata.add(position)
            stem = ""
            continue
        stem = heading or stem
        if label in ("", "Response", "Open-Ended Response"):
            names.append(stem)
            questions[position] = [stem]
        else:
            names.append(f"{stem} - {label}" if stem else label)
            questions[position] = [label, stem, f"{stem} {label}"]
    return _answer_kind(rows, Layout(names, header_rows=2, questions=questions, metadata=metadata,
                                     id_name=_found(names, {"Respondent ID"}), times=("Start Date", "End Date")))


def _google(rows: list[list], path: str) -> Layout:
    """Google Forms: one header row, grid rows as ``Title [Row]``; no id, no duration."""
    names = _header(rows, 0)
    layout = Layout(names)
    for position, name in enumerate(names):
        if name in GOOGLE_METADATA:
            layout.metadata.add(position)
            continue
        grid = re.fullmatch(r"(.*?)\s*\[(.*)\]\s*", name, re.S)
        layout.questions[position] = [grid.group(2), grid.group(1), name] if grid else [name]
    return _answer_kind(rows, layout)


READERS = {"wjx": _wjx, "tencent": _tencent, "qualtrics": _qualtrics, "surveymonkey": _surveymonkey,
           "google": _google, "generic": _generic}


def _build(rows: list[list], layout: Layout, path: str, kind: str, encoding: str | None,
           platform: str, lines: list[int] | None = None) -> SurveyTable:
    """Frame, unique names, platform missing codes and durations from a Layout."""
    names = list(layout.names)
    body = rows[layout.header_rows:]
    if not body:
        raise InputError(f"{path}: the file has a header but no responses")
    width = len(names)
    first_data_row = layout.header_rows + 1
    for position, row in enumerate(body):
        if len(row) > width and any(_cell_text(c) for c in row[width:]):
            line = lines[layout.header_rows + position] if lines else position + first_data_row
            raise InputError(f"{path}: row {line} has {len(row)} cells but the header has {width}; "
                             "check for unquoted commas in that row")
    cells = [list(row[:width]) + [None] * (width - len(row)) for row in body]
    keep = [p for p in range(width) if names[p] or any(_cell_text(r[p]) for r in cells)]   # trailing comma
    log = list(layout.notes)
    seen: dict[str, int] = {}
    for p in keep:
        if not names[p]:
            names[p] = f"column {p + 1}"
            log.append(f"column {p + 1} has answers but no name; called it '{names[p]}'")
        if names[p] in seen:
            if platform == "generic":
                raise InputError(f"{path}: columns {seen[names[p]] + 1} and {p + 1} are both named '{names[p]}'; "
                                 "rename one so every column has a unique name")
            copy = 2
            while f"{names[p]} [{copy}]" in seen:
                copy += 1
            log.append(f"column {p + 1} repeats the name '{names[p]}'; called it '{names[p]} [{copy}]'")
            names[p] = f"{names[p]} [{copy}]"
        seen[names[p]] = p
    frame = pd.DataFrame([[r[p] for p in keep] for r in cells], columns=[names[p] for p in keep], dtype=object)
    table = SurveyTable(frame, path, kind, encoding, first_data_row=first_data_row, platform=platform,
                        lines=list(lines[layout.header_rows:]) if lines else None,
                        download=layout.download, log=log,
                        questions={names[p]: [q for q in layout.questions[p] if q] for p in keep
                                   if p in layout.questions},
                        metadata=[names[p] for p in keep if p in layout.metadata])
    _set_missing_codes(table, layout.missing_codes)
    table.id_column = layout.id_name if layout.id_name in frame.columns else None
    duration = layout.duration_name
    if duration is None and layout.times and set(layout.times) <= set(frame.columns):
        duration = _duration_from_times(table, *layout.times)
    _set_duration(table, duration)
    return table


def _duration_from_times(table: SurveyTable, start: str, end: str) -> str | None:
    """A ``duration_seconds`` column (end - start) when the export has timestamps but no duration."""
    def stamps(column):
        return pd.to_datetime(table.frame[column].map(_cell_text), errors="coerce", format="mixed")
    seconds = (stamps(end) - stamps(start)).dt.total_seconds()
    if seconds.notna().mean() < 0.9 or (seconds < 0).any():
        return None
    table.frame["duration_seconds"] = seconds.astype(object)
    table.metadata.append("duration_seconds")
    table.log.append(f"completion time computed as '{end}' - '{start}'")
    return "duration_seconds"


def _set_missing_codes(table: SurveyTable, codes: dict) -> None:
    """Platform codes for skipped / unanswered / unranked cells become missing, counted per reason."""
    if not codes:
        return
    for column in table.questions:
        texts = table.frame[column].map(_cell_text)
        for code, reason in codes.items():
            hits = texts == code
            if hits.any():
                table.frame.loc[hits, column] = None
                reasons = table.missing_reasons.setdefault(column, {})
                reasons[reason] = reasons.get(reason, 0) + int(hits.sum())
    total = {}
    for reasons in table.missing_reasons.values():
        for reason, count in reasons.items():
            total[reason] = total.get(reason, 0) + count
    if total:
        table.log.append("set to missing: " + ", ".join(f"{n} cells {reason}" for reason, n in total.items()))


def _set_duration(table: SurveyTable, column: str | None) -> None:
    """Completion time as float seconds in its own column, when most cells read as a duration."""
    if column is None or column not in table.frame.columns:
        return
    raw = table.frame[column]
    seconds = raw.map(parse_duration).astype(float)
    given = raw.map(_cell_text) != ""
    if given.sum() == 0 or seconds[given].notna().mean() < 0.9:
        table.log.append(f"column '{column}' is not a completion time in seconds; no duration used")
        return
    table.frame[column] = seconds
    table.duration_column = column
    unread = int((given & seconds.isna()).sum())
    table.log.append(f"completion time: '{column}' in seconds" + (f" ({unread} cells unreadable, left missing)"
                                                                  if unread else ""))


def read_sav(path: Path, platform: str | None) -> SurveyTable:
    """An SPSS .sav file: numeric codes kept, value labels and question text kept as metadata,
    declared user-missing codes set to missing and counted."""
    import pyreadstat

    name = str(path)
    if platform not in (None, "sav"):
        raise InputError(f"{name}: an SPSS .sav file cannot be read as --format {platform}; drop --format")
    try:
        frame, meta = pyreadstat.read_sav(name, apply_value_formats=False, user_missing=True)
    except Exception:
        try:   # old Chinese files can stamp the wrong encoding
            frame, meta = pyreadstat.read_sav(name, apply_value_formats=False, user_missing=True,
                                              encoding="GB18030")
        except Exception as exc:
            raise InputError(f"{name}: cannot read the SPSS file ({type(exc).__name__}); "
                             "save it again from SPSS or export CSV") from None
    if frame.shape[1] == 0:
        raise InputError(f"{name}: the SPSS file has no variables; export the responses again")
    if frame.shape[0] == 0:
        raise InputError(f"{name}: the SPSS file has variables but no responses")
    frame = frame.astype(object).where(frame.notna(), None)
    labels = meta.column_names_to_labels or {}
    table = SurveyTable(frame, name, "sav", getattr(meta, "file_encoding", None) or "stamped in file",
                        platform="sav", download="codes",
                        questions={c: [labels[c]] for c in frame.columns if labels.get(c)},
                        value_labels={c: dict(v) for c, v in (meta.variable_value_labels or {}).items()})
    for column, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        values = pd.to_numeric(frame[column], errors="coerce")
        hits = np.zeros(len(frame), dtype=bool)
        for declared in ranges:
            lo, hi = declared.get("lo"), declared.get("hi")
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
                hits |= ((values >= lo) & (values <= hi)).to_numpy()
            else:
                hits |= (frame[column].map(_cell_text) == _cell_text(lo)).to_numpy()
        if hits.any():
            table.frame.loc[hits, column] = None
            table.missing_reasons[column] = {"user-missing code": int(hits.sum())}
    table.metadata = [c for c in frame.columns if c not in table.questions and c.casefold() in
                      set(ID_NAMES) | set(DURATION_NAMES)]
    table.id_column = _by_keyword(list(frame.columns), ID_NAMES)
    _set_duration(table, _by_keyword(list(frame.columns), DURATION_NAMES))
    declared = sum(sum(r.values()) for r in table.missing_reasons.values())
    table.log.insert(0, f"read {name} as SPSS .sav ({table.encoding}); {len(table.value_labels)} variables "
                     f"with value labels" + (f"; {declared} user-missing cells set to missing" if declared else ""))
    return table
