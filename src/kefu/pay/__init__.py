"""Pay: plans as dated rules, components as pure functions, payroll runs that lock (spec/pay.md)."""

from kefu.pay.compute import AgentPay, MonthPay, pay_month
from kefu.pay.plan import Plan, PlanError, load_plan, parse_plan

__all__ = ["AgentPay", "MonthPay", "Plan", "PlanError", "load_plan", "parse_plan", "pay_month"]
