"""Replies (MO) and receipts forwarded to an account by e-mail, and answers coming back.

The whole gateway runs in process (SQLite in tmp_path, the loopback connector); an
aiosmtpd server on 127.0.0.1:0 stands for the relay and keeps every mail it takes.
MO are made up on the loopback connector (``InboundService.simulate``), as a subscriber
would send them; answers go through the gateway's own SMTP listener with smtplib.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from heliograph.app import Gateway
from heliograph.config import ConfigError, load
from heliograph.domain.accounts import ReceiptMail
from heliograph.domain.inbound import mo_route_spec
from heliograph.domain.rejections import Rejected
from heliograph.servers.smtp import forward, translate
from heliograph.store.base import AccountChanges
from tests.servers.test_smtp import DOMAIN, WAIT_S, Mailer, config, running
from tests.support.callback_sink import CallbackSink

SUBSCRIBER = "+447911123456"
DESK = "desk@shop.example"


class Relay:
    """A mail server on 127.0.0.1:0 that keeps what it takes."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self.changed = asyncio.Condition()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        async with self.changed:
            self.mails.append((list(envelope.rcpt_tos), parsed))
            self.changed.notify_all()
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="relay.test", loop=loop), "127.0.0.1", 0
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def wait_for(self, count: int) -> list[tuple[list[str], EmailMessage]]:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: len(self.mails) >= count), WAIT_S)
        return self.mails

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    box = Relay()
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
async def shop(tmp_path: Path, relay: Relay) -> AsyncIterator[Mailer]:
    """A gateway mailing through ``relay``; alice's address is DESK, 12345 is routed to her."""
    cfg = config(tmp_path, relay_host="127.0.0.1", relay_port=relay.port, relay_from="sms@gw.test")
    async for m in running(cfg):
        gw = m.gateway
        alice = m.account.account
        await gw.accounts.update(alice, AccountChanges(email=DESK))
        await gw.store.add_mo_route(mo_route_spec("12345", method="email"), alice.id, 0.0)
        yield m


async def text_in(m: Mailer, text: str, *, to: str = "12345") -> str:
    alice = await m.gateway.accounts.named("alice")
    mo = await m.gateway.inbound.simulate(alice, "loopback", SUBSCRIBER, to, text)
    return str(mo.id)


async def test_an_mo_is_mailed_to_the_account_with_a_reply_address(
    shop: Mailer, relay: Relay
) -> None:
    mo_id = await text_in(shop, "PIZZA large, ça va?")
    [(rcpts, mail)] = await relay.wait_for(1)
    assert rcpts == [DESK]
    assert mail["From"] == "sms@gw.test" and mail["To"] == DESK
    assert mail["Subject"] == f"SMS from {SUBSCRIBER} to 12345"
    assert mail["Reply-To"] == f"447911123456+12345@{DOMAIN}"
    assert mail["Message-ID"] == f"<{mo_id}.mo@{DOMAIN}>"
    assert mail["X-Heliograph-Message-Id"] == mo_id
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content().replace("\r\n", "\n") == "PIZZA large, ça va?\n"


async def test_an_answer_to_the_mail_goes_back_as_sms_from_the_number_texted(
    shop: Mailer, relay: Relay
) -> None:
    await text_in(shop, "Table for two at 8?")
    [(_, forwarded)] = await relay.wait_for(1)
    answer = EmailMessage()
    answer["From"] = DESK
    answer["To"] = str(forwarded["Reply-To"])
    answer["Subject"] = f"Re: {forwarded['Subject']}"
    answer["In-Reply-To"] = str(forwarded["Message-ID"])
    answer.set_content(
        "Yes, see you at eight.\n\nOn Sun, 22 Nov 2026 at 03:00, sms@gw.test wrote:\n"
        "> Table for two at 8?\n"
    )
    code, text = await shop.send(answer, [str(forwarded["Reply-To"])])
    assert code == 250, text
    [sms] = await shop.stored()
    assert (sms.to, sms.sender, sms.text) == (SUBSCRIBER, "12345", "Yes, see you at eight.")


async def test_recipients_naming_different_senders_are_refused(shop: Mailer) -> None:
    answer = EmailMessage()
    answer.set_content("Hi")
    to = [f"447911123456+12345@{DOMAIN}", f"447911123457+12346@{DOMAIN}"]
    code, text = await shop.send(answer, to)
    assert code == 554 and "the recipients name different senders (12345, 12346)" in text
    code, text = await shop.send(answer, [f"447911123456+ThisIsTooLong@{DOMAIN}"])
    assert code == 550 and text.startswith("5.1.7")
    assert await shop.stored() == []


async def test_an_mo_for_an_account_without_address_is_kept_undelivered(
    shop: Mailer, relay: Relay
) -> None:
    store = shop.gateway.store
    alice = await shop.gateway.accounts.named("alice")
    await shop.gateway.accounts.update(alice, AccountChanges(clear_email=True))
    stored_mo = asyncio.Event()
    insert_mo = store.insert_mo

    async def insert_and_tell(*args: Any) -> Any:
        try:
            return await insert_mo(*args)
        finally:
            stored_mo.set()

    store.insert_mo = insert_and_tell  # type: ignore[method-assign]
    await text_in(shop, "anyone there?")
    await asyncio.wait_for(stored_mo.wait(), WAIT_S)
    [stored] = await shop.gateway.store.list_mo(alice.id, before=None, limit=10)
    assert stored.text == "anyone there?"
    assert relay.mails == [] and await shop.gateway.store.claim_callbacks(1e12, 10, 60) == []


async def test_receipts_only_by_email_replace_the_callback_url(shop: Mailer, relay: Relay) -> None:
    sink = CallbackSink()
    await sink.start()
    try:
        gw = shop.gateway
        alice = await gw.accounts.named("alice")
        await gw.accounts.update(
            alice, AccountChanges(callback_url=sink.url, email_receipts=ReceiptMail.ONLY)
        )
        msg = EmailMessage()
        msg.set_content("track me")
        assert (await shop.send(msg, [f"+447700900123@{DOMAIN}"]))[0] == 250
        [(rcpts, receipt)] = await relay.wait_for(1)
        [view] = await shop.stored()
        assert rcpts == [DESK]
        assert receipt["Subject"] == f"SMS to +447700900123: delivered ({view.id})"
        assert view.state == "delivered" and sink.received == []
    finally:
        await sink.stop()


async def test_receipts_also_by_email_keep_the_callback(shop: Mailer, relay: Relay) -> None:
    sink = CallbackSink()
    await sink.start()
    try:
        gw = shop.gateway
        alice = await gw.accounts.named("alice")
        await gw.accounts.update(
            alice, AccountChanges(callback_url=sink.url, email_receipts=ReceiptMail.ALSO)
        )
        msg = EmailMessage()
        msg.set_content("track me too")
        assert (await shop.send(msg, [f"+447700900123@{DOMAIN}"]))[0] == 250
        [(rcpts, receipt)] = await relay.wait_for(1)
        [view] = await shop.stored()
        assert rcpts == [DESK] and receipt["X-Heliograph-Message-Id"] == view.id
        async with sink.changed:
            await asyncio.wait_for(
                sink.changed.wait_for(
                    lambda: any(r.event["status"] == "delivered" for r in sink.received)
                ),
                WAIT_S,
            )
        statuses = [r.event["status"] for r in sink.received]
        assert "delivered" in statuses and len(relay.mails) == 1  # only final ones are mailed
    finally:
        await sink.stop()


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("Yes.\n\nOn Sun, 22 Nov 2026, sms@gw.test wrote:\n> Open?\n", "Yes."),
        ("Yes.\nOn Sun, 22 Nov 2026 at 03:00, Gateway <sms@gw.test>\nwrote:\n\n> Open?", "Yes."),
        ("> Open?\nYes, until six.\n", "Yes, until six.\n"),
        ("Yes.\n\n-----Original Message-----\nFrom: sms@gw.test\nOpen?", "Yes."),
        ("No quote here.\nTwo lines.", "No quote here.\nTwo lines."),
    ],
)
def test_a_reply_loses_the_message_it_quotes(body: str, text: str) -> None:
    assert translate.strip_quote(body) == text


def test_a_number_address_may_name_the_sender_after_a_plus() -> None:
    classify = translate.classify
    assert classify(f"447911123456+12345@{DOMAIN}", domain=DOMAIN, smsc_address="send") == (
        "+447911123456"
    )
    assert translate.subaddress(f"+447911123456+Shop@{DOMAIN}") == "Shop"
    assert translate.subaddress(f"+447911123456@{DOMAIN}") is None
    with pytest.raises(Rejected) as info:
        classify(f"447911123456+a b c d e f g h@{DOMAIN}", domain=DOMAIN, smsc_address="")
    assert info.value.field == "to"
    assert forward.reply_address("+447911123456", "+447700900000", DOMAIN) == (
        f"447911123456+447700900000@{DOMAIN}"
    )
    assert forward.reply_address("BANK", "12345", DOMAIN) is None
    assert forward.reply_address("447911123456", "", DOMAIN) == f"447911123456@{DOMAIN}"


def test_relay_tls_and_starttls_exclude_each_other(tmp_path: Path) -> None:
    path = tmp_path / "heliograph.toml"
    path.write_text("[smtp]\nrelay_host = 'mail.example.com'\nrelay_tls = true\n")
    assert load(str(path), env={}).smtp.relay_tls is True
    path.write_text(
        "[smtp]\nrelay_host = 'mail.example.com'\nrelay_tls = true\nrelay_starttls = true\n"
    )
    with pytest.raises(ConfigError) as info:
        load(str(path), env={})
    assert str(info.value).startswith("smtp.relay_tls: ")
    path.write_text("[smtp]\nrelay_from = 'Gateway <sms@gw.test>'\n")
    with pytest.raises(ConfigError) as info:
        load(str(path), env={})
    assert str(info.value).startswith("smtp.relay_from: ")


async def test_without_a_listener_a_forwarded_mo_has_no_reply_address(
    tmp_path: Path, relay: Relay
) -> None:
    cfg = config(tmp_path, relay_host="127.0.0.1", relay_port=relay.port, enabled=False)
    gw = Gateway(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(gw.run(stop))
    try:
        await asyncio.wait_for(gw.ready.wait(), WAIT_S)
        alice = (await gw.create_account("alice")).account
        alice = await gw.accounts.update(alice, AccountChanges(email=DESK))
        await gw.store.add_mo_route(mo_route_spec("12345", method="email"), alice.id, 0.0)
        await gw.inbound.simulate(alice, "loopback", SUBSCRIBER, "12345", "hello?")
        [(_, mail)] = await relay.wait_for(1)
        assert mail["Reply-To"] is None and mail["From"] == f"heliograph@{DOMAIN}"
        assert str(mail["Message-ID"]).endswith(f".mo@{DOMAIN}>")
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
