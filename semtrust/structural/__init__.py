"""structural"""

__all__ = []
