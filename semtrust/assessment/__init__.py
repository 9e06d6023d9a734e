"""assessment"""

__all__ = []
