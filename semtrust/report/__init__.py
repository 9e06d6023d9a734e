"""report"""

__all__ = []
