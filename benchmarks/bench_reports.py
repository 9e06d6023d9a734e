"""How long the reports take for the bundled example: the document built once from results.json,
then each renderer (HTML, LaTeX, Word, the tables workbook), median of 3 runs; and, where the
tools are installed, XeLaTeX and LibreOffice on the outputs. There is no reference program to
compare with, so only semtrust's times are printed.

    python benchmarks/bench_reports.py
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import DATA, median_time  # noqa: E402
from semtrust.api import fit  # noqa: E402
from semtrust.report.docx import docx_bytes  # noqa: E402
from semtrust.report.render import render_document, report_document, report_files, tables_xlsx  # noqa: E402


def main() -> None:
    results = fit(DATA, bootstrap=500, measurement_bootstrap=200).to_dict()
    doc = report_document(results)
    steps = {"document (sections.py)": lambda: report_document(results),
             "report.html": lambda: render_document(doc, "html"),
             "report.tex": lambda: render_document(doc, "tex"),
             "report.docx": lambda: docx_bytes(doc),
             "tables.xlsx": lambda: tables_xlsx(doc)}
    print(f"{len(doc.tables())} tables, {len(doc.sections)} sections")
    for name, step in steps.items():
        print(f"{name:28s} {median_time(step, 3):7.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in report_files(results, "zh").items():
            (Path(tmp) / name).write_bytes(data)
        for tool, command in (("xelatex", ["xelatex", "-interaction=nonstopmode", "report.tex"]),
                              ("soffice", ["soffice", f"-env:UserInstallation={Path(tmp, 'lo').as_uri()}",
                                           "--headless", "--convert-to", "pdf", "--outdir", "pdf", "report.docx"])):
            if shutil.which(tool):
                start = time.perf_counter()
                subprocess.run(command, cwd=tmp, capture_output=True, check=False)
                print(f"{tool + ' (zh report)':28s} {time.perf_counter() - start:7.3f} s")


if __name__ == "__main__":
    main()
