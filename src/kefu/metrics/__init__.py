"""Metrics: the agent-month KPI table of spec/metrics.md, computed on DuckDB or Spark."""
