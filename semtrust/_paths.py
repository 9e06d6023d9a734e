"""Where the bundled data directories are, installed or in a source checkout."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_dir(name: str) -> Path:
    """``instruments`` or ``reports``: the top-level folder of the source tree when the package
    is imported from a checkout (e.g. ``python -m pytest``), else the installed subpackage.

    The checkout wins because an editable install maps the subpackages to the checkout it was
    installed from, which need not be the one being run (a second clone, a git worktree).
    """
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / name).is_dir():
        return root / name
    return Path(str(resources.files(f"semtrust.{name}")))
