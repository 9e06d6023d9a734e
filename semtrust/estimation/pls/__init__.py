"""PLS-SEM: PLS path modelling and PLSc with the Hair et al. assessment battery and a fast bootstrap.

Modules: ``model`` (syntax), ``algorithm`` (batched PLS/PLSc), ``statistics`` (every bootstrapped
statistic), ``bootstrap``, ``estimate`` (:func:`estimate_pls`, :class:`PLSResults`, redundancy
analysis), ``fitted`` (the FittedModel interface: parameter table, resampler, SRMR/d_ULS/d_G),
``predict`` (PLSpredict, CVPAT), ``blindfolding`` (Q²), ``selection`` (BIC/GM of competing models), ``groups`` (MICOM, MGA), ``ipma``, ``export`` (the
results.json block). Each public function's docstring has a runnable example.
"""
from semtrust.estimation.pls.blindfolding import blindfolding
from semtrust.estimation.pls.estimate import PLSResults, check_global_items, estimate_pls, redundancy_analysis
from semtrust.estimation.pls.export import PLSAnalysis, pls_block
from semtrust.estimation.pls.groups import GroupComparison, compare_groups
from semtrust.estimation.pls.ipma import ipma, ipma_items
from semtrust.estimation.pls.model import PLSModel, parse_pls_model
from semtrust.estimation.pls.predict import cvpat, pls_predict
from semtrust.estimation.pls.selection import compare_models

__all__ = ["GroupComparison", "PLSAnalysis", "PLSModel", "PLSResults", "blindfolding", "check_global_items", "compare_groups", "compare_models", "cvpat", "estimate_pls", "ipma", "ipma_items",
           "parse_pls_model", "pls_block", "pls_predict", "redundancy_analysis"]
