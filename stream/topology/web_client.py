"""Ask a worker's web server for JSON: what ``listing-monitor rings`` calls.

No Faust import: the CLI loads this without building an app.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import orjson

from stream.settings import Settings

TIMEOUT_SECONDS = 10.0


class WorkerUnavailableError(Exception):
    """The worker could not be reached or could not answer; the message says why."""


def worker_url(settings: Settings) -> str:
    """The web address of the worker these settings configure."""
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::", "") else settings.web_host
    return f"http://{host}:{settings.web_port}"


def get_json(base_url: str, path: str) -> tuple[int, Any]:
    """``GET base_url + path``: the status and the decoded JSON body.

    Statuses other than 200 come back as they are when the body is JSON (404
    for an unknown ring); anything else raises.

    Raises:
        WorkerUnavailableError: unreachable, a timeout, a 503 (not ready or
            recovering: the worker's own explanation), or a body that is not JSON.
    """
    url = base_url.rstrip("/") + path
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WorkerUnavailableError(
            f"no worker answers at {base_url} ({reason}); start one with `listing-monitor "
            "worker`, or point --url (or LISTING_MONITOR_WEB_HOST/_WEB_PORT) at a running one"
        ) from exc
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        hint = (
            "the worker serves no such page (is ring linking switched off, "
            "[rings] enabled = false in its rules?)"
            if status == 404
            else "is this a listing-monitor worker?"
        )
        raise WorkerUnavailableError(f"{url} answered HTTP {status} without JSON; {hint}") from None
    if status == 503:
        error = decoded.get("error") if isinstance(decoded, dict) else None
        raise WorkerUnavailableError(
            f"the worker at {base_url} is not ready: {error or 'HTTP 503'}"
        )
    return status, decoded
