"""Parquet on S3: an ingest writes the same layout to an S3-compatible server (moto's server
mode on 127.0.0.1, started here), DuckDB reads that layout as a query layer and finds exactly
its own rows, and a crash between DuckDB's commit and the upload is repaired by the next run."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

from cdf_client.config import CdfConfig
from cdf_simulator import Simulator
from ingest.runner import run_ingest
from tests.support.detail_records import execution
from tests.support.sim import HOUR_MS, small_sim_config
from warehouse.consistency import parquet_mismatches
from warehouse.flatten import flatten_details
from warehouse.objectstore import s3_filesystem
from warehouse.schema import EXPORTED_TABLES, quote_identifier
from warehouse.store import Warehouse

KEY, SECRET = "test-key", "test-secret"


@pytest.fixture
def sim() -> Simulator:
    """A few days of history: every table, few partitions (each one is a request or two)."""
    return Simulator(small_sim_config(history_days=5, executions_per_day=8.0))


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket_uri(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket; the AWS variables point the warehouse at the local server."""
    for name, value in {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"wh-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
    ).create_bucket(Bucket=bucket)
    return f"s3://{bucket}/warehouse"


def _parquet_bytes(rows: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(rows, buffer, compression="zstd")
    return buffer.getvalue()


def s3_matches_duckdb(directory: Path, uri: str) -> dict[str, int]:
    """DuckDB over the S3 layout (through fsspec) against the DuckDB file: every exported
    table's rows, both ways, and the Hive key equal to the UTC date of the partition column."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register_filesystem(s3_filesystem())
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(directory / "workflows.duckdb")])
    counts = {}
    for table in EXPORTED_TABLES:
        glob = f"{uri}/{table.name}/*/*.parquet"
        stored = con.execute(f"SELECT count(*) FROM wh.{quote_identifier(table.name)}").fetchall()
        if stored[0][0] == 0:
            counts[table.name] = 0
            continue
        cols = ", ".join(quote_identifier(c) for c in table.stored_column_names)
        part = quote_identifier(table.partition_column or "")
        key = quote_identifier(table.partition_key)
        # One read of the layout per table (each file read costs requests to the server).
        con.execute(
            "CREATE OR REPLACE TEMP TABLE lake AS "
            "SELECT * FROM read_parquet(?, hive_partitioning = true)",
            [glob],
        )
        stored_rel = f"SELECT {cols} FROM wh.{quote_identifier(table.name)}"
        for query in (
            f"{stored_rel} EXCEPT ALL SELECT {cols} FROM lake",
            f"SELECT {cols} FROM lake EXCEPT ALL {stored_rel}",
            f"SELECT 1 FROM lake WHERE {key}::DATE <> ({part} AT TIME ZONE 'UTC')::DATE",
        ):
            assert con.execute(f"SELECT count(*) FROM ({query})").fetchall() == [(0,)], (
                table.name,
                query,
            )
        counts[table.name] = con.execute("SELECT count(*) FROM lake").fetchall()[0][0]
        assert counts[table.name] == stored[0][0], table.name
    con.close()
    return counts


def test_ingest_writes_the_s3_layout_and_duckdb_queries_it(
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
    bucket_uri: str,
) -> None:
    report = run_ingest(
        inprocess_config, warehouse_path, transport=transport, parquet_uri=bucket_uri
    )
    counts = s3_matches_duckdb(warehouse_path, bucket_uri)
    assert counts["workflow_executions"] == report.table_counts["workflow_executions"] > 0
    assert counts["task_executions"] > counts["workflow_executions"]
    assert not (warehouse_path / "parquet").exists()  # nothing local but the DuckDB file
    fs = s3_filesystem()
    files = fs.find(bucket_uri.removeprefix("s3://"))
    assert files and all(f.endswith("/data.parquet") for f in files)
    # An analyst's query over the lake gives the view's numbers.
    con = duckdb.connect()
    con.register_filesystem(fs)
    lake = con.execute(
        "SELECT cdf_project, workflow_external_id, (created_time AT TIME ZONE 'UTC')::DATE, "
        "count(*) FROM read_parquet(?, hive_partitioning = true) GROUP BY ALL ORDER BY ALL",
        [f"{bucket_uri}/workflow_executions/*/*.parquet"],
    ).fetchall()
    with Warehouse(warehouse_path, read_only=True) as wh:
        view = wh.connection.execute(
            "SELECT cdf_project, workflow_external_id, day, executions "
            "FROM workflow_daily_sla ORDER BY ALL"
        ).fetchall()
    assert lake == view


def test_a_crash_between_commit_and_upload_is_repaired_on_s3(
    sim: Simulator,
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
    bucket_uri: str,
) -> None:
    first = run_ingest(
        inprocess_config, warehouse_path, transport=transport, parquet_uri=bucket_uri
    )
    created = first.high_water_after_ms - 2 * HOUR_MS
    late = execution(
        execution_id="late-arrival", created=created, start=created + 5, end=created + 9
    )
    with Warehouse(warehouse_path, project=inprocess_config.project, parquet_uri=bucket_uri) as wh:
        wh.apply_batch(
            flatten_details(
                [late], ingested_at=wh.connection.execute("SELECT now()").fetchall()[0][0]
            )
        )
        # The process dies here: DuckDB committed, the S3 objects not yet replaced.
        assert wh.dirty_partitions() != []
    with pytest.raises(AssertionError):
        s3_matches_duckdb(warehouse_path, bucket_uri)
    run_ingest(inprocess_config, warehouse_path, transport=transport, parquet_uri=bucket_uri)
    with Warehouse(warehouse_path, read_only=True) as wh:
        assert wh.dirty_partitions() == []
    s3_matches_duckdb(warehouse_path, bucket_uri)


def test_the_parquet_check_compares_the_s3_layout_with_duckdb(
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
    bucket_uri: str,
) -> None:
    run_ingest(inprocess_config, warehouse_path, transport=transport, parquet_uri=bucket_uri)
    with Warehouse(warehouse_path, read_only=True, parquet_uri=bucket_uri) as wh:
        comparison = parquet_mismatches(wh)
    # The flush recorded every object it wrote (size and ETag): no footer is read.
    assert comparison.mismatches == [] and comparison.compared > 0
    assert comparison.footers_read == 0
    # A warehouse from before the records: they are read from the objects once, the same.
    records = "SELECT * FROM _parquet_files ORDER BY ALL"
    with Warehouse(warehouse_path, parquet_uri=bucket_uri) as wh:
        written = wh.connection.execute(records).fetchall()
        wh.connection.execute("DROP TABLE _parquet_files")
    with Warehouse(warehouse_path, parquet_uri=bucket_uri) as wh:
        wh.ensure_schema(views=False)
        assert wh.connection.execute(records).fetchall() == written
    # An object replaced behind the flush's back, one row fewer: its ETag changed, it is read.
    fs = s3_filesystem()
    victim = sorted(fs.find(f"{bucket_uri}/task_executions"))[0]
    rows = pq.read_table(fs.open(victim, "rb"))
    fs.pipe_file(victim, _parquet_bytes(rows.slice(1)))
    with Warehouse(warehouse_path, read_only=True, parquet_uri=bucket_uri) as wh:
        replaced = parquet_mismatches(wh)
    assert replaced.footers_read == 1
    assert [(m.table, m.parquet_rows) for m in replaced.mismatches] == [
        ("task_executions", rows.num_rows - 1)
    ]
    fs.pipe_file(victim, _parquet_bytes(rows))  # its rows put back, for what follows
    # A row gone from DuckDB behind the ingest's back: its partition on S3 now differs.
    with Warehouse(warehouse_path, parquet_uri=bucket_uri) as wh:
        wh.connection.execute(
            "DELETE FROM task_definitions WHERE definition_hash = "
            "(SELECT min(definition_hash) FROM task_definitions)"
        )
    with Warehouse(warehouse_path, read_only=True, parquet_uri=bucket_uri) as wh:
        mismatches = parquet_mismatches(wh).mismatches
    assert [m.table for m in mismatches] == ["task_definitions"]
    assert mismatches[0].parquet_rows > mismatches[0].duckdb_rows
