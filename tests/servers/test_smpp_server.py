"""The SMPP server over a real socket, with tests/support/esme.py as the client.

The whole gateway runs in process (SQLite in tmp_path, the loopback connector
with a short receipt delay), so a submit_sm goes through the one submit path
and its receipt comes back through the callback outbox as a deliver_sm.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.app import Gateway
from heliograph.config import (
    CallbacksConfig,
    Config,
    ConnectorConfig,
    HttpConfig,
    ProtectionConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
)
from heliograph.domain.accounts import Account
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageState, NewMessage
from heliograph.services.accounts import NewAccount
from heliograph.services.ports import SystemClock
from heliograph.store.base import CallbackJob, CallbackRetry, Store
from heliograph.wire.receipt import parse_receipt
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.codec import decode, encode
from heliograph.wire.smpp.constants import CommandStatus, EsmClass
from heliograph.wire.smpp.constants import MessageState as SmppState
from heliograph.wire.smpp.pdus import (
    BindReceiver,
    BindReceiverResp,
    BindTransceiverResp,
    BindTransmitter,
    CancelSm,
    DataSm,
    DataSmResp,
    DistributionList,
    EnquireLink,
    GenericNack,
    Pdu,
    QuerySm,
    QuerySmResp,
    ReplaceSm,
    SmeAddress,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
)
from tests.support.esme import Esme

S = CommandStatus
WAIT_S = 5.0


def config(tmp_path: Path, **smpp: object) -> Config:
    return Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(port=0, **smpp),  # type: ignore[arg-type]
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        callbacks=CallbacksConfig(backoff_base_s=30.0),
        connectors=(ConnectorConfig(name="loopback", receipt_delay_s=0.02),),
    )


async def running(cfg: Config) -> AsyncIterator[Gateway]:
    gateway = Gateway(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    await asyncio.wait_for(gateway.ready.wait(), 10)
    try:
        yield gateway
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@pytest.fixture
async def gw(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Gateway]:
    overrides = getattr(request, "param", {})
    cfg = config(tmp_path, **overrides.get("smpp", {}))
    if "protection" in overrides:
        cfg = replace(cfg, protection=overrides["protection"])
    async for g in running(cfg):
        yield g


@pytest.fixture
async def account(gw: Gateway) -> NewAccount:
    return await gw.create_account("client")


@pytest.fixture
async def esme(gw: Gateway, account: NewAccount) -> AsyncIterator[Esme]:
    assert gw.smpp is not None and gw.smpp.port is not None
    client = await Esme.connect(gw.smpp.port)
    resp = await client.bind(account.smpp_system_id, account.smpp_password)
    assert resp.command_status == 0
    yield client
    client.close()


def port(gw: Gateway) -> int:
    assert gw.smpp is not None and gw.smpp.port is not None
    return gw.smpp.port


def submit(n: int = 1, text: bytes = b"Hello", **kw: object) -> SubmitSm:
    fields: dict[str, object] = dict(
        source_addr_ton=5,
        source_addr="Heliograph",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr=f"4477009{n:05d}",
        short_message=text,
    )
    fields.update(kw)
    return SubmitSm(**fields)  # type: ignore[arg-type]


async def stored(gw: Gateway, account: NewAccount, resp: Pdu) -> object:
    assert isinstance(resp, SubmitSmResp | DataSmResp | SubmitMultiResp)
    assert resp.command_status == 0, hex(resp.command_status)
    return await gw.messages.get(account.account.id, MessageId(resp.message_id))


# --- binds ------------------------------------------------------------------------------


async def test_bind_transceiver_with_account_credentials(gw: Gateway, account: NewAccount) -> None:
    client = await Esme.connect(port(gw))
    resp = await client.bind(account.smpp_system_id, account.smpp_password)
    assert isinstance(resp, BindTransceiverResp)
    assert resp.command_status == 0
    assert resp.system_id == "heliograph"
    assert tlv.find(resp.tlvs, tlv.ScInterfaceVersion) == tlv.ScInterfaceVersion(value=0x34)
    [state] = gw.smpp.bind_states()  # type: ignore[union-attr]
    assert (state.name, state.mode, state.state) == ("client", "transceiver", "bound_trx")
    assert (await client.unbind()).command_status == 0
    await client.wait_closed()


@pytest.mark.parametrize("gw", [{"smpp": {"max_bind_failures": 3}}], indirect=True)
async def test_bind_refused_then_locked_out(gw: Gateway, account: NewAccount) -> None:
    client = await Esme.connect(port(gw))
    for _ in range(3):
        resp = await client.bind(account.smpp_system_id, "wrong")
        assert resp.command_status == S.ESME_RINVPASWD
    resp = await client.bind(account.smpp_system_id, account.smpp_password)
    assert resp.command_status == S.ESME_RBINDFAIL  # locked out, even with the password
    other = await Esme.connect(port(gw))
    resp = await other.bind("nobody", "x")
    assert resp.command_status == S.ESME_RINVPASWD
    client.close()
    other.close()


@pytest.mark.parametrize("gw", [{"smpp": {"max_binds_per_account": 1}}], indirect=True)
async def test_bind_limit_per_account(gw: Gateway, account: NewAccount) -> None:
    first = await Esme.connect(port(gw))
    assert (await first.bind(account.smpp_system_id, account.smpp_password)).command_status == 0
    second = await Esme.connect(port(gw))
    resp = await second.bind(account.smpp_system_id, account.smpp_password)
    assert resp.command_status == S.ESME_RBINDFAIL
    first.close()
    second.close()


@pytest.mark.parametrize("gw", [{"smpp": {"system_types": ("ISO", "")}}], indirect=True)
async def test_bind_system_type_checked(gw: Gateway, account: NewAccount) -> None:
    client = await Esme.connect(port(gw))
    resp = await client.bind(account.smpp_system_id, account.smpp_password, system_type="VMA")
    assert resp.command_status == S.ESME_RINVSYSTYP
    client.close()


async def test_submit_before_bind_is_refused(gw: Gateway) -> None:
    client = await Esme.connect(port(gw))
    client.send_raw(encode(submit(), 9))  # our own session would not send it
    await client.request(EnquireLink())
    [resp] = [p for p in _frames(bytes(client.raw)) if isinstance(p, SubmitSmResp)]
    assert (resp.command_status, resp.sequence_number) == (S.ESME_RINVBNDSTS, 9)
    client.close()


# --- submit -----------------------------------------------------------------------------


async def test_submit_sm_is_stored_through_the_submit_path(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    resp = await esme.request(submit(text=b"\x00 costs 5\x1b\x65"))  # '@' and the euro sign
    view = await stored(gw, account, resp)
    assert view.text == "@ costs 5€"  # type: ignore[attr-defined]
    assert view.to == "+447700900001"  # type: ignore[attr-defined]
    assert view.sender == "Heliograph"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("dcs", "data", "system_type", "text"),
    [
        (8, "Привет".encode("utf-16-be"), "", "Привет"),
        (3, "café".encode("latin-1"), "", "café"),
        (4, "café".encode("latin-1"), "", "café"),
        (1, b"plain ascii", "", "plain ascii"),
        (0, "naïve".encode("latin-1"), "ISO", "naïve"),
    ],
)
async def test_submit_sm_data_codings(
    gw: Gateway, account: NewAccount, dcs: int, data: bytes, system_type: str, text: str
) -> None:
    client = await Esme.connect(port(gw))
    resp = await client.bind(account.smpp_system_id, account.smpp_password, system_type=system_type)
    assert resp.command_status == 0
    view = await stored(
        gw, account, await client.request(submit(data_coding=dcs, short_message=data))
    )
    assert view.text == text  # type: ignore[attr-defined]
    client.close()


@pytest.mark.parametrize(
    ("dcs", "data"), [(0, "naïve".encode("latin-1")), (5, b"jis"), (6, b"cyr"), (8, b"odd")]
)
async def test_submit_sm_unreadable_data_coding_is_refused(
    esme: Esme, dcs: int, data: bytes
) -> None:
    resp = await esme.request(submit(data_coding=dcs, short_message=data))
    assert resp.command_status == S.ESME_RINVDCS


async def test_submit_sm_domain_refusals_map_through_the_table(esme: Esme) -> None:
    bad_to = await esme.request(submit(destination_addr="12"))
    assert bad_to.command_status == S.ESME_RINVDSTADR
    empty = await esme.request(submit(text=b""))
    assert empty.command_status == S.ESME_RINVMSGLEN
    bad_time = await esme.request(submit(schedule_delivery_time="tomorrow"))
    assert bad_time.command_status == S.ESME_RINVSCHED


async def test_long_text_in_message_payload_is_split_by_the_gateway(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    text = "x" * 400
    pdu = submit(text=b"", tlvs=(tlv.MessagePayload(value=text.encode()),))
    view = await stored(gw, account, await esme.request(pdu))
    assert view.text == text  # type: ignore[attr-defined]
    assert len(view.parts) == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "pdu",
    [
        submit(text=bytes.fromhex("050003110201") + b"part one", esm_class=EsmClass.UDHI),
        submit(
            text=b"part one",
            tlvs=(
                tlv.SarMsgRefNum(value=0x11),
                tlv.SarTotalSegments(value=2),
                tlv.SarSegmentSeqnum(value=1),
            ),
        ),
    ],
    ids=["udhi", "sar"],
)
async def test_client_segment_is_kept_as_one_part(
    gw: Gateway, account: NewAccount, esme: Esme, pdu: SubmitSm
) -> None:
    view = await stored(gw, account, await esme.request(pdu))
    assert view.text == "part one"  # type: ignore[attr-defined]
    assert len(view.parts) == 1  # type: ignore[attr-defined]


async def test_oversized_client_segment_is_refused(esme: Esme) -> None:
    pdu = submit(text=bytes.fromhex("050003110201") + b"x" * 160, esm_class=EsmClass.UDHI)
    assert (await esme.request(pdu)).command_status == S.ESME_RINVMSGLEN


async def test_window_of_submits_answered_without_round_trips(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    pdus = [submit(n, text=f"message {n}".encode()) for n in range(1, 301)]
    responses = await esme.request_many(pdus)
    assert all(r.command_status == 0 for r in responses)
    ids = {r.message_id for r in responses if isinstance(r, SubmitSmResp)}
    assert len(ids) == 300


async def test_data_sm_is_submitted(gw: Gateway, account: NewAccount, esme: Esme) -> None:
    pdu = DataSm(
        dest_addr_ton=1,
        destination_addr="447700900001",
        source_addr="12345",
        tlvs=(tlv.MessagePayload(value=b"via data sm"),),
    )
    resp = await esme.request(pdu)
    assert isinstance(resp, DataSmResp)
    view = await stored(gw, account, resp)
    assert view.text == "via data sm"  # type: ignore[attr-defined]


async def test_submit_multi_reports_unsuccessful_destinations(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    pdu = SubmitMulti(
        source_addr="Heliograph",
        source_addr_ton=5,
        dest_address=(
            SmeAddress(dest_addr_ton=1, destination_addr="447700900001"),
            SmeAddress(dest_addr_ton=1, destination_addr="12"),
            DistributionList(dl_name="friends"),
        ),
        short_message=b"to many",
    )
    resp = await esme.request(pdu)
    assert isinstance(resp, SubmitMultiResp)
    await stored(gw, account, resp)
    statuses = {u.destination_addr: u.error_status_code for u in resp.unsuccess_sme}
    assert statuses == {"12": S.ESME_RINVDSTADR, "friends": S.ESME_RINVDLNAME}


@pytest.mark.parametrize(
    "gw", [{"protection": ProtectionConfig(rate_per_s=0.001, burst=1)}], indirect=True
)
async def test_account_rate_limit_answers_throttled(esme: Esme) -> None:
    first, second = await esme.request_many([submit(1), submit(2)])
    assert {first.command_status, second.command_status} == {0, S.ESME_RTHROTTLED}


async def test_duplicate_submit_is_refused(esme: Esme) -> None:
    first, second = await esme.request_many([submit(1), submit(1)])
    assert sorted([first.command_status, second.command_status]) == [0, S.ESME_RX_P_APPN]


# --- query, cancel, replace ------------------------------------------------------------------


async def test_query_cancel_and_replace(gw: Gateway, account: NewAccount, esme: Esme) -> None:
    later = submit(schedule_delivery_time="000000010000000R")  # in one hour
    resp = await esme.request(later)
    assert isinstance(resp, SubmitSmResp) and resp.command_status == 0
    query = await esme.request(QuerySm(message_id=resp.message_id))
    assert isinstance(query, QuerySmResp)
    assert (query.message_state, query.final_date) == (SmppState.ENROUTE, "")
    cancel = await esme.request(CancelSm(message_id=resp.message_id))
    assert cancel.command_status == 0
    again = await esme.request(CancelSm(message_id=resp.message_id))
    assert again.command_status == S.ESME_RCANCELFAIL
    query = await esme.request(QuerySm(message_id=resp.message_id))
    assert isinstance(query, QuerySmResp)
    assert query.message_state == SmppState.DELETED
    assert query.final_date.endswith("000+")
    unknown = await esme.request(QuerySm(message_id="NOPE"))
    assert unknown.command_status == S.ESME_RINVMSGID
    replace_ = await esme.request(ReplaceSm(message_id=resp.message_id, short_message=b"new"))
    assert replace_.command_status == S.ESME_RREPLACEFAIL


# --- receipts ------------------------------------------------------------------------------


async def test_receipt_comes_back_as_deliver_sm(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    resp = await esme.request(submit(registered_delivery=1))
    assert isinstance(resp, SubmitSmResp) and resp.command_status == 0
    receipt = await esme.next_deliver_sm()
    assert receipt.esm_class == EsmClass.SMSC_DELIVERY_RECEIPT
    assert tlv.find(receipt.tlvs, tlv.ReceiptedMessageId) == tlv.ReceiptedMessageId(
        value=resp.message_id
    )
    assert tlv.find(receipt.tlvs, tlv.MessageState) == tlv.MessageState(value=SmppState.DELIVERED)
    text = parse_receipt(receipt.short_message)
    assert (text.id, text.stat, text.err) == (resp.message_id, "DELIVRD", "000")
    assert receipt.source_addr == "447700900001"
    assert (receipt.destination_addr, receipt.dest_addr_ton) == ("Heliograph", 5)


async def test_no_receipt_unless_asked(gw: Gateway, account: NewAccount, esme: Esme) -> None:
    quiet = await esme.request(submit(1, registered_delivery=0))
    failures_only = await esme.request(submit(2, registered_delivery=2))
    asked = await esme.request(submit(3, registered_delivery=1))
    assert isinstance(asked, SubmitSmResp)
    receipt = await esme.next_deliver_sm()
    assert tlv.find(receipt.tlvs, tlv.ReceiptedMessageId).value == asked.message_id  # type: ignore[union-attr]
    for other in (quiet, failures_only):
        view = await stored(gw, account, other)
        assert view.state is MessageState.DELIVERED  # type: ignore[attr-defined]
    assert esme.delivered.empty()


async def test_receipts_held_without_receiver_bind_come_when_it_binds(
    gw: Gateway, account: NewAccount
) -> None:
    assert gw.smpp is not None
    held = asyncio.Event()
    target = gw.smpp.deliver

    async def observed(job: CallbackJob) -> str | None:
        result = await target(job)
        if result is not None and result.startswith("held"):
            held.set()
        return result

    gw.callbacks.targets["smpp"] = observed
    tx = await Esme.connect(port(gw))
    resp = await tx.bind(account.smpp_system_id, account.smpp_password, kind=BindTransmitter)
    assert resp.command_status == 0
    sent = await tx.request(submit(registered_delivery=1))
    assert isinstance(sent, SubmitSmResp)
    await asyncio.wait_for(held.wait(), WAIT_S)
    # the outbox would retry only after 30 s (callbacks.backoff_base_s); the bind releases it
    rx = await Esme.connect(port(gw))
    resp = await rx.bind(account.smpp_system_id, account.smpp_password, kind=BindReceiver)
    assert isinstance(resp, BindReceiverResp) and resp.command_status == 0
    receipt = await rx.next_deliver_sm(within_s=WAIT_S)
    assert parse_receipt(receipt.short_message).id == sent.message_id
    tx.close()
    rx.close()


async def test_refused_deliver_sm_is_retried(gw: Gateway, account: NewAccount) -> None:
    gw.callbacks._backoff = replace(gw.callbacks._backoff, base_s=0.01, max_s=0.02)  # type: ignore[attr-defined]
    client = await Esme.connect(port(gw), deliver_sm_status=S.ESME_RX_T_APPN)
    assert (await client.bind(account.smpp_system_id, account.smpp_password)).command_status == 0
    await client.request(submit(registered_delivery=1))
    first = await client.next_deliver_sm()
    client.deliver_sm_status = 0
    second = await client.next_deliver_sm()
    assert first.short_message == second.short_message
    client.close()


async def test_mo_event_renders_as_deliver_sm(gw: Gateway, account: NewAccount, esme: Esme) -> None:
    assert gw.smpp is not None
    job = CallbackJob(
        id=1,
        account_id=AccountId(account.account.id),
        message_id=MessageId("MO1"),
        url="smpp:registered_delivery=0",
        format="smpp",
        body=b'{"event":"message.received","id":"MO1","from":"+447700900123","to":"12345",'
        b'"text":"\\u0421\\u0442\\u043e\\u043f","at":1}',
        secret="",
        attempts=1,
        created_at=0.0,
    )
    assert await gw.smpp.deliver(job) is None
    mo = await esme.next_deliver_sm()
    assert (mo.source_addr, mo.destination_addr, mo.esm_class) == ("447700900123", "12345", 0)
    assert mo.data_coding == 8 and mo.short_message.decode("utf-16-be") == "Стоп"


# --- junk ----------------------------------------------------------------------------------


def _frames(data: bytes) -> list[Pdu]:
    out = []
    while len(data) >= 16:
        length = struct.unpack_from(">I", data)[0]
        out.append(decode(data[:length]))
        data = data[length:]
    return out


async def test_unknown_command_gets_generic_nack(esme: Esme) -> None:
    esme.raw.clear()
    esme.send_raw(struct.pack(">IIII", 16, 0x00000099, 0, 77))
    response = await esme.request(EnquireLink())  # responses come in order of the requests
    assert response.command_status == 0
    [nack] = [p for p in _frames(bytes(esme.raw)) if isinstance(p, GenericNack)]
    assert (nack.command_status, nack.sequence_number) == (S.ESME_RINVCMDID, 77)


@pytest.mark.parametrize("gw", [{"smpp": {"max_junk_pdus": 3}}], indirect=True)
async def test_persistent_junk_disconnects_and_server_lives_on(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    for seq in range(1, 4):
        esme.send_raw(struct.pack(">IIII", 16, 0x00000099, 0, seq))
    await esme.wait_closed()
    again = await Esme.connect(port(gw))
    assert (await again.bind(account.smpp_system_id, account.smpp_password)).command_status == 0
    assert (await again.request(submit())).command_status == 0
    again.close()


async def test_lost_framing_closes_with_generic_nack(esme: Esme) -> None:
    esme.raw.clear()
    esme.send_raw(struct.pack(">IIII", 0x7FFFFFFF, 4, 0, 5))
    await esme.wait_closed()
    [nack] = _frames(bytes(esme.raw))
    assert isinstance(nack, GenericNack)
    assert nack.command_status == S.ESME_RINVCMDLEN


async def test_random_junk_never_kills_the_server(gw: Gateway, account: NewAccount) -> None:
    rng = random.Random(4)
    for _ in range(40):
        client = await Esme.connect(port(gw))
        for _ in range(rng.randint(1, 5)):
            body = rng.randbytes(rng.randint(0, 60))
            header = struct.pack(
                ">IIII",
                rng.choice([16 + len(body), rng.randint(0, 300)]),
                rng.choice([4, 9, 0x15, 0x80000004, rng.getrandbits(32)]),
                rng.getrandbits(32),
                rng.getrandbits(31),
            )
            client.send_raw(header + body)
        client.close()
    alive = await Esme.connect(port(gw))
    assert (await alive.bind(account.smpp_system_id, account.smpp_password)).command_status == 0
    assert (await alive.request(submit())).command_status == 0
    alive.close()


# --- the store side of held receipts (every backend) -----------------------------------------


async def test_store_release_callbacks_makes_held_events_due(store: Store) -> None:
    now = 1_800_000_000.0
    account = Account(
        id=AccountId("acct-1"), name="held", callback_url=None, callback_secret="s", created_at=now
    )
    await store.create_account(account, [])
    messages = [
        NewMessage(
            id=MessageId(f"01HELD{n}"),
            account_id=account.id,
            to="+447700900001",
            sender=None,
            text="x",
            encoding="gsm7",
            data_coding=0,
            parts=1,
            concat_ref=0,
            state=MessageState.QUEUED,
            reference=None,
            callback_url=url,
            callback_format=fmt,
            priority=0,
            created_at=now,
            due_at=now,
            expires_at=None,
        )
        for n, (url, fmt) in enumerate(
            [("smpp:registered_delivery=1", "smpp"), ("http://example.com/", "json")]
        )
    ]
    await store.insert_messages(messages, now=now)
    await store.claim_parts(now, 10)  # queued → sending: one event each in the outbox
    jobs = await store.claim_callbacks(now, 10, 60.0)
    assert sorted(j.format for j in jobs) == ["json", "smpp"]
    await store.finish_callbacks(
        [], [CallbackRetry(id=j.id, next_attempt_at=now + 3600, error="held") for j in jobs], []
    )
    assert await store.claim_callbacks(now + 1, 10, 60.0) == []
    assert await store.release_callbacks(account.id, "smpp", now + 1) == 1
    [job] = await store.claim_callbacks(now + 1, 10, 60.0)
    assert job.format == "smpp"
    assert await store.release_callbacks(AccountId("acct-2"), "smpp", now + 1) == 0


# --- fuzzing the connection protocol (no socket: a transport that records) ------------------


class RecordingTransport:
    def __init__(self) -> None:
        self.written = bytearray()
        self.closing = False

    def write(self, data: bytes) -> None:
        assert not self.closing, "written after close"
        self.written += data

    def close(self) -> None:
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> object:
        return ("127.0.0.1", 4242) if name == "peername" else None

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _frame(command_id: int, seq: int, body: bytes, length_delta: int) -> bytes:
    return struct.pack(">IIII", 16 + len(body) + length_delta, command_id, 0, seq) + body


_frames_strategy = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.builds(
            _frame,
            st.sampled_from([0x4, 0x9, 0x15, 0x6, 0x103, 0x21, 0x80000004, 0x99, 0x7]),
            st.integers(0, 0x7FFFFFFF),
            st.binary(max_size=60),
            st.sampled_from([0, 0, 0, -1, 1, 5]),
        ),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=_frames_strategy)
def test_fuzzed_bytes_get_only_valid_answers(chunks: list[bytes]) -> None:
    from heliograph.servers.smpp.client import Client
    from heliograph.servers.smpp.server import SmppServer, SmppServerSettings, SmppServices

    server = SmppServer(
        SmppServerSettings(max_junk_pdus=3),
        SmppServices(accounts=None, submit=None, messages=None),  # type: ignore[arg-type]
        SystemClock(),
    )
    loop = asyncio.new_event_loop()
    server._loop, server._room = loop, asyncio.Event()
    client = Client(server)
    transport = RecordingTransport()
    client.connection_made(transport)  # type: ignore[arg-type]
    for chunk in chunks:
        if transport.closing:
            break
        client.data_received(chunk)
        client._writes.flush()
    client.connection_lost(None)
    tasks = list(client.tasks)
    for task in tasks:
        task.cancel()  # binds and submits would need the services; never started
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.close()
    # whatever went out is whole, decodable answers
    data = bytes(transport.written)
    while data:
        length = struct.unpack_from(">I", data)[0]
        pdu = decode(data[:length])
        assert pdu.command_id & 0x80000000 or isinstance(pdu, EnquireLink)
        data = data[length:]
