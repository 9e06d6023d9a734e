"""Report stage: the message catalogues, one YAML file per language in ``messages/``.

Every heading, column header, note, verdict and sentence of the reports comes from here, so a
language is added by adding one file. Keys are dotted paths; values are ``str.format`` patterns.

>>> Messages("zh")("verdict.met"), Messages("en")("label.table", n=3)
('✓ 达标', 'Table 3')
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from semtrust.errors import InputError

__all__ = ["Messages"]

MESSAGES = Path(__file__).resolve().parent / "messages"
LANGUAGES = ("en", "zh")


@lru_cache(maxsize=None)
def _load(lang: str) -> dict:
    if lang not in LANGUAGES:
        raise InputError(f"report language '{lang}': use one of {', '.join(LANGUAGES)}")
    return yaml.safe_load((MESSAGES / f"{lang}.yaml").read_text(encoding="utf-8"))


class Messages:
    """The catalogue of one language: ``messages(key, **values)`` is the filled-in text.

    >>> Messages("en")("sections.measurement"), Messages("zh")("sections.measurement")
    ('Measurement model: reliability and validity', '测量模型：信度与效度')
    """

    def __init__(self, lang: str):
        self.lang = lang
        self._entries = _load(lang)

    def raw(self, key: str):
        node = self._entries
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"message '{key}' missing from messages/{self.lang}.yaml")
            node = node[part]
        return node

    def __call__(self, message: str, /, **values) -> str:
        return str(self.raw(message)).format(**values)

    def get(self, message: str, default: str, /, **values) -> str:
        """The message, or ``default`` (e.g. the results' own English text) when the key is absent."""
        try:
            return self(message, **values)
        except KeyError:
            return default

    def join(self, items) -> str:
        return self("list_separator").join(str(i) for i in items)
