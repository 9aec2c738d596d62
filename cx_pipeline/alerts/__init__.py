"""Alerts: who is told what when a run fails, a check blocks, a delivery's quarantine jumps,
marts go stale or a metric moves (docs/alerts.md). config reads the alerts file, rules decide
what deserves an alert, channels send it, ledger keeps repeats down, sensors tie them to
Dagster."""
