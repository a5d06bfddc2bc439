"""Indicator families. Each module exposes ``compute(ctx: IndicatorContext) -> DataFrame``
(see :mod:`ot_benchmark.indicators._common` for the row format and the rules).

=========  =====================  ==========================================
family     module                 indicators
=========  =====================  ==========================================
W          ``waiting``            waiting for OT assessment (W1–W8)
C          ``caseload``           caseload, throughput and workforce (C1–C7)
E          ``equipment``          community equipment (E1–E6)
K          ``complaints``         complaints and Ombudsman (K1–K7)
U          ``costs``              unit costs (U1–U3)
A          ``adaptations``        adaptations and DFG (A1–A2)
O          ``outcomes``           outcome scores (O1–O2)
=========  =====================  ==========================================
"""

from __future__ import annotations

#: family letter -> module name under ``ot_benchmark.indicators``, in computing order
FAMILY_MODULES = {
    "W": "waiting",
    "C": "caseload",
    "E": "equipment",
    "K": "complaints",
    "U": "costs",
    "A": "adaptations",
    "O": "outcomes",
}

__all__ = ["FAMILY_MODULES"]
