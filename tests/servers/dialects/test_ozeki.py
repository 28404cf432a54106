"""Ozeki: seed 000's /ozeki requests (Message Server 6) and Ozeki NG's /api, answered in XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest

from heliograph.domain.rejections import RejectReason
from heliograph.servers.http.dialects.ozeki import STATUS
from tests.servers.dialects import Dialect, in_process


@pytest.fixture
async def ozeki(tmp_path: Path) -> AsyncIterator[Dialect]:
    async with in_process(tmp_path) as d:
        yield d


def login(d: Dialect) -> str:
    return f"login={d.account.username}&password={quote(d.account.password)}"


def reports(xml: str, tag: str = "AcceptReport") -> list[dict[str, str]]:
    root = ET.fromstring(xml)
    return [{child.tag: child.text or "" for child in r} for r in root.iter(tag)]


async def test_seed_request_without_action_sends(ozeki: Dialect) -> None:
    # Seed 000's C# client: login, password, recepient and messageData, nothing else, and
    # the number not URL-encoded (its "+" arrives as a space).
    url = f"/ozeki?{login(ozeki)}&recepient=+36201111245&messageData=Thank+you+for+the+answer"
    resp = await ozeki.client.get(url)
    assert resp.status == 200 and resp.content_type == "text/xml"
    body = await resp.text()
    root = ET.fromstring(body)
    assert root.tag == "Response" and root.findtext("Action") == "sendMessage"
    [report] = reports(body)
    assert report["StatusCode"] == "0"
    assert report["StatusText"] == "Message accepted for delivery"
    [msg] = await ozeki.stored()
    assert report["MessageID"] == msg.id and report["Recipient"] == "36201111245"
    assert (msg.to, msg.text) == ("+36201111245", "Thank you for the answer")


async def test_ms6_action_and_ozms_user_info(ozeki: Dialect) -> None:
    info = quote(f"{ozeki.account.username}:{ozeki.account.password}")
    url = f"/ozeki?action=sendMessage&ozmsUserInfo={info}&recepient=%2B36201234567&messageData=hi"
    body = await (await ozeki.client.get(url)).text()
    assert [r["StatusCode"] for r in reports(body)] == ["0"]


async def test_ms6_documented_request_verbatim(ozeki: Dialect) -> None:
    # Message Server 6's HTTP Server page, as printed (a space after "&", a local number).
    info = quote(f"{ozeki.account.username}:{ozeki.account.password}")
    url = (
        f"/ozeki?action=sendMessage&ozmsUserInfo={info}"
        "&recepient=06203105366& messageData=hello+world"
    )
    [report] = reports(await (await ozeki.client.get(url)).text())
    assert report["StatusCode"] == "3" and report["Recipient"] == "06203105366"
    assert report["StatusText"].startswith("Invalid recipient: '06203105366' is not an E.164")
    assert await ozeki.stored() == []


async def test_ng_api_several_recipients_one_report_each(ozeki: Dialect) -> None:
    url = (
        f"/api?action=sendmessage&username={ozeki.account.username}"
        f"&password={quote(ozeki.account.password)}&recipient=%2B36201234567,%2B36202222222;06203105366"
        "&messagetype=SMS:TEXT&messagedata=Hello+World&originator=Ozeki"
    )
    resp = await ozeki.client.get(url)
    assert resp.content_type == "application/xml"
    body = await resp.text()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE smsapi')
    root = ET.fromstring(body)
    assert root.tag == "response" and root.findtext("action") == "sendmessage"
    got = reports(body, "acceptreport")
    assert [r["statuscode"] for r in got] == ["0", "0", "3"]
    assert got[0]["statusmessage"] == "Message accepted for delivery"
    assert [r["recipient"] for r in got] == ["+36201234567", "+36202222222", "06203105366"]
    assert got[2]["messageid"] == "" and got[2]["statusmessage"].startswith("Invalid recipient")
    stored = {m.id: m for m in await ozeki.stored()}
    assert {got[0]["messageid"], got[1]["messageid"]} == set(stored)
    assert {m.sender for m in stored.values()} == {"Ozeki"}


async def test_post_form_and_charset(ozeki: Dialect) -> None:
    form = (
        f"action=sendMessage&{login(ozeki)}&recepient=%2B36201234567"
        "&messageData=%E1rv%EDzt%FBr%F5&_charset_=iso-8859-2"
    )
    resp = await ozeki.client.post(
        "/ozeki", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert [r["StatusCode"] for r in reports(await resp.text())] == ["0"]
    [msg] = await ozeki.stored()
    assert msg.text == "árvíztűrő"


async def test_message_types(ozeki: Dialect) -> None:
    base = f"/ozeki?{login(ozeki)}&messageData=abc&recepient="
    ucs2 = await ozeki.client.get(base + "%2B36201234567&messageType=SMS:TEXT:UCS2")
    assert reports(await ucs2.text())[0]["StatusCode"] == "0"
    flash = await ozeki.client.get(base + "%2B36201234568&messageType=SMS:TEXT:CLASS0")
    [report] = reports(await flash.text())
    assert report["StatusCode"] == "16"
    assert report["StatusText"] == "Message type SMS:TEXT:CLASS0 is not supported"
    [msg] = await ozeki.stored()
    assert msg.encoding == "ucs2"


async def test_bad_login_gets_the_login_page_on_ms6_and_a_report_on_ng(ozeki: Dialect) -> None:
    resp = await ozeki.client.get("/ozeki?login=alice&password=wrong&recepient=1&messageData=x")
    assert resp.status == 401 and resp.content_type == "text/html"
    assert "Invalid username or password" in await resp.text()
    resp = await ozeki.client.get(
        "/api?action=sendmessage&username=alice&password=wrong&recipient=1&messagedata=x"
    )
    [report] = reports(await resp.text(), "acceptreport")
    assert report["statuscode"] == "1"
    assert await ozeki.stored() == []


@pytest.mark.parametrize(
    ("query", "code", "text"),
    [
        # A missing "&" glues two parameters together: no messageData is left.
        ("recepient=%2B36201111245messageData=hello", "2", "Missing parameter: messageData"),
        ("messageData=hello", "2", "Missing parameter: recepient"),
        ("recepient=%2B36201111245&messageData=", "6", "Invalid message data: text is empty"),
        ("recepient=%2B36201111245&messageData=x&action=receiveMessage", "16", "Action receiveM"),
        ("recepient=%2B36201111245&messageData=x&action=deleteAll", "16", "Action deleteAll"),
        ("action=getCredits&useraccount=bob", "16", "Only the balance of your own account"),
        ("recepient=%2B36201111245&messageData=x&messageType=SMS:WAPPUSH", "16", "Message type"),
        ("recepient=%2B36201111245&messageData=x&originator=much-too-long-id", "4", "Invalid orig"),
        ("recepient=%2B36201111245&messageData=%FF", "2", "The parameters are not in the charset"),
    ],
)
async def test_mistakes_get_an_ozeki_report_and_nothing_is_stored(
    ozeki: Dialect, query: str, code: str, text: str
) -> None:
    resp = await ozeki.client.get(f"/ozeki?{login(ozeki)}&{query}")
    assert resp.status == 200
    [report] = reports(await resp.text())
    assert report["StatusCode"] == code and report["StatusText"].startswith(text)
    assert await ozeki.stored() == []


def test_status_table_is_total_and_nonzero() -> None:
    assert set(STATUS) == set(RejectReason)
    assert all(code > 0 for code, _ in STATUS.values())


async def test_getcredits_answers_the_balance_in_both_generations(ozeki: Dialect) -> None:
    await ozeki.gateway.store.adjust_balance(ozeki.account.account.id, 12_500_000, "top up", 0)
    name = ozeki.account.username
    ng = await ozeki.client.get(
        f"/api?action=getcredits&username={name}&password={quote(ozeki.account.password)}"
        f"&useraccount={name}"
    )
    assert ng.content_type == "application/xml"
    root = ET.fromstring(await ng.text())
    assert (root.tag, root.findtext("action")) == ("response", "getcredits")
    assert root.findtext("data/account/username") == name
    assert root.findtext("data/account/balance") == "12.5"
    ms6 = await ozeki.client.get(
        f"/ozeki?action=getCredits&ozmsUserInfo={name}:{quote(ozeki.account.password)}"
    )
    root = ET.fromstring(await ms6.text())
    assert (root.tag, root.findtext("Action")) == ("Response", "getCredits")
    assert root.findtext("Data/Account/Balance") == "12.5"
    wrong = await ozeki.client.get("/api?action=getcredits&username=alice&password=nope")
    [report] = reports(await wrong.text(), "acceptreport")
    assert report["statuscode"] == "1"
