"""The student's side: stored tokens (``grade login``) and uploading to a server
(``grade submit --server``), following the grading live over server-sent events."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from convgrade.exercises.errors import ConvgradeError

TOKEN_ENV = "CONVGRADE_TOKEN"


def _httpx():
    try:
        import httpx
    except ImportError:
        raise ConvgradeError(
            "talking to a grading server needs the service extra: pip install 'convgrade[service]'"
        ) from None
    return httpx


def tokens_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "convgrade" / "tokens.json"


def _key(url: str) -> str:
    return url.rstrip("/")


def save_token(url: str, token: str) -> Path:
    """Remember ``token`` for the server at ``url`` (a file only the user can read)."""
    path = tokens_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    known[_key(url)] = token
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(known, fh, indent=1)
    os.replace(tmp, path)
    return path


def load_token(url: str) -> str:
    """The token for ``url``: $CONVGRADE_TOKEN, else what ``grade login`` stored."""
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    try:
        known = json.loads(tokens_file().read_text(encoding="utf-8"))
        return known[_key(url)]
    except (OSError, ValueError, KeyError):
        raise ConvgradeError(f"--server {url}: no token; run `grade login {url}` first") from None


class Client:
    """A signed-in connection to a grading server."""

    def __init__(self, url: str, token: str, timeout: float = 30.0) -> None:
        httpx = _httpx()
        self.url = _key(url)
        self.http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    def _check(self, resp) -> Any:
        if resp.status_code >= 400:
            try:
                msg = resp.json().get("error") or resp.json().get("detail")
            except ValueError:
                msg = resp.text[:200]
            raise ConvgradeError(f"{self.url}: {msg} (HTTP {resp.status_code})")
        return resp.json()

    def _call(self, method: str, path: str, **kw) -> Any:
        httpx = _httpx()
        try:
            return self._check(self.http.request(method, path, **kw))
        except httpx.HTTPError as exc:
            raise ConvgradeError(f"{self.url}: cannot reach the server ({exc})") from None

    def me(self) -> dict[str, Any]:
        return self._call("GET", "/api/me")

    def submit(self, path: Path, assignment: str) -> dict[str, Any]:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConvgradeError(f"{path}: cannot read ({exc.strerror})") from None
        files = {"file": (Path(path).name, data, "application/octet-stream")}
        return self._call("POST", "/api/submissions", data={"assignment": assignment}, files=files)

    def status(self, sub_id: int) -> dict[str, Any]:
        return self._call("GET", f"/api/submissions/{sub_id}")

    def events(self, sub_id: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """(event, data) pairs from the submission's event stream until its result."""
        httpx = _httpx()
        timeout = httpx.Timeout(30.0, read=None)
        try:
            with self.http.stream("GET", f"/api/submissions/{sub_id}/events", timeout=timeout) as r:
                if r.status_code >= 400:
                    r.read()
                    self._check(r)
                name, data = "message", []
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif not line and data:
                        yield name, json.loads("\n".join(data))
                        name, data = "message", []
        except httpx.HTTPError as exc:
            raise ConvgradeError(f"{self.url}: lost the connection ({exc})") from None

    def follow(
        self,
        sub_id: int,
        on_status: Callable[[dict], None],
        on_progress: Callable[[dict], None],
    ) -> dict[str, Any]:
        """Stream a submission's progress; its final view (with ``result``)."""
        for name, data in self.events(sub_id):
            if name == "status":
                on_status(data)
            elif name == "progress":
                on_progress(data)
            elif name == "result":
                return data
        return self.status(sub_id)  # the stream ended early: ask once more
