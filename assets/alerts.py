"""The alerts step of the nightly job: after the views, send the new events.

A step of the job rather than a run-status sensor: `workflow-analytics ingest` materialises the
nightly selection in-process, where no sensor daemon runs, and asset dependencies already
order this step after the views it reads; a sensor would add a second job and a cursor for
what the ``alerts_sent`` table records anyway. The logic is `alerts`.
"""

import dagster as dg

from alerts import AlertsConfigError, read_alerts_config, run_alerts
from assets.checks import check_definition_metadata
from assets.common import OWNERS, WAREHOUSE_POOL, column_schema
from assets.freshness import NIGHTLY_FRESHNESS
from assets.resources import WarehouseResource
from cdf_client.errors import ConfigError
from ingest.settings import AlertsSettings
from warehouse.alerts import ALERTS_SENT

ALERTS_ASSET = "workflow_alerts"
DELIVERED_CHECK = "alerts_delivered"
# The views whose rows become events (lineage in the UI; the job runs them first).
SOURCES = ["sla_breach_events", "sla_breaches", "trigger_fire_checks", "stuck_runs"]


@dg.asset(
    name=ALERTS_ASSET,
    group_name="alerts",
    deps=[*SOURCES, "rejected_records"],
    kinds={"python", "duckdb"},
    owners=OWNERS,
    pool=WAREHOUSE_POOL,
    freshness_policy=NIGHTLY_FRESHNESS,
    # What the asset writes is the record of sent alerts: its columns show in the UI.
    metadata={
        "dagster/column_schema": column_schema(ALERTS_SENT),
        "dagster/table_name": f"workflows.main.{ALERTS_SENT.name}",
        "primary_key": ", ".join(ALERTS_SENT.stored_key),
    },
    check_specs=[
        dg.AssetCheckSpec(
            DELIVERED_CHECK,
            asset=ALERTS_ASSET,
            description="Every alert of this run reached its destination (failed ones are "
            "retried on the next run).",
            metadata=check_definition_metadata(
                dg.AssetCheckSeverity.WARN,
                {
                    "events_failed": "Events of this run not delivered; 0 passes.",
                    "failed_destinations": "Why each failing destination refused (no secrets).",
                },
            ),
        )
    ],
    description=(
        "Sends new SLA breaches, missed or failed scheduled runs, stuck runs and source "
        "anomalies to the destinations config/alerts.toml routes them to (Slack or a JSON "
        "webhook), each event once; the table alerts_sent records what was delivered."
    ),
)
def workflow_alerts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    try:
        settings = AlertsSettings.load()
        config = read_alerts_config(
            settings.alerts_file, ui_execution_url=settings.ui_execution_url
        )
    except (AlertsConfigError, ConfigError) as exc:
        raise dg.Failure(description=f"alerts file: {exc}", allow_retries=False) from None
    with warehouse.open() as wh:
        report = run_alerts(wh.connection, config)
    if not config.enabled:
        context.log.info("no alert routes configured (config/alerts.toml or ALERTS_FILE)")
    for name, error in report.errors.items():
        context.log.warning(f"alerts to {name} not delivered, retried next run: {error}")
    metadata = {
        k: dg.MetadataValue.json(v) if isinstance(v, dict) else v
        for k, v in report.as_metadata().items()
    }
    metadata["routes"] = len(config.routes)
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name=DELIVERED_CHECK,
                passed=report.events_failed == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "events_failed": report.events_failed,
                    "failed_destinations": dg.MetadataValue.json(dict(report.errors)),
                },
            )
        ],
    )
