"""API Gateway HTTP API, payload format 2.0: routes, the event a request becomes, and the
answer a function's return value becomes.

Follows https://docs.aws.amazon.com/apigateway/latest/developerguide/
http-api-develop-integrations-lambda.html: header names in lower case with repeated headers
joined by commas, cookies taken out of the headers, the body base64-encoded when it is not
text, and a return value without ``statusCode`` sent as a 200 JSON body.
"""

import base64
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from retention.local.template import Function, Route

API_ID = "local"
STAGE = "$default"
_PARAMETER = re.compile(r"\{([^}/+]+)(\+?)\}")


@dataclass(frozen=True)
class Match:
    route: Route
    function: Function
    path_parameters: dict[str, str]


class Router:
    """Exact paths first, then paths with parameters, greedy ones, and ``$default`` last."""

    def __init__(self, routes: Iterable[tuple[Route, Function]]) -> None:
        compiled = [(route, function, _pattern(route.path)) for route, function in routes]
        self._routes = sorted(compiled, key=lambda item: _rank(item[0]))

    def match(self, method: str, path: str) -> Match | None:
        for route, function, pattern in self._routes:
            if route.method not in {"ANY", method.upper()}:
                continue
            found = pattern.fullmatch(path)
            if found:
                return Match(route, function, found.groupdict())
        return None


def http_event(request: Request, match: Match, now: datetime) -> dict[str, Any]:
    body, encoded = _body(request.get_data())
    headers = _headers(request)
    cookies = [part.strip() for part in headers.pop("cookie", "").split(";") if part.strip()]
    raw_query = request.query_string.decode("latin-1")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.key,
        "rawPath": request.path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": _request_context(request, match, headers, now),
        "isBase64Encoded": encoded,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        event["queryStringParameters"] = _joined(parse_qsl(raw_query, keep_blank_values=True))
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if body:
        event["body"] = body
    return event


def http_response(result: Any) -> Response:
    if not (isinstance(result, dict) and "statusCode" in result):
        return Response(json.dumps(result), status=200, content_type="application/json")

    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    response = Response(body, status=int(result["statusCode"]))
    response.headers.remove("Content-Type")
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response


def error_response(status: int, message: str) -> Response:
    """API Gateway's own error answers: ``{"message": ...}``."""
    return Response(json.dumps({"message": message}), status, content_type="application/json")


def _pattern(path: str) -> re.Pattern[str]:
    if path == "$default":
        return re.compile(r".*")

    parts: list[str] = []
    position = 0
    for found in _PARAMETER.finditer(path):
        parts.append(re.escape(path[position : found.start()]))
        name, greedy = found.group(1), found.group(2)
        parts.append(f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)")
        position = found.end()
    parts.append(re.escape(path[position:]))
    return re.compile("".join(parts))


def _rank(route: Route) -> tuple[int, int]:
    if route.path == "$default":
        return (3, 0)
    if "+}" in route.path:
        return (2, -len(route.path))
    if "{" in route.path:
        return (1, -len(route.path))
    return (0, 0 if route.method != "ANY" else 1)


def _body(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), True


def _headers(request: Request) -> dict[str, str]:
    headers = _joined((name.lower(), value) for name, value in request.headers.items())
    remote = request.remote_addr or "127.0.0.1"
    headers.setdefault("x-forwarded-for", remote)
    headers.setdefault("x-forwarded-proto", request.scheme)
    headers.setdefault("x-forwarded-port", str(request.server[1] if request.server else ""))
    return headers


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _request_context(
    request: Request, match: Match, headers: dict[str, str], now: datetime
) -> dict[str, Any]:
    host = headers.get("host", "localhost")
    moment = now.astimezone(UTC)
    return {
        "accountId": "anonymous",
        "apiId": API_ID,
        "domainName": host,
        "domainPrefix": host.split(".")[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": request.remote_addr or "127.0.0.1",
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": match.route.key,
        "stage": STAGE,
        "time": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(moment.timestamp() * 1000),
    }
