"""Alerts on SLA breaches, missed or failed scheduled runs, stuck runs and source anomalies.

Plain Python below the Dagster assets: ``config`` reads the analysts' ``config/alerts.toml``,
``events`` queries the warehouse for events and routes them, ``render`` writes the messages,
``senders`` posts them over httpx, and ``run`` ties these together with the ``alerts_sent``
table so that each event reaches each destination once.
"""

from alerts.config import AlertsConfig, AlertsConfigError, read_alerts_config
from alerts.run import AlertsReport, run_alerts

__all__ = ["AlertsConfig", "AlertsConfigError", "AlertsReport", "read_alerts_config", "run_alerts"]
