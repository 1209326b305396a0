"""The local HTTP API: the template's routes, plus admin endpoints under ``/_local/``.

=====================================  =================================================
``GET  /_local/health``                ``{"ok": true}`` once everything has started
``GET  /_local/clock``                 the virtual time and each schedule's next time
``POST /_local/clock/advance``         ``{"days": 60}`` (or hours, minutes, seconds):
                                       fires the schedules due, drains the queues
``POST /_local/drain``                 runs the queue consumers until the queues are empty
``GET  /_local/queues``                messages visible and in flight, per queue
``GET  /_local/profiles/<t>/<key>``    the stored profile of one customer of tenant ``t``
``GET  /_local/outbox[?tenant=t]``     what would have been sent to the CRM and email
=====================================  =================================================
"""

import json
import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from retention.local.apigateway import Router, error_response, http_event, http_response
from retention.local.schedules import Fire
from retention.local.stack import release_connections_on_close
from retention.local.virtual_clock import iso_z

log = logging.getLogger(__name__)
ADVANCE_UNITS = ("days", "hours", "minutes", "seconds")
ADMIN = Map(
    [
        Rule("/_local/health", endpoint="health", methods=["GET"]),
        Rule("/_local/clock", endpoint="clock", methods=["GET"]),
        Rule("/_local/clock/advance", endpoint="advance", methods=["POST"]),
        Rule("/_local/drain", endpoint="drain", methods=["POST"]),
        Rule("/_local/queues", endpoint="queues", methods=["GET"]),
        Rule("/_local/profiles/<tenant>/<path:customer_key>", endpoint="profile", methods=["GET"]),
        Rule("/_local/outbox", endpoint="outbox", methods=["GET"]),
    ]
)


class Backend(Protocol):
    """What the server asks of the running local stack."""

    def invoke(self, logical_id: str, event: Any) -> Any: ...
    def now(self) -> datetime: ...
    def schedules(self) -> list[dict[str, Any]]: ...
    def advance(self, delta: timedelta) -> list[Fire]: ...
    def drain(self) -> int: ...
    def queues(self) -> list[dict[str, Any]]: ...
    def profile(self, tenant: str, customer_key: str) -> dict[str, Any] | None: ...
    def outbox(self, tenant: str | None) -> list[dict[str, Any]]: ...


class _RequestLog(WSGIRequestHandler):
    """One line per request on this module's logger, apart from moto's own request lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info("%s %s", self.requestline, code)


class LocalServer:
    def __init__(self, backend: Backend, router: Router, host: str, port: int) -> None:
        self._backend = backend
        self._router = router
        self._server: BaseWSGIServer = make_server(
            host,
            port,
            self._wsgi,
            threaded=True,
            request_handler=_RequestLog,
        )
        release_connections_on_close(self._server)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="http-api", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith("/_local/"):
            response = self._admin(request)
        else:
            response = self._route(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        match = self._router.match(request.method, request.path)
        if match is None:
            return error_response(404, "Not Found")

        event = http_event(request, match, self._backend.now())
        try:
            result = self._backend.invoke(match.function.logical_id, event)
        except Exception:
            # A function error is API Gateway's 500, with the details in the function's log.
            log.exception("%s failed", match.function.logical_id)
            return error_response(500, "Internal Server Error")
        return http_response(result)

    def _admin(self, request: Request) -> Response:
        try:
            endpoint, arguments = ADMIN.bind_to_environ(request.environ).match()
        except HTTPException as error:
            return error_response(error.code or 404, error.description or "Not Found")

        backend = self._backend
        match endpoint:
            case "health":
                return _json({"ok": True})
            case "clock":
                return _json({"now": iso_z(backend.now()), "schedules": backend.schedules()})
            case "advance":
                return self._advance(request)
            case "drain":
                return _json({"received": backend.drain()})
            case "queues":
                return _json({"queues": backend.queues()})
            case "profile":
                profile = backend.profile(arguments["tenant"], arguments["customer_key"])
                return _json(profile) if profile else error_response(404, "no such profile")
        return _json({"items": backend.outbox(request.args.get("tenant") or None)})

    def _advance(self, request: Request) -> Response:
        try:
            delta = advance_delta(request.get_json(force=True, silent=True))
        except ValueError as error:
            return error_response(400, str(error))

        fires = self._backend.advance(delta)
        return _json(
            {
                "now": iso_z(self._backend.now()),
                "fired": [
                    {
                        "schedule": fire.schedule,
                        "scheduled_time": iso_z(fire.scheduled_time),
                        "ok": fire.ok,
                        "error": fire.error,
                    }
                    for fire in fires
                ],
            }
        )


def advance_delta(body: Any) -> timedelta:
    """``{"days": 60}`` and the like; at least one unit, none negative."""
    if not isinstance(body, dict) or not set(body) & set(ADVANCE_UNITS):
        raise ValueError(f"send a JSON object with one of {', '.join(ADVANCE_UNITS)}")
    unknown = set(body) - set(ADVANCE_UNITS)
    if unknown:
        raise ValueError(f"unknown units {', '.join(sorted(unknown))}")
    amounts = {unit: body[unit] for unit in ADVANCE_UNITS if unit in body}
    if any(
        isinstance(v, bool) or not isinstance(v, int | float) or v < 0 for v in amounts.values()
    ):
        raise ValueError("amounts are numbers of at least 0")
    return timedelta(**amounts)


def json_default(value: Any) -> Any:
    """DynamoDB numbers are Decimals: whole ones become ints, others exact strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, datetime):
        return iso_z(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json(document: Any) -> Response:
    body = json.dumps(document, default=json_default)
    return Response(body, status=200, content_type="application/json")
