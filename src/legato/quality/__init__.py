"""Data quality: contracts and validation with a dead-letter store, profiles and a drift gate.

    from legato.quality import Contract, rule, validate, SqlTable, profile, drift_gate

Light at import: jsonschema, pydantic and SQLAlchemy are imported when first used.
"""

from __future__ import annotations

from .contract import Contract, Rule, rule
from .destinations import CallableDestination, Destination, SqlTable, destination
from .drift import compare, drift_gate, pin_reference
from .errors import DataQualityError
from .profile import profile
from .stats import ks_statistic, psi
from .validate import validate

__all__ = ["CallableDestination", "Contract", "DataQualityError", "Destination", "Rule",
           "SqlTable", "compare", "destination", "drift_gate", "ks_statistic", "pin_reference",
           "profile", "psi", "rule", "validate"]
