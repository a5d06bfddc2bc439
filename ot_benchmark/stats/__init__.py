"""Statistical methods: confidence intervals, Kaplan–Meier medians, funnel plots, SPC,
PHE quantiles and directly standardised rates.

Submodules are imported on first use so ``import ot_benchmark.stats`` stays quick::

    from ot_benchmark.stats import add_intervals, km_median_by, funnel_points, xmr
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    # intervals
    "wilson": "intervals", "poisson_exact": "intervals", "byar": "intervals",
    "poisson_ci": "intervals", "student_t_mean_ci": "intervals", "median_ci": "intervals",
    "median_ci_ranks": "intervals", "quantile_ci_ranks": "intervals", "grouped_median_ci": "intervals",
    "phe_proportion": "intervals", "phe_rate": "intervals", "phe_mean": "intervals",
    "add_intervals": "intervals", "z_value": "intervals", "Z95": "intervals", "Z998": "intervals",
    # survival
    "km_median": "survival", "km_median_by": "survival", "km_curve": "survival",
    # funnel
    "funnel_points": "funnel", "funnel_limits_curve": "funnel", "funnel_significance": "funnel",
    "overdispersion": "funnel", "proportion_funnel_limits": "funnel",
    "ratio_funnel_limits": "funnel", "rate_funnel_limits": "funnel", "sr_poisson_limits": "funnel",
    "SIGNIFICANCE_LABELS": "funnel", "funnel_flag": "funnel", "funnel_overdispersion": "funnel",
    "MIN_COUNCILS_FOR_PHI": "funnel",
    # spc
    "xmr": "spc", "assurance_type": "spc",
    # quantiles, dsr
    "phe_quantiles": "quantiles", "phe_quantile_of_rank": "quantiles", "type7_quartile": "quantiles",
    "grouped_mad": "quantiles", "mad_distance": "quantiles", "phe_dsr": "dsr",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"ot_benchmark.stats.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'ot_benchmark.stats' has no attribute {name!r}")
