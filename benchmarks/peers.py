"""What a user would write instead of this project, run as a child process by benchmarks.run.

    python -m benchmarks.peers sdk --threads 16 --duckdb out.duckdb [--limit N]
    python -m benchmarks.peers dlt --duckdb out.duckdb [--workers 16]

Both read the contract's environment variables (CDF_URL, CDF_PROJECT, IDP_*), print one JSON
object on stdout (phase timings and row counts), and write into a fresh DuckDB file.

* ``sdk``: the official cognite-sdk the way its documentation shows it: list every execution,
  ``retrieve_detailed`` each one (sequentially with ``--threads 1``, else from a thread pool),
  flatten executions and tasks into rows (payloads as JSON text), write both tables to DuckDB.
  ``--tuned`` also raises the SDK's own cap on concurrent reads (5) to the thread count.
* ``dlt``: dlt's declarative ``rest_api`` source for the same two endpoints (the list by POST
  with the cursor moved into the body, then one detail call per listed execution), merged into
  DuckDB by primary key; dlt normalises ``executedTasks`` into a child table itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set")
    return value


def run_sdk(threads: int, duckdb_path: str, limit: int | None, tuned: bool) -> dict[str, Any]:
    import duckdb
    import polars as pl
    from cognite.client import ClientConfig, CogniteClient, global_config
    from cognite.client.credentials import OAuthClientCredentials

    base = _env("CDF_URL")
    global_config.silence_feature_preview_warnings = True
    if tuned:
        # SDK 8 caps concurrent reads per API at 5 whatever the caller's thread count; a user
        # who knows that raises the cap (and the connection pool) to the pool's size.
        global_config.concurrency_settings.general.read = threads
        global_config.max_connection_pool_size = max(20, threads)
    client = CogniteClient(
        ClientConfig(
            client_name="benchmark-user-script",
            project=_env("CDF_PROJECT"),
            base_url=base,
            credentials=OAuthClientCredentials(
                token_url=_env("IDP_TOKEN_URL"),
                client_id=_env("IDP_CLIENT_ID"),
                client_secret=_env("IDP_CLIENT_SECRET"),
                scopes=[os.environ.get("IDP_SCOPES", f"{base}/.default")],
            ),
        )
    )
    t0 = time.perf_counter()
    executions = client.workflows.executions.list(created_time_start=0, limit=-1)
    ids = [e.id for e in executions]
    listed = len(ids)
    if limit is not None:
        ids = ids[:limit]
    t1 = time.perf_counter()
    retrieve = client.workflows.executions.retrieve_detailed
    if threads == 1:
        details = [retrieve(i) for i in ids]
    else:
        with ThreadPoolExecutor(threads) as pool:
            details = list(pool.map(retrieve, ids))
    t2 = time.perf_counter()

    execution_rows: list[dict[str, Any]] = []
    task_rows: list[dict[str, Any]] = []
    for d in details:
        if d is None:
            continue
        raw = d.dump(camel_case=True)
        execution_rows.append(
            {
                "execution_id": raw["id"],
                "workflow_external_id": raw.get("workflowExternalId"),
                "workflow_version": raw.get("version"),
                "status": raw.get("status"),
                "created_time": raw.get("createdTime"),
                "start_time": raw.get("startTime"),
                "end_time": raw.get("endTime"),
                "reason_for_incompletion": raw.get("reasonForIncompletion"),
                "metadata": json.dumps(raw.get("metadata")),
                "input": json.dumps(raw.get("input")),
            }
        )
        for t in raw.get("executedTasks") or []:
            task_rows.append(
                {
                    "task_execution_id": t["id"],
                    "execution_id": raw["id"],
                    "task_external_id": t.get("externalId"),
                    "task_type": t.get("taskType"),
                    "status": t.get("status"),
                    "parent_task_external_id": t.get("parentTaskExternalId"),
                    "start_time": t.get("startTime"),
                    "end_time": t.get("endTime"),
                    "reason_for_incompletion": t.get("reasonForIncompletion"),
                    "input": json.dumps(t.get("input")),
                    "output": json.dumps(t.get("output")),
                }
            )
    executions_df = pl.DataFrame(execution_rows, infer_schema_length=None)
    tasks_df = pl.DataFrame(task_rows, infer_schema_length=None)
    con = duckdb.connect(duckdb_path)
    con.register("executions_df", executions_df.to_arrow())
    con.register("tasks_df", tasks_df.to_arrow())
    con.execute("CREATE OR REPLACE TABLE workflow_executions AS SELECT * FROM executions_df")
    con.execute("CREATE OR REPLACE TABLE task_executions AS SELECT * FROM tasks_df")
    con.close()
    t3 = time.perf_counter()
    return {
        "listed": listed,
        "details": len(ids),
        "executions": len(execution_rows),
        "task_rows": len(task_rows),
        "list_s": t1 - t0,
        "details_s": t2 - t1,
        "write_s": t3 - t2,
    }


def run_dlt(duckdb_path: str, workers: int) -> dict[str, Any]:
    import dlt
    from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
    from dlt.sources.rest_api import rest_api_source

    base = _env("CDF_URL")
    # dlt runs parallelized transformers on its extract worker pool (default 5).
    os.environ["EXTRACT__WORKERS"] = str(workers)
    os.environ["RUNTIME__LOG_LEVEL"] = "WARNING"
    auth = OAuth2ClientCredentials(
        access_token_url=_env("IDP_TOKEN_URL"),
        client_id=_env("IDP_CLIENT_ID"),
        client_secret=_env("IDP_CLIENT_SECRET"),
        access_token_request_data={
            "grant_type": "client_credentials",
            "scope": os.environ.get("IDP_SCOPES", f"{base}/.default"),
        },
    )
    source = rest_api_source(
        {
            "client": {
                "base_url": f"{base}/api/v1/projects/{_env('CDF_PROJECT')}/",
                "auth": auth,
            },
            "resources": [
                {
                    "name": "executions",
                    "primary_key": "id",
                    "write_disposition": "merge",
                    "endpoint": {
                        "path": "workflows/executions/list",
                        "method": "POST",
                        "json": {"filter": {}, "limit": 1000},
                        "data_selector": "items",
                        "paginator": {
                            "type": "cursor",
                            "cursor_path": "nextCursor",
                            "cursor_body_path": "cursor",
                        },
                    },
                },
                {
                    "name": "execution_details",
                    "primary_key": "id",
                    "write_disposition": "merge",
                    "parallelized": True,
                    "endpoint": {
                        "path": "workflows/executions/{resources.executions.id}",
                        "data_selector": "$",
                        "paginator": "single_page",
                    },
                },
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="cdf_workflows_bench",
        destination=dlt.destinations.duckdb(duckdb_path),
        dataset_name="cdf",
        pipelines_dir=os.path.join(os.path.dirname(duckdb_path), "dlt_pipelines"),
        progress=None,
    )
    t0 = time.perf_counter()
    info = pipeline.run(source)
    t1 = time.perf_counter()
    import duckdb

    con = duckdb.connect(duckdb_path, read_only=True)
    counts = {
        name: con.execute(f'SELECT count(*) FROM cdf."{name}"').fetchall()[0][0]
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'cdf' "
            "AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\'"
        ).fetchall()
    }
    con.close()
    return {
        "run_s": t1 - t0,
        "loads": len(info.loads_ids),
        "tables": counts,
        "executions": counts.get("execution_details", 0),
        "task_rows": counts.get("execution_details__executed_tasks", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="peer", required=True)
    sdk = sub.add_parser("sdk")
    sdk.add_argument("--threads", type=int, default=1)
    sdk.add_argument("--limit", type=int, default=None, help="details for the first N only")
    sdk.add_argument("--duckdb", required=True)
    sdk.add_argument("--tuned", action="store_true", help="raise the SDK's read concurrency cap")
    d = sub.add_parser("dlt")
    d.add_argument("--workers", type=int, default=16)
    d.add_argument("--duckdb", required=True)
    args = parser.parse_args()
    if args.peer == "sdk":
        result = run_sdk(args.threads, args.duckdb, args.limit, args.tuned)
    else:
        result = run_dlt(args.duckdb, args.workers)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
