"""semtrust's version, recorded in every results.json."""

__all__ = ["__version__"]

__version__ = "0.1.0"
