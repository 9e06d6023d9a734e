"""model"""

__all__ = []
