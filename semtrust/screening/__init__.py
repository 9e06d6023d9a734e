"""screening"""

__all__ = []
