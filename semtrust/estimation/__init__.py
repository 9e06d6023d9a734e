"""estimation"""

__all__ = []
