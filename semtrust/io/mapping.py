"""Map export columns to instrument items (data stage).

In order: a mapping file (``--mapping``: CSV or YAML, column -> item id), the item id as the
column name (or leading a question's wording, ``CA1 这位主播…``), and the item wording in
Chinese or English as the export carries it (after stripping numbering, type tags such as
``(矩阵量表题 *必答)``, matrix stems and punctuation). A questionnaire fielded from
``semtrust instrument show --format md`` therefore maps without a manual step. Columns that
map to no item, and items two columns could answer, are listed in the log and in
results.json (``input.mapping``); an item with no column stops the run with one line.

>>> normalize_wording("13、这位主播具备丰富的商品知识。(矩阵量表题 *必答)")
'这位主播具备丰富的商品知识'
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from semtrust.errors import InputError, shown
from semtrust.model.instrument import parse_yaml

__all__ = ["normalize_wording", "read_mapping", "check_mapping", "find_column", "map_items", "mapping_report"]

_NUMBERING = re.compile(r"^\s*(?:第\s*\d+\s*题|(?:q\d+(?:[_.]\d+)*|\d+(?:[._]\d+)*)\s*(?:[、.:)\]\-]|\s))\s*", re.I)
_TAGS = re.compile(r"[(\[【][^()\[\]【】]*(?:题|必答|选填|反向|reverse|required|\bR\b)[^()\[\]【】]*[)\]】]", re.I)
_MIN_CONTAINED = 6   # shortest normalized item wording matched inside a longer header


def normalize_wording(text) -> str:
    """Question wording reduced for matching: width-folded, lower-case, numbering, type tags,
    punctuation and spaces removed.

    >>> normalize_wording("Q3. I trust this streamer (required)")
    'itrustthisstreamer'
    """
    text = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    text = _NUMBERING.sub("", text, count=1)
    text = _TAGS.sub("", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


@dataclass
class ItemMapping:
    """Which export column each item was read from, and how it was matched (mapping file, id or
    wording), with the columns left unmapped or ambiguous."""
    columns: dict                     # item id -> column
    how: dict                         # item id -> "file" | "id" | "wording"
    unmapped: list = field(default_factory=list)    # question columns no item uses
    ambiguous: dict = field(default_factory=dict)   # item or column -> the candidates it matched
    source: str | None = None         # the mapping file, when one was given

    def to_dict(self) -> dict:
        counts = {how: sum(1 for h in self.how.values() if h == how) for how in ("file", "id", "wording")}
        return {"source": self.source, "matched_by": {k: v for k, v in counts.items() if v},
                "columns": dict(self.columns), "matched_by_item": dict(self.how),
                "unmapped_columns": list(self.unmapped),
                "ambiguous": {k: list(v) for k, v in self.ambiguous.items()}}

    def log_lines(self) -> list[str]:
        counts = self.to_dict()["matched_by"]
        lines = ["items mapped to columns: " + ", ".join(f"{n} by {how}" for how, n in counts.items())]
        if self.unmapped:
            listed = "; ".join(self.unmapped[:6]) + (f"; and {len(self.unmapped) - 6} more" if len(self.unmapped) > 6 else "")
            lines.append(f"{len(self.unmapped)} columns map to no item: {listed}")
        for key, candidates in self.ambiguous.items():
            lines.append(f"ambiguous: {key} matches {' / '.join(candidates)}")
        return lines


def read_mapping(path: str | Path) -> dict[str, str]:
    """A mapping file: CSV with columns ``column,item`` (a header row is optional) or YAML
    ``{column: item}`` (optionally under a ``mapping:`` key).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mapping.csv"
    >>> _ = path.write_text("column,item\\nQ1,CA1\\nQ2,CA2\\n", encoding="utf-8")
    >>> read_mapping(path)
    {'Q1': 'CA1', 'Q2': 'CA2'}
    """
    from semtrust.io.survey import detect_encoding

    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"{name}: no such mapping file")
    raw = path.read_bytes()
    text = raw.decode(detect_encoding(raw, name))
    if path.suffix.lower() in (".yaml", ".yml"):
        data = parse_yaml(text, name, "mapping", "write one 'column: item' pair per line")
        if isinstance(data, dict) and set(data) == {"mapping"}:
            data = data["mapping"]
        return check_mapping(data, name)
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        raise InputError(f"{name}: a mapping file is .csv (column,item) or .yaml (column: item)")
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""),
                                      delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
                if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise InputError(f"{name}: not a readable CSV file ({exc})") from None
    if rows and [c.strip().casefold() for c in rows[0][:2]] == ["column", "item"]:
        rows = rows[1:]
    pairs = {}
    for line, row in enumerate(rows, start=1):
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise InputError(f"{name}: row {line}: expected 'column,item' (the export's column name, "
                             "then the item id)")
        pairs[row[0].strip()] = row[1].strip()
    return check_mapping(pairs, name)


def mapping_report(mapping: dict) -> bytes:
    """The column-mapping report (列映射报告, ``column_mapping.csv``) of results.json
    ``input.mapping`` as CSV bytes that ``--mapping`` reads back: ``column,item,matched_by``;
    edit it and rerun to correct a match. UTF-8 with a BOM, so Excel/WPS open it as UTF-8.

    >>> mapping_report({"columns": {"CA1": "Q1"}, "matched_by_item": {"CA1": "id"}}).decode("utf-8-sig")
    'column,item,matched_by\\nQ1,CA1,id\\n'
    """
    how = mapping.get("matched_by_item", {})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["column", "item", "matched_by"])
    for item, column in mapping["columns"].items():
        writer.writerow([column, item, how.get(item, "")])
    return buffer.getvalue().encode("utf-8-sig")


def check_mapping(data, name: str) -> dict[str, str]:
    """A column -> item dictionary of strings, or one line saying what is wrong.

    >>> check_mapping({"Q1": "CA1"}, "mapping.yaml")
    {'Q1': 'CA1'}
    >>> check_mapping(["Q1"], "mapping.yaml")
    Traceback (most recent call last):
    semtrust.errors.InputError: mapping.yaml: a mapping is a list of 'column: item' pairs (column name -> item id)
    """
    if not isinstance(data, dict) or not data:
        raise InputError(f"{name}: a mapping is a list of 'column: item' pairs (column name -> item id)")
    mapping = {}
    for column, item in data.items():
        if not isinstance(item, (str, int)) or isinstance(item, bool) or not str(item).strip():
            raise InputError(f"{name}: {shown(column)}: the item id must be a text such as CA1, not {shown(item)}")
        mapping[str(column).strip()] = str(item).strip()
    return mapping


def _find(table, name: str) -> str | None:
    """The column called ``name``: exactly, then ignoring case and surrounding spaces."""
    columns = list(table.frame.columns)
    if name in columns:
        return name
    folded = [c for c in columns if str(c).strip().casefold() == name.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def find_column(table, name: str) -> str | None:
    """A column named by the user (``--group``): its name, or its question wording.

    >>> import pandas as pd
    >>> from semtrust.io.table import SurveyTable
    >>> table = SurveyTable(pd.DataFrame({"Platform ": ["Douyin"], "Q1": [5]}), "d.csv", "csv")
    >>> find_column(table, "platform"), find_column(table, "income")
    ('Platform ', None)
    """
    found = _find(table, name)
    if found is not None:
        return found
    target = normalize_wording(name)
    matches = [c for c in table.frame.columns
               if target and target in {normalize_wording(w) for w in [c, *table.questions.get(c, [])]}]
    return matches[0] if len(matches) == 1 else None


def map_items(table, items: list[str], instrument=None, mapping: dict | None = None,
              mapping_source: str | None = None, optional: list[str] = ()) -> ItemMapping:
    """Assign a column to every item id (see the module docstring for the order), and to the
    ``optional`` ids (e.g. attention checks) that have one; the assignment is recorded on the
    table (``table.item_columns``), where :func:`semtrust.data.match_columns` finds it.

    >>> import pandas as pd
    >>> from semtrust.io.table import SurveyTable
    >>> table = SurveyTable(pd.DataFrame({"q1": [5, 6], "q2": [4, 4]}), "d.csv", "csv")
    >>> result = map_items(table, ["CA1", "CA2"], mapping={"q1": "CA1", "q2": "CA2"}, mapping_source="mapping.csv")
    >>> table.item_columns
    {'CA1': 'q1', 'CA2': 'q2'}
    """
    result = ItemMapping({}, {}, source=mapping_source)
    where = mapping_source or "--mapping"
    wanted = list(items) + [i for i in optional if i not in items]
    for column, item in (mapping or {}).items():
        found = _find(table, column)
        if found is None:
            raise InputError(f"{where}: the data {table.path} have no column '{column}'; copy the column name "
                             "exactly from the export's header")
        if item not in wanted:
            raise InputError(f"{where}: '{column}' is mapped to '{item}', which is not an item of the model "
                             f"({', '.join(items[:6])}{', ...' if len(items) > 6 else ''})")
        if item in result.columns:
            raise InputError(f"{where}: item {item} is mapped twice ('{result.columns[item]}' and '{column}')")
        result.columns[item], result.how[item] = found, "file"
    used = set(result.columns.values())
    excluded = set(table.metadata) | {table.id_column, table.duration_column}
    for item in wanted:
        if item in result.columns:
            continue
        found = _find(table, item)
        if found is None:   # the id leading a question's wording: "CA1 这位主播…", "[CA1] …"
            leading = re.compile(rf"^\W*{re.escape(item)}(?![0-9A-Za-z])", re.I)
            hits = [c for c, words in table.questions.items() if c not in used
                    and any(leading.match(str(w)) for w in [c, *words])]
            found = hits[0] if len(hits) == 1 else None
        if found is not None and found not in used:
            result.columns[item], result.how[item] = found, "id"
            used.add(found)
    if instrument is not None:
        texts = {i.id: i.text for i in [*instrument.items, *getattr(instrument, "attention_checks", ())]}
        _map_by_wording(table, {i: texts[i] for i in wanted if i in texts and i not in result.columns},
                        result, used | excluded)
    result.unmapped = [c for c in table.frame.columns if c not in set(result.columns.values()) | excluded
                       and (c in table.questions or table.platform == "generic")]
    missing = [i for i in items if i not in result.columns]
    numbers = [str(c) for c in table.frame.columns if re.fullmatch(r"[+-]?\d+(\.\d+)?", str(c))]
    if missing and len(numbers) >= 3 and len(numbers) == len(table.frame.columns):
        raise InputError(f"{table.path}: row 1 holds numbers ({', '.join(numbers[:3])}, ...), not column names; "
                         "add a header row with the item ids (e.g. CA1, CA2, ...) or give --mapping FILE")
    if missing:
        listed = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        doubt = [f"{k} ~ {' / '.join(v)}" for k, v in result.ambiguous.items()][:2]
        raise InputError(f"{table.path}: no column for {listed} (item columns); name the columns by item id, "
                         f"or give --mapping FILE (CSV 'column,item' per line)"
                         + (f"; ambiguous: {'; '.join(doubt)}" if doubt else ""))
    table.item_columns = dict(result.columns)
    return result


def _map_by_wording(table, wordings: dict, result: ItemMapping, taken: set) -> None:
    """Items whose wording (``{id: {lang: text}}``) is a column's question wording (exactly, or
    contained in it); a column two items match, or an item two columns match, is ambiguous."""
    texts = {item: {normalize_wording(t) for t in text.values()} - {""} for item, text in wordings.items()}
    candidates = {c: {normalize_wording(w) for w in [c, *table.questions.get(c, [])]} - {""}
                  for c in table.frame.columns if c not in taken}
    for exact in (True, False):
        proposals: dict[str, list[str]] = {}
        for item, wordings in texts.items():
            if item in result.columns:
                continue
            proposals[item] = [c for c, words in candidates.items() if any(
                t == w if exact else (len(t) >= _MIN_CONTAINED and t in w) for t in wordings for w in words)]
        claimed: dict[str, list[str]] = {}
        for item, columns in proposals.items():
            for column in columns:
                claimed.setdefault(column, []).append(item)
        for item, columns in proposals.items():
            if len(columns) > 1:
                result.ambiguous[item] = columns
            elif len(columns) == 1 and len(claimed[columns[0]]) > 1:
                result.ambiguous[columns[0]] = claimed[columns[0]]
            elif len(columns) == 1:
                result.columns[item], result.how[item] = columns[0], "wording"
                result.ambiguous.pop(item, None)
                candidates.pop(columns[0], None)
