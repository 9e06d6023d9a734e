"""Input stage: the survey platforms whose exports semtrust reads (``--format``); no imports, so
the command line can offer them at start-up."""

__all__ = ["FORMATS"]

FORMATS = ("auto", "wjx", "tencent", "qualtrics", "surveymonkey", "google", "sav", "generic")
