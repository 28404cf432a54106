"""MmsService: content sent by WAP Push to the browser (``wap_push``), the walled-garden
rule and its switch, and what ``browse`` shows at ``/wap/<token>/<message id>``."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator

import pytest

from heliograph.app import Gateway
from heliograph.config import Config, StoreConfig
from heliograph.domain.accounts import Account
from heliograph.domain.content import Mms
from heliograph.domain.ids import MessageId
from heliograph.domain.messages import NewMessage
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitRequest
from heliograph.services.content import XHTML_MOBILE, MmsService
from heliograph.store.base import IdempotentAnswer
from heliograph.wire.mms.pdus import NotificationInd, decode_pdu
from heliograph.wire.wap.si import decode_si
from heliograph.wire.wap.wsp import decode_push
from tests.support.clock import FakeClock

GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b"
)
INSIDE, OUTSIDE = "+447700901555", "+447700900555"


def _render(plans: list[RecipientPlan]) -> IdempotentAnswer:
    return IdempotentAnswer(status=202, body=b"")


@pytest.fixture
async def gateway(tmp_path: object) -> AsyncIterator[Gateway]:
    gw = Gateway(
        Config(data_dir=str(tmp_path), store=StoreConfig(url="memory://")), clock=FakeClock()
    )
    await gw.store.open()
    yield gw
    await gw.store.close()


@pytest.fixture
async def account(gateway: Gateway) -> Account:
    return (await gateway.create_account("alice")).account


def _service(gateway: Gateway, garden: tuple[str, ...] = ("+447700901",)) -> MmsService:
    return MmsService(
        gateway.store,  # type: ignore[arg-type]
        gateway.submit,
        gateway.clock,
        public_url="https://gw.example.com",
        walled_garden=garden,
    )


async def _send(service: MmsService, account: Account, mms: Mms) -> list[NewMessage]:
    req = SubmitRequest(account_id=account.id, to=(OUTSIDE, INSIDE), text="", content=mms)
    result = await service.submit(req, account, _render, base_url="http://ignored")
    return [p.message for p in result.plans if p.message is not None]


def _pushed(message: NewMessage) -> str:
    """``si:<href>`` or ``mms:<content location>``: what the handset was sent."""
    assert message.payload is not None
    push = decode_push(message.payload)
    if push.content_type.media_type == "application/vnd.wap.mms-message":
        notification = decode_pdu(push.data)
        assert isinstance(notification, NotificationInd)
        return f"mms:{notification.content_location}"
    return f"si:{decode_si(push.data).href}"


async def test_walled_garden_numbers_get_a_push_to_the_browser(
    gateway: Gateway, account: Account
) -> None:
    service = _service(gateway)
    outside, inside = await _send(service, account, Mms(data=GIF, file_name="a.gif"))
    assert _pushed(outside).startswith("mms:https://gw.example.com/mms/")
    href = _pushed(inside).removeprefix("si:")
    assert href.startswith("https://gw.example.com/wap/") and href.endswith(f"/{inside.id}")
    token = href.split("/")[-2]
    assert await service.browse(token, inside.id) == (GIF, "image/gif")
    stored = await gateway.store.get_mms(token)
    assert stored is not None and stored.fetches == 1
    with pytest.raises(Rejected) as wrong:  # the MMS URL is not the browser's
        await service.browse(token, outside.id)
    assert wrong.value.reason is RejectReason.NOT_FOUND


async def test_the_rule_switched_off_notifies_everyone(gateway: Gateway, account: Account) -> None:
    service = _service(gateway)
    mms = Mms(data=GIF, file_name="a.gif", walled_garden_rule=False)
    sent = await _send(service, account, mms)
    assert all(_pushed(m).startswith("mms:") for m in sent)
    unconfigured = await _send(_service(gateway, ()), account, Mms(data=GIF, file_name="a.gif"))
    assert all(_pushed(m).startswith("mms:") for m in unconfigured)


async def test_wap_push_sends_every_recipient_to_the_browser(
    gateway: Gateway, account: Account
) -> None:
    service = _service(gateway)
    mms = Mms(data=GIF, file_name="barcode.gif", subject="Your ticket", wap_push=True)
    sent = await _send(service, account, mms)
    hrefs = [_pushed(m) for m in sent]
    assert all(h.startswith("si:https://gw.example.com/wap/") for h in hrefs)
    assert sent[0].payload is not None
    assert decode_si(decode_push(sent[0].payload).data).text == "Your ticket"


async def test_browse_shows_several_parts_as_a_page(gateway: Gateway, account: Account) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "Hello <world>")
        z.writestr("a.gif", GIF)
    service = _service(gateway)
    (message, _) = await _send(service, account, Mms(data=out.getvalue(), wap_push=True))
    href = _pushed(message).removeprefix("si:")
    token, mid = href.split("/")[-2], MessageId(href.split("/")[-1])
    page, content_type = await service.browse(token, mid)
    assert content_type == f"{XHTML_MOBILE}; charset=utf-8"
    text = page.decode()
    assert "<p>Hello &lt;world&gt;</p>" in text
    assert f'<img src="/wap/{token}/{mid}/2" alt="a.gif"/>' in text
    assert await service.browse(token, mid, part=2) == (GIF, "image/gif")
    assert await service.browse(token, mid, part=1) == (
        b"Hello <world>",
        "text/plain; charset=utf-8",
    )
    with pytest.raises(Rejected) as missing:
        await service.browse(token, mid, part=3)
    assert missing.value.reason is RejectReason.NOT_FOUND
