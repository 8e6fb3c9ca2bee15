"""Composite index engine (综合指数): scores, four-colour grades, attribution, early warning.

Public API::

    from analysis.scoring import build_index, entropy_weights, critic_weights, ahp_weights

- :func:`build_index` (``build.py``) — the whole run from the yearly panel and a config;
- :func:`compile_index` / :class:`IndexModel` — the array path for the uncertainty analysis;
- :class:`IndexConfig`, :func:`load_config` (``config.py``) — the validated run config;
- kernels: :func:`normalise` (``normalise.py``), :func:`aggregate_tree`, :class:`Tree` (``aggregate.py``),
  :func:`grade_codes`, :func:`quantile_cutoffs` (``grades.py``);
- weights (``weights.py``): :func:`entropy_weights`, :func:`critic_weights`, :func:`ahp_weights`, ...
- :func:`coherence_report`, :func:`leave_one_out` (``coherence.py``) — statistical coherence;
- :func:`run_uncertainty` (``uncertainty.py``) — Monte Carlo rank intervals, grade probabilities, Sobol' indices.
"""
from .aggregate import Tree, aggregate_node, aggregate_tree
from .build import IndexModel, IndexResult, build_index, compile_index
from .config import IndexConfig, load_config
from .grades import assign_grades, grade_codes, quantile_cutoffs
from .normalise import normalise, orient
from .warning import early_warnings, quarterly_index, robust_z_history
from .coherence import coherence_report, leave_one_out
from .uncertainty import run_uncertainty
from .weights import (ahp_weights, combine_weights, critic_weights, entropy_weights, framework_weights,
                      panel_entropy_weights)

__all__ = [
    "build_index", "compile_index", "IndexModel", "IndexResult", "IndexConfig", "load_config",
    "normalise", "orient", "Tree", "aggregate_node", "aggregate_tree", "assign_grades", "grade_codes",
    "quantile_cutoffs", "early_warnings", "quarterly_index", "robust_z_history",
    "entropy_weights", "critic_weights", "ahp_weights", "panel_entropy_weights", "framework_weights",
    "combine_weights", "coherence_report", "leave_one_out", "run_uncertainty",
]
