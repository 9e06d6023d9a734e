"""Where the bundled data directories are, installed or in a source checkout."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_dir(name: str) -> Path:
    """``instruments`` or ``reports``: a subpackage once installed, a top-level folder of the
    source tree when the package is imported from a checkout (e.g. ``python -m pytest``)."""
    try:
        return Path(str(resources.files(f"semtrust.{name}")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / name
