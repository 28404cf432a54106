"""Address books and templates over REST, sends naming them (REST and csoft), in process."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import pytest
from aiohttp.test_utils import TestClient, TestServer

from heliograph.domain.books import make_contact
from heliograph.domain.ids import AccountId
from heliograph.servers.http.app import build_app
from heliograph.services.books import BookService
from heliograph.store.base import MessageFilter
from tests.servers.conftest import Api, post

ANN = {"number": "+447700900001", "name": "Ann", "groups": ["Friends"], "fields": {"City": "Leeds"}}
BOB = {"number": "447700900002", "name": "Bob", "groups": ["Family", "Friends"]}
CY = {"number": "+447700900003", "groups": ["Family"], "fields": {"city": "York"}}


async def _json(api: Api, method: str, path: str, body: object = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    resp = await api.client.request(method, path, json=body, headers=api.auth())
    return resp.status, (await resp.json() if resp.status != 204 else {})


@pytest.fixture
async def club(api: Api) -> Api:
    status, body = await _json(api, "POST", "/v1/books/Club/contacts", [ANN, BOB, CY])
    assert status == 201 and body == {"book": "Club", "added": 3, "updated": 0}
    return api


async def _stored(api: Api) -> list[tuple[str, str]]:
    account = await api.gateway.store.find_account("alice")
    assert account is not None
    views = await api.gateway.store.list_messages(
        AccountId(account.id), MessageFilter(), before=None, limit=100
    )
    return sorted((v.to, v.text) for v in views)


# --- books and contacts -------------------------------------------------------------------


async def test_contacts_are_added_listed_and_replaced(club: Api) -> None:
    status, body = await _json(club, "POST", "/v1/books/Club/contacts", {**BOB, "name": "Rob"})
    assert status == 200 and body == {"book": "Club", "added": 0, "updated": 1}
    status, body = await _json(club, "GET", "/v1/books/Club/contacts")
    assert status == 200 and body["next_cursor"] is None
    assert body["contacts"][0] == {
        "number": "+447700900001",
        "name": "Ann",
        "groups": ["Friends"],
        "fields": {"city": "Leeds"},
    }
    assert [c["name"] for c in body["contacts"]] == ["Ann", "Rob", None]
    _, body = await _json(club, "GET", "/v1/books/Club/contacts?group=Family&limit=1")
    assert [c["number"] for c in body["contacts"]] == ["+447700900002"]
    cursor = body["next_cursor"]
    _, body = await _json(club, "GET", f"/v1/books/Club/contacts?group=Family&cursor={cursor}")
    assert [c["number"] for c in body["contacts"]] == ["+447700900003"]
    status, body = await _json(club, "GET", "/v1/books")
    assert status == 200
    [book] = body["books"]
    assert (book["name"], book["contacts"]) == ("Club", 3)
    assert book["groups"] == [{"name": "Family", "contacts": 2}, {"name": "Friends", "contacts": 2}]


async def test_contacts_and_books_are_deleted(club: Api) -> None:
    status, _ = await _json(club, "DELETE", "/v1/books/Club/contacts/%2B447700900001")
    assert status == 204
    status, body = await _json(club, "DELETE", "/v1/books/Club/contacts/447700900001")
    assert status == 404 and body["error"]["field"] == "number"
    status, _ = await _json(club, "DELETE", "/v1/books/Club")
    assert status == 204
    status, body = await _json(club, "GET", "/v1/books/Club/contacts")
    assert status == 404 and body["error"]["code"] == "not_found"
    assert (await _json(club, "DELETE", "/v1/books/Club"))[0] == 404


async def test_a_book_name_with_a_space_travels_percent_encoded(api: Api) -> None:
    status, _ = await _json(api, "POST", "/v1/books/My%20Club/contacts", ANN)
    assert status == 201
    _, body = await _json(api, "GET", "/v1/books")
    assert [b["name"] for b in body["books"]] == ["My Club"]
    _, answer = await post(api, {"to": "My Club", "text": "hi"})
    assert answer["accepted"] == 1


async def test_other_accounts_do_not_see_the_book(club: Api) -> None:
    resp = await club.client.get("/v1/books", headers=club.auth(club.other_key))
    assert (await resp.json()) == {"books": []}
    resp = await club.client.get("/v1/books/Club/contacts", headers=club.auth(club.other_key))
    assert resp.status == 404
    resp = await club.client.post(
        "/v1/messages", json={"to": "Club", "text": "x"}, headers=club.auth(club.other_key)
    )
    assert (await resp.json())["messages"][0]["error"]["message"] == "no address book 'Club'"


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/v1/books/Club/contacts", [ANN, {"number": "12"}], 422, "[1].number"),
        ("/v1/books/Club/contacts", {"number": "+447700900001", "extra": 1}, 400, "extra"),
        ("/v1/books/Club/contacts", {"name": "x"}, 400, "number"),
        ("/v1/books/Club/contacts", [], 400, "contacts"),
        ("/v1/books/Club/contacts", [ANN, ANN], 400, "contacts[1].number"),
        ("/v1/books/Club/contacts", {**ANN, "fields": {"name": "x"}}, 400, "fields.name"),
        ("/v1/books/9lives/contacts", ANN, 400, "book"),
        ("/v1/books/Club/contacts", {**ANN, "groups": ["a::b"]}, 400, "groups"),
    ],
)
async def test_bad_contacts_are_refused_naming_the_field_and_nothing_is_written(
    api: Api, path: str, body: object, status: int, field: str
) -> None:
    got, answer = await _json(api, "POST", path, body)
    assert (got, answer["error"]["field"]) == (status, field)
    assert (await _json(api, "GET", "/v1/books"))[1] == {"books": []}


async def test_contacts_must_be_json(api: Api) -> None:
    resp = await api.client.post("/v1/books/Club/contacts", data="number=1", headers=api.auth())
    assert resp.status == 415
    resp = await api.client.post(
        "/v1/books/Club/contacts",
        data="{",
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_json"


# --- templates ----------------------------------------------------------------------------


async def test_templates_are_put_listed_and_deleted(api: Api) -> None:
    status, body = await _json(api, "PUT", "/v1/templates/hello", {"text": "Hi {name} in {city}"})
    assert status == 201
    assert body["name"] == "hello" and body["placeholders"] == ["name", "city"]
    status, _ = await _json(api, "PUT", "/v1/templates/hello", {"text": "Hi {name}"})
    assert status == 200
    status, body = await _json(api, "GET", "/v1/templates")
    assert [(t["name"], t["text"]) for t in body["templates"]] == [("hello", "Hi {name}")]
    status, body = await _json(api, "GET", "/v1/templates/hello")
    assert status == 200 and body["placeholders"] == ["name"]
    assert (await _json(api, "DELETE", "/v1/templates/hello"))[0] == 204
    assert (await _json(api, "DELETE", "/v1/templates/hello"))[0] == 404
    assert (await _json(api, "GET", "/v1/templates/hello"))[0] == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"text": "Hi {name"}, 422, "text"),
        ({"text": ""}, 422, "text"),
        ({"words": "x"}, 400, "words"),
    ],
)
async def test_bad_templates_are_refused(api: Api, body: object, status: int, field: str) -> None:
    got, answer = await _json(api, "PUT", "/v1/templates/hello", body)
    assert (got, answer["error"]["field"]) == (status, field)
    assert (await _json(api, "GET", "/v1/templates"))[1] == {"templates": []}


# --- sends --------------------------------------------------------------------------------


async def test_send_to_a_group_and_an_unknown_book(club: Api) -> None:
    status, body = await post(
        club, {"to": ["Club::Friends", "+447700900002", "Nobody::X"], "text": "Hi"}
    )
    assert status == 202 and (body["accepted"], body["rejected"]) == (2, 1)
    assert [m["to"] for m in body["messages"]] == ["+447700900001", "+447700900002", "Nobody::X"]
    error = body["messages"][2]["error"]
    assert error == {
        "code": "invalid_destination",
        "message": "no address book 'Nobody'",
        "field": "to",
    }
    assert await _stored(club) == [("+447700900001", "Hi"), ("+447700900002", "Hi")]


async def test_send_a_template_and_a_personalized_text(club: Api) -> None:
    await _json(club, "PUT", "/v1/templates/where", {"text": "{name} in {city}"})
    status, body = await post(club, {"to": "Club", "template": "where"})
    assert status == 202 and (body["accepted"], body["rejected"]) == (1, 2)
    errors = [m["error"]["message"] for m in body["messages"] if "error" in m]
    assert errors == [
        "placeholder {city} has no value for +447700900002",
        "placeholder {name} has no value for +447700900003",
    ]
    _, body = await post(
        club, {"to": ["Club::Family", "+447700900009"], "text": "To {number}", "personalize": True}
    )
    assert body["accepted"] == 3
    assert await _stored(club) == [
        ("+447700900001", "Ann in Leeds"),
        ("+447700900002", "To +447700900002"),
        ("+447700900003", "To +447700900003"),
        ("+447700900009", "To +447700900009"),
    ]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"to": "Club", "template": "where", "text": "x"}, 400, "template"),
        ({"to": "Club", "template": "nope"}, 400, "template"),
        ({"to": "Club", "template": "bad name!"}, 400, "template"),
        ({"to": "Club", "text": "{oops", "personalize": True}, 422, "text"),
        ({"to": "Club"}, 400, "text"),
    ],
)
async def test_bad_sends_are_refused_whole(
    club: Api, body: object, status: int, field: str
) -> None:
    got, answer = await post(club, body)
    assert (got, answer["error"]["field"]) == (status, field)
    assert await _stored(club) == []


async def test_cost_of_a_personalized_send_counts_each_text(club: Api) -> None:
    await club.gateway.store.set_price(None, "44", 40_000)
    long = {"number": "+447700900004", "name": "L" * 100}
    await _json(club, "POST", "/v1/books/Club/contacts", long)
    body = {"to": "Club::Friends", "text": "{name}, {name}", "personalize": True}
    resp = await club.client.post("/v1/messages/cost", json=body, headers=club.auth())
    assert resp.status == 200
    answer = await resp.json()
    assert answer["parts"] == 2 and answer["cost"] == "0.080000"
    body["to"] = "Club"
    answer = await (
        await club.client.post("/v1/messages/cost", json=body, headers=club.auth())
    ).json()
    assert answer["parts"] == 4  # Ann, Bob: 1 part each; L…: 2 parts; Cy has no name


async def test_a_store_without_books_answers_not_supported(api: Api) -> None:
    services = dataclasses.replace(api.gateway.http_services(), books=BookService(None, api.clock))
    app = build_app(services)
    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/v1/books", headers=api.auth())
        assert resp.status == 501 and (await resp.json())["error"]["code"] == "not_supported"
        resp = await client.put("/v1/templates/t", json={"text": "x"}, headers=api.auth())
        assert resp.status == 501


# --- csoft --------------------------------------------------------------------------------


@pytest.fixture
async def csoft(api: Api) -> AsyncIterator[tuple[Api, dict[str, str]]]:
    new = await api.gateway.create_account("carol")
    contacts = [
        make_contact("+447700900001", groups=["Friends"]),
        make_contact("+447700900002", groups=["Family", "Friends"]),
        make_contact("+447700900003", groups=["Family"]),
    ]
    await api.gateway.books.save_contacts(new.account.id, "Contacts", contacts)
    yield api, {"Username": new.username, "PIN": new.pin, "Message": "Hi", "ResponseFormat": "3"}


async def _csoft(api: Api, fields: dict[str, str]) -> list[tuple[str, str]]:
    resp = await api.client.post("/webservices/http/sendsms", data=fields)
    assert resp.status == 200
    answer = dict(parse_qsl(await resp.text()))
    return list(
        zip(answer["MessageIdentifier"].split(","), answer["Report"].split(","), strict=True)
    )


async def test_csoft_address_books_expand(csoft: tuple[Api, dict[str, str]]) -> None:
    api, login = csoft
    entries = await _csoft(
        api,
        {
            **login,
            "SendTo": "447700900009",
            "SendToAddressBook": "Contacts::Friends",
            "SendCcAddressBook": "Contacts::Family",
            "SendBccAddressBook": "Nobody",
        },
    )
    reports = [r for _, r in entries]
    assert reports == ["-2", "-2", "-2", "-2", "3"]  # 4 queued, the unknown book: invalid number
    assert all(re.fullmatch(r"[0-9A-Z]{26}", i) for i, _ in entries[:4])


async def test_csoft_address_book_alone_is_enough(csoft: tuple[Api, dict[str, str]]) -> None:
    api, login = csoft
    entries = await _csoft(api, {**login, "SendToAddressBook": "Contacts"})
    assert [r for _, r in entries] == ["-2", "-2", "-2"]
