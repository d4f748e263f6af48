"""Gradio's HTTP protocol, spoken plainly (httpx, which Gradio itself depends on), as a curl user or a browser does.

`call_api` is what a script without gradio_client does: upload the files, POST `/gradio_api/call/<name>`, read the
result's event stream; every such call opens a new session on the server. `PageSession` is what a browser tab
does: read the page's config, then send its events (the load events, a gallery pick, a brush stroke, a button)
through the queue under one session hash.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx

TIMEOUT = httpx.Timeout(120.0)


def file_data(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def upload(http: httpx.Client, url: str, path: str) -> dict:
    """Upload one file; its FileData as an input takes it."""
    with open(path, "rb") as file:
        response = http.post(f"{url}gradio_api/upload", files={"files": (path.rsplit("/", 1)[-1], file)})
    response.raise_for_status()
    return file_data(response.json()[0])


def events(response: httpx.Response):
    """(event, data) of a server-sent event stream."""
    event = None
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            yield event, line[5:].strip()
            event = None


def call_api(http: httpx.Client, url: str, api_name: str, data: list[Any]) -> list[Any]:
    """POST /gradio_api/call/<api_name>, then the outputs from its event stream; RuntimeError on an error event."""
    response = http.post(f"{url}gradio_api/call/{api_name}", json={"data": data})
    response.raise_for_status()
    event_id = response.json()["event_id"]
    with http.stream("GET", f"{url}gradio_api/call/{api_name}/{event_id}") as stream:
        for event, payload in events(stream):
            if event == "complete":
                return json.loads(payload)
            if event == "error":
                raise RuntimeError(f"/{api_name} answered an error: {payload}")
    raise RuntimeError(f"/{api_name}: the stream ended without a result")


class PageSession:
    """One browser tab's worth of traffic: the page, its config, and events sent through the queue."""

    def __init__(self, http: httpx.Client, url: str):
        self.http, self.url, self.session_hash = http, url, secrets.token_hex(6)
        self.http.get(url).raise_for_status()  # the page itself
        response = self.http.get(f"{url}config")
        response.raise_for_status()
        self.config = response.json()
        self.components = {c["id"]: c for c in self.config["components"]}
        self.values = {i: c.get("props", {}).get("value") for i, c in self.components.items()}

    def component(self, elem_id: str) -> int | None:
        """The id of the component with this elem_id, None when the page has none."""
        return next((i for i, c in self.components.items() if c.get("props", {}).get("elem_id") == elem_id), None)

    def dependencies(self, trigger: str, elem_id: str | None = None) -> list[dict]:
        """The events fired by `trigger` ("load" for the page's load events) of the component `elem_id`."""
        target = None if elem_id is None else self.component(elem_id)
        if elem_id is not None and target is None:
            return []
        return [d for d in self.config["dependencies"]
                if any(event == trigger and (target is None or block == target) for block, event in d["targets"])]

    def send(self, dependency: dict, changes: dict[int, Any] | None = None, event_data: Any = None,
             trigger_id: int | None = None) -> list[Any]:
        """Run one event with the components' current values (State inputs are the server's: sent as None),
        keep its outputs as the components' new values, and return them."""
        self.values.update(changes or {})
        inputs = [None if self.components[i]["type"] == "state" else self.values.get(i) for i in dependency["inputs"]]
        body = {"data": inputs, "fn_index": dependency["id"], "session_hash": self.session_hash,
                "event_data": event_data, "trigger_id": trigger_id}
        response = self.http.post(f"{self.url}gradio_api/queue/join", json=body)
        response.raise_for_status()
        event_id = response.json()["event_id"]
        with self.http.stream("GET", f"{self.url}gradio_api/queue/data",
                              params={"session_hash": self.session_hash}) as stream:
            for _, payload in events(stream):
                message = json.loads(payload)
                if message.get("event_id") != event_id or message.get("msg") != "process_completed":
                    continue
                if not message.get("success"):
                    raise RuntimeError(f"event {dependency['id']} failed: {message.get('output')}")
                outputs = message["output"]["data"]
                for i, value in zip(dependency["outputs"], outputs):
                    if not (isinstance(value, dict) and value.get("__type__") == "update"):
                        self.values[i] = value
                    elif "value" in value:
                        self.values[i] = value["value"]
                return outputs
        raise RuntimeError(f"event {dependency['id']}: the stream ended without a result")

    def trigger(self, trigger: str, elem_id: str | None = None, changes: dict[int, Any] | None = None,
                event_data: Any = None) -> None:
        """Everything `trigger` on `elem_id` fires (or the page's load events), one after the other."""
        target = None if elem_id is None else self.component(elem_id)
        for dependency in self.dependencies(trigger, elem_id):
            self.send(dependency, changes, event_data, target)
