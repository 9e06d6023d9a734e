"""semtrust: survey SEM for trust in short-video and live-streaming commerce.

The pipeline runs instrument -> data -> measurement -> structural -> report; each stage is
a module with a small pandas-in, pandas-out API, and :func:`semtrust.pipeline.run_fit`
chains them the way ``semtrust fit`` does.
"""
__version__ = "0.1.0"
