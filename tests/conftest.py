from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT / "tests" / "conformance"


@pytest.fixture(scope="session")
def example_csv() -> Path:
    return ROOT / "example_data" / "trust_survey.csv"


def html_captions(html: str) -> list[tuple[int, str]]:
    """(number, title) of every table caption of a report.html, in order."""
    import re
    return [(int(n), title) for n, title in re.findall(
        r'<div class="table[^"]*" id="tab-[^"]*">\s*<p class="caption"><strong>\D*(\d+)</strong><br><em>(.*?)</em>', html)]


def tex_captions(tex: str) -> list[str]:
    """The titles of every table of a report.tex, in order (LaTeX numbers them)."""
    import re
    return re.findall(r"\\caption\{(.*?)\}\\label\{tab-", tex)

# the fixture scripts import the reference packages (seminr, plspm, pyprocessmacro), which CI does
# not install: they are run by hand to regenerate the fixtures, never collected as tests
collect_ignore_glob = ["conformance/*.py"]


def compile_latex(folder, name: str) -> str:
    """Compile ``folder/name`` with xelatex twice (the second run fills in the contents and the
    references) and return its log; fails with the end of the output when xelatex does."""
    import re
    import subprocess
    from pathlib import Path

    for _ in range(2):
        done = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", name],
                              cwd=folder, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:]
    log = (Path(folder) / name).with_suffix(".log").read_text(errors="replace")
    assert "Missing character" not in log
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(x <= 1.0 for x in overfull), overfull
    return log
