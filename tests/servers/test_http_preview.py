"""POST /v1/messages/preview and transliteration on the submit path."""

from __future__ import annotations

from typer.testing import CliRunner

from heliograph.cli import app as cli
from tests.servers.conftest import Api, post


async def preview(api: Api, body: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    resp = await api.client.post("/v1/messages/preview", json=body, headers=api.auth())
    return resp.status, await resp.json()


async def test_preview_explains_ucs2_and_parts(api: Api) -> None:
    status, p = await preview(api, {"text": "Hello Привет 👋"})
    assert status == 200
    assert p["encoding"] == "ucs2" and p["data_coding"] == 8
    assert p["characters"] == 14 and p["units"] == 15 and p["parts"] == 1
    assert p["remaining"] == 55
    assert p["forced_ucs2"] == ["П", "р", "и", "в", "е", "т", "👋"]


async def test_preview_splits_at_153_septets_keeping_escapes_whole(api: Api) -> None:
    text = "a" * 152 + "€" + "b" * 10  # the euro sign costs two septets
    status, p = await preview(api, {"text": text})
    assert status == 200 and p["encoding"] == "gsm7" and p["parts"] == 2
    assert p["part_texts"] == ["a" * 152, "€" + "b" * 10]


async def test_preview_matches_what_submit_counts(api: Api) -> None:
    for text in ["x" * 160, "x" * 161, "Ж" * 70, "Ж" * 71, "€" * 80, "€" * 81]:
        _, p = await preview(api, {"text": text})
        _, sent = await post(api, {"to": "+447700900001", "text": text})
        assert sent["messages"][0]["parts"] == p["parts"], text
        api.clock.advance(61)


async def test_preview_errors_name_the_field(api: Api) -> None:
    status, p = await preview(api, {"text": "Привет", "encoding": "gsm7"})
    assert status == 422 and p["error"]["code"] == "invalid_text" and p["error"]["field"] == "text"
    assert "position 0" in p["error"]["message"]
    status, p = await preview(api, {"text": "x", "encoding": "klingon"})
    assert status == 400 and p["error"]["field"] == "encoding"
    status, p = await preview(api, {"text": ""})
    assert status == 400 and p["error"]["field"] == "text"


async def test_transliterate_sends_the_look_alike_text_in_gsm7(api: Api) -> None:
    status, answer = await post(
        api, {"to": "+447700900001", "text": "Привет, façade", "transliterate": True}
    )
    assert status == 202
    mid = answer["messages"][0]["id"]
    view = await (await api.client.get(f"/v1/messages/{mid}", headers=api.auth())).json()
    assert view["text"] == "Privet, facade" and view["encoding"] == "gsm7"


def test_text_split_cli() -> None:
    result = CliRunner().invoke(cli, ["text", "split", "--json", "x" * 161])
    assert result.exit_code == 0
    assert '"parts":2' in result.stdout
    bad = CliRunner().invoke(cli, ["text", "split", "--encoding", "latin1", "€uro"])
    assert bad.exit_code == 2 and "U+20AC" in bad.stderr and "position 0" in bad.stderr


async def test_multipart_references_to_one_destination_do_not_repeat_soon(api: Api) -> None:
    for i in range(256):
        status, _ = await post(api, {"to": "+447700900001", "text": f"{i:03d}" + "x" * 200})
        assert status == 202
        api.clock.advance(31)  # past the flood rule's gap
    claimed, _ = await api.gateway.store.claim_parts(api.clock.now(), 10_000)
    by_message = {p.message_id: p.concat_ref for p in claimed}
    assert len(by_message) == 256
    assert len(set(by_message.values())) == 256
