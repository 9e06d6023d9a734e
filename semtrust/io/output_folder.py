"""Output stage: the run's output folder, written all at once or not at all.

A run's files (results.json, report.html, report.tex, report.docx, tables.xlsx, cleaned_data.csv, exclusions.csv,
column_mapping.csv, and the moderation figures moderation_<id>_simple_slopes.svg/.pdf and
moderation_<id>_johnson_neyman.svg/.pdf) are first written in full to a hidden staging folder inside the output
folder, then renamed into place together (results.json last, with SIGINT/SIGTERM held back
meanwhile), so a crash, a full disk or Ctrl-C leaves the previous run's files as they were and
never a new results.json beside old reports. A manifest (``.semtrust-outputs.json``) records
the SHA-256 of every file semtrust wrote; an existing file at an output name that is not in the
manifest, was changed since, is a symbolic link, or is one of the run's inputs is never
replaced: the run stops with one line before any fitting. A lock file (``.semtrust.lock``,
held with ``flock``, so a dead run's lock is free again) keeps two runs out of one folder.

A power analysis (``semtrust power``) writes its own family of names (power.json last, the
power_report.* files, power_curves.svg/.pdf) through the same folder; a run replaces and removes only
its own family's files, so a fit's and a power analysis's outputs can share one folder.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp, OutputFolder(f"{tmp}/out") as folder:
...     paths = folder.commit({"results.json": b"{}"})
...     print(paths["results.json"].read_text(), sorted(p.name for p in folder.path.iterdir()))
{} ['.semtrust-outputs.json', '.semtrust.lock', 'results.json']
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import threading
from pathlib import Path

from semtrust.errors import InputError, OutputError

__all__ = ["OutputFolder"]

OUTPUT_NAMES = ("results.json", "report.html", "report.tex", "cleaned_data.csv", "exclusions.csv",
                "column_mapping.csv", "report.docx", "tables.xlsx")
# the moderation figures, as SVG and as the PDF the LaTeX report includes: one pair per hypothesis
# id of fit --moderator (moderation_<id>_...), one of a PROCESS model (process)
PLOT_NAME = re.compile(r"(moderation_[A-Za-z][A-Za-z0-9_]*_)?(simple_slopes|johnson_neyman)\.(svg|pdf)")
IPMA_NAME = re.compile(r"ipma_[^\W\d][\w.]*\.(svg|pdf)")   # the PLS report's IPMA plot of each final outcome
# the files of a power analysis (semtrust power), a family of their own
POWER_NAMES = ("power.json", "power_report.html", "power_report.tex", "power_report.docx", "power_tables.xlsx",
               "power_curves.svg", "power_curves.pdf")
RESULTS_NAMES = ("results.json", "power.json")   # each family's results file, renamed into place last
MANIFEST = ".semtrust-outputs.json"
LOCK = ".semtrust.lock"
STAGING_PREFIX = ".semtrust-partial-"


def _is_output_name(name: str) -> bool:
    """A file name a run may write (the fixed names, a power analysis's, or a moderation or IPMA figure).

    >>> _is_output_name("report.html"), _is_output_name("moderation_MH1_simple_slopes.svg"), _is_output_name("../x.svg")
    (True, True, False)
    """
    return (name in OUTPUT_NAMES or name in POWER_NAMES or PLOT_NAME.fullmatch(name) is not None
            or IPMA_NAME.fullmatch(name) is not None)


def _family(name: str) -> str | None:
    """Which kind of run writes ``name``: "fit", "power", or None (not semtrust's).

    >>> _family("power.json"), _family("report.docx"), _family("notes.txt")
    ('power', 'fit', None)
    """
    return None if not _is_output_name(name) else "power" if name in POWER_NAMES else "fit"


def _sha256_of(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OutputFolder:
    """The output folder of one run, locked from :meth:`open` to :meth:`close` (a ``with`` block).

    ``inputs`` are the run's input files (``{role: path}``); no output may be one of them.
    Opening checks everything that could stop the writing (the folder is a folder, writable,
    not locked by another run; no output name holds a file semtrust did not write), so a run
    fails before its fit, not after.

    >>> import tempfile, pathlib
    >>> folder = OutputFolder(pathlib.Path(tempfile.mkdtemp()) / "out").open()
    >>> written = folder.commit({"results.json": b"{}"})
    >>> folder.close()
    >>> sorted(p.name for p in written.values()), written["results.json"].read_bytes()
    (['results.json'], b'{}')
    """

    def __init__(self, path: str | Path, inputs: dict[str, str | Path] | None = None, family: str = "fit"):
        self.path = Path(path)
        self.family = family      # "fit" or "power": the names this run may write
        self.names = POWER_NAMES if family == "power" else OUTPUT_NAMES
        self.inputs = {Path(p).resolve(): role for role, p in (inputs or {}).items()}
        self._lock_fd: int | None = None
        self._created: list[Path] = []

    # -- opening: every check that can fail before the fit ---------------------
    def open(self) -> "OutputFolder":
        where = f"--out {self.path}"
        if self.path.exists() and not self.path.is_dir():
            role = self.inputs.get(self.path.resolve())
            raise InputError(f"{where} is {f'the {role}' if role else 'a'} file, not a folder; choose a folder "
                             "for the reports")
        self._make_folder(where)
        self._lock(where)
        try:
            self._check_outputs(self.names)
        except BaseException:
            self.close()
            raise
        return self

    def _make_folder(self, where: str) -> None:
        missing = [p for p in [self.path, *self.path.parents] if not p.exists()]
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"{where}: cannot create the folder ({error.strerror}); choose another --out") from None
        self._created = missing        # innermost first: removed again if the run writes nothing

    def _lock(self, where: str) -> None:
        """Hold ``.semtrust.lock`` (flock: a lock left by a dead run is free again, so it is taken over)."""
        import fcntl

        lock = self.path / LOCK
        while True:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            except OSError as error:
                self._remove_created()
                raise InputError(f"{where} is not writable ({error.strerror}); choose another --out") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise InputError(f"{where}: another semtrust run (process {holder}) is writing to this folder; "
                                 "wait for it to finish or choose another --out") from None
            if os.path.exists(lock) and os.stat(lock).st_ino == os.fstat(fd).st_ino:
                break
            os.close(fd)   # the run that held it removed the file meanwhile: lock the new one
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as error:
            os.close(fd)
            raise InputError(f"{where} is not writable ({error.strerror}); choose another --out") from None
        self._lock_fd = fd
        for stale in self.path.glob(STAGING_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)

    def _manifest(self) -> dict[str, str]:
        try:
            recorded = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return recorded.get("files", {}) if isinstance(recorded, dict) else {}

    def _check_outputs(self, names) -> None:
        """Each output name is free, or holds the unchanged file semtrust wrote there."""
        written = self._manifest()
        for name in names:
            target = self.path / name
            if target.is_symlink():
                raise InputError(f"{target} is a symbolic link; semtrust writes only its own files, so remove "
                                 "the link or choose another --out")
            if target.resolve() in self.inputs:
                raise InputError(f"{target} is this run's {self.inputs[target.resolve()]} file, which the run "
                                 "would replace; choose another --out (or move the input out of the folder)")
            if not os.path.lexists(target):
                continue
            if not target.is_file():
                raise InputError(f"{target} is not a file semtrust wrote; move it away or choose another --out")
            if written.get(name) != _sha256_of(target):
                raise InputError(f"{target} was not written by semtrust (or was changed since); move it away "
                                 "or choose another --out, so it is not overwritten")

    # -- writing: all files or none -------------------------------------------
    def commit(self, files: dict[str, bytes]) -> dict[str, Path]:
        """Write ``files`` (``{name: content}``) and replace the previous run's files by them
        together; the previous run's files this run does not write are removed."""
        unknown = {name for name in files if _family(name) != self.family}
        if unknown:
            raise ValueError(f"not an output name: {', '.join(sorted(unknown))}")
        staging = self.path / f"{STAGING_PREFIX}{os.getpid()}"
        order = sorted(files, key=lambda name: name in RESULTS_NAMES)   # results.json (power.json) last
        previous = self._manifest()
        # the other family's files stay, and so do their manifest entries
        others = {name: digest for name, digest in previous.items()
                  if _family(name) not in (None, self.family) and (self.path / name).is_file()}
        manifest = {"files": {**others, **{name: hashlib.sha256(files[name]).hexdigest() for name in order}}}
        previous = {name: digest for name, digest in previous.items() if _family(name) == self.family}
        try:
            try:
                staging.mkdir()
            except OSError as error:
                raise OutputError(f"{self.path}: {error.strerror}; nothing was written, the folder keeps its "
                                  "previous files") from None
            for name in order:
                _write_fully(staging / name, files[name], self.path / name)
            _write_fully(staging / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode(), self.path / MANIFEST)
            # nothing was planted while the run was fitting, and the previous figures are semtrust's own
            self._check_outputs(dict.fromkeys([*self.names, *files, *previous]))
            with _signals_held():
                for name in order:
                    os.replace(staging / name, self.path / name)
                for name in set(previous) - set(files):   # checked above: semtrust's own, this family's
                    if (self.path / name).is_file() and not (self.path / name).is_symlink():
                        (self.path / name).unlink()
                os.replace(staging / MANIFEST, self.path / MANIFEST)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self._created = []
        return {name: self.path / name for name in files}

    # -- closing ----------------------------------------------------------------
    def close(self) -> None:
        if self._lock_fd is not None:
            try:
                os.unlink(self.path / LOCK)
            except OSError:
                pass
            os.close(self._lock_fd)    # closing releases the flock
            self._lock_fd = None
        self._remove_created()

    def _remove_created(self) -> None:
        """Folders this run created and left empty (it failed before writing) go again."""
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                break
        self._created = []

    def __enter__(self) -> "OutputFolder":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


def _write_fully(path: Path, content: bytes, shown: Path) -> None:
    """``content`` in a new file, on disk (fsync) before it is renamed into place; a failure
    names the output file (``shown``) and says the folder was left as it was."""
    try:
        with open(path, "xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        reason = error.strerror or str(error)
        hint = "; free some space and rerun" if error.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        raise OutputError(f"{shown}: {reason}; nothing was written, the folder keeps its previous files{hint}") from None


class _signals_held:
    """SIGINT and SIGTERM wait until the renames are done (main thread only)."""

    SIGNALS = {signal.SIGINT, signal.SIGTERM}

    def __enter__(self):
        self.active = threading.current_thread() is threading.main_thread()
        if self.active:
            self.before = signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)

    def __exit__(self, *exc):
        if self.active:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.before)
