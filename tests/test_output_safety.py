"""A run never loses a user's data (issue 17: items 1, 4, 5 and 9).

Outputs go to the output folder all at once or not at all; no output replaces an input, a
symbolic link's target or a file semtrust did not write; a lock keeps two runs out of one
folder; the folder is checked before the fit; SIGTERM/SIGINT stop the bootstrap workers; and
results.json names the inputs by relative paths, so moving a project leaves it unchanged.
"""
import errno
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from semtrust.cli import main
from semtrust.errors import InputError, OutputError
from semtrust.io import output_folder
from semtrust.io.output_folder import LOCK, MANIFEST, OutputFolder

EXAMPLE = ROOT / "example_data" / "trust_survey.csv"
MODEL = "CA =~ CA1 + CA2 + CA3\nID =~ ID1 + ID2 + ID3\nID ~ a*CA\nCT =~ CT1 + CT2 + CT3\nCT ~ b*ID\nab := a*b\n"
FAST = ["--bootstrap", "0", "--measurement-bootstrap", "0", "--quiet"]


def fingerprint(folder: Path, skip: Path | None = None) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (symbolic links by their target text), except under ``skip``."""
    prints = {}
    for path in sorted(folder.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        if path.is_symlink():
            prints[str(path)] = "link -> " + os.readlink(path)
        elif path.is_file():
            prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def make_project(folder: Path) -> Path:
    """A study file with its data, mapping and model in a project folder; returns the study file."""
    (folder / "data").mkdir(parents=True)
    shutil.copy(EXAMPLE, folder / "data" / "survey.csv")
    (folder / "model.lav").write_text(MODEL, encoding="utf-8")
    (folder / "columns.csv").write_text("column,item\nCA1,CA1\n", encoding="utf-8")
    study = folder / "study.yaml"
    study.write_text("data: data/survey.csv\nmodel: model.lav\nmapping: columns.csv\nscale_points: 7\n"
                     "bootstrap: 0\nmeasurement_bootstrap: 0\nout: out\n", encoding="utf-8")
    return study


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def no_fit(monkeypatch):
    """The checks must come before the fit: fitting is an error here."""
    def fit(*args, **kwargs):
        raise AssertionError("the run fitted before checking its output folder")
    monkeypatch.setattr("semtrust.pipeline.run", fit)


# -- item 1 and 9: inputs untouched, relative paths ---------------------------------------------
def test_run_changes_nothing_outside_its_output_folder_and_a_moved_project_gives_the_same_json(tmp_path, capsys):
    study = make_project(tmp_path / "project")
    before = fingerprint(tmp_path)
    assert main(["fit", str(study), "--quiet"]) == 0, capsys.readouterr().err
    out = tmp_path / "project" / "out"
    assert fingerprint(tmp_path, skip=out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MANIFEST, "results.json", "report.html", "report.tex", "report.docx", "tables.xlsx", "cleaned_data.csv",
         "exclusions.csv", "column_mapping.csv"])
    text = (out / "results.json").read_text(encoding="utf-8")
    results = json.loads(text)
    assert results["input"]["data"] == "survey.csv" and results["input"]["path"] == "data/survey.csv"
    assert results["input"]["sha256"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert results["input"]["mapping"]["source"] == "columns.csv"
    assert {k: results["config"][k] for k in ("data", "mapping", "model", "study")} == {
        "data": "data/survey.csv", "mapping": "columns.csv", "model": "model.lav", "study": "study.yaml"}
    assert str(tmp_path) not in text and str(tmp_path) not in (out / "report.html").read_text(encoding="utf-8")
    # the same project elsewhere (and run from another working folder) writes the same results.json
    moved = tmp_path / "elsewhere" / "renamed"
    shutil.copytree(tmp_path / "project", moved, ignore=shutil.ignore_patterns("out"))
    assert main(["fit", str(moved / "study.yaml"), "--quiet"]) == 0
    assert (moved / "out" / "results.json").read_text(encoding="utf-8") == text


def test_refitting_the_cleaned_data_in_the_default_folder_is_refused(tmp_path, monkeypatch, capsys, no_fit):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "semtrust_output").mkdir()
    cleaned = tmp_path / "semtrust_output" / "cleaned_data.csv"
    shutil.copy(EXAMPLE, cleaned)
    before = fingerprint(tmp_path)
    assert main(["fit", "semtrust_output/cleaned_data.csv"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "inside the default output folder semtrust_output" in line and "--out" in line
    assert fingerprint(tmp_path) == before


def test_an_output_that_is_an_input_is_refused(tmp_path, capsys, no_fit):
    out = tmp_path / "out"
    out.mkdir()
    data = out / "cleaned_data.csv"
    shutil.copy(EXAMPLE, data)
    before = fingerprint(tmp_path)
    assert main(["fit", str(data), "--out", str(out)]) == 2
    assert "is this run's data file" in one_error_line(capsys.readouterr().err)
    assert fingerprint(tmp_path) == before


def test_a_planted_symlink_is_refused_and_its_target_kept(tmp_path, capsys, no_fit):
    victim = tmp_path / "thesis.tex"
    victim.write_text("my thesis\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.tex").symlink_to(victim)
    before = fingerprint(tmp_path)
    assert main(["fit", str(EXAMPLE), "--out", str(out)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"{out / 'report.tex'} is a symbolic link" in line
    assert fingerprint(tmp_path) == before and not (out / LOCK).exists()


def test_a_file_semtrust_did_not_write_is_refused(tmp_path, capsys, no_fit):
    """A shared study file with ``out: ..`` must not replace an unrelated report.tex there."""
    (tmp_path / "report.tex").write_text("\\documentclass{article}\n", encoding="utf-8")
    before = fingerprint(tmp_path)
    assert main(["fit", str(EXAMPLE), "--out", str(tmp_path)]) == 2
    assert "was not written by semtrust" in one_error_line(capsys.readouterr().err)
    assert fingerprint(tmp_path) == before


# -- item 4: checked before the fit, all or nothing -------------------------------------------
def test_output_folder_that_is_a_file_or_under_a_file_is_refused_before_the_fit(tmp_path, capsys, no_fit):
    plain = tmp_path / "notes.txt"
    plain.write_text("x", encoding="utf-8")
    assert main(["fit", str(EXAMPLE), "--out", str(plain)]) == 2
    assert "is a file, not a folder" in one_error_line(capsys.readouterr().err)
    assert main(["fit", str(EXAMPLE), "--out", str(plain / "out")]) == 2
    assert "cannot create the folder (Not a directory)" in one_error_line(capsys.readouterr().err)
    assert plain.read_text(encoding="utf-8") == "x"


def test_unwritable_output_folder_is_refused_before_the_fit(tmp_path, monkeypatch, capsys, no_fit):
    """Root writes into read-only folders, so the refusal of the operating system is simulated
    (the lock file, created before the fit, is the writability probe)."""
    real_open = os.open

    def denied(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path / "readonly")):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    (tmp_path / "readonly").mkdir()
    monkeypatch.setattr(output_folder.os, "open", denied)
    assert main(["fit", str(EXAMPLE), "--out", str(tmp_path / "readonly")]) == 2
    assert "readonly is not writable (Permission denied)" in one_error_line(capsys.readouterr().err)
    assert main(["fit", str(EXAMPLE), "--out", str(tmp_path / "readonly" / "new")]) == 2
    capsys.readouterr()
    assert list((tmp_path / "readonly").iterdir()) == []   # the folder it created is gone again


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_for_a_regular_user(tmp_path, capsys, no_fit):
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["fit", str(EXAMPLE), "--out", str(folder)]) == 2
        assert "is not writable" in one_error_line(capsys.readouterr().err)
    finally:
        folder.chmod(0o700)


def test_a_second_run_into_a_locked_folder_is_refused_and_a_dead_runs_lock_taken_over(tmp_path, capsys, no_fit):
    out = tmp_path / "out"
    out.mkdir()
    with OutputFolder(out):   # a run in progress
        assert main(["fit", str(EXAMPLE), "--out", str(out)]) == 2
        line = one_error_line(capsys.readouterr().err)
        assert f"another semtrust run (process {os.getpid()}) is writing to this folder" in line
    assert not (out / LOCK).exists()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / LOCK).write_text(f"{dead.pid}\n", encoding="utf-8")   # left by a run that was killed
    (out / ".semtrust-partial-12345").mkdir()                      # and its half-written files
    (out / ".semtrust-partial-12345" / "report.html").write_text("<html", encoding="utf-8")
    with OutputFolder(out) as folder:
        assert (out / LOCK).read_text(encoding="utf-8") == f"{os.getpid()}\n"
        folder.commit({"results.json": b"{}\n"})
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "results.json"]


def test_full_disk_leaves_the_previous_outputs_and_names_the_file(tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = {"results.json": b'{"run": 1}\n', "report.html": b"<p>run 1</p>\n", "report.tex": b"run 1\n"}
    with OutputFolder(out) as folder:
        folder.commit(first)
    before = fingerprint(tmp_path)
    real_open = open

    class FullDisk(io.BufferedWriter):
        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def opener(path, mode="r", *args, **kwargs):
        if Path(path).name == "report.html" and "x" in mode:
            return FullDisk(real_open(path, "xb", buffering=0))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(output_folder, "open", opener, raising=False)
    second = {"results.json": b'{"run": 2}\n', "report.html": b"<p>run 2</p>\n" * 10_000, "report.tex": b"run 2\n"}
    with pytest.raises(OutputError) as failure, OutputFolder(out) as folder:
        folder.commit(second)
    assert str(failure.value).startswith(f"{out / 'report.html'}: No space left on device; nothing was written")
    assert fingerprint(tmp_path) == before and not (out / LOCK).exists()


def test_a_crash_while_rendering_leaves_the_previous_run_whole(tmp_path, monkeypatch, capsys):
    study = make_project(tmp_path)
    out = tmp_path / "out"
    with OutputFolder(out) as folder:   # the previous run's files, one of which this run no longer writes
        folder.commit({"results.json": b"{}\n", "report.html": b"old\n", "report.tex": b"old\n",
                       "exclusions.csv": b"old\n"})
    before = fingerprint(tmp_path)

    def crash(doc, kind):
        if kind == "tex":
            raise RuntimeError("template bug")
        return "<html></html>"

    monkeypatch.setattr("semtrust.report.render.render_document", crash)
    assert main(["fit", str(study), "--quiet"]) == 1
    assert "internal error: RuntimeError: template bug" in one_error_line(capsys.readouterr().err)
    assert fingerprint(tmp_path) == before and sorted(p.name for p in out.iterdir()) == [
        MANIFEST, "exclusions.csv", "report.html", "report.tex", "results.json"]


def test_a_run_replaces_all_previous_outputs_or_none(tmp_path):
    out = tmp_path / "out"
    with OutputFolder(out) as folder:
        folder.commit({"results.json": b"1\n", "report.html": b"1\n", "cleaned_data.csv": b"1\n"})
    with OutputFolder(out) as folder:   # a run without screening: the old cleaned data would not match
        paths = folder.commit({"results.json": b"2\n", "report.html": b"2\n"})
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "report.html", "results.json"]
    assert [paths[name].read_bytes() for name in ("results.json", "report.html")] == [b"2\n", b"2\n"]
    assert json.loads((out / MANIFEST).read_text())["files"]["results.json"] == hashlib.sha256(b"2\n").hexdigest()
    (out / "report.html").write_text("edited by hand\n", encoding="utf-8")
    with pytest.raises(InputError, match="report.html was not written by semtrust .or was changed since."):
        OutputFolder(out).open()
    assert (out / "report.html").read_text(encoding="utf-8") == "edited by hand\n"
    (out / "report.html").unlink()
    (tmp_path / "outside.txt").write_text("keep\n", encoding="utf-8")   # a manifest never names files elsewhere
    planted = {"results.json": hashlib.sha256(b"2\n").hexdigest(), "../outside.txt": "0"}
    (out / MANIFEST).write_text(json.dumps({"files": planted}), encoding="utf-8")
    with OutputFolder(out) as folder:
        folder.commit({"results.json": b"3\n"})
    assert (tmp_path / "outside.txt").read_text(encoding="utf-8") == "keep\n"


# -- item 5: signals -----------------------------------------------------------------------------
def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (a dead process whose exit status nobody collected)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_the_bootstrap_stops_its_workers(tmp_path, signum, code):
    (tmp_path / "model.lav").write_text(MODEL, encoding="utf-8")
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "semtrust.cli", "fit", str(EXAMPLE), "--model", str(tmp_path / "model.lav"),
                            "--scale-points", "7", "--bootstrap", "1000000", "--workers", "2", "--measurement-bootstrap",
                            "0", "--no-screen", "--out", str(out), "--quiet"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 60
        while len(workers := children(run.pid)) < 2 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) == 2, "the bootstrap pool did not start"
        time.sleep(0.3)   # the workers are refitting
        run.send_signal(signum)
        stdout, stderr = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
        left = [pid for pid in workers if running(pid)]
        for pid in left:   # a failing run must not leave its workers behind on the test machine
            os.kill(pid, signal.SIGKILL)
    assert not left
    assert run.returncode == code
    assert one_error_line(stderr) == (f"semtrust: stopped by {signal.Signals(signum).name}; outputs are written "
                                      "only when a run completes")
    assert stdout == ""
    assert not out.exists()   # created, locked and checked before the fit; removed again, as nothing was written
