"""SMPP 3.4 codec: spec vectors, smpplib cross-checks, round trips, malformed input."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.smpp import pdus, tlv
from heliograph.wire.smpp.codec import (
    PduDecodeError,
    decode,
    decode_header,
    encode,
    error_response,
    with_sequence_number,
)
from heliograph.wire.smpp.constants import CommandId, CommandStatus, MessageState, Tag
from heliograph.wire.smpp.fields import FieldSpec, Kind, layout
from heliograph.wire.smpp.pdus import PDU_CLASSES, RESPONSE_CLASSES, Pdu

VECTORS = tomllib.loads(
    (Path(__file__).parents[1] / "vectors" / "smpp.toml").read_text(encoding="utf-8")
)
S = CommandStatus


def _hex(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def _value(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("hex:"):
        return bytes.fromhex(value[4:])
    if isinstance(value, str) and value.startswith("ascii:"):
        return value[6:].encode("ascii")
    if isinstance(value, dict):
        return _build(value)
    if isinstance(value, list):
        return tuple(_value(item) for item in value)
    return value


def _build(table: dict[str, Any]) -> Any:
    kwargs = {key: _value(value) for key, value in table.items() if key != "type"}
    name = table["type"]
    cls = getattr(pdus, name, None) or getattr(tlv, name)
    return cls(**kwargs)


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["id"] for entry in entries]


# --- vectors ------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["vector"], ids=_ids(VECTORS["vector"]))
def test_smpp_codec_decodes_vector(vector: dict[str, Any]) -> None:
    assert decode(_hex(vector["hex"])) == _build(vector["pdu"])


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS["vector"] if not v.get("decode_only")],
    ids=_ids([v for v in VECTORS["vector"] if not v.get("decode_only")]),
)
def test_smpp_codec_encodes_vector(vector: dict[str, Any]) -> None:
    assert encode(_build(vector["pdu"])).hex() == _hex(vector["hex"]).hex()


@pytest.mark.parametrize("vector", VECTORS["malformed"], ids=_ids(VECTORS["malformed"]))
def test_smpp_codec_malformed_vector_reports_status_and_sequence(vector: dict[str, Any]) -> None:
    with pytest.raises(PduDecodeError) as info:
        decode(_hex(vector["hex"]))
    assert info.value.status == vector["status"]
    assert info.value.sequence_number == vector["sequence_number"]
    assert isinstance(info.value, DecodeError)


def test_smpp_codec_vectors_cover_every_pdu_layout() -> None:
    covered = {vector["pdu"]["type"] for vector in VECTORS["vector"]}
    # These three share their layout with bind_transmitter / bind_transceiver_resp.
    same_layout = {"BindReceiver", "BindTransmitterResp", "BindReceiverResp"}
    assert {cls.__name__ for cls in PDU_CLASSES.values()} - covered == same_layout - covered


def test_smpp_codec_short_frame_has_no_sequence_number() -> None:
    with pytest.raises(PduDecodeError) as info:
        decode(bytes.fromhex("0000001000000015000000"))
    assert info.value.status == S.ESME_RINVCMDLEN
    assert info.value.sequence_number is None


def test_smpp_codec_unknown_command_id_reports_command_id() -> None:
    with pytest.raises(PduDecodeError) as info:
        decode(bytes.fromhex("00000010 00000111 00000000 00000005".replace(" ", "")))
    assert info.value.command_id == 0x111
    assert error_response(0x111, 5, info.value.status) == pdus.GenericNack(
        sequence_number=5, command_status=S.ESME_RINVCMDID
    )


# --- smpplib cross-check --------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _SmpplibClient:
    sequence = 0

    def next_sequence(self) -> int:
        return self.sequence


SMPPLIB_VECTORS = [v for v in VECTORS["vector"] if v.get("smpplib")]


@pytest.mark.parametrize("vector", SMPPLIB_VECTORS, ids=_ids(SMPPLIB_VECTORS))
def test_smpp_codec_agrees_with_smpplib_parser(vector: dict[str, Any]) -> None:
    smpplib_smpp = pytest.importorskip("smpplib.smpp")
    frame = _hex(vector["hex"])
    theirs = smpplib_smpp.parse_pdu(frame, client=_SmpplibClient())
    ours = decode(frame)
    assert CommandId[theirs.command.upper()] == ours.command_id
    assert theirs.sequence == ours.sequence_number
    assert theirs.status == ours.command_status
    for name, _spec in layout(type(ours)):
        value = getattr(ours, name)
        if name == "tlvs":
            for item in value:
                their_value = getattr(theirs, _snake(type(item).__name__))
                expected = item.value.encode() if isinstance(item.value, str) else item.value
                assert their_value == expected, type(item).__name__
        elif isinstance(value, str):
            assert (getattr(theirs, name) or b"") == value.encode("latin-1"), name
        else:
            assert (getattr(theirs, name) or 0) == value, name


# smpplib orders TLVs its own way and always writes a body, so only these compare bytewise.
SMPPLIB_PLAIN = [
    v for v in SMPPLIB_VECTORS if "tlvs" not in v["pdu"] and not v["pdu"].get("command_status")
]


@pytest.mark.parametrize("vector", SMPPLIB_PLAIN, ids=_ids(SMPPLIB_PLAIN))
def test_smpp_codec_decodes_smpplib_generated_frames(vector: dict[str, Any]) -> None:
    smpplib_smpp = pytest.importorskip("smpplib.smpp")
    expected: Pdu = _build(vector["pdu"])
    kwargs: dict[str, Any] = {}
    for name, _spec in layout(type(expected)):
        kwargs[name] = getattr(expected, name)
    command = re.sub(r"(?<!^)(?=[A-Z])", "_", type(expected).__name__).lower()
    theirs = smpplib_smpp.make_pdu(command, client=_SmpplibClient(), **kwargs)
    theirs.sequence = expected.sequence_number
    frame = theirs.generate()
    assert frame == _hex(vector["hex"])
    assert decode(frame) == expected


# --- round trips ------------------------------------------------------------------

_LATIN1_NO_NUL = st.characters(min_codepoint=1, max_codepoint=255)


def _cstrings(max_octets: int) -> st.SearchStrategy[str]:
    return st.text(_LATIN1_NO_NUL, max_size=max_octets - 1)


def _tlv_strategy(cls: type) -> st.SearchStrategy[Any]:
    if issubclass(cls, tlv.IntTlv):
        return st.builds(cls, value=st.integers(0, 2 ** (8 * cls.octets) - 1))
    if issubclass(cls, tlv.CStringTlv):
        return st.builds(cls, value=_cstrings(cls.max_octets))
    if issubclass(cls, tlv.OctetsTlv):
        return st.builds(
            cls, value=st.binary(min_size=cls.min_octets, max_size=min(cls.max_octets, 300))
        )
    return st.builds(
        tlv.NetworkErrorCode,
        network_type=st.integers(0, 255),
        error_code=st.integers(0, 0xFFFF),
    )


TLVS = st.one_of(
    *[_tlv_strategy(cls) for cls in tlv.TLV_CLASSES.values()],
    st.builds(
        tlv.RawTlv,
        tag=st.integers(0, 0xFFFF).filter(lambda tag: tag not in tlv.TLV_CLASSES),
        value=st.binary(max_size=40),
    ),
)
SME_ADDRESSES = st.builds(
    pdus.SmeAddress,
    dest_addr_ton=st.integers(0, 255),
    dest_addr_npi=st.integers(0, 255),
    destination_addr=_cstrings(21),
)
DISTRIBUTION_LISTS = st.builds(pdus.DistributionList, dl_name=_cstrings(21))
UNSUCCESS_SMES = st.builds(
    pdus.UnsuccessSme,
    dest_addr_ton=st.integers(0, 255),
    dest_addr_npi=st.integers(0, 255),
    destination_addr=_cstrings(21),
    error_status_code=st.integers(0, 0xFFFF_FFFF),
)


def _field_strategy(spec: FieldSpec) -> st.SearchStrategy[Any]:
    match spec.kind:
        case Kind.INT1:
            return st.integers(0, 0xFF)
        case Kind.INT2:
            return st.integers(0, 0xFFFF)
        case Kind.INT4:
            return st.integers(0, 0xFFFF_FFFF)
        case Kind.CSTRING:
            return _cstrings(spec.max_octets)
        case Kind.SHORT_MESSAGE:
            return st.binary(max_size=254)
        case Kind.DEST_ADDRESSES:
            return st.lists(
                st.one_of(SME_ADDRESSES, DISTRIBUTION_LISTS), min_size=1, max_size=6
            ).map(tuple)
        case Kind.UNSUCCESS_SMES:
            return st.lists(UNSUCCESS_SMES, max_size=6).map(tuple)
        case Kind.TLVS:
            return st.lists(TLVS, max_size=6).map(tuple)


def pdu_strategy(cls: type[Pdu]) -> st.SearchStrategy[Pdu]:
    return st.builds(
        cls,
        sequence_number=st.integers(0, 0xFFFF_FFFF),
        command_status=st.one_of(st.just(0), st.integers(0, 0xFFFF_FFFF)),
        **{name: _field_strategy(spec) for name, spec in layout(cls)},
    )


ALL_CLASSES = sorted(PDU_CLASSES.values(), key=lambda cls: cls.command_id)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=[cls.__name__ for cls in ALL_CLASSES])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_smpp_codec_round_trips_every_pdu_class(cls: type[Pdu], data: st.DataObject) -> None:
    pdu = data.draw(pdu_strategy(cls))
    frame = encode(pdu)
    assert decode(frame) == pdu
    assert encode(decode(frame)) == frame
    assert decode_header(frame)[:2] == (len(frame), cls.command_id)


@settings(max_examples=300, deadline=None)
@given(
    vector=st.sampled_from(VECTORS["vector"]),
    position=st.integers(0, 400),
    byte=st.integers(0, 255),
    cut=st.integers(0, 400),
)
def test_smpp_codec_mutated_frames_raise_only_pdu_decode_error(
    vector: dict[str, Any], position: int, byte: int, cut: int
) -> None:
    frame = bytearray(_hex(vector["hex"]))
    if 16 <= position < len(frame):
        frame[position] = byte
    if cut % 3 == 0:
        del frame[max(16, len(frame) - cut % 8) :]
    frame[0:4] = len(frame).to_bytes(4, "big")
    try:
        pdu = decode(bytes(frame))
    except PduDecodeError as exc:
        assert exc.sequence_number == int.from_bytes(frame[12:16], "big")
        assert exc.status in set(CommandStatus)
    else:
        assert decode(encode(pdu)) == pdu


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=120), command_id=st.sampled_from(sorted(PDU_CLASSES)))
def test_smpp_codec_random_bodies_raise_only_pdu_decode_error(body: bytes, command_id: int) -> None:
    frame = (16 + len(body)).to_bytes(4, "big") + command_id.to_bytes(4, "big") + bytes(8) + body
    try:
        pdu = decode(frame)
    except PduDecodeError as exc:
        assert exc.command_id == command_id
    else:
        assert decode(encode(pdu)) == pdu


# --- encoding errors --------------------------------------------------------------


@pytest.mark.parametrize(
    ("pdu", "status"),
    [
        (pdus.BindTransmitter(system_id="x" * 16), S.ESME_RINVSYSID),
        (pdus.BindTransceiver(password="x" * 9), S.ESME_RINVPASWD),
        (pdus.BindReceiver(system_type="x" * 13), S.ESME_RINVSYSTYP),
        (pdus.SubmitSm(source_addr="1" * 21), S.ESME_RINVSRCADR),
        (pdus.SubmitSm(destination_addr="1" * 21), S.ESME_RINVDSTADR),
        (pdus.SubmitSm(destination_addr="12\x0034"), S.ESME_RINVDSTADR),
        (pdus.SubmitSm(destination_addr="€"), S.ESME_RINVDSTADR),
        (pdus.SubmitSm(short_message=bytes(255)), S.ESME_RINVMSGLEN),
        (pdus.SubmitSm(service_type="x" * 6), S.ESME_RINVSERTYP),
        (pdus.SubmitSm(schedule_delivery_time="x" * 17), S.ESME_RINVSCHED),
        (pdus.SubmitSm(validity_period="x" * 17), S.ESME_RINVEXPIRY),
        (pdus.SubmitSmResp(message_id="x" * 65), S.ESME_RINVMSGID),
        (pdus.SubmitMulti(dest_address=()), S.ESME_RINVNUMDESTS),
        (
            pdus.SubmitMulti(dest_address=(pdus.SmeAddress(),) * 255),
            S.ESME_RINVNUMDESTS,
        ),
        (
            pdus.SubmitMulti(dest_address=(pdus.DistributionList(dl_name="x" * 21),)),
            S.ESME_RINVDLNAME,
        ),
        (pdus.SubmitSm(tlvs=(tlv.SarTotalSegments(value=256),)), S.ESME_RINVOPTPARAMVAL),
        (pdus.SubmitSm(tlvs=(tlv.CallbackNum(value=b"1"),)), S.ESME_RINVPARLEN),
        (pdus.DeliverSm(tlvs=(tlv.ReceiptedMessageId(value="x" * 65),)), S.ESME_RINVPARLEN),
        (pdus.SubmitSm(esm_class=256), S.ESME_RSYSERR),
        (pdus.EnquireLink(sequence_number=-1), S.ESME_RSYSERR),
    ],
)
def test_smpp_codec_encode_rejects_values_that_do_not_fit(pdu: Pdu, status: int) -> None:
    with pytest.raises(EncodeError) as info:
        encode(pdu)
    assert info.value.status == status


def test_smpp_codec_encode_rejects_foreign_objects() -> None:
    with pytest.raises(EncodeError):
        encode(object())  # type: ignore[arg-type]


# --- bodyless responses -----------------------------------------------------------


@pytest.mark.parametrize("request_id", sorted(RESPONSE_CLASSES))
def test_smpp_codec_error_response_is_bodyless(request_id: int) -> None:
    response = error_response(request_id, 42, S.ESME_RSYSERR)
    assert response.command_id == request_id | 0x8000_0000
    frame = encode(response)
    assert len(frame) == 16
    assert decode(frame) == response


def test_smpp_codec_error_response_with_body_fields_keeps_body() -> None:
    response = pdus.DataSmResp(
        sequence_number=3,
        command_status=S.ESME_RDELIVERYFAILURE,
        tlvs=(tlv.DeliveryFailureReason(value=1),),
    )
    frame = encode(response)
    assert len(frame) > 16
    assert decode(frame) == response


def test_smpp_codec_error_response_answers_responses_with_generic_nack() -> None:
    assert isinstance(error_response(CommandId.SUBMIT_SM_RESP, 1, 3), pdus.GenericNack)
    assert isinstance(error_response(CommandId.OUTBIND, 1, 3), pdus.GenericNack)


# --- layout table and API ---------------------------------------------------------


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=[cls.__name__ for cls in ALL_CLASSES])
def test_smpp_layout_declares_every_dataclass_field(cls: type[Pdu]) -> None:
    names = [f.name for f in fields(cls)]
    assert names == ["sequence_number", "command_status", *(name for name, _ in layout(cls))]


def test_smpp_pdu_classes_cover_every_command_id() -> None:
    assert set(PDU_CLASSES) == set(CommandId)
    assert all(PDU_CLASSES[cid].command_id == cid for cid in PDU_CLASSES)


def test_smpp_tlv_classes_have_distinct_known_tags() -> None:
    assert all(tag in set(Tag) for tag in tlv.TLV_CLASSES)
    assert all(cls.tag == tag for tag, cls in tlv.TLV_CLASSES.items())


def test_smpp_bind_repr_redacts_password() -> None:
    for cls in (pdus.BindTransmitter, pdus.BindReceiver, pdus.BindTransceiver, pdus.Outbind):
        text = repr(cls(system_id="acme", password="hunter2"))
        assert "hunter2" not in text
        assert "acme" in text
        assert text.startswith(cls.__name__ + "(")


def test_smpp_pdus_are_frozen_and_slotted() -> None:
    pdu = pdus.SubmitSm(destination_addr="1")
    with pytest.raises(AttributeError):
        pdu.destination_addr = "2"  # type: ignore[misc]
    assert not hasattr(pdu, "__dict__")
    assert not hasattr(tlv.SarMsgRefNum(value=1), "__dict__")


def test_smpp_with_sequence_number_copies() -> None:
    pdu = pdus.SubmitSm(destination_addr="447700900123", short_message=b"hi")
    copy = with_sequence_number(pdu, 99)
    assert copy.sequence_number == 99
    assert pdu.sequence_number == 0
    assert with_sequence_number(copy, 0) == pdu


def test_smpp_encode_with_other_sequence_number() -> None:
    pdu = pdus.SubmitSmResp(sequence_number=1, message_id="x")
    assert decode(encode(pdu, 7)) == pdus.SubmitSmResp(sequence_number=7, message_id="x")


def test_smpp_tlv_find() -> None:
    pdu = pdus.DeliverSm(
        tlvs=(
            tlv.RawTlv(tag=0x1400, value=b""),
            tlv.ReceiptedMessageId(value="abc"),
            tlv.MessageState(value=MessageState.DELIVERED),
        )
    )
    assert tlv.find(pdu.tlvs, tlv.ReceiptedMessageId) == tlv.ReceiptedMessageId(value="abc")
    assert tlv.find(pdu.tlvs, tlv.MessagePayload) is None
    assert tlv.SarMsgRefNum(value=1) != tlv.SourcePort(value=1)
