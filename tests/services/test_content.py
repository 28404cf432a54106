"""services.content: MMS composition (.mms, ZIP, one file), its limits, and the MMS service."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest

from heliograph.app import Gateway
from heliograph.config import Config, StoreConfig
from heliograph.domain.content import Mms, StoredMms
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageState
from heliograph.domain.outcomes import Receipt
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitRequest
from heliograph.services.content import (
    DEFAULT_PROFILE,
    MmsLimits,
    MmsService,
    adapt_mms,
    compose_mms,
    handset_profile,
)
from heliograph.store.base import IdempotentAnswer
from heliograph.wire.mms.multipart import Part
from heliograph.wire.mms.pdus import (
    NotificationInd,
    RetrieveConf,
    SendReq,
    decode_pdu,
    encode_pdu,
)
from heliograph.wire.wap.content_types import ContentType
from heliograph.wire.wap.wsp import decode_push
from tests.support.clock import FakeClock

GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b"
)
LIMITS = MmsLimits(max_octets=64 * 1024, max_parts=5, max_zip_entries=6)


def _zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _compose(mms: Mms, limits: MmsLimits = LIMITS) -> RetrieveConf:
    composed = compose_mms(
        mms, now=1_700_000_000, message_id="tok", sender="+447700900999", limits=limits
    )
    conf = decode_pdu(composed.pdu)
    assert isinstance(conf, RetrieveConf)
    return conf


def test_zip_gets_a_generated_smil_first() -> None:
    conf = _compose(Mms(data=_zip({"a.gif": GIF, "a.txt": b"caption", "b.amr": b"#!AMR\n"})))
    assert conf.content_type.media_type == "application/vnd.wap.multipart.related"
    assert conf.content_type.parameter("start") == "<smil>"
    assert conf.content_type.parameter("type") == "application/smil"
    assert [p.content_location for p in conf.parts] == ["smil.xml", "a.gif", "a.txt", "b.amr"]
    smil = conf.parts[0].data.decode()
    # the caption joins the picture's slide; the audio has its own
    assert smil.count("<par ") == 2
    assert '<img src="a.gif" region="Image"/><text src="a.txt" region="Text"/>' in smil
    assert conf.parts[2].content_type.parameter("charset") == "utf-8"
    assert conf.date == datetime.fromtimestamp(1_700_000_000, UTC)
    assert (conf.message_id, conf.from_address) == ("tok", "+447700900999/TYPE=PLMN")


def test_zip_smil_is_kept_and_add_smil_2_adds_none() -> None:
    own = b"<smil><body><par><img src='a.gif'/></par></body></smil>"
    conf = _compose(Mms(data=_zip({"a.gif": GIF, "show.smil": own})))
    assert conf.parts[0].data == own and len(conf.parts) == 2
    plain = _compose(Mms(data=_zip({"a.gif": GIF}), add_smil=2))
    assert plain.content_type.media_type == "application/vnd.wap.multipart.mixed"
    assert [p.content_location for p in plain.parts] == ["a.gif"]


def test_single_media_file_and_ready_mms() -> None:
    conf = _compose(Mms(data=GIF, file_name="smiley.gif", subject="Smile"))
    assert conf.subject == "Smile"
    assert [p.content_type.media_type for p in conf.parts] == ["application/smil", "image/gif"]
    ready = encode_pdu(
        SendReq(
            transaction_id="t1",
            content_type=ContentType(media_type="application/vnd.wap.multipart.mixed"),
            parts=(Part(content_type=ContentType(media_type="text/plain"), data=b"hi"),),
            subject="From file",
        )
    )
    again = _compose(Mms(data=ready, file_name="hello.mms"))
    assert again.subject == "From file"
    assert again.parts[-1].data == b"hi"


@pytest.mark.parametrize(
    ("mms", "field", "words"),
    [
        (Mms(data=b"PK\x03\x04 not really"), "content.data", "not a ZIP"),
        (Mms(data=b"\x8c\x80 broken", file_name="x.mms"), "content.data", "not an MMS"),
        (Mms(data=b"", file_name="x.gif"), "content.data", "empty"),
        (Mms(data=GIF, file_name="x.exe"), "content.file_name", "unknown content type"),
        (Mms(data=GIF), "content.file_name", "file_name"),
        (Mms(data=_zip({}), file_name="empty.zip"), "content.data", "no files"),
        (
            Mms(data=_zip({f"{i}.txt": b"x" for i in range(7)})),
            "content.data",
            "7 files",
        ),
        (
            Mms(data=_zip({f"{i}.txt": b"x" for i in range(6)})),
            "content.data",
            "6 parts",
        ),
        (Mms(data=_zip({"a.bin": b"x"})), "content.file_name", "unknown content type"),
    ],
)
def test_bad_mms_input_names_the_field(mms: Mms, field: str, words: str) -> None:
    with pytest.raises(Rejected) as caught:
        _compose(mms)
    assert caught.value.field == field
    assert words in caught.value.detail


def test_zip_bomb_stops_at_the_limit() -> None:
    bomb = _zip({"huge.txt": b"\0" * (10 * 1024 * 1024)})  # 10 MiB in about 10 KiB
    assert len(bomb) < 20_000
    with pytest.raises(Rejected) as caught:
        _compose(Mms(data=bomb))
    assert "more than" in caught.value.detail
    with pytest.raises(Rejected) as too_long:
        _compose(Mms(data=b"x" * 60_000 + GIF, file_name="big.gif"), MmsLimits(max_octets=50_000))
    assert too_long.value.reason is RejectReason.MESSAGE_TOO_LONG


# --- the service, on the SQLite store -----------------------------------------------------


@pytest.fixture
async def gateway(tmp_path: object) -> AsyncIterator[Gateway]:
    gw = Gateway(
        Config(data_dir=str(tmp_path), store=StoreConfig(url="memory://")), clock=FakeClock()
    )
    await gw.store.open()
    yield gw
    await gw.store.close()


def _render(plans: list[RecipientPlan]) -> IdempotentAnswer:
    return IdempotentAnswer(status=202, body=b"")


async def test_service_stores_sends_and_serves(gateway: Gateway) -> None:
    fetched: list[Sequence[Receipt]] = []
    service = MmsService(
        gateway.store,  # type: ignore[arg-type]
        gateway.submit,
        gateway.clock,
        public_url="https://mms.example.com/",
        on_fetched=fetched.append,
    )
    account = (await gateway.create_account("alice")).account
    req = SubmitRequest(
        account_id=account.id,
        to=("+447700900123", "+447700900124", "bad"),
        text="",
        content=Mms(data=GIF, file_name="smiley.gif", subject="Hi"),
    )
    result = await service.submit(req, account, _render, base_url="http://ignored")
    messages = [p.message for p in result.plans if p.message is not None]
    assert len(messages) == 2
    urls = []
    for m in messages:
        assert m.payload is not None
        notification = decode_pdu(decode_push(m.payload).data)
        assert isinstance(notification, NotificationInd)
        urls.append(notification.content_location)
        assert notification.content_location.endswith(f"/{m.id}")
        assert notification.content_location.startswith("https://mms.example.com/mms/")
    token = urls[0].split("/")[-2]
    assert urls[1].split("/")[-2] == token and len(token) == 24
    assert messages[0].parts == messages[1].parts
    pdu = await service.fetch(token, messages[0].id)
    assert isinstance(decode_pdu(pdu), RetrieveConf)
    stored = await gateway.store.get_mms(token)
    assert stored is not None and stored.fetches == 1
    assert fetched == []  # not sent yet: nothing to report delivered
    for wrong in (("x" * 24, messages[0].id), (token, MessageId("01" + "0" * 24))):
        with pytest.raises(Rejected) as caught:
            await service.fetch(*wrong)
        assert caught.value.reason is RejectReason.NOT_FOUND
    gateway.clock.advance(8 * 86400)  # type: ignore[attr-defined]
    with pytest.raises(Rejected):
        await service.fetch(token, messages[0].id)


async def test_refused_request_leaves_nothing_stored(gateway: Gateway) -> None:
    service = MmsService(gateway.store, gateway.submit, gateway.clock)  # type: ignore[arg-type]
    account = (await gateway.create_account("bob")).account
    req = SubmitRequest(
        account_id=account.id,
        to=("not a number",),
        text="",
        content=Mms(data=GIF, file_name="smiley.gif"),
        priority=9,  # refused as a whole by the planner
    )
    with pytest.raises(Rejected):
        await service.submit(req, account, _render, base_url="http://gw")
    all_refused = SubmitRequest(
        account_id=account.id, to=("nope",), text="", content=Mms(data=GIF, file_name="a.gif")
    )
    await service.submit(all_refused, account, _render, base_url="http://gw")
    count = await gateway.store._read(  # type: ignore[attr-defined]
        lambda conn: conn.execute("SELECT COUNT(*) FROM mms_content").fetchone()[0]
    )
    assert count == 0


async def test_sqlite_mms_rows(gateway: Gateway) -> None:
    account = (await gateway.create_account("carol")).account
    row = StoredMms(
        token="t", account_id=AccountId(account.id), pdu=b"\x8c", created_at=1.0, expires_at=5.0
    )
    await gateway.store.put_mms(row)  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="exists"):
        await gateway.store.put_mms(row)  # type: ignore[attr-defined]
    await gateway.store.mms_fetched("t", 3.0)  # type: ignore[attr-defined]
    await gateway.store.mms_fetched("t", 4.0)  # type: ignore[attr-defined]
    got = await gateway.store.get_mms("t")  # type: ignore[attr-defined]
    assert (got.fetches, got.first_fetched_at, got.pdu) == (2, 3.0, b"\x8c")
    assert await gateway.store.purge_mms(6.0) == 1  # type: ignore[attr-defined]
    assert await gateway.store.get_mms("t") is None  # type: ignore[attr-defined]
    assert MessageState.DELIVERED  # the fetch reports through the receipt path (e2e)


# --- adaptation ---------------------------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    image_module = pytest.importorskip("PIL.Image", reason="Pillow not installed")
    buffer = io.BytesIO()
    image_module.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _image_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_profiles_by_user_agent() -> None:
    assert handset_profile("Nokia6230/2.0 (04.44) Profile/MIDP-2.0").name == "nokia-s60"
    assert handset_profile("SonyEricssonK750i/R1AA").max_width == 176
    assert handset_profile(None) is DEFAULT_PROFILE
    assert handset_profile("curl/8.0") is DEFAULT_PROFILE


def test_adapt_scales_big_images_and_keeps_the_rest() -> None:
    big = _png(1000, 800)
    composed = compose_mms(
        Mms(data=_zip({"big.png": big, "small.gif": GIF, "t.txt": b"hi"})),
        now=0,
        message_id="t",
        sender=None,
        limits=LIMITS,
    )
    small = adapt_mms(composed.pdu, handset_profile("Nokia6230"))
    conf = decode_pdu(small)
    assert isinstance(conf, RetrieveConf)
    by_name = {p.content_location: p for p in conf.parts}
    width, height = _image_size(by_name["big.png"].data)
    assert width <= 176 and height <= 208 and (width, height) == (176, 141)
    assert by_name["small.gif"].data == GIF and by_name["t.txt"].data == b"hi"
    assert _image_size(decode_pdu(adapt_mms(composed.pdu, DEFAULT_PROFILE)).parts[1].data) == (  # type: ignore[union-attr]
        600,
        480,
    )
    tiny = compose_mms(
        Mms(data=GIF, file_name="a.gif"), now=0, message_id="t", sender=None, limits=LIMITS
    )
    assert adapt_mms(tiny.pdu, DEFAULT_PROFILE) is tiny.pdu


async def test_fetch_adapts_per_handset_unless_disabled(gateway: Gateway) -> None:
    service = MmsService(gateway.store, gateway.submit, gateway.clock)  # type: ignore[arg-type]
    account = (await gateway.create_account("dave")).account
    big = _png(800, 800)
    tokens = []
    for disabled in (False, True):
        req = SubmitRequest(
            account_id=account.id,
            to=("+447700900123",),
            text="",
            content=Mms(data=big, file_name="p.png", disable_repurposing=disabled),
        )
        result = await service.submit(req, account, _render, base_url="http://gw")
        (plan,) = result.plans
        assert plan.message is not None
        url = decode_pdu(decode_push(plan.message.payload or b"").data).content_location  # type: ignore[union-attr]
        tokens.append((url.split("/")[-2], plan.message.id))
    nokia = await service.fetch(*tokens[0], "Nokia6230")
    assert await service.fetch(*tokens[0], "Nokia6600") is nokia  # cached per profile
    image = next(p for p in decode_pdu(nokia).parts if p.content_location == "p.png")  # type: ignore[union-attr]
    assert _image_size(image.data) == (176, 176)
    kept = await service.fetch(*tokens[1], "Nokia6230")
    image = next(p for p in decode_pdu(kept).parts if p.content_location == "p.png")  # type: ignore[union-attr]
    assert image.data == big
