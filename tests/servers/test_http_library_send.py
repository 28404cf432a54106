"""Sending stored content by library number: REST ``{"type": "library"}`` and the csoft
library tags, LibraryNumber in csoft answers, and the walled-garden rule at both edges."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import Config, ContentConfig, StoreConfig
from heliograph.domain.accounts import Account, CredentialKind, secret_credential
from heliograph.domain.ids import AccountId
from heliograph.servers.http import content as content_routes
from heliograph.servers.http.app import build_app
from heliograph.wire.mms.pdus import NotificationInd, decode_pdu
from heliograph.wire.ota.bitmap import OtaBitmap, encode_ota_bitmap
from heliograph.wire.ota.logos import decode_picture_message
from heliograph.wire.wap.si import decode_si
from heliograph.wire.wap.wsp import decode_push
from tests.support.clock import FakeClock

GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b"
)
PICTURE = encode_ota_bitmap(OtaBitmap.from_rows(["#." * 36] * 28))
LOGO = encode_ota_bitmap(OtaBitmap.from_rows(["#." * 36] * 14))
OUTSIDE, INSIDE = "+447700900555", "+447700901555"  # INSIDE: a walled-garden network
CSOFT = "/webservices/http/sendmms"


@dataclass
class Edge:
    client: TestClient  # type: ignore[type-arg]
    gateway: Gateway
    key: str
    other_key: str
    admin_key: str
    csoft_user: Account

    async def upload(self, data: bytes, key: str | None = None, **fields: Any) -> int:
        body = {"data": base64.b64encode(data).decode(), **fields}
        resp = await self.client.post("/v1/library", json=body, headers=self.auth(key))
        assert resp.status == 201, await resp.text()
        return int((await resp.json())["number"])

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    async def send(self, content: dict[str, Any], to: str = OUTSIDE, key: str | None = None) -> Any:
        self.gateway.clock.advance(1)  # type: ignore[attr-defined]  # ids sort by time
        resp = await self.client.post(
            "/v1/messages", json={"to": to, "content": content}, headers=self.auth(key)
        )
        return resp.status, await resp.json()

    async def csoft(self, form: str) -> str:
        self.gateway.clock.advance(1)  # type: ignore[attr-defined]  # ids sort by time
        resp = await self.client.post(
            CSOFT,
            data=f"Username=ANOther.12345&PIN=12345678&{form}".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return await resp.text()

    async def payloads(self) -> list[tuple[int | None, bytes]]:
        """(destination port, octets) of every message stored, in order of creation."""
        parts, _ = await self.gateway.store.claim_parts(
            now=self.gateway.clock.now() + 10, limit=100
        )
        by_message: dict[str, list[Any]] = {}
        for p in sorted(parts, key=lambda p: (p.message_id, p.seq)):
            by_message.setdefault(p.message_id, []).append(p)
        return [(ps[0].dest_port, ps[0].payload) for ps in by_message.values()]  # whole octets


@pytest.fixture
async def edge(tmp_path: object) -> AsyncIterator[Edge]:
    clock = FakeClock()
    cfg = Config(
        data_dir=str(tmp_path),
        store=StoreConfig(url="memory://"),
        content=ContentConfig(walled_garden=("447700901",)),
    )
    gateway = Gateway(cfg, clock=clock)
    await gateway.store.open()
    alice = await gateway.create_account("alice")
    bob = await gateway.create_account("bob")
    admin = await gateway.accounts.create("root", is_admin=True)
    user = Account(
        id=AccountId(uuid.uuid4().hex),
        name="ANOther.12345",
        callback_url=None,
        callback_secret="whsec_test",
        created_at=clock.now(),
    )
    cred = secret_credential(
        user.id, CredentialKind.PIN, user.name, "12345678", os.urandom(16), clock.now()
    )
    await gateway.store.create_account(user, [cred])
    app = build_app(gateway.http_services(), max_body_bytes=256 * 1024)
    content_routes.add_routes(app, gateway.mms)
    async with TestClient(TestServer(app)) as client:
        yield Edge(client, gateway, alice.api_key, bob.api_key, admin.api_key, user)
    await gateway.store.close()


def _push(payload: bytes) -> str:
    """``si:<href>`` or ``mms:<content location>`` of a WAP Push."""
    push = decode_push(payload)
    if push.content_type.media_type == "application/vnd.wap.mms-message":
        notification = decode_pdu(push.data)
        assert isinstance(notification, NotificationInd)
        return f"mms:{notification.content_location}"
    return f"si:{decode_si(push.data).href}"


# --- REST -------------------------------------------------------------------------------


async def test_rest_sends_each_kind_by_number(edge: Edge) -> None:
    file = await edge.upload(GIF, file_name="smiley.gif")
    picture = await edge.upload(PICTURE, file_name="p.otb", kind="picture")
    logo = await edge.upload(LOGO, file_name="l.otb", kind="logo")
    for content in (
        {"type": "library", "number": file, "text": "Hi"},
        {"type": "library", "number": picture, "text": "Golf"},
        {"type": "library", "number": logo},
        {"type": "library", "number": logo, "mcc": "234", "mnc": "33"},
    ):
        status, body = await edge.send(content)
        assert status == 202, body
    (mms_port, mms), (pic_port, pic), (gg_port, _), (ol_port, ol) = await edge.payloads()
    assert (mms_port, pic_port, gg_port, ol_port) == (2948, 5514, 5507, 5506)
    assert _push(mms).startswith("mms:http://")
    assert decode_picture_message(pic).text == "Golf"
    assert ol[:3] == bytes.fromhex("32f433")  # MCC 234, MNC 33 in BCD


async def test_rest_wap_push_of_a_file_is_shown_to_the_browser(edge: Edge) -> None:
    number = await edge.upload(GIF, file_name="smiley.gif")
    status, body = await edge.send({"type": "library", "number": number, "wap_push": True})
    assert status == 202, body
    [(port, payload)] = await edge.payloads()
    href = _push(payload).removeprefix("si:")
    assert port == 2948 and "/wap/" in href
    resp = await edge.client.get(urlsplit(href).path)
    assert resp.status == 200 and resp.headers["Content-Type"] == "image/gif"
    assert await resp.read() == GIF


async def test_rest_walled_garden_and_its_switch(edge: Edge) -> None:
    number = await edge.upload(GIF, file_name="smiley.gif")
    assert (await edge.send({"type": "library", "number": number}, to=INSIDE))[0] == 202
    off = {"type": "library", "number": number, "walled_garden_rule": False}
    assert (await edge.send(off, to=INSIDE))[0] == 202
    data = base64.b64encode(GIF).decode()
    mms = {"type": "mms", "data": data, "file_name": "a.gif"}
    assert (await edge.send(mms, to=INSIDE))[0] == 202
    assert (await edge.send({**mms, "walled_garden_rule": False}, to=INSIDE))[0] == 202
    kinds = [_push(p).split(":")[0] for _, p in await edge.payloads()]
    assert kinds == ["si", "mms", "si", "mms"]


async def test_rest_numbers_of_others_are_not_found(edge: Edge) -> None:
    mine = await edge.upload(GIF, file_name="smiley.gif")
    status, body = await edge.send({"type": "library", "number": mine}, key=edge.other_key)
    assert status == 404 and body["error"]["field"] == "content.number"
    status, body = await edge.send({"type": "library", "number": 80999})
    assert status == 404 and body["error"]["field"] == "content.number"
    public = await edge.upload(GIF, edge.admin_key, file_name="logo.gif", public=True)
    status, body = await edge.send({"type": "library", "number": public}, key=edge.other_key)
    assert status == 202, body
    assert len(await edge.payloads()) == 1


async def test_rest_library_options_are_checked(edge: Edge) -> None:
    picture = await edge.upload(PICTURE, file_name="p.otb", kind="picture")
    status, body = await edge.send({"type": "library", "number": picture, "wap_push": True})
    assert status == 400 and body["error"]["field"] == "content.wap_push"
    status, body = await edge.send({"type": "library", "number": picture, "mcc": "234"})
    assert status == 400 and body["error"]["field"] == "content.mcc"
    status, body = await edge.send({"type": "library", "number": "x"})
    assert status == 400 and body["error"]["field"] == "content.number"
    assert await edge.payloads() == []


# --- csoft ------------------------------------------------------------------------------


async def _own_file(edge: Edge) -> int:
    library = edge.gateway.http_services().library
    assert library is not None
    return (await library.upload(edge.csoft_user, GIF, file_name="smiley.gif")).number


async def test_csoft_bitmap_numbers_send_the_stored_bitmaps(edge: Edge) -> None:
    picture = await edge.upload(
        PICTURE, edge.admin_key, file_name="p.otb", kind="picture", public=True
    )
    logo = await edge.upload(LOGO, edge.admin_key, file_name="l.otb", kind="logo", public=True)
    for form in (
        f"SendTo=447700900555&Message=Golf%20Course&PictureMessage={picture}&PhoneMake=Nokia",
        f"SendTo=447700900555&GroupGraphic={logo}&PhoneMake=Nokia",
        f"SendTo=447700900555&OperatorLogo={logo}&MCC=234&MNC=33&PhoneMake=Nokia",
    ):
        assert await edge.csoft(form) == "-2 - Accepted by csoft: queued", form
    (pic_port, pic), (gg_port, _), (ol_port, ol) = await edge.payloads()
    assert (pic_port, gg_port, ol_port) == (5514, 5507, 5506)
    assert decode_picture_message(pic).text == "Golf Course"
    assert ol[:3] == bytes.fromhex("32f433")


async def test_csoft_file_numbers_by_mms_and_by_wap_push(edge: Edge) -> None:
    number = await _own_file(edge)
    for form in (
        f"SendTo=447700900555&Message=Hello&MMSFileMMS={number}",
        f"SendTo=447700900555&Message=Hello&MMSFileWAP={number}",
        f"SendTo=447700901555&MMSFileMMS={number}",  # a walled garden: by WAP Push
        f"SendTo=447700901555&MMSFileMMS={number}&DisableWalledGardenRule=1",
        f"SendTo=447700901555&MMSFileMMS={number}&DisableWalledGardenRule=0",
    ):
        assert await edge.csoft(form) == "-2 - Accepted by csoft: queued", form
    kinds = [_push(p).split(":")[0] for _, p in await edge.payloads()]
    assert kinds == ["mms", "si", "si", "mms", "si"]


async def test_csoft_numbers_that_are_not_the_accounts(edge: Edge) -> None:
    others = await edge.upload(GIF, file_name="smiley.gif")  # alice's, private
    picture = await edge.upload(PICTURE, file_name="p.otb", kind="picture")
    answer = await edge.csoft(f"SendTo=447700900555&MMSFileMMS={others}&ResponseFormat=1")
    assert answer == (
        "MessageIdentifier=-1&Report=31&Text=Invalid%20parameter%3A%20no%20library%20number"
        f"%20{others}"
    )
    answer = await edge.csoft(f"SendTo=447700900555&PictureMessage={picture}&PhoneMake=Nokia")
    assert answer == f"31 - Invalid parameter: no library number {picture}"
    answer = await edge.csoft("SendTo=447700900555&Ringtone=73344&PhoneMake=Nokia")
    assert answer == "37 - Not supported: ringtone library numbers (none are kept)"
    assert await edge.payloads() == []


async def test_csoft_uploads_are_kept_and_answered_with_library_number(edge: Edge) -> None:
    answer = await edge.csoft(
        "SendTo=447700900555&Message=Your%20ticket&WAPPushFileName1=barcode.gif"
        f"&WAPPushFileData1={GIF.hex().upper()}&ResponseFormat=1"
    )
    assert answer.endswith("&Text=Accepted%20by%20csoft%3A%20queued&LibraryNumber=80000")
    answer = await edge.csoft(
        "SendTo=447700900555,447700900556&MMSNotificationFileName1=smiley.gif"
        f"&MMSNotificationFileData1={GIF.hex()}&ResponseFormat=3"
    )
    assert answer.endswith("&LibraryNumber=80001,80001")
    assert (
        await edge.csoft(
            f"SendTo=447700900555&MMSNotificationFileName1=a.gif&MMSNotificationFileData1={GIF.hex()}"
        )
        == "-2 - Accepted by csoft: queued"
    )  # format 0 has no place for it
    kinds = [_push(p).split(":")[0] for _, p in await edge.payloads()]
    assert kinds == ["si", "mms", "mms", "mms"]
    library = edge.gateway.http_services().library
    assert library is not None
    items = await library.items(edge.csoft_user)
    assert [(i.number, i.file_name, i.data) for i in items] == [
        (80000, "barcode.gif", GIF),
        (80001, "smiley.gif", GIF),
        (80002, "a.gif", GIF),
    ]
    resent = await edge.csoft("SendTo=447700900555&MMSFileWAP=80000&ResponseFormat=1")
    assert "Report=%2D2" in resent and "LibraryNumber" not in resent


async def test_csoft_refused_upload_keeps_nothing(edge: Edge) -> None:
    answer = await edge.csoft(
        f"SendTo=4477&WAPPushFileName1=barcode.gif&WAPPushFileData1={GIF.hex()}&ResponseFormat=1"
    )
    assert "Report=3&" in answer and "LibraryNumber" not in answer
    library = edge.gateway.http_services().library
    assert library is not None
    assert await library.items(edge.csoft_user) == []
