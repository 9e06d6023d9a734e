"""Input stage: the survey table every reader produces, cells as the file holds them."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["SurveyTable"]


@dataclass
class SurveyTable:
    """Cells as the file holds them (strings, or numbers for xlsx/sav), plus provenance.

    >>> table = SurveyTable(pd.DataFrame({"CA1": ["5", "6"]}), "survey.csv", "csv", "utf-8")
    >>> table.platform, table.first_data_row, table.row_number(1)
    ('generic', 2, 3)
    """

    frame: pd.DataFrame
    path: str
    format: str
    encoding: str | None = None
    first_data_row: int = 2   # file row number of frame.iloc[0] (the header is row 1)
    id_column: str | None = None         # respondent id, when the export has one
    duration_column: str | None = None   # completion time in seconds (numeric), when the export has one
    platform: str = "generic"            # wjx, tencent, qualtrics, surveymonkey, google, sav or generic
    download: str | None = None          # how the answers are coded: "text", "option index", "codes"
    questions: dict = field(default_factory=dict)        # column -> question wordings (for item mapping)
    metadata: list = field(default_factory=list)         # platform metadata columns, never items
    value_labels: dict = field(default_factory=dict)     # column -> {code: label} (SPSS value labels)
    missing_reasons: dict = field(default_factory=dict)  # column -> {reason: cells set to missing}
    log: list = field(default_factory=list)              # what the reader detected and recoded
    item_columns: dict = field(default_factory=dict)     # item id -> column, once the items are mapped
    lines: list | None = None            # file row of each frame row, when blank rows were skipped

    def row_number(self, position: int) -> int:
        """The file's row number (as a spreadsheet or editor shows it) of frame row ``position``.

        >>> SurveyTable(pd.DataFrame({"a": [1, 2]}), "d.csv", "csv", lines=[2, 5]).row_number(1)
        5
        """
        return self.lines[position] if self.lines else position + self.first_data_row


EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"})


class Formula(str):
    """A workbook cell holding a formula that was never computed (no cached value: the file
    was written by a program, not saved by Excel/WPS): its text, never a missing answer."""


def is_missing(value) -> bool:
    """Whether a cell is empty as a reader sees it (None, NaN or NaT)."""
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT
