"""One GET to the Profiles API: headers, timeouts, a capped streamed read, a checked answer.

Everything that can go wrong on the wire ends here as an ``IntileryError``; nothing from
``requests`` or ``urllib3`` gets past ``send_get``.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import time
from collections.abc import Mapping
from http.cookiejar import DefaultCookiePolicy
from importlib.metadata import version
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import msgspec
import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

import profileviewer
from profileviewer.client import metrics
from profileviewer.client.errors import (
    REQUEST_ID_HEADER,
    AuthenticationError,
    IntileryError,
    ProtocolError,
    UnavailableError,
    error_for,
)
from profileviewer.observability import context

logger = logging.getLogger("profileviewer.client")

USER_AGENT = f"ProfileViewer/{profileviewer.__version__} (+python-requests/{version('requests')})"
READ_CHUNK = 64 * 1024
# Enough connections for a gthread worker's threads all calling at once.
POOL_SIZE = 64


def new_session() -> requests.Session:
    """A pooled session; no retries of its own (the client's retry policy decides)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    # One session serves every thread and tenant: no cookie may ride from one answer to the
    # next request.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    # The auth-token header is the only credential: never one from ~/.netrc.
    session.auth = _no_auth
    return session


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


@functools.lru_cache(maxsize=64)
def is_loopback(host: str | None) -> bool:
    """True for a host on this machine's loopback interface (127.0.0.0/8, ::1, localhost)."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def request_headers(url_host: str | None, token: str) -> dict[str, str]:
    """The headers of one GET; compressed answers only from an upstream on another host.

    Compression trades CPU at both ends for fewer bytes on the network: worth it across a
    network (the real API), not on the loopback interface (the sandbox), where it only costs
    the CPU the app and the sandbox share. (An SSH tunnel to the real API on a loopback port
    would lose compression on its network leg; an HTTP(S) proxy keeps it, since the URL
    still names the API.)
    """
    headers = {
        "auth-token": token,
        "content-type": "application/json",  # PAPI-5: required even on a GET
        "accept": "application/json",
    }
    if is_loopback(url_host):
        headers["accept-encoding"] = "identity"
    return headers


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _scrub(content: bytes, secret: str) -> bytes:
    # An upstream (or a proxy) echoing our headers back must not put the key in an error.
    return content.replace(secret.encode(), b"[redacted]") if secret else content


def _read_capped(
    response: requests.Response, *, max_bytes: int, deadline: float, request_id: str | None
) -> bytes:
    """The decoded body, read in chunks: refused past ``max_bytes`` or past the deadline.

    ``read1`` returns whatever has arrived, so a slow drip is caught by the deadline check
    rather than hidden inside one long blocking read.
    """
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ProtocolError(
            f"The Profiles API response is too large ({int(declared)} bytes).",
            http_status=response.status_code,
            request_id=request_id,
        )
    chunks: list[bytes] = []
    total = 0
    raw = response.raw
    while True:
        chunk = raw.read1(READ_CHUNK, decode_content=True)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise ProtocolError(
                f"The Profiles API response is too large (over {max_bytes} bytes).",
                http_status=response.status_code,
                request_id=request_id,
            )
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise UnavailableError(
                "The Profiles API sent its answer too slowly; try again in a moment.",
                http_status=response.status_code,
                request_id=request_id,
            )
    return b"".join(chunks)


class Answer(NamedTuple):
    """A successful GET: the bytes of its JSON body, its status, the upstream request id and
    when a kept copy of it leaves the cache (``time.time()``; when it arrived, until kept).

    The body is read by whoever asked (``read_json``, or a faster reader of the bytes
    themselves), once: the same bytes are what the cache keeps.
    """

    content: bytes
    status: int
    request_id: str | None
    expires_at: float


def send_get(
    session: requests.Session,
    url: str,
    *,
    endpoint: str,
    params: Mapping[str, str] | None,
    token: str,
    connect_timeout: float,
    read_timeout: float,
    deadline: float,
    max_bytes: int,
) -> Answer:
    """GET ``url`` and return its answer, or raise an IntileryError.

    Each request is counted and timed under ``endpoint`` (a name such as ``traits``, never the
    path, which holds the customer's reference) and logged in one line.
    """
    started = time.perf_counter()
    try:
        answer = _get(
            session,
            url,
            params=params,
            token=token,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            deadline=deadline,
            max_bytes=max_bytes,
        )
    except IntileryError as error:
        _record(endpoint, url, error.http_status, error.request_id, started, error)
        raise
    _record(endpoint, url, answer.status, answer.request_id, started, None)
    return answer


def _record(
    endpoint: str,
    url: str,
    status: int | None,
    request_id: str | None,
    started: float,
    error: IntileryError | None,
) -> None:
    """Count, time and log one upstream request, and note its id for the request that made it."""
    seconds = time.perf_counter() - started
    status_label = str(status) if status is not None else "no_answer"
    metrics.UPSTREAM_REQUESTS.labels(endpoint, status_label).inc()
    metrics.UPSTREAM_SECONDS.labels(endpoint).observe(seconds)
    context.note_upstream_call(request_id)
    outcome = f" ({type(error).__name__})" if error is not None else ""
    fields = {
        "endpoint": endpoint,
        "status": status_label,
        "duration_ms": round(seconds * 1000, 1),
        "upstream_request_id": request_id,
    }
    message = "Upstream GET %s %s in %.1f ms, upstream req %s%s"
    args = (endpoint, status_label, seconds * 1000, request_id or "-", outcome)
    if isinstance(error, AuthenticationError):
        logger.error("Intilery refused our API key or ids: " + message, *args, extra=fields)
    else:
        logger.info(message, *args, extra=fields)
    # The path names the customer: only at DEBUG.
    logger.debug("Upstream GET %s was %s", urlsplit(url).path, endpoint)


def _get(
    session: requests.Session,
    url: str,
    *,
    params: Mapping[str, str] | None,
    token: str,
    connect_timeout: float,
    read_timeout: float,
    deadline: float,
    max_bytes: int,
) -> Answer:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise UnavailableError("The Profiles API did not answer in time.")
    headers = request_headers(urlsplit(url).hostname, token)
    try:
        # Never redirected: a redirect would carry the auth-token header to wherever it
        # points. Streamed, so the body's size and time can be capped as it is read.
        response = session.get(
            url,
            params=params,
            headers=headers,
            timeout=(min(connect_timeout, remaining), min(read_timeout, remaining)),
            stream=True,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise UnavailableError("The Profiles API did not answer in time.") from None
    except requests.ConnectionError:
        raise UnavailableError("Could not connect to the Profiles API.") from None
    except requests.RequestException as exc:
        raise ProtocolError(f"The Profiles API request failed ({type(exc).__name__}).") from None
    status = response.status_code
    request_id = response.headers.get(REQUEST_ID_HEADER) or None
    try:
        content = _read_capped(
            response, max_bytes=max_bytes, deadline=deadline, request_id=request_id
        )
    except (urllib3.exceptions.TimeoutError, TimeoutError):
        raise UnavailableError(
            "The Profiles API stopped sending its answer.",
            http_status=status,
            request_id=request_id,
        ) from None
    except urllib3.exceptions.DecodeError:
        raise ProtocolError(
            "The Profiles API sent a body that could not be decompressed.",
            http_status=status,
            request_id=request_id,
        ) from None
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError):
        # A connection cut mid-body (truncated): a network failure, so it may be retried.
        raise UnavailableError(
            "The connection to the Profiles API broke off mid-answer.",
            http_status=status,
            request_id=request_id,
        ) from None
    finally:
        response.close()
    _check_answer(response, content, token=token, request_id=request_id)
    return Answer(content, status, request_id, time.time())


def parse_json(content: bytes) -> Any:
    """The body as ``json.loads`` reads it, in about 60 % of its time on an events page.

    msgspec reads strict JSON (integers of any size exactly, floats rounded the same). What it
    refuses and ``json.loads`` accepts (NaN and Infinity, a byte-order mark, UTF-16 or -32,
    lone surrogates, escaped or encoded) goes to ``json.loads``, so every body reads as it did
    before.
    """
    try:
        return msgspec.json.decode(content)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return json.loads(content)


def _check_answer(
    response: requests.Response, content: bytes, *, token: str, request_id: str | None
) -> None:
    """Raise the error a non-2xx answer, a redirect or a body that is not JSON stands for."""
    status = response.status_code
    if 300 <= status < 400:
        raise ProtocolError(
            f"The Profiles API redirected the request (HTTP {status}); check INTILERY_API_URL.",
            http_status=status,
            request_id=request_id,
        )
    if status < 200 or status >= 300:
        return_error = error_for(
            status,
            _scrub(content, token),
            request_id=request_id,
            retry_after_header=response.headers.get("Retry-After"),
        )
        raise return_error
    if not _is_json(response.headers.get("Content-Type", "")):
        raise ProtocolError(
            "The Profiles API answered with something other than JSON.",
            http_status=status,
            request_id=request_id,
        )


class UnreadableAnswer(ProtocolError):
    """A 2xx answer whose body is not JSON that can be read."""


def read_json(content: bytes) -> Any:
    """An answer's body as JSON (``parse_json``), or ``UnreadableAnswer``."""
    try:
        return parse_json(content)
    except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
        raise UnreadableAnswer("The Profiles API sent JSON that could not be read.") from None
