"""Report stage: Office files (report.docx, tables.xlsx) that do not change with the time of writing.

Word and Excel files are zip archives that record when each entry and the document were
written; :func:`reproducible_zip` fixes those times, so the same results.json gives
byte-identical files, as it does for report.html and report.tex.

>>> buffer = io.BytesIO()
>>> with zipfile.ZipFile(buffer, "w") as z:
...     z.writestr("docProps/core.xml", b"<dcterms:modified x='1'>2026-12-05T21:00:00Z</dcterms:modified>")
>>> zipfile.ZipFile(io.BytesIO(reproducible_zip(buffer.getvalue()))).read("docProps/core.xml")
b"<dcterms:modified x='1'>2000-01-01T00:00:00Z</dcterms:modified>"
"""
from __future__ import annotations

import io
import re
import zipfile

__all__ = ["reproducible_zip"]

FIXED_TIME = "2000-01-01T00:00:00Z"
_TIMESTAMPS = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def reproducible_zip(data: bytes) -> bytes:
    """An Office file (a zip) without the time of writing: fixed entry times and document
    dates, so the same results give byte-identical report.docx and tables.xlsx.

    >>> import io, time, zipfile
    >>> def office_file():
    ...     buffer = io.BytesIO()
    ...     with zipfile.ZipFile(buffer, "w") as z:
    ...         z.writestr(zipfile.ZipInfo("word/document.xml", time.localtime()[:6]), "<w:document/>")
    ...     return buffer.getvalue()
    >>> reproducible_zip(office_file()) == reproducible_zip(office_file())
    True
    """
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _TIMESTAMPS.sub(rb"\g<1>" + FIXED_TIME.encode() + rb"\g<2>", data)
            target.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
