"""create_app(sim): the CDF Data Workflows API routes, the token endpoint, the control routes."""

from __future__ import annotations

import gzip
import zlib
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .ids import MalformedId
from .middleware import SimulatorMiddleware, error_body
from .simulator import Simulator
from .world import BadRequest, ExecutionFilter

PROJECT = "/api/v1/projects/{project}"
_STATUSES = frozenset({"RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED"})


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def error_response(status: int, message: str) -> Response:
    return Response(error_body(status, message), status_code=status, media_type="application/json")


async def read_body(request: Request) -> bytes:
    body = await request.body()
    encoding = request.headers.get("content-encoding", "").lower()
    try:
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error, EOFError) as exc:
        raise ApiError(400, f"Could not decode {encoding} request body") from exc
    return body


async def read_json(request: Request) -> dict[str, Any]:
    body = await read_body(request)
    if not body:
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "Request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return data


def parse_limit(value: Any, default: int = 100) -> int:
    if value is None:
        return default
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError as exc:
            raise ApiError(400, "limit must be an integer") from exc
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, "limit must be an integer")
    if not 1 <= value <= 1000:
        raise ApiError(400, f"limit must be between 1 and 1000, got {value}")
    return value


def authorize(sim: Simulator, request: Request) -> None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise ApiError(401, "Unauthorized: missing bearer token")
    problem = sim.tokens.check(header[7:].strip())
    if problem is not None:
        raise ApiError(401, f"Unauthorized: {problem}")
    if request.path_params.get("project") != sim.project:
        raise ApiError(
            403, f"Forbidden: no access to project {request.path_params.get('project')!r}"
        )


def _optional_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name} must be an integer (epoch milliseconds)")
    return value


def parse_execution_filter(sim: Simulator, raw: Any) -> ExecutionFilter:
    if raw is None:
        return ExecutionFilter()
    if not isinstance(raw, dict):
        raise ApiError(400, "filter must be an object")
    statuses = raw.get("status")
    if statuses is not None:
        if not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses):
            raise ApiError(400, "filter.status must be a list of strings")
        unknown = [s for s in statuses if s.upper() not in _STATUSES]
        if unknown:
            raise ApiError(400, f"Unknown status value(s): {unknown}")
    wf_filters = raw.get("workflowFilters")
    if wf_filters is not None and not isinstance(wf_filters, list):
        raise ApiError(400, "filter.workflowFilters must be a list")
    return ExecutionFilter(
        workflows=sim.world.resolve_workflow_filters(wf_filters),
        created_start=_optional_int(raw.get("createdTimeStart"), "createdTimeStart"),
        created_end=_optional_int(raw.get("createdTimeEnd"), "createdTimeEnd"),
        statuses=frozenset(s.upper() for s in statuses) if statuses is not None else None,
    )


def _page(items: list[Any], cursor: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"items": items}
    if cursor is not None:
        out["nextCursor"] = cursor
    return out


def api_route(sim: Simulator, handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            authorize(sim, request)
            return await handler(sim, request)
        except ApiError as exc:
            return error_response(exc.status, exc.message)
        except BadRequest as exc:
            return error_response(400, str(exc))

    return endpoint


async def list_executions(sim: Simulator, request: Request) -> Response:
    body = await read_json(request)
    limit = parse_limit(body.get("limit"))
    flt = parse_execution_filter(sim, body.get("filter"))
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise ApiError(400, "cursor must be a string")
    now, injected = sim.clock.now_ms(), sim.injected
    if injected.summaries and injected.owns(cursor):
        names = _workflow_names(body.get("filter"))
        mine = injected.executions(names, flt.created_start, flt.created_end, flt.statuses)
        if mine:
            more = bool(sim.world.list_executions(flt, 1, None, now)[0])
            return json_response(_page(*injected.page(mine, limit, cursor, more)))
        cursor = None
    items, nxt = sim.world.list_executions(flt, limit, injected.world_cursor(cursor), now)
    return json_response(_page(items, nxt))


def _workflow_names(raw: Any) -> set[str] | None:
    filters = raw.get("workflowFilters") if isinstance(raw, dict) else None
    if not filters:
        return None
    return {f["externalId"] for f in filters if isinstance(f, dict) and "externalId" in f}


async def get_execution(sim: Simulator, request: Request) -> Response:
    execution_id = request.path_params["execution_id"]
    body = sim.injected.details.get(execution_id)
    if body is not None:
        return Response(body, media_type="application/json")
    try:
        pos = sim.world.find(execution_id)
    except MalformedId as exc:
        raise ApiError(400, f"Invalid execution id {execution_id!r}: must be a UUID") from exc
    now = sim.clock.now_ms()
    if pos is None or not sim.world.visible(pos, now):
        raise ApiError(404, f"Workflow execution {execution_id} not found")
    return Response(sim.world.detail_bytes(pos, now), media_type="application/json")


async def list_workflows(sim: Simulator, request: Request) -> Response:
    limit = parse_limit(request.query_params.get("limit"))
    items, nxt = sim.world.list_workflows(
        limit, request.query_params.get("cursor"), sim.clock.now_ms()
    )
    return json_response(_page(items, nxt))


async def list_versions(sim: Simulator, request: Request) -> Response:
    body = await read_json(request)
    limit = parse_limit(body.get("limit"))
    raw = body.get("filter") or {}
    if not isinstance(raw, dict):
        raise ApiError(400, "filter must be an object")
    wf_filters = raw.get("workflowFilters")
    if wf_filters is not None and not isinstance(wf_filters, list):
        raise ApiError(400, "filter.workflowFilters must be a list")
    workflows = sim.world.resolve_workflow_filters(wf_filters) if wf_filters else None
    items, nxt = sim.world.list_versions(workflows, limit, body.get("cursor"), sim.clock.now_ms())
    return json_response(_page(items, nxt))


async def list_triggers(sim: Simulator, request: Request) -> Response:
    limit = parse_limit(request.query_params.get("limit"))
    cursor, now, injected = request.query_params.get("cursor"), sim.clock.now_ms(), sim.injected
    if injected.triggers and injected.owns(cursor):
        more = bool(sim.world.list_triggers(1, None, now)[0])
        return json_response(_page(*injected.page(injected.triggers, limit, cursor, more)))
    items, nxt = sim.world.list_triggers(limit, injected.world_cursor(cursor), now)
    return json_response(_page(items, nxt))


async def trigger_history(sim: Simulator, request: Request) -> Response:
    limit = parse_limit(request.query_params.get("limit"))
    external_id = request.path_params["external_id"]
    runs = sim.injected.runs.get(external_id)
    if runs is not None or any(t.get("externalId") == external_id for t in sim.injected.triggers):
        cursor = request.query_params.get("cursor")
        return json_response(_page(*sim.injected.page(runs or [], limit, cursor, False)))
    found = sim.world.trigger_history(
        external_id, limit, request.query_params.get("cursor"), sim.clock.now_ms()
    )
    if found is None:
        raise ApiError(404, f"Workflow trigger {external_id!r} not found")
    return json_response(_page(*found))


def token_endpoint(sim: Simulator) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            body = (await read_body(request)).decode("utf-8", "replace")
        except ApiError as exc:
            return json_response(
                {"error": "invalid_request", "error_description": exc.message}, 400
            )
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if form.get("grant_type") != "client_credentials":
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "only client_credentials is supported",
                },
                400,
            )
        if not sim.accepts(form.get("client_id"), form.get("client_secret")):
            return json_response(
                {
                    "error": "invalid_client",
                    "error_description": "unknown client id or wrong secret",
                },
                401,
            )
        lifetime = sim.token_lifetime_s()
        return json_response(
            {
                "access_token": sim.tokens.issue(lifetime),
                "expires_in": lifetime,
                "token_type": "Bearer",
            }
        )

    return endpoint


def control_routes(sim: Simulator) -> list[Route]:
    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await read_json(request)
            except ApiError as exc:
                return error_response(exc.status, exc.message)
            now_ms, advance = body.get("nowMs"), body.get("advanceMs")
            if isinstance(now_ms, int) and not isinstance(now_ms, bool):
                sim.clock.set(now_ms)
            elif isinstance(advance, int) and not isinstance(advance, bool):
                sim.clock.advance(advance)
            else:
                return error_response(400, "give an integer nowMs or advanceMs")
        now = sim.clock.now_ms()
        return json_response(
            {
                "nowMs": now,
                "speed": sim.clock.speed,
                "visibleExecutions": sim.world.count_visible(now),
                "worldStartMs": sim.world.start_ms,
                "worldEndMs": sim.world.end_ms,
            }
        )

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await read_json(request)
                sim.set_faults(sim.fault_config.updated(body))
            except ApiError as exc:
                return error_response(exc.status, exc.message)
            except ValueError as exc:
                return error_response(400, str(exc))
        return json_response(sim.fault_config.to_json())

    async def records(request: Request) -> Response:
        try:
            sim.injected.add_json(await read_json(request))
        except ApiError as exc:
            return error_response(exc.status, exc.message)
        except (ValueError, TypeError, AttributeError) as exc:
            return error_response(400, f"cannot inject these records: {exc}")
        return json_response(
            {"executions": len(sim.injected.summaries), "triggers": len(sim.injected.triggers)}
        )

    async def stats(request: Request) -> Response:
        return json_response(sim.stats.to_json())

    async def stats_reset(request: Request) -> Response:
        sim.stats.reset()
        return json_response(sim.stats.to_json())

    return [
        Route("/_simulator/clock", clock, methods=["GET", "POST"]),
        Route("/_simulator/faults", faults, methods=["GET", "POST"]),
        Route("/_simulator/records", records, methods=["POST"]),
        Route("/_simulator/stats", stats, methods=["GET"]),
        Route("/_simulator/stats/reset", stats_reset, methods=["POST"]),
    ]


class SimulatorApp(Starlette):
    """Starlette with the simulator layer outermost, so it sees the server's own `send`."""

    def build_middleware_stack(self) -> Any:
        return SimulatorMiddleware(super().build_middleware_stack(), self.state.simulator)


def create_app(sim: Simulator) -> Starlette:
    routes = [
        Route("/oauth2/token", token_endpoint(sim), methods=["POST"]),
        Route(
            f"{PROJECT}/workflows/executions/list",
            api_route(sim, list_executions),
            methods=["POST"],
        ),
        Route(
            f"{PROJECT}/workflows/executions/{{execution_id}}",
            api_route(sim, get_execution),
            methods=["GET"],
        ),
        Route(f"{PROJECT}/workflows", api_route(sim, list_workflows), methods=["GET"]),
        Route(f"{PROJECT}/workflows/triggers", api_route(sim, list_triggers), methods=["GET"]),
        Route(
            f"{PROJECT}/workflows/triggers/{{external_id}}/history",
            api_route(sim, trigger_history),
            methods=["GET"],
        ),
        Route(
            f"{PROJECT}/workflows/versions/list", api_route(sim, list_versions), methods=["POST"]
        ),
        *control_routes(sim),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(404, f"No such endpoint: {request.method} {request.url.path}")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return error_response(405, f"Method {request.method} not allowed on {request.url.path}")

    app = SimulatorApp(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
    app.state.simulator = sim
    return app
