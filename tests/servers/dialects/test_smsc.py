"""SMS Center: /sys/send.php, status.php, balance.php in every fmt, and the status handler."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import aiohttp
import pytest

from heliograph.domain.messages import MessageState
from heliograph.domain.rejections import RejectReason
from heliograph.servers.http.dialects.smsc import ERROR_CODE
from heliograph.servers.http.dialects.smsc_handler import render_handler
from heliograph.servers.http.dialects.smsc_params import SmscError, send_time
from heliograph.store.base import CallbackJob
from tests.servers.dialects import Dialect, in_process, running
from tests.support.callback_sink import CallbackSink


@pytest.fixture
async def smsc(tmp_path: Path) -> AsyncIterator[Dialect]:
    async with in_process(tmp_path) as d:
        yield d


def auth(d: Dialect) -> str:
    return f"login={d.account.username}&psw={quote(d.account.password)}"


async def call(d: Dialect, path: str, query: str) -> str:
    resp = await d.client.get(f"/sys/{path}?{auth(d)}&{query}")
    assert resp.status == 200
    return (await resp.read()).decode(resp.charset or "utf-8")


async def send(d: Dialect, query: str) -> str:
    return await call(d, "send.php", query)


async def test_send_answers_in_every_fmt(smsc: Dialect) -> None:
    assert await send(smsc, "phones=79991234567&mes=one&id=101") == "OK - 1 SMS, ID - 101"
    assert await send(smsc, "phones=79991234567&mes=two&id=102&fmt=1") == "102,1"
    xml = await send(smsc, "phones=79991234567&mes=three&id=103&fmt=2")
    assert xml == "<result>\n<cnt>1</cnt>\n<id>103</id>\n</result>"
    assert json.loads(await send(smsc, "phones=79991234567&mes=four&id=104&fmt=3")) == {
        "id": 104,
        "cnt": 1,
    }
    stored = {m.text: m for m in await smsc.stored()}
    assert stored["one"].reference == "101" and stored["one"].to == "+79991234567"


async def test_id_is_made_up_when_missing_or_zero(smsc: Dialect) -> None:
    answer = await send(smsc, "phones=79991234567&mes=x&id=0&fmt=1")
    mid, cnt = answer.split(",")
    assert mid.isdigit() and 1 <= int(mid) <= 2_147_483_647 and cnt == "1"
    [msg] = await smsc.stored()
    assert msg.reference == mid


async def test_several_phones_and_parts_are_counted(smsc: Dialect) -> None:
    text = quote("a" * 161)
    answer = await send(smsc, f"phones=79991234567,79991234568;%2B79991234569&mes={text}&id=7")
    assert answer == "OK - 6 SMS, ID - 7"
    assert len(await smsc.stored()) == 3


async def test_charsets(smsc: Dialect) -> None:
    await send(smsc, "phones=79991234561&mes=%CF%F0%E8%E2%E5%F2")  # windows-1251 by default
    await send(smsc, "phones=79991234562&mes=%D0%9F%D1%80%D0%B8&charset=utf-8")
    await send(smsc, "phones=79991234563&mes=%F0%D2%C9&charset=koi8-r")
    by_to = {m.to: m.text for m in await smsc.stored()}
    assert by_to == {"+79991234561": "Привет", "+79991234562": "При", "+79991234563": "При"}


async def test_translit_and_sender(smsc: Dialect) -> None:
    await send(smsc, "phones=79991234567&mes=%CF%F0%E8%E2%E5%F2&translit=1&sender=Shop")
    [msg] = await smsc.stored()
    assert (msg.text, msg.encoding, msg.sender) == ("Privet", "gsm7", "Shop")


async def test_list_sends_each_line(smsc: Dialect) -> None:
    lines = quote("79991234567:Hello\n79991234568,79991234569:Bye\\nnow", safe="")
    assert await send(smsc, f"list={lines}&id=9") == "OK - 3 SMS, ID - 9"
    texts = sorted((m.to, m.text) for m in await smsc.stored())
    assert texts == [
        ("+79991234567", "Hello"),
        ("+79991234568", "Bye\nnow"),
        ("+79991234569", "Bye\nnow"),
    ]


async def test_time_valid_and_post(smsc: Dialect) -> None:
    form = {
        "login": smsc.account.username,
        "psw": smsc.account.password,
        "phones": "79991234567",
        "mes": "later",
        "time": "+60",
        "valid": "02:30",
    }
    resp = await smsc.client.post("/sys/send.php", data=form)
    assert (await resp.text()).startswith("OK - 1 SMS, ID - ")
    [msg] = await smsc.stored()
    assert msg.state == MessageState.SCHEDULED
    assert msg.due_at == pytest.approx(smsc.clock.now() + 3600)
    assert msg.expires_at == pytest.approx(msg.due_at + 9000)


def test_time_formats() -> None:
    now = datetime(2027, 3, 1, 9, 30, tzinfo=UTC).timestamp()  # 12:30 in Moscow
    moscow_noon = datetime(2027, 3, 2, 9, 0, tzinfo=UTC).timestamp()
    assert send_time("0203271200", None, now).at == moscow_noon
    assert send_time("02.03.27 12:00", None, now).at == moscow_noon
    assert send_time("0203271300", "1", now).at == moscow_noon  # an hour east of Moscow
    assert send_time("01800000000", None, now).at == 1_800_000_000
    assert send_time("+15", None, now).delay_s == 900
    assert send_time(" 15", None, now).delay_s == 900  # "+" sent unencoded
    assert send_time("10-18", None, now).at is None  # 12:30 is inside the window
    assert send_time("14-18", None, now).at == now + 90 * 60
    assert send_time("8-10", None, now).at == now + (19 * 60 + 30) * 60
    for bad in ("3102271200", "tomorrow", "12:00", "25-30"):
        with pytest.raises(SmscError) as exc:
            send_time(bad, None, now)
        assert exc.value.code == 5


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        (
            "phones=79991234567&mes=x&flash=2",
            "ERROR = 1 (parameters error: flash must be",
        ),
        ("phones=79991234567&mes=x&cost=4", "ERROR = 1 (parameters error: cost must be 0 to 3)"),
        ("phones=79991234567&mes=x&hlr=1", "ERROR = 1 (parameters error: hlr is not supported)"),
        ("phones=79991234567&mes=x&bin=2", "ERROR = 1 (parameters error: with bin=2 mes is hex"),
        ("phones=79991234567&mes=x&translit=2", "ERROR = 1 (parameters error: translit=2 is"),
        ("phones=G12&mes=x", "ERROR = 1 (parameters error: sending to a group"),
        ("phones=79991234567", "ERROR = 1 (parameters error: mes is missing)"),
        ("mes=x", "ERROR = 1 (parameters error: phones is missing)"),
        ("phones=79991234567&mes=", "ERROR = 1 (parameters error: text is empty)"),
        ("phones=79991234567&mes=x&id=a+b", "ERROR = 1 (parameters error: id must be"),
        ("phones=79991234567&mes=x&valid=25", "ERROR = 1 (parameters error: valid must be"),
        ("phones=79991234567&mes=x&fmt=7", "ERROR = 1 (parameters error: fmt must be 0 to 3)"),
        ("phones=79991234567&mes=x&charset=utf-16", "ERROR = 1 (parameters error: charset"),
        ("phones=79991234567&mes=%FF&charset=utf-8", "ERROR = 1 (parameters error: the param"),
        ("phones=79991234567&mes=x&time=31.02.27+12:00", "ERROR = 5 (invalid date format: no"),
        ("phones=79991234567&mes=" + "a" * 200 + "&maxsms=1", "ERROR = 1 (parameters error: the"),
        ("phones=12&mes=x&id=5", "ERROR = 7 (invalid number), ID - 5"),
        (
            "phones=79991234567&mes=x&sender=much-too-long-name&id=6",
            "ERROR = 6 (message is denied)",
        ),
        # A missing "&" glues parameters together.
        ("phones=79991234567mes=hello", "ERROR = 1 (parameters error: mes is missing)"),
    ],
)
async def test_errors_are_the_sms_centers_and_nothing_is_stored(
    smsc: Dialect, query: str, answer: str
) -> None:
    assert (await send(smsc, query)).startswith(answer)
    assert await smsc.stored() == []


@pytest.mark.parametrize(
    ("fmt", "answer"),
    [
        ("0", "ERROR = 7 (invalid number), ID - 5"),
        ("1", "5,-7"),
        ("2", "<result>\n<error>invalid number</error>\n<error_code>7</error_code>\n<id>5</id>\n"),
        ("3", '{"error": "invalid number", "error_code": 7, "id": 5}'),
    ],
)
async def test_error_formats(smsc: Dialect, fmt: str, answer: str) -> None:
    assert (await send(smsc, f"phones=12&mes=x&id=5&fmt={fmt}")).startswith(answer)


@pytest.mark.parametrize(
    ("fmt", "answer"),
    [
        ("0", "ERROR = 2 (authorise error)"),
        ("1", "0,-2"),
        ("2", "<result>\n<error>authorise error</error>\n<error_code>2</error_code>\n</result>"),
        ("3", '{"error": "authorise error", "error_code": 2}'),
    ],
)
async def test_bad_login(smsc: Dialect, fmt: str, answer: str) -> None:
    for path in ("send.php", "status.php", "balance.php"):
        resp = await smsc.client.get(
            f"/sys/{path}?login=alice&psw=nope&phones=7999&mes=x&fmt={fmt}"
        )
        assert await resp.text() == answer
    assert await smsc.stored() == []


async def test_apikey_and_duplicate_rule(smsc: Dialect) -> None:
    q = f"apikey={smsc.account.api_key}&phones=79991234567&mes=same"
    first = await (await smsc.client.get(f"/sys/send.php?{q}")).text()
    assert first.startswith("OK - 1 SMS")
    again = await (await smsc.client.get(f"/sys/send.php?{q}")).text()
    assert again == "ERROR = 9 (duplicate request, wait a minute)"
    assert len(await smsc.stored()) == 1


async def test_status_in_every_fmt(smsc: Dialect) -> None:
    await send(smsc, "phones=79991234567&mes=x&id=77")
    [msg] = await smsc.stored()
    moscow = datetime.fromtimestamp(int(msg.updated_at), UTC) + timedelta(hours=3)
    assert await call(smsc, "status.php", "phone=79991234567&id=77") == (
        f"Status = -1, check_time = {moscow:%d.%m.%Y %H:%M:%S}, err = 0"
    )
    assert await call(smsc, "status.php", "phone=79991234567&id=77&fmt=1") == (
        f"-1,{int(msg.updated_at)},0"
    )
    xml = await call(smsc, "status.php", "phone=79991234567&id=77&fmt=2")
    assert xml.startswith("<sms>\n<status>-1</status>\n<last_date>")
    obj = json.loads(await call(smsc, "status.php", "phone=%2B79991234567&id=77&fmt=3"))
    assert obj["status"] == -1 and obj["last_timestamp"] == int(msg.updated_at)
    assert obj["err"] == 0


async def test_several_statuses_and_unknown_ones(smsc: Dialect) -> None:
    await send(smsc, "phones=79991234567,79991234568&mes=x&id=88")
    got = json.loads(
        await call(
            smsc, "status.php", "phone=79991234567,79991234568,79990000000&id=88,88,88&fmt=3"
        )
    )
    assert [(o["status"], o["id"], o["phone"]) for o in got] == [
        (-1, 88, "79991234567"),
        (-1, 88, "79991234568"),
        (-3, 88, "79990000000"),
    ]
    one = json.loads(await call(smsc, "status.php", "phone=79991234567,&id=88,&fmt=3"))
    assert isinstance(one, list) and len(one) == 1
    assert (await call(smsc, "status.php", "phone=79991234567&id=99")).startswith("Status = -3")


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("phone=79991234567", "ERROR = 1 (parameters error: give phone and id"),
        ("phone=1,2&id=3", "ERROR = 1 (parameters error: give phone and id"),
        ("phone=79991234567&id=1&del=1", "ERROR = 1 (parameters error: del is not supported)"),
        ("phone=79991234567&id=1&all=1", "ERROR = 1 (parameters error: all=1 and all=2"),
    ],
)
async def test_status_errors(smsc: Dialect, query: str, answer: str) -> None:
    assert (await call(smsc, "status.php", query)).startswith(answer)


@pytest.fixture
async def priced(tmp_path: Path) -> AsyncIterator[Dialect]:
    """An account with 10.00 of credit; an SMS costs 1.40 (1.25 to +44)."""
    async with in_process(tmp_path) as d:
        await d.gateway.store.set_price(None, "", 1_400_000)
        await d.gateway.store.set_price(None, "44", 1_250_000)
        await d.gateway.store.adjust_balance(d.account.account.id, 10_000_000, "top up", 0)
        yield d


async def balance_of(d: Dialect) -> int:
    return (await d.gateway.store.balance(d.account.account.id)).balance_micros


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("", "10.00"),
        ("fmt=1", "10.00"),
        ("fmt=2", "<balance>10.00</balance>"),
        ("fmt=3", '{"balance": "10.00"}'),
        ("cur=1", "10.00,EUR"),
        ("cur=1&fmt=1", "10.00,EUR"),
        ("cur=1&fmt=2", "<result>\n<balance>10.00</balance>\n<currency>EUR</currency>\n</result>"),
        ("cur=1&fmt=3", '{"balance": "10.00", "currency": "EUR"}'),
        ("cur=2", "ERROR = 1 (parameters error: cur must be"),
    ],
)
async def test_balance_in_every_fmt(priced: Dialect, query: str, answer: str) -> None:
    assert (await call(priced, "balance.php", query)).startswith(answer)


@pytest.mark.parametrize(
    ("fmt", "answer"),
    [
        ("0", "5.30 (4 SMS)"),
        ("1", "5.30,4"),
        ("2", "<result>\n<cost>5.30</cost>\n<cnt>4</cnt>\n</result>"),
        ("3", '{"cost": "5.30", "cnt": 4}'),
    ],
)
async def test_cost_1_prices_and_sends_nothing(priced: Dialect, fmt: str, answer: str) -> None:
    text = quote("a" * 161)  # two SMS each: 2 × 1.40 + 2 × 1.25; "12" is left out
    query = f"phones=79991234567,447700900001,12&mes={text}&cost=1&fmt={fmt}"
    assert await send(priced, query) == answer
    assert await priced.stored() == []
    assert await balance_of(priced) == 10_000_000


async def test_cost_1_of_nothing_sendable_is_the_error(priced: Dialect) -> None:
    assert await send(priced, "phones=12&mes=x&id=4&cost=1&fmt=1") == "4,-7"


@pytest.mark.parametrize(
    ("cost", "fmt", "answer"),
    [
        ("2", "0", "OK - 2 SMS, ID - 9, COST - 2.65"),
        ("2", "1", "9,2,2.65"),
        ("3", "0", "OK - 2 SMS, ID - 9, COST - 2.65, BALANCE - 7.35"),
        ("3", "1", "9,2,2.65,7.35"),
        ("3", "2", "<result>\n<cnt>2</cnt>\n<cost>2.65</cost>\n<balance>7.35</balance>\n"
         "<id>9</id>\n</result>"),
        ("3", "3", '{"id": 9, "cnt": 2, "cost": "2.65", "balance": "7.35"}'),
    ],
)  # fmt: skip
async def test_cost_2_and_3_send_and_answer_the_charge(
    priced: Dialect, cost: str, fmt: str, answer: str
) -> None:
    query = f"phones=79991234567,447700900001&mes=x&id=9&cost={cost}&fmt={fmt}"
    assert await send(priced, query) == answer
    assert len(await priced.stored()) == 2
    assert await balance_of(priced) == 7_350_000


async def test_out_of_credit_is_error_3_and_nothing_is_stored(priced: Dialect) -> None:
    phones = ",".join(f"7999123456{i}" for i in range(8))  # 8 × 1.40 > 10.00
    assert await send(priced, f"phones={phones}&mes=x&id=3&cost=3") == (
        "ERROR = 3 (no money), ID - 3"
    )
    assert await priced.stored() == []
    assert await balance_of(priced) == 10_000_000


async def test_test_1_is_virtual_sending(priced: Dialect) -> None:
    answer = await send(priced, "phones=79991234567&mes=x&id=21&test=1&cost=3&fmt=3")
    assert json.loads(answer) == {"id": 21, "cnt": 1, "cost": "1.40", "balance": "10.00"}
    [msg] = await priced.stored()
    assert msg.test and msg.reference == "21"
    assert await balance_of(priced) == 10_000_000
    assert (await send(priced, "phones=79991234567&mes=y&test=2")).startswith(
        "ERROR = 1 (parameters error: test must be"
    )


def job(url: str, **event: object) -> CallbackJob:
    body = {
        "id": "01XYZ",
        "reference": "42",
        "to": "+79991234567",
        "from": None,
        "status": "delivered",
        "parts": 2,
        "error": None,
        "at": 1_800_000_000.5,
        **event,
    }
    return CallbackJob(
        id=1,
        account_id="a",  # type: ignore[arg-type]
        message_id="01XYZ",  # type: ignore[arg-type]
        url=url,
        format="smsc",
        body=json.dumps(body).encode(),
        secret="s",
        attempts=1,
        created_at=0.0,
    )


def test_handler_post_fields_and_control_values() -> None:
    request = render_handler(job("http://h/s.php?md5=abc&sha1=k-1&crc32=x_y&a=b"), 0.0)
    assert request is not None and request.method == "POST"
    assert request.url == "http://h/s.php?md5=abc&sha1=k-1&crc32=x_y&a=b"
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    fields = dict(parse_qsl(request.body.decode()))
    assert fields == {
        "id": "42",
        "phone": "79991234567",
        "status": "1",
        "err": "0",
        "time": "1800000000",
        "ts": "1800000000",
        "cnt": "2",
        "md5": hashlib.md5(b"42:79991234567:1:abc").hexdigest(),
        "sha1": hashlib.sha1(b"42:79991234567:1:k-1").hexdigest(),
        "crc32": str(zlib.crc32(b"42:79991234567:1:x_y")),
        "a": "b",
    }
    rejected = render_handler(job("http://h/", status="rejected"), 0.0)
    assert rejected is not None
    assert (dict(parse_qsl(rejected.body.decode()))["status"], "20") == ("20", "20")
    assert dict(parse_qsl(rejected.body.decode()))["err"] == "255"
    assert render_handler(job("http://h/", status="sending"), 0.0) is None
    assert render_handler(job("http://h/", status="queued"), 0.0) is None


def test_handler_fmt_and_charset() -> None:
    as_json = render_handler(job("http://h/?fmt=3&charset=koi8-r"), 0.0)
    assert as_json is not None and as_json.headers["Content-Type"] == (
        "application/json; charset=utf-8"
    )
    assert json.loads(as_json.body)["status"] == "1"
    as_xml = render_handler(job("http://h/?fmt=2"), 0.0)
    assert as_xml is not None and as_xml.headers["Content-Type"] == "text/xml; charset=cp1251"
    assert b"<id>42</id><phone>79991234567</phone><status>1</status>" in as_xml.body


def test_error_table_is_total() -> None:
    assert set(ERROR_CODE) == set(RejectReason)
    assert set(ERROR_CODE.values()) <= set(range(1, 10))


async def test_status_handler_receives_statuses(tmp_path: Path) -> None:
    sink = CallbackSink()
    await sink.start()
    try:
        async with running(tmp_path) as gw:
            # Seed 003: the handler address carries its own charset and md5 parameters.
            new = await gw.create_account("client", callback_url=sink.url + "?charset=utf-8&md5=s3")
            base = f"http://127.0.0.1:{gw.http_port}/sys"
            query = urlencode(
                {"login": new.username, "psw": new.password, "phones": "79991234567", "mes": "hi"}
            )
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base}/send.php?{query}&id=555&fmt=3") as resp:
                    assert json.loads(await resp.text()) == {"id": 555, "cnt": 1}
                got = await sink.wait_for(
                    lambda r: any(dict(parse_qsl(x.body.decode()))["status"] == "1" for x in r)
                )
                status_query = urlencode({"login": new.username, "psw": new.password})
                async with http.get(
                    f"{base}/status.php?{status_query}&phone=79991234567&id=555&fmt=1"
                ) as resp:
                    assert (await resp.text()).startswith("1,")
    finally:
        await sink.stop()
    posts = [dict(parse_qsl(r.body.decode())) for r in got]
    assert [p["status"] for p in posts] == ["0", "1"]
    for p in posts:
        assert (p["id"], p["phone"], p["err"], p["cnt"], p["charset"]) == (
            "555",
            "79991234567",
            "0",
            "1",
            "utf-8",
        )
        assert p["md5"] == hashlib.md5(f"555:79991234567:{p['status']}:s3".encode()).hexdigest()
        assert "mes" not in p  # a status, not an incoming message
