"""Delivery receipts: Appendix B text variants, receipt TLVs, id normalisation."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError
from heliograph.wire.receipt import (
    STAT_BY_STATE,
    Receipt,
    format_receipt,
    normalize_message_id,
    parse_receipt,
    parse_receipt_pdu,
)
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.codec import decode
from heliograph.wire.smpp.constants import EsmClass, MessageState
from heliograph.wire.smpp.pdus import DataSm, DeliverSm

VECTORS_DIR = Path(__file__).parents[1] / "vectors"
VECTORS = tomllib.loads((VECTORS_DIR / "receipts.toml").read_text(encoding="utf-8"))
SMPP_VECTORS = tomllib.loads((VECTORS_DIR / "smpp.toml").read_text(encoding="utf-8"))


def _smpp_vector(vector_id: str) -> bytes:
    (vector,) = [v for v in SMPP_VECTORS["vector"] if v["id"] == vector_id]
    return bytes.fromhex("".join(vector["hex"].split()))


@pytest.mark.parametrize("vector", VECTORS["receipt"], ids=[v["id"] for v in VECTORS["receipt"]])
def test_receipt_parses_vector(vector: dict[str, Any]) -> None:
    assert parse_receipt(vector["text"]) == Receipt(**vector["expect"])
    assert parse_receipt(vector["text"].encode("latin-1")) == Receipt(**vector["expect"])


@pytest.mark.parametrize(
    "vector", VECTORS["not_a_receipt"], ids=[v["id"] for v in VECTORS["not_a_receipt"]]
)
def test_receipt_refuses_non_receipt_text(vector: dict[str, Any]) -> None:
    with pytest.raises(DecodeError):
        parse_receipt(vector["text"])


def test_receipt_format_matches_appendix_b_layout() -> None:
    receipt = Receipt(
        id="a3f1c2d4e5",
        sub=1,
        dlvrd=1,
        submit_date=datetime(2024, 1, 1, 12, 0),
        done_date=datetime(2024, 1, 1, 12, 1),
        stat="DELIVRD",
        err="000",
        text="Hello",
    )
    expected = (
        "id:a3f1c2d4e5 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 "
        "stat:DELIVRD err:000 text:Hello"
    )
    assert format_receipt(receipt) == expected
    assert format_receipt(receipt, seconds=True).count(":") == 8
    assert "submit date:240101120000" in format_receipt(receipt, seconds=True)


def test_receipt_format_leaves_out_missing_fields() -> None:
    assert format_receipt(Receipt(id="1", stat="EXPIRED")) == "id:1 stat:EXPIRED"


def test_receipt_message_state_from_stat() -> None:
    for state, stat in STAT_BY_STATE.items():
        assert Receipt(id="1", stat=stat).message_state is state
    assert Receipt(id="1", stat="delivered").message_state is MessageState.DELIVERED
    assert Receipt(id="1", stat="WHATEVER").message_state is None


_TOKEN = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"),
    min_size=1,
    max_size=20,
)
_DATES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))


@given(
    id=_TOKEN,
    stat=st.sampled_from([*STAT_BY_STATE.values(), "DELIVERED"]),
    sub=st.none() | st.integers(0, 999),
    dlvrd=st.none() | st.integers(0, 999),
    submit_date=st.none() | _DATES,
    done_date=st.none() | _DATES,
    err=st.none() | _TOKEN,
    text=st.none() | st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=20),
)
def test_receipt_format_then_parse_round_trips(
    id: str,
    stat: str,
    sub: int | None,
    dlvrd: int | None,
    submit_date: datetime | None,
    done_date: datetime | None,
    err: str | None,
    text: str | None,
) -> None:
    receipt = Receipt(
        id=id,
        stat=stat,
        sub=sub,
        dlvrd=dlvrd,
        submit_date=submit_date and submit_date.replace(microsecond=0),
        done_date=done_date and done_date.replace(microsecond=0),
        err=err,
        text=None if text is None else text.lstrip(" "),
    )
    assert parse_receipt(format_receipt(receipt, seconds=True)) == receipt
    without_seconds = parse_receipt(format_receipt(receipt))
    assert without_seconds.id == receipt.id
    assert without_seconds.submit_date == (
        receipt.submit_date and receipt.submit_date.replace(second=0)
    )


@given(st.text(max_size=200))
def test_receipt_parse_raises_only_decode_error(text: str) -> None:
    try:
        receipt = parse_receipt(text)
    except DecodeError:
        return
    assert receipt.id is not None


# --- receipts in PDUs ------------------------------------------------------------------


def test_receipt_from_deliver_sm_vector_with_tlvs() -> None:
    pdu = decode(_smpp_vector("smpp34_deliver_sm_receipt_appendix_b"))
    assert isinstance(pdu, DeliverSm)
    receipt = parse_receipt_pdu(pdu)
    assert receipt is not None
    assert receipt.id == "a3f1c2d4e5"
    assert receipt.message_state is MessageState.DELIVERED
    assert receipt.text == "Hello"


def test_receipt_from_tlvs_only() -> None:
    pdu = decode(_smpp_vector("capture_deliver_sm_receipted_message_id_without_nul"))
    assert isinstance(pdu, DeliverSm)
    assert parse_receipt_pdu(pdu) == Receipt(id="a3f1c2d4e5", stat="DELIVRD")


def test_receipt_tlvs_win_over_text() -> None:
    pdu = DeliverSm(
        esm_class=EsmClass.SMSC_DELIVERY_RECEIPT,
        short_message=b"id:167 sub:001 dlvrd:000 submit date:2401011200 "
        b"done date:2401011201 stat:UNDELIV err:001 text:x",
        tlvs=(
            tlv.ReceiptedMessageId(value="a7"),
            tlv.MessageState(value=MessageState.UNDELIVERABLE),
        ),
    )
    receipt = parse_receipt_pdu(pdu)
    assert receipt is not None
    assert (receipt.id, receipt.stat, receipt.err) == ("a7", "UNDELIV", "001")


def test_receipt_from_text_only_deliver_sm() -> None:
    pdu = DeliverSm(
        esm_class=EsmClass.SMSC_DELIVERY_RECEIPT,
        short_message=b"id:12 sub:001 dlvrd:001 submit date:2401011200 "
        b"done date:2401011201 stat:DELIVRD err:000 text:",
    )
    receipt = parse_receipt_pdu(pdu)
    assert receipt is not None
    assert receipt.id == "12"


def test_receipt_from_data_sm_message_payload() -> None:
    pdu = DataSm(
        esm_class=EsmClass.SMSC_DELIVERY_RECEIPT,
        tlvs=(tlv.MessagePayload(value=b"id:9 stat:EXPIRED err:000"),),
    )
    assert parse_receipt_pdu(pdu) == Receipt(id="9", stat="EXPIRED", err="000")


def test_receipt_mo_message_is_not_a_receipt() -> None:
    assert parse_receipt_pdu(DeliverSm(short_message=b"id:1 stat:DELIVRD")) is None


def test_receipt_flagged_but_unreadable_is_none() -> None:
    pdu = DeliverSm(esm_class=EsmClass.SMSC_DELIVERY_RECEIPT, short_message=b"garbage")
    assert parse_receipt_pdu(pdu) is None


# --- message id normalisation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("submit_id", "submit_base", "receipt_id", "receipt_base"),
    [
        ("0A1B2C", 16, "662316", 10),
        ("662316", 10, "000a1b2c", 16),
        ("00123", 10, "123", 10),
        ("abc-DEF", None, " ABC-def ", None),
    ],
)
def test_receipt_normalized_ids_match(
    submit_id: str, submit_base: int | None, receipt_id: str, receipt_base: int | None
) -> None:
    assert normalize_message_id(submit_id, base=submit_base) == normalize_message_id(
        receipt_id, base=receipt_base
    )


def test_receipt_normalize_keeps_ids_that_do_not_parse() -> None:
    assert normalize_message_id("msg-1", base=16) == "msg-1"
    assert normalize_message_id("10", base=10) != normalize_message_id("16", base=10)
