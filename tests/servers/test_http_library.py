"""The content library over REST: upload, list, read, delete, and other accounts."""

from __future__ import annotations

import base64

from tests.servers.conftest import Api


async def _json(
    api: Api, method: str, path: str, body: object = None, key: str | None = None
) -> tuple[int, dict]:  # type: ignore[type-arg]
    resp = await api.client.request(method, path, json=body, headers=api.auth(key))
    return resp.status, (await resp.json() if resp.status != 204 else {})


async def test_upload_list_read_and_delete(api: Api) -> None:
    gif = base64.b64encode(b"GIF89a...").decode()
    status, item = await _json(api, "POST", "/v1/library", {"data": gif, "file_name": "a.gif"})
    assert status == 201 and item["number"] == 80000 and item["kind"] == "file"
    assert item["size"] == 9 and item["public"] is False
    status, listed = await _json(api, "GET", "/v1/library")
    assert status == 200 and [i["number"] for i in listed["items"]] == [80000]
    status, one = await _json(api, "GET", "/v1/library/80000")
    assert status == 200 and base64.b64decode(one["data"]) == b"GIF89a..."
    status, other = await _json(api, "GET", "/v1/library/80000", key=api.other_key)
    assert status == 404 and other["error"]["code"] == "not_found"
    status, _ = await _json(api, "DELETE", "/v1/library/80000", key=api.other_key)
    assert status == 404
    status, _ = await _json(api, "DELETE", "/v1/library/80000")
    assert status == 204
    status, listed = await _json(api, "GET", "/v1/library")
    assert listed["items"] == []


async def test_bad_uploads_name_the_field(api: Api) -> None:
    status, body = await _json(api, "POST", "/v1/library", {"data": "eA==", "file_name": "a.exe"})
    assert status == 400 and body["error"]["field"] == "file_name"
    status, body = await _json(api, "POST", "/v1/library", {"data": "eA==", "kind": "tune"})
    assert status == 400 and body["error"]["field"] == "kind"
    status, body = await _json(api, "GET", "/v1/library/abc")
    assert status == 404
