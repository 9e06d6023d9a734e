"""semtrust: survey SEM for trust in short-video and live-streaming commerce.

``import semtrust as st`` gives the Python API (:mod:`semtrust.api`): ``st.fit`` runs a whole
study and returns a :class:`~semtrust.results.Study`; ``st.sem``, ``st.cfa``, ``st.reliability``,
``st.htmt``, ``st.read_survey`` and ``st.screen`` run one stage each; ``st.process`` and
``st.compare_groups`` run PROCESS models and group path comparisons on observed columns. The
sub-packages are the pipeline's stages: ``io`` → ``screening`` → ``model`` → ``estimation`` → ``assessment`` →
``structural`` → ``report``. The API is imported on first use, so the command line starts fast.
"""
from semtrust.version import __version__

API = ("fit", "sem", "cfa", "reliability", "htmt", "read_survey", "screen", "process", "compare_groups")
__all__ = [*API, "Study", "RunConfig", "power", "__version__"]


def __getattr__(name: str):
    if name in API:
        from semtrust import api
        return getattr(api, name)
    if name == "Study":
        from semtrust.results import Study
        return Study
    if name == "power":   # the sub-package, callable as st.power(...) (Monte Carlo power analysis)
        import semtrust.power
        return semtrust.power
    if name == "RunConfig":
        from semtrust.config import RunConfig
        return RunConfig
    raise AttributeError(f"module 'semtrust' has no attribute {name!r}")
