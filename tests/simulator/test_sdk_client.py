"""The official cognite-sdk as a real client against the simulator under uvicorn."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cognite.client import ClientConfig, CogniteClient
from cognite.client.credentials import OAuthClientCredentials

from cdf_simulator import Simulator
from tests.support.simulator_api import NOW_MS, PROJECT

pytestmark = pytest.mark.integration

DAY = 86_400_000


@pytest.fixture(scope="module")
def sdk(live_url: str) -> Iterator[CogniteClient]:
    credentials = OAuthClientCredentials(
        token_url=f"{live_url}/oauth2/token",
        client_id="x",
        client_secret="y",
        scopes=[f"{live_url}/.default"],
    )
    config = ClientConfig(
        client_name="simulator-tests", project=PROJECT, base_url=live_url, credentials=credentials
    )
    yield CogniteClient(config)


def all_ids_raw(client: httpx.Client, body_filter: dict, limit: int = 1000) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        body: dict = {"filter": body_filter, "limit": limit}
        if cursor:
            body["cursor"] = cursor
        page = client.post(f"/api/v1/projects/{PROJECT}/workflows/executions/list", json=body)
        page.raise_for_status()
        ids += [item["id"] for item in page.json()["items"]]
        cursor = page.json().get("nextCursor")
        if not cursor:
            return ids


def test_sdk_lists_every_visible_execution(sdk: CogniteClient, live_sim: Simulator) -> None:
    executions = sdk.workflows.executions.list(created_time_start=0, limit=-1)
    ids = [e.id for e in executions]
    assert len(ids) == len(set(ids))
    assert len(ids) == live_sim.world.count_visible(NOW_MS)
    assert len(ids) > 1000  # more than one page of 1000


def test_sdk_filters_agree_with_raw_json(sdk: CogniteClient, client: httpx.Client) -> None:
    workflows = sdk.workflows.list(limit=-1)
    assert len(workflows) >= 10
    target = workflows[0].external_id
    start, end = NOW_MS - 20 * DAY, NOW_MS - 5 * DAY
    listed = sdk.workflows.executions.list(
        workflow_version_ids=[target],
        created_time_start=start,
        created_time_end=end,
        statuses=["completed", "failed"],
        limit=-1,
    )
    assert listed, "the chosen filter should match something"
    for e in listed:
        assert e.workflow_external_id == target
        assert start <= e.created_time <= end
        assert e.status in ("completed", "failed")
    raw = all_ids_raw(
        client,
        {
            "workflowFilters": [{"externalId": target}],
            "createdTimeStart": start,
            "createdTimeEnd": end,
            "status": ["COMPLETED", "FAILED"],
        },
    )
    assert sorted(raw) == sorted(e.id for e in listed)


def test_sdk_version_filter(sdk: CogniteClient) -> None:
    versions = sdk.workflows.versions.list(limit=-1)
    multi = [v for v in versions if v.version != "1"]
    assert multi, "some workflow has a second version"
    chosen = multi[0]
    listed = sdk.workflows.executions.list(
        workflow_version_ids=[(chosen.workflow_external_id, chosen.version)], limit=-1
    )
    assert listed
    assert {(e.workflow_external_id, e.version) for e in listed} == {
        (chosen.workflow_external_id, chosen.version)
    }


def test_sdk_retrieves_details_of_many_executions(sdk: CogniteClient, live_sim: Simulator) -> None:
    executions = sdk.workflows.executions.list(created_time_start=NOW_MS - 40 * DAY, limit=-1)
    # Every status the clock produces, plus a spread over time.
    by_status: dict[str, list] = {}
    for e in executions:
        by_status.setdefault(e.status, []).append(e)
    assert {"completed", "failed", "running"} <= set(by_status)
    chosen = [e for group in by_status.values() for e in group[:40]] + list(executions[::50])
    hashes = set()
    task_types = set()
    for e in chosen:
        detail = sdk.workflows.executions.retrieve_detailed(e.id)
        assert detail is not None
        assert detail.id == e.id
        assert detail.status == e.status
        assert detail.workflow_definition.hash_
        hashes.add(detail.workflow_definition.hash_)
        for task in detail.executed_tasks:
            task_types.add(task.task_type)
    assert len(hashes) > 5
    assert {"function", "transformation", "cdf"} <= task_types


def test_sdk_lists_workflows_and_versions(sdk: CogniteClient, live_sim: Simulator) -> None:
    workflows = sdk.workflows.list(limit=-1)
    assert sorted(w.external_id for w in workflows) == sorted(
        wf.external_id for wf in live_sim.world.workflows
    )
    versions = sdk.workflows.versions.list(limit=-1)
    expected = sum(
        1 for wf in live_sim.world.workflows for v in wf.versions if v.created_time <= NOW_MS
    )
    assert len(versions) == expected
    one = workflows[0].external_id
    only = sdk.workflows.versions.list(workflow_version_ids=one, limit=-1)
    assert only and {v.workflow_external_id for v in only} == {one}


def test_raw_json_keeps_what_the_sdk_drops(client: httpx.Client, live_sim: Simulator) -> None:
    """parentTaskExternalId and engineExecutionId are on the wire even if the SDK drops them."""
    listed = client.post(
        f"/api/v1/projects/{PROJECT}/workflows/executions/list",
        json={"limit": 1000, "filter": {"status": ["COMPLETED"]}},
    ).json()["items"]
    assert all(item["engineExecutionId"] for item in listed)
    dynamic_children = subworkflow_children = 0
    for item in listed:
        detail = client.get(f"/api/v1/projects/{PROJECT}/workflows/executions/{item['id']}").json()
        assert detail["engineExecutionId"] == item["engineExecutionId"]
        types = {t["externalId"]: t["type"] for t in detail["workflowDefinition"]["tasks"]}
        for task in detail["executedTasks"]:
            parent = task.get("parentTaskExternalId")
            if parent is not None and types.get(parent) == "dynamic":
                dynamic_children += 1
            if parent is not None and types.get(parent) == "subworkflow":
                subworkflow_children += 1
        if dynamic_children and subworkflow_children:
            break
    assert dynamic_children and subworkflow_children


def test_sdk_reads_the_rarer_real_shapes() -> None:
    """recordStream triggers, subworkflows by reference and over-limit runs parse in the SDK."""
    from dataclasses import replace

    from cdf_simulator import Shapes, run_server
    from tests.support.simulator_api import small_config

    shapes = replace(
        Shapes.none(), subworkflow_reference=1.0, record_stream=1.0, over_task_limit=1.0
    )
    sim = Simulator(small_config(shapes=shapes, history_days=3))
    with run_server(sim) as url:
        credentials = OAuthClientCredentials(
            token_url=f"{url}/oauth2/token", client_id="x", client_secret="y", scopes=["s"]
        )
        sdk = CogniteClient(
            ClientConfig(client_name="t", project=PROJECT, base_url=url, credentials=credentials)
        )
        triggers = sdk.workflows.triggers.list(limit=-1)
        streams = [t for t in triggers if t.dump()["triggerRule"]["triggerType"] == "recordStream"]
        assert streams
        runs = sdk.workflows.triggers.list_runs(streams[0].external_id, limit=-1)
        fired = sim.world.trigger_history(streams[0].external_id, 1000, None, sim.clock.now_ms())
        assert fired is not None and [r.fire_time for r in runs] == [
            f["fireTime"] for f in fired[0]
        ]
        seen = {"subworkflow": False, "over": False}
        for execution in sdk.workflows.executions.list(created_time_start=0, limit=300):
            detail = sdk.workflows.executions.retrieve_detailed(execution.id)
            assert detail is not None
            kinds = {t.task_type for t in detail.executed_tasks}
            for task in detail.workflow_definition.tasks if "subworkflow" in kinds else []:
                if task.type == "subworkflow":
                    reference = task.dump()["parameters"]["subworkflow"]
                    assert set(reference) == {"workflowExternalId", "version"}
            seen["subworkflow"] |= "subworkflow" in kinds
            seen["over"] |= len({t.external_id for t in detail.executed_tasks}) > 200
        assert seen == {"subworkflow": True, "over": True}


def test_the_readmes_sdk_snippet_runs_against_the_simulator(
    live_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    (snippet,) = [block for block in blocks if "CogniteClient(" in block]
    snippet = snippet.replace('"http://127.0.0.1:8765"', repr(live_url))
    snippet = snippet.replace('project="demo"', f"project={PROJECT!r}")
    exec(compile(snippet, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.count('"workflow_external_id": ') == 5, printed
