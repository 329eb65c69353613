"""Diagnosis: the article's judgements about agents and teams, made fair, explained and reported.

Reads KPIs only through kefu.metrics (a KpiSource's ShopMonth/AgentMonth objects); see
docs/diagnosis.md for every rule, threshold and the JSON contract.
"""

from kefu.diagnosis.quadrant import VERDICTS
from kefu.diagnosis.settings import DiagnosisSettings, SettingError, from_shop_settings
from kefu.diagnosis.shop import FORMAT, ShopDiagnosis, diagnose, diagnose_months, months_for

__all__ = [
    "FORMAT",
    "VERDICTS",
    "DiagnosisSettings",
    "SettingError",
    "ShopDiagnosis",
    "diagnose",
    "diagnose_months",
    "from_shop_settings",
    "months_for",
]
