"""One p-value adjustment for every report: regions, trends and problems.

A family of tests is whatever the caller passes in one call; missing p-values (untestable
series, empty groups) stay missing and do not count in the family size m, as in R's
``p.adjust(p, method, n = length(na.omit(p)))``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

#: accepted names -> statsmodels ``multipletests`` method (R ``p.adjust`` name in the comment)
METHODS = {
    "fdr_bh": "fdr_bh", "bh": "fdr_bh", "BH": "fdr_bh",             # "BH"
    "fdr_by": "fdr_by", "by": "fdr_by", "BY": "fdr_by",             # "BY"
    "holm": "holm",                                                 # "holm"
    "hochberg": "simes-hochberg", "simes-hochberg": "simes-hochberg",  # "hochberg"
    "hommel": "hommel",                                             # "hommel"
    "bonferroni": "bonferroni",                                     # "bonferroni"
    "none": "none",                                                 # "none"
}


def adjust_pvalues(p, method: str = "fdr_bh"):
    """Adjusted p-values in input order (statsmodels ``multipletests``), NaN-aware.

    ``method``: ``fdr_bh`` Benjamini–Hochberg (1995, default), ``fdr_by`` Benjamini–Yekutieli
    (2001, any dependence), ``holm`` (1979), ``hochberg`` (1988), ``hommel`` (1988),
    ``bonferroni``, ``none``. A Series keeps its index.

    Worked by hand for ``p = (0.01, 0.04, 0.03, 0.005)``, sorted 0.005 < 0.01 < 0.03 < 0.04:
    Benjamini–Hochberg ``min_{j>=i} m p_(j) / j`` = 0.02, 0.02, 0.04, 0.04 and Hochberg
    ``min_{j>=i} (m - j + 1) p_(j)`` = 0.02, 0.03, 0.04, 0.04 (back in input order below), as
    R's ``p.adjust(p, "BH")`` and ``p.adjust(p, "hochberg")``; Hommel's closed procedure
    (statsmodels, checked against R's ``p.adjust(p, "hommel")`` in ``tests/test_trends.py``) is
    never above Hochberg:

    >>> p = [0.01, 0.04, 0.03, 0.005]
    >>> adjust_pvalues(p, "fdr_bh").round(3).tolist()
    [0.02, 0.04, 0.04, 0.02]
    >>> adjust_pvalues(p, "hochberg").round(3).tolist()
    [0.03, 0.04, 0.04, 0.02]
    >>> adjust_pvalues(p, "hommel").round(3).tolist()
    [0.03, 0.04, 0.04, 0.02]
    >>> adjust_pvalues([0.01, 0.04, 0.03, float("nan")]).round(4).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    if method not in METHODS:
        raise ValueError(f"未知校正方法 {method!r},可选 {sorted(METHODS)} / unknown method {method!r}")
    method = METHODS[method]
    index = p.index if isinstance(p, pd.Series) else None
    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    if ok.any():
        if np.any((arr[ok] < 0) | (arr[ok] > 1)):
            raise ValueError("p 值须在 0 与 1 之间 / p-values must lie in [0, 1]")
        out[ok] = arr[ok] if method == "none" else multipletests(arr[ok], method=method)[1]
    return pd.Series(out, index=index) if index is not None else out
