"""SMPP optional parameters (TLVs): one typed class per tag, encode and decode.

A TLV is a 2-octet tag, a 2-octet length and a value (SMPP 3.4 §3.2.3, §5.3.1).
Every SMPP 3.4 tag of §5.3.2 and the common SMPP 5.0 tags have a class here,
named after the spec parameter in CapWords (``message_payload`` →
``MessagePayload``), so a PDU's ``tlvs`` tuple is fully typed; read one with
``find(pdu.tlvs, MessagePayload)``. Tags without a class (vendor specific
0x1400-0x3FFF, broadcast tags, anything new) decode to ``RawTlv`` and are
re-encoded verbatim; the order of a PDU's TLVs is kept as received.

Invariants: a known tag with a value of the wrong size is a ``DecodeError``
(ESME_RINVPARLEN); a truncated TLV stream is ESME_RINVOPTPARSTREAM. One
tolerance: a C-string TLV (receipted_message_id...) without its NUL is
accepted, because SMSCs that omit it are common; it is re-encoded with the NUL.
This module knows nothing about which PDU may carry which TLV.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, cast

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.smpp.constants import CommandStatus, Tag

__all__ = [
    "TLV_CLASSES",
    "AdditionalStatusInfoText",
    "AlertOnMessageDelivery",
    "BillingIdentification",
    "CStringTlv",
    "CallbackNum",
    "CallbackNumAtag",
    "CallbackNumPresInd",
    "CongestionState",
    "DeliveryFailureReason",
    "DestAddrNpInformation",
    "DestAddrNpResolution",
    "DestAddrSubunit",
    "DestBearerType",
    "DestNetworkId",
    "DestNetworkType",
    "DestNodeId",
    "DestSubaddress",
    "DestTelematicsId",
    "DestinationPort",
    "DisplayTime",
    "DpfResult",
    "IntTlv",
    "ItsReplyType",
    "ItsSessionInfo",
    "LanguageIndicator",
    "MessagePayload",
    "MessageState",
    "MoreMessagesToSend",
    "MsAvailabilityStatus",
    "MsMsgWaitFacilities",
    "MsValidity",
    "NetworkErrorCode",
    "NumberOfMessages",
    "OctetsTlv",
    "PayloadType",
    "PrivacyIndicator",
    "QosTimeToLive",
    "RawTlv",
    "ReceiptedMessageId",
    "SarMsgRefNum",
    "SarSegmentSeqnum",
    "SarTotalSegments",
    "ScInterfaceVersion",
    "SetDpf",
    "SmsSignal",
    "SourceAddrSubunit",
    "SourceBearerType",
    "SourceNetworkId",
    "SourceNetworkType",
    "SourceNodeId",
    "SourcePort",
    "SourceSubaddress",
    "SourceTelematicsId",
    "Tlv",
    "UserMessageReference",
    "UserResponseCode",
    "UssdServiceOp",
    "decode_tlvs",
    "encode_tlvs",
    "find",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class IntTlv:
    """A TLV whose value is an unsigned big-endian integer of ``octets`` octets."""

    tag: ClassVar[int]
    octets: ClassVar[int]
    value: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CStringTlv:
    """A TLV whose value is a NUL-terminated string of at most ``max_octets`` (NUL included)."""

    tag: ClassVar[int]
    max_octets: ClassVar[int]
    value: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OctetsTlv:
    """A TLV whose value is an octet string of ``min_octets``..``max_octets`` octets."""

    tag: ClassVar[int]
    min_octets: ClassVar[int] = 0
    max_octets: ClassVar[int] = 0xFFFF
    value: bytes = b""


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkErrorCode:
    """network_error_code (§5.3.2.31): network type (``ErrorNetworkType``) + 2-octet error."""

    tag: ClassVar[int] = Tag.NETWORK_ERROR_CODE
    network_type: int = 0
    error_code: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RawTlv:
    """A TLV this module has no class for; its value is kept and re-encoded verbatim."""

    tag: int
    value: bytes = b""


Tlv = IntTlv | CStringTlv | OctetsTlv | NetworkErrorCode | RawTlv


# SMPP 3.4 §5.3.2: integer TLVs. Values of enum-like tags are in constants.py.
class DestAddrSubunit(IntTlv):
    """dest_addr_subunit (§5.3.2.1), a ``Subunit``."""

    __slots__ = ()
    tag = Tag.DEST_ADDR_SUBUNIT
    octets = 1


class SourceAddrSubunit(IntTlv):
    """source_addr_subunit (§5.3.2.2), a ``Subunit``."""

    __slots__ = ()
    tag = Tag.SOURCE_ADDR_SUBUNIT
    octets = 1


class DestNetworkType(IntTlv):
    """dest_network_type (§5.3.2.3), a ``NetworkType``."""

    __slots__ = ()
    tag = Tag.DEST_NETWORK_TYPE
    octets = 1


class SourceNetworkType(IntTlv):
    """source_network_type (§5.3.2.4), a ``NetworkType``."""

    __slots__ = ()
    tag = Tag.SOURCE_NETWORK_TYPE
    octets = 1


class DestBearerType(IntTlv):
    """dest_bearer_type (§5.3.2.5), a ``BearerType``."""

    __slots__ = ()
    tag = Tag.DEST_BEARER_TYPE
    octets = 1


class SourceBearerType(IntTlv):
    """source_bearer_type (§5.3.2.6), a ``BearerType``."""

    __slots__ = ()
    tag = Tag.SOURCE_BEARER_TYPE
    octets = 1


class DestTelematicsId(IntTlv):
    """dest_telematics_id (§5.3.2.7)."""

    __slots__ = ()
    tag = Tag.DEST_TELEMATICS_ID
    octets = 2


class SourceTelematicsId(IntTlv):
    """source_telematics_id (§5.3.2.8)."""

    __slots__ = ()
    tag = Tag.SOURCE_TELEMATICS_ID
    octets = 1


class QosTimeToLive(IntTlv):
    """qos_time_to_live (§5.3.2.9), in seconds."""

    __slots__ = ()
    tag = Tag.QOS_TIME_TO_LIVE
    octets = 4


class PayloadType(IntTlv):
    """payload_type (§5.3.2.10), a ``constants.PayloadType``."""

    __slots__ = ()
    tag = Tag.PAYLOAD_TYPE
    octets = 1


class MsMsgWaitFacilities(IntTlv):
    """ms_msg_wait_facilities (§5.3.2.13)."""

    __slots__ = ()
    tag = Tag.MS_MSG_WAIT_FACILITIES
    octets = 1


class PrivacyIndicator(IntTlv):
    """privacy_indicator (§5.3.2.14), a ``constants.PrivacyIndicator``."""

    __slots__ = ()
    tag = Tag.PRIVACY_INDICATOR
    octets = 1


class UserMessageReference(IntTlv):
    """user_message_reference (§5.3.2.17)."""

    __slots__ = ()
    tag = Tag.USER_MESSAGE_REFERENCE
    octets = 2


class UserResponseCode(IntTlv):
    """user_response_code (§5.3.2.18)."""

    __slots__ = ()
    tag = Tag.USER_RESPONSE_CODE
    octets = 1


class LanguageIndicator(IntTlv):
    """language_indicator (§5.3.2.19), a ``constants.LanguageIndicator``."""

    __slots__ = ()
    tag = Tag.LANGUAGE_INDICATOR
    octets = 1


class SourcePort(IntTlv):
    """source_port (§5.3.2.20)."""

    __slots__ = ()
    tag = Tag.SOURCE_PORT
    octets = 2


class DestinationPort(IntTlv):
    """destination_port (§5.3.2.21)."""

    __slots__ = ()
    tag = Tag.DESTINATION_PORT
    octets = 2


class SarMsgRefNum(IntTlv):
    """sar_msg_ref_num (§5.3.2.22)."""

    __slots__ = ()
    tag = Tag.SAR_MSG_REF_NUM
    octets = 2


class SarTotalSegments(IntTlv):
    """sar_total_segments (§5.3.2.23)."""

    __slots__ = ()
    tag = Tag.SAR_TOTAL_SEGMENTS
    octets = 1


class SarSegmentSeqnum(IntTlv):
    """sar_segment_seqnum (§5.3.2.24)."""

    __slots__ = ()
    tag = Tag.SAR_SEGMENT_SEQNUM
    octets = 1


class ScInterfaceVersion(IntTlv):
    """sc_interface_version (§5.3.2.25), an ``InterfaceVersion``."""

    __slots__ = ()
    tag = Tag.SC_INTERFACE_VERSION
    octets = 1


class DisplayTime(IntTlv):
    """display_time (§5.3.2.26), a ``constants.DisplayTime``."""

    __slots__ = ()
    tag = Tag.DISPLAY_TIME
    octets = 1


class MsValidity(IntTlv):
    """ms_validity (§5.3.2.27), a ``constants.MsValidity``."""

    __slots__ = ()
    tag = Tag.MS_VALIDITY
    octets = 1


class DpfResult(IntTlv):
    """dpf_result (§5.3.2.28), a ``constants.DpfResult``."""

    __slots__ = ()
    tag = Tag.DPF_RESULT
    octets = 1


class SetDpf(IntTlv):
    """set_dpf (§5.3.2.29), a ``constants.SetDpf``."""

    __slots__ = ()
    tag = Tag.SET_DPF
    octets = 1


class MsAvailabilityStatus(IntTlv):
    """ms_availability_status (§5.3.2.30), a ``constants.MsAvailabilityStatus``."""

    __slots__ = ()
    tag = Tag.MS_AVAILABILITY_STATUS
    octets = 1


class DeliveryFailureReason(IntTlv):
    """delivery_failure_reason (§5.3.2.33), a ``constants.DeliveryFailureReason``."""

    __slots__ = ()
    tag = Tag.DELIVERY_FAILURE_REASON
    octets = 1


class MoreMessagesToSend(IntTlv):
    """more_messages_to_send (§5.3.2.34), a ``constants.MoreMessagesToSend``."""

    __slots__ = ()
    tag = Tag.MORE_MESSAGES_TO_SEND
    octets = 1


class MessageState(IntTlv):
    """message_state (§5.3.2.35), a ``constants.MessageState``."""

    __slots__ = ()
    tag = Tag.MESSAGE_STATE
    octets = 1


class CallbackNumPresInd(IntTlv):
    """callback_num_pres_ind (§5.3.2.37)."""

    __slots__ = ()
    tag = Tag.CALLBACK_NUM_PRES_IND
    octets = 1


class NumberOfMessages(IntTlv):
    """number_of_messages (§5.3.2.39)."""

    __slots__ = ()
    tag = Tag.NUMBER_OF_MESSAGES
    octets = 1


class SmsSignal(IntTlv):
    """sms_signal (§5.3.2.40)."""

    __slots__ = ()
    tag = Tag.SMS_SIGNAL
    octets = 2


class ItsReplyType(IntTlv):
    """its_reply_type (§5.3.2.42), a ``constants.ItsReplyType``."""

    __slots__ = ()
    tag = Tag.ITS_REPLY_TYPE
    octets = 1


class UssdServiceOp(IntTlv):
    """ussd_service_op (§5.3.2.44), a ``constants.UssdServiceOp``."""

    __slots__ = ()
    tag = Tag.USSD_SERVICE_OP
    octets = 1


class CongestionState(IntTlv):
    """congestion_state (SMPP 5.0), 0-100."""

    __slots__ = ()
    tag = Tag.CONGESTION_STATE
    octets = 1


class DestAddrNpResolution(IntTlv):
    """dest_addr_np_resolution (SMPP 5.0)."""

    __slots__ = ()
    tag = Tag.DEST_ADDR_NP_RESOLUTION
    octets = 1


# C-string TLVs; max_octets includes the NUL.
class AdditionalStatusInfoText(CStringTlv):
    """additional_status_info_text (§5.3.2.11)."""

    __slots__ = ()
    tag = Tag.ADDITIONAL_STATUS_INFO_TEXT
    max_octets = 256


class ReceiptedMessageId(CStringTlv):
    """receipted_message_id (§5.3.2.12): the SMSC message_id a receipt refers to."""

    __slots__ = ()
    tag = Tag.RECEIPTED_MESSAGE_ID
    max_octets = 65


class SourceNetworkId(CStringTlv):
    """source_network_id (SMPP 5.0)."""

    __slots__ = ()
    tag = Tag.SOURCE_NETWORK_ID
    max_octets = 65


class DestNetworkId(CStringTlv):
    """dest_network_id (SMPP 5.0)."""

    __slots__ = ()
    tag = Tag.DEST_NETWORK_ID
    max_octets = 65


# Octet-string TLVs.
class SourceSubaddress(OctetsTlv):
    """source_subaddress (§5.3.2.15)."""

    __slots__ = ()
    tag = Tag.SOURCE_SUBADDRESS
    min_octets = 2
    max_octets = 23


class DestSubaddress(OctetsTlv):
    """dest_subaddress (§5.3.2.16)."""

    __slots__ = ()
    tag = Tag.DEST_SUBADDRESS
    min_octets = 2
    max_octets = 23


class MessagePayload(OctetsTlv):
    """message_payload (§5.3.2.32): user data instead of short_message, up to 64K octets."""

    __slots__ = ()
    tag = Tag.MESSAGE_PAYLOAD


class CallbackNum(OctetsTlv):
    """callback_num (§5.3.2.36)."""

    __slots__ = ()
    tag = Tag.CALLBACK_NUM
    min_octets = 4
    max_octets = 19


class CallbackNumAtag(OctetsTlv):
    """callback_num_atag (§5.3.2.38)."""

    __slots__ = ()
    tag = Tag.CALLBACK_NUM_ATAG
    max_octets = 65


class AlertOnMessageDelivery(OctetsTlv):
    """alert_on_message_delivery (§5.3.2.41): no value in 3.4; SMPP 5.0 allows one octet."""

    __slots__ = ()
    tag = Tag.ALERT_ON_MESSAGE_DELIVERY
    max_octets = 1


class ItsSessionInfo(OctetsTlv):
    """its_session_info (§5.3.2.43): session number and sequence octets."""

    __slots__ = ()
    tag = Tag.ITS_SESSION_INFO
    min_octets = 2
    max_octets = 2


class BillingIdentification(OctetsTlv):
    """billing_identification (SMPP 5.0)."""

    __slots__ = ()
    tag = Tag.BILLING_IDENTIFICATION
    min_octets = 1
    max_octets = 1024


class SourceNodeId(OctetsTlv):
    """source_node_id (SMPP 5.0), six decimal digits."""

    __slots__ = ()
    tag = Tag.SOURCE_NODE_ID
    min_octets = 6
    max_octets = 6


class DestNodeId(OctetsTlv):
    """dest_node_id (SMPP 5.0), six decimal digits."""

    __slots__ = ()
    tag = Tag.DEST_NODE_ID
    min_octets = 6
    max_octets = 6


class DestAddrNpInformation(OctetsTlv):
    """dest_addr_np_information (SMPP 5.0)."""

    __slots__ = ()
    tag = Tag.DEST_ADDR_NP_INFORMATION
    min_octets = 10
    max_octets = 10


TypedTlvClass = type[IntTlv] | type[CStringTlv] | type[OctetsTlv] | type[NetworkErrorCode]


def _typed_classes() -> dict[int, TypedTlvClass]:
    out: dict[int, TypedTlvClass] = {NetworkErrorCode.tag: NetworkErrorCode}
    for base in (IntTlv, CStringTlv, OctetsTlv):
        for sub in base.__subclasses__():
            cls = cast(TypedTlvClass, sub)
            out[cls.tag] = cls
    return out


TLV_CLASSES: dict[int, TypedTlvClass] = _typed_classes()
"""Tag → class for every typed TLV."""

T = TypeVar("T")


def find(tlvs: Iterable[object], kind: type[T]) -> T | None:
    """Return the first TLV of class ``kind`` in ``tlvs``, or None."""
    for item in tlvs:
        if isinstance(item, kind):
            return item
    return None


_TAG_LENGTH = struct.Struct(">HH")
_INT_TLV = {1: struct.Struct(">HHB"), 2: struct.Struct(">HHH"), 4: struct.Struct(">HHI")}
_NETWORK_ERROR_CODE = struct.Struct(">HHBH")
_INVPARLEN = CommandStatus.ESME_RINVPARLEN
_INVOPTPARAMVAL = CommandStatus.ESME_RINVOPTPARAMVAL


def _encode_one(item: Tlv) -> bytes:
    if isinstance(item, IntTlv):
        try:
            return _INT_TLV[item.octets].pack(item.tag, item.octets, item.value)
        except struct.error as exc:
            raise EncodeError(f"{item!r}: value out of range", status=_INVOPTPARAMVAL) from exc
    if isinstance(item, CStringTlv):
        try:
            value = item.value.encode("latin-1") + b"\0"
        except UnicodeEncodeError as exc:
            raise EncodeError(f"{item!r}: not Latin-1", status=_INVOPTPARAMVAL) from exc
        if len(value) > item.max_octets or b"\0" in value[:-1]:
            raise EncodeError(f"{item!r}: too long or contains NUL", status=_INVPARLEN)
        return _TAG_LENGTH.pack(item.tag, len(value)) + value
    if isinstance(item, OctetsTlv):
        if not item.min_octets <= len(item.value) <= item.max_octets:
            raise EncodeError(f"{item!r}: length out of range", status=_INVPARLEN)
        return _TAG_LENGTH.pack(item.tag, len(item.value)) + item.value
    if isinstance(item, NetworkErrorCode):
        try:
            return _NETWORK_ERROR_CODE.pack(item.tag, 3, item.network_type, item.error_code)
        except struct.error as exc:
            raise EncodeError(f"{item!r}: value out of range", status=_INVOPTPARAMVAL) from exc
    if not 0 <= item.tag <= 0xFFFF or len(item.value) > 0xFFFF:
        raise EncodeError(f"{item!r}: tag or length out of range", status=_INVPARLEN)
    return _TAG_LENGTH.pack(item.tag, len(item.value)) + item.value


def _int_encoder(cls: type[IntTlv]) -> Callable[[Any], bytes]:
    pack, tag, octets = _INT_TLV[cls.octets].pack, cls.tag, cls.octets
    return lambda item: pack(tag, octets, item.value)


def _cstring_encoder(cls: type[CStringTlv]) -> Callable[[Any], bytes]:
    head, tag, max_octets = _TAG_LENGTH.pack, cls.tag, cls.max_octets

    def encode_cstring(item: Any) -> bytes:
        raw: bytes = item.value.encode("latin-1")
        if len(raw) >= max_octets or b"\0" in raw:
            raise ValueError(raw)
        return head(tag, len(raw) + 1) + raw + b"\0"

    return encode_cstring


def _fast_encoders() -> dict[type, Callable[[Any], bytes]]:
    encoders: dict[type, Callable[[Any], bytes]] = {}
    for cls in TLV_CLASSES.values():
        if issubclass(cls, IntTlv):
            encoders[cls] = _int_encoder(cls)
        elif issubclass(cls, CStringTlv):
            encoders[cls] = _cstring_encoder(cls)
    return encoders


_FAST_ENCODERS = _fast_encoders()


def encode_tlvs(tlvs: tuple[Tlv, ...]) -> bytes:
    """Encode TLVs in the given order (§3.2.3).

    Raises:
        EncodeError: a value out of range for its tag, with a status hint.
    """
    try:
        return b"".join([_FAST_ENCODERS[type(item)](item) for item in tlvs])
    except (KeyError, ValueError, struct.error):
        # Other kinds, and bad values: the general path encodes or names the error.
        return b"".join([_encode_one(item) for item in tlvs])


_Decoder = Callable[[bytes], Tlv]
_new = object.__new__


def _length_error(tag: int, length: int, low: int, high: int) -> DecodeError:
    return DecodeError(f"TLV 0x{tag:04x}: length {length} not in {low}..{high}", status=_INVPARLEN)


# Typed TLVs are built by setting the one ``value`` slot of their base class.
def _int_decoder(cls: type[IntTlv]) -> _Decoder:
    size, set_value = cls.octets, vars(IntTlv)["value"].__set__

    def decode_int(value: bytes) -> Tlv:
        if len(value) != size:
            raise _length_error(cls.tag, len(value), size, size)
        item: Tlv = _new(cls)
        set_value(item, int.from_bytes(value))
        return item

    return decode_int


def _cstring_decoder(cls: type[CStringTlv]) -> _Decoder:
    max_octets, set_value = cls.max_octets, vars(CStringTlv)["value"].__set__

    def decode_cstring(value: bytes) -> Tlv:
        if len(value) > max_octets:
            raise _length_error(cls.tag, len(value), 0, max_octets)
        nul = value.find(0)
        item: Tlv = _new(cls)
        set_value(item, (value if nul < 0 else value[:nul]).decode("latin-1"))
        return item

    return decode_cstring


def _octets_decoder(cls: type[OctetsTlv]) -> _Decoder:
    low, high, set_value = cls.min_octets, cls.max_octets, vars(OctetsTlv)["value"].__set__

    def decode_octets(value: bytes) -> Tlv:
        if not low <= len(value) <= high:
            raise _length_error(cls.tag, len(value), low, high)
        item: Tlv = _new(cls)
        set_value(item, value)
        return item

    return decode_octets


def _decode_network_error_code(value: bytes) -> Tlv:
    if len(value) != 3:
        raise _length_error(Tag.NETWORK_ERROR_CODE, len(value), 3, 3)
    return NetworkErrorCode(network_type=value[0], error_code=(value[1] << 8) | value[2])


def _decoders() -> dict[int, _Decoder]:
    table: dict[int, _Decoder] = {}
    for tag, cls in TLV_CLASSES.items():
        if issubclass(cls, IntTlv):
            table[tag] = _int_decoder(cls)
        elif issubclass(cls, CStringTlv):
            table[tag] = _cstring_decoder(cls)
        elif issubclass(cls, OctetsTlv):
            table[tag] = _octets_decoder(cls)
        else:
            table[tag] = _decode_network_error_code
    return table


_DECODERS = _decoders()


def decode_tlvs(data: bytes, pos: int, end: int) -> tuple[Tlv, ...]:
    """Decode the TLVs in ``data[pos:end]``, keeping their order.

    Raises:
        DecodeError: truncated stream (ESME_RINVOPTPARSTREAM) or a known tag with a
            value of the wrong size (ESME_RINVPARLEN).
    """
    out: list[Tlv] = []
    unpack = _TAG_LENGTH.unpack_from
    while pos < end:
        if pos + 4 > end:
            raise DecodeError("truncated TLV header", status=CommandStatus.ESME_RINVOPTPARSTREAM)
        tag, length = unpack(data, pos)
        pos += 4
        if pos + length > end:
            raise DecodeError(
                f"TLV 0x{tag:04x}: length {length} runs past the PDU",
                status=CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        value = data[pos : pos + length]
        decoder = _DECODERS.get(tag)
        out.append(RawTlv(tag=tag, value=value) if decoder is None else decoder(value))
        pos += length
    return tuple(out)
