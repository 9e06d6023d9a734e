"""Moderation and conditional process analysis on observed variables (PROCESS models, group
contrasts, simple-slopes and Johnson–Neyman plots)."""
from semtrust.moderation.conditional_process import MODELS, ProcessResult, process

__all__ = ["MODELS", "ProcessResult", "process"]
