"""The SMPP connector against the scripted fake SMSC on 127.0.0.1:0."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.connectors.smpp import BindMode, IdFormat, SmppConnector, SmppSettings
from heliograph.connectors.smpp.translate import read_inbound, split_part
from heliograph.domain.ids import AccountId, ConnectorId, MessageId, PartId, UpstreamId
from heliograph.domain.messages import MessageState, MoMessage
from heliograph.domain.outcomes import Accepted, PermanentFailure, Receipt, TemporaryFailure
from heliograph.services.ports import Inbound, SystemClock
from heliograph.store.base import ClaimedPart
from heliograph.wire.errors import EncodeError
from heliograph.wire.gsm.parts import split_text
from heliograph.wire.gsm.udh import split_user_data
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.constants import CommandStatus, EsmClass
from heliograph.wire.smpp.pdus import DeliverSm, SubmitSm, SubmitSmResp
from tests.support.fake_smsc import (
    Behaviour,
    FakeSmsc,
    GenericNack,
    LateReceipt,
    NoResponse,
    SmscLink,
    Throttling,
    UnbindOnSubmit,
)

WAIT_S = 5.0


def part(
    n: int = 1, *, text: str = "Hello", seq: int = 1, parts: int = 1, **kw: object
) -> ClaimedPart:
    fields: dict[str, object] = dict(
        part_id=PartId(n),
        message_id=MessageId(f"M{n:06d}"),
        account_id=AccountId("acct"),
        seq=seq,
        parts=parts,
        to=f"+4477009{n:05d}",
        sender="Heliograph",
        text=text,
        encoding="gsm7",
        data_coding=0,
        concat_ref=42,
        priority=0,
        attempts=1,
        expires_at=None,
    )
    fields.update(kw)
    return ClaimedPart(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def smsc() -> AsyncIterator[FakeSmsc]:
    s = FakeSmsc()
    await s.start()
    yield s
    await s.aclose()


Factory = Callable[..., Awaitable[SmppConnector]]


@pytest.fixture
async def connector(smsc: FakeSmsc) -> AsyncIterator[Factory]:
    made: list[SmppConnector] = []

    async def make(*, ready: bool = True, **overrides: object) -> SmppConnector:
        settings = SmppSettings(
            host="127.0.0.1",
            port=smsc.port,
            system_id="esme",
            password="secret",
            reconnect_backoff_base_s=0.02,
            reconnect_backoff_max_s=0.1,
        )
        c = SmppConnector(ConnectorId("up"), replace(settings, **overrides), SystemClock())  # type: ignore[arg-type]
        made.append(c)
        await c.start()
        if ready:
            await asyncio.wait_for(c.until_ready(), WAIT_S)
        return c

    yield make
    for c in made:
        await c.aclose()


async def next_inbound(c: SmppConnector, count: int = 1) -> list[Inbound]:
    got: list[Inbound] = []

    async def collect() -> None:
        async for batch in c.inbound():
            got.extend(batch)
            if len(got) >= count:
                return

    await asyncio.wait_for(collect(), WAIT_S)
    return got


async def test_connector_binds_and_submit_is_accepted(smsc: FakeSmsc, connector: Factory) -> None:
    c = await connector()
    [outcome] = await c.submit_batch([part()])
    assert isinstance(outcome, Accepted)
    assert outcome.upstream_id == smsc.accepted_ids[0].lower().lstrip("0")
    [pdu] = smsc.submitted
    assert pdu.destination_addr == "447700900001"
    assert (pdu.dest_addr_ton, pdu.dest_addr_npi) == (1, 1)
    assert (pdu.source_addr, pdu.source_addr_ton) == ("Heliograph", 5)
    assert pdu.short_message == b"Hello"
    assert pdu.data_coding == 0
    assert pdu.esm_class == 0
    assert pdu.registered_delivery == 1
    assert smsc.binds[0].system_id == "esme"
    [state] = c.bind_states()
    assert state.state == "bound"
    assert state.requests_sent == 1


async def test_connector_sends_each_part_with_udh_and_ucs2_coding(
    smsc: FakeSmsc, connector: Factory
) -> None:
    c = await connector()
    text = "Привет мир! " * 12  # 144 UCS-2 characters: three parts of at most 67
    parts = [part(1, text=text, seq=s, parts=3, encoding="ucs2") for s in (1, 2, 3)]
    outcomes = await c.submit_batch(parts)
    assert all(isinstance(o, Accepted) for o in outcomes)
    assert len({o.upstream_id for o in outcomes if isinstance(o, Accepted)}) == 3
    decoded = []
    for seq, pdu in enumerate(smsc.submitted, start=1):
        assert pdu.esm_class & EsmClass.UDHI
        assert pdu.data_coding == 8
        header, body = split_user_data(pdu.short_message)
        concat = header.concatenation
        assert concat is not None
        assert (concat.reference, concat.total, concat.seq) == (42, 3, seq)
        assert len(pdu.short_message) <= 140
        decoded.append(body.decode("utf-16-be"))
    assert "".join(decoded) == text


async def test_connector_uses_client_udh_verbatim(smsc: FakeSmsc, connector: Factory) -> None:
    c = await connector()
    udh = bytes.fromhex("0500037f0201")
    [outcome] = await c.submit_batch([part(text="first half", udh=udh)])
    assert isinstance(outcome, Accepted)
    assert smsc.submitted[0].short_message == udh + b"first half"
    assert smsc.submitted[0].esm_class == EsmClass.UDHI


async def test_connector_part_that_cannot_be_encoded_fails_permanently(
    smsc: FakeSmsc, connector: Factory
) -> None:
    c = await connector()
    outcomes = await c.submit_batch([part(1, seq=2, parts=2), part(2, text="€uro ok")])
    assert isinstance(outcomes[0], PermanentFailure)
    assert isinstance(outcomes[1], Accepted)
    assert smsc.submitted_count == 1


@pytest.mark.parametrize(
    ("style", "id_format", "late"),
    [
        ("tlv", IdFormat.AUTO, False),
        ("text", IdFormat.AUTO, False),
        ("text_dec", IdFormat.HEX_DEC, False),
        ("tlv", IdFormat.AUTO, True),
    ],
)
async def test_connector_receipt_ids_match_submit_ids(
    smsc: FakeSmsc, connector: Factory, style: str, id_format: IdFormat, late: bool
) -> None:
    smsc.receipt_style = style
    if late:
        smsc.behaviour = LateReceipt()
    c = await connector(id_format=id_format)
    outcomes = await c.submit_batch([part(1), part(2)])
    receipts = await next_inbound(c, 2)
    accepted = {o.upstream_id for o in outcomes if isinstance(o, Accepted)}
    assert len(accepted) == 2
    assert all(isinstance(r, Receipt) for r in receipts)
    assert {r.upstream_id for r in receipts if isinstance(r, Receipt)} == accepted
    assert all(r.state is MessageState.DELIVERED and r.connector == "up" for r in receipts)  # type: ignore[union-attr]
    assert smsc.delivered_acked == 2


async def test_connector_failed_receipt_carries_state_and_error(
    smsc: FakeSmsc, connector: Factory
) -> None:
    smsc.receipt_stat = "UNDELIV"
    c = await connector()
    await c.submit_batch([part()])
    [receipt] = await next_inbound(c)
    assert isinstance(receipt, Receipt)
    assert receipt.state is MessageState.UNDELIVERABLE
    assert receipt.error == "001"


async def test_connector_bad_password_is_not_ready_and_says_why(
    smsc: FakeSmsc, connector: Factory
) -> None:
    c = await connector(ready=False, password="wrong")
    await smsc.wait_for(lambda: len(smsc.binds) >= 2)
    assert not c.is_ready()
    [outcome] = await c.submit_batch([part()])
    assert isinstance(outcome, TemporaryFailure)
    [state] = c.bind_states()
    assert state.last_error is not None and "ESME_RINVPASWD" in state.last_error
    assert smsc.submitted_count == 0


async def test_connector_throttled_part_is_retried_later(
    smsc: FakeSmsc, connector: Factory
) -> None:
    smsc.behaviour = Throttling(first=1)
    c = await connector(throttle_pause_s=0.05)
    first, second = await c.submit_batch([part(1), part(2)])
    assert isinstance(first, TemporaryFailure)
    assert first.retry_after_s == 0.05
    assert "ESME_RTHROTTLED" in first.reason
    assert isinstance(second, Accepted)


async def test_connector_unanswered_submit_times_out_as_temporary(
    smsc: FakeSmsc, connector: Factory
) -> None:
    smsc.behaviour = NoResponse()
    c = await connector(response_timeout_s=0.1)
    [outcome] = await c.submit_batch([part()])
    assert isinstance(outcome, TemporaryFailure)
    assert "no response" in outcome.reason


@pytest.mark.parametrize("drop", [False, True])
async def test_connector_link_lost_mid_window_loses_nothing(
    smsc: FakeSmsc, connector: Factory, drop: bool
) -> None:
    smsc.behaviour = UnbindOnSubmit(after=3, answer=1, drop=drop)
    c = await connector(window=10)
    outcomes = await c.submit_batch([part(n) for n in range(1, 6)])
    assert len(outcomes) == 5
    assert isinstance(outcomes[0], Accepted)
    assert all(isinstance(o, TemporaryFailure) for o in outcomes[1:])
    # the link comes back by itself
    await smsc.wait_for(lambda: len(smsc.binds) >= 2)
    await asyncio.wait_for(c.until_ready(), WAIT_S)
    smsc.behaviour = Behaviour()
    [again] = await c.submit_batch([part(9)])
    assert isinstance(again, Accepted)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (CommandStatus.ESME_RSYSERR, TemporaryFailure),
        (CommandStatus.ESME_RINVCMDID, PermanentFailure),
    ],
)
async def test_connector_generic_nack_is_classified(
    smsc: FakeSmsc, connector: Factory, status: int, kind: type
) -> None:
    smsc.behaviour = GenericNack(status=status)
    c = await connector()
    [outcome] = await c.submit_batch([part()])
    assert isinstance(outcome, kind)


@dataclass
class Holding(Behaviour):
    """Keeps submits unanswered until the test releases them; records the peak window."""

    held: list[tuple[SmscLink, SubmitSm]]
    peak: int = 0

    def on_submit(self, smsc: FakeSmsc, link: SmscLink, pdu: SubmitSm) -> None:
        self.held.append((link, pdu))
        self.peak = max(self.peak, len(self.held))

    def release(self, smsc: FakeSmsc) -> None:
        held, self.held[:] = list(self.held), []
        for link, pdu in held:
            smsc.accept(link, pdu)


async def test_connector_never_exceeds_its_window(smsc: FakeSmsc, connector: Factory) -> None:
    behaviour = Holding(held=[])
    smsc.behaviour = behaviour
    c = await connector(window=3)
    task = asyncio.create_task(c.submit_batch([part(n) for n in range(1, 9)]))
    for expected in (3, 6, 8):
        await smsc.wait_for(lambda e=expected: smsc.submitted_count == e)  # type: ignore[misc]
        assert len(behaviour.held) <= 3
        behaviour.release(smsc)
    outcomes = await asyncio.wait_for(task, WAIT_S)
    assert all(isinstance(o, Accepted) for o in outcomes)
    assert behaviour.peak == 3


async def test_connector_spreads_over_several_binds(smsc: FakeSmsc, connector: Factory) -> None:
    c = await connector(binds=2, window=2)
    await smsc.wait_for(lambda: len(smsc.bound_links()) == 2)
    outcomes = await c.submit_batch([part(n) for n in range(1, 11)])
    assert all(isinstance(o, Accepted) for o in outcomes)
    assert sorted(s.requests_sent for s in c.bind_states()) == [5, 5]


async def test_connector_throughput_limit_paces_submits(smsc: FakeSmsc, connector: Factory) -> None:
    c = await connector(throughput_per_s=100.0)
    started = time.monotonic()
    await c.submit_batch([part(n) for n in range(1, 31)])
    # a bucket of 10 tokens, then 20 more at 100/s
    assert time.monotonic() - started >= 0.18


async def test_connector_receipts_on_separate_receiver_bind(
    smsc: FakeSmsc, connector: Factory
) -> None:
    c = await connector(bind_mode=BindMode.TRANSMITTER, receiver_binds=1)
    await smsc.wait_for(lambda: len(smsc.bound_links()) == 2)
    [outcome] = await c.submit_batch([part()])
    [receipt] = await next_inbound(c)
    assert isinstance(outcome, Accepted) and isinstance(receipt, Receipt)
    assert receipt.upstream_id == outcome.upstream_id


def mo(text: bytes, *, dcs: int = 0, udh: bytes = b"", **kw: object) -> DeliverSm:
    return DeliverSm(
        source_addr_ton=1,
        source_addr="447700900123",
        destination_addr="12345",
        esm_class=EsmClass.UDHI if udh else 0,
        data_coding=dcs,
        short_message=udh + text,
        **kw,  # type: ignore[arg-type]
    )


async def test_connector_mo_single_and_concatenated(smsc: FakeSmsc, connector: Factory) -> None:
    c = await connector()
    smsc.send_mo(mo(b"Hi \x02"))  # GSM 7-bit: 0x02 is '$'
    smsc.send_mo(mo("дa".encode("utf-16-be"), dcs=8, udh=bytes.fromhex("050003070202")))
    smsc.send_mo(mo("нет".encode("utf-16-be"), dcs=8, udh=bytes.fromhex("050003070201")))
    got = await next_inbound(c, 2)
    assert all(isinstance(m, MoMessage) for m in got)
    texts = {m.text: m for m in got if isinstance(m, MoMessage)}
    assert set(texts) == {"Hi $", "нетдa"}
    assert texts["Hi $"].sender == "+447700900123"
    assert texts["Hi $"].to == "12345"
    assert not texts["нетдa"].incomplete


async def test_connector_incomplete_mo_is_delivered_on_close(
    smsc: FakeSmsc, connector: Factory
) -> None:
    c = await connector()
    smsc.send_mo(mo(b"part one", udh=bytes.fromhex("050003090201")))
    await smsc.wait_for(lambda: smsc.delivered_acked == 1)
    await c.aclose()
    got = await next_inbound(c)
    assert isinstance(got[0], MoMessage)
    assert got[0].incomplete and got[0].text == "part one"


async def test_connector_aclose_unbinds(smsc: FakeSmsc, connector: Factory) -> None:
    c = await connector()
    await c.aclose()
    await smsc.wait_for(lambda: not smsc.links)
    assert not c.is_ready()
    assert [s.state for s in c.bind_states()] == ["closed"]
    [outcome] = await c.submit_batch([part()])
    assert isinstance(outcome, TemporaryFailure)


async def test_connector_reconnects_after_smsc_restart(connector: Factory) -> None:
    smsc = FakeSmsc()
    port = await smsc.start()
    try:
        c = await connector(port=port)
        await smsc.aclose()
        smsc = FakeSmsc()
        await smsc.start(port)
        await asyncio.wait_for(c.until_ready(), WAIT_S)
        [outcome] = await c.submit_batch([part()])
        assert isinstance(outcome, Accepted)
    finally:
        await smsc.aclose()


async def test_connector_submit_resp_without_id_gets_a_unique_one(
    smsc: FakeSmsc, connector: Factory
) -> None:
    class NoId(Behaviour):
        def on_submit(self, smsc: FakeSmsc, link: SmscLink, pdu: SubmitSm) -> None:
            link.respond(pdu, SubmitSmResp(message_id=""))

    smsc.behaviour = NoId()
    c = await connector()
    a, b = await c.submit_batch([part(1), part(2)])
    assert isinstance(a, Accepted) and isinstance(b, Accepted)
    assert a.upstream_id != b.upstream_id


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.sampled_from(["gsm7", "ucs2", "latin1"]),
)
def test_single_part_shortcut_equals_split_text(text: str, encoding: str) -> None:
    one = part(text=text, encoding=encoding)
    try:
        expected = split_text(text, reference=one.concat_ref, encoding=encoding)  # type: ignore[arg-type]
    except EncodeError:
        with pytest.raises(EncodeError):
            split_part(one)
        return
    if len(expected.parts) == 1:
        assert split_part(one) == expected


def test_delivered_receipt_from_tlvs_alone_skips_the_text() -> None:
    pdu = DeliverSm(
        esm_class=EsmClass.SMSC_DELIVERY_RECEIPT,
        short_message=b"not appendix B at all",
        tlvs=(tlv.ReceiptedMessageId(value="00AB"), tlv.MessageState(value=2)),
    )
    got = read_inbound(pdu, connector=ConnectorId("c"), id_format=IdFormat.AUTO, now=1.0)
    assert got == Receipt(
        connector=ConnectorId("c"),
        upstream_id=UpstreamId("ab"),
        state=MessageState.DELIVERED,
        error=None,
        at=1.0,
    )
