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


def compile_latex(folder: Path, name: str = "report.tex") -> str:
    """Compile ``name`` in ``folder`` once with XeLaTeX (skipping the test without it); the log."""
    import shutil
    import subprocess

    if shutil.which("xelatex") is None:
        pytest.skip("xelatex not installed (.ci/run installs it)")
    done = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=folder,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    log = (folder / name).with_suffix(".log").read_text(errors="replace")
    assert "Missing character" not in log
    return log
