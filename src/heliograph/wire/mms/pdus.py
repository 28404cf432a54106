"""MMS PDUs (OMA-MMS-ENC-V1_3 §6): the ones a gateway that sends MMS builds and reads.

* m-send-req / m-send-conf (§6.1.1, §6.1.2): a message posted to an MMS Proxy-Relay.
* m-notification-ind (§6.2): pushed to the handset (WAP Push, see
  :func:`heliograph.wire.wap.push.mms_notification_push`) with the Content-Location the
  handset fetches.
* m-notifyresp-ind (§6.2) and m-acknowledge-ind (§6.4): the handset's answers.
* m-retrieve-conf (§6.3): the message the handset gets from that location.
* m-delivery-ind (§6.5): a delivery report.

X-Mms-Message-Type, X-Mms-Transaction-ID and X-Mms-MMS-Version come first and Content-Type
last, with the body after it (§7.1); the other fields are written in the order of the
spec's tables and read in any order. Fields a PDU does not define are skipped when
reading. Each PDU is one frozen dataclass; its ``_FIELDS`` table is the wire layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.mms.headers import MmsField, MmsValue, encode_field, read_field
from heliograph.wire.mms.multipart import Part, encode_multipart, is_multipart, read_multipart
from heliograph.wire.mms.values import (
    ContentClass,
    MessageClass,
    MessageType,
    Priority,
    ResponseStatus,
    RetrieveStatus,
    SenderVisibility,
    Status,
)
from heliograph.wire.wap.content_types import ContentType
from heliograph.wire.wap.encoding import ByteReader

__all__ = [
    "AcknowledgeInd",
    "DeliveryInd",
    "MmsPdu",
    "NotificationInd",
    "NotifyRespInd",
    "RetrieveConf",
    "SendConf",
    "SendReq",
    "decode_pdu",
    "encode_pdu",
    "phone_address",
]

_F = MmsField
_ONE, _MANY, _ALWAYS = "one", "many", "always"
_Layout = tuple[tuple[str, MmsField, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SendReq:
    """m-send-req (§6.1.1). ``from_address`` ``None`` asks the relay to insert the sender."""

    message_type: ClassVar[MessageType] = MessageType.M_SEND_REQ
    _FIELDS: ClassVar[_Layout] = (
        ("transaction_id", _F.TRANSACTION_ID, _ONE),
        ("version", _F.MMS_VERSION, _ONE),
        ("date", _F.DATE, _ONE),
        ("from_address", _F.FROM, _ALWAYS),
        ("to", _F.TO, _MANY),
        ("cc", _F.CC, _MANY),
        ("bcc", _F.BCC, _MANY),
        ("subject", _F.SUBJECT, _ONE),
        ("message_class", _F.MESSAGE_CLASS, _ONE),
        ("expiry", _F.EXPIRY, _ONE),
        ("delivery_time", _F.DELIVERY_TIME, _ONE),
        ("priority", _F.PRIORITY, _ONE),
        ("sender_visibility", _F.SENDER_VISIBILITY, _ONE),
        ("delivery_report", _F.DELIVERY_REPORT, _ONE),
        ("read_report", _F.READ_REPORT, _ONE),
        ("content_type", _F.CONTENT_TYPE, _ONE),
    )
    transaction_id: str
    content_type: ContentType
    parts: tuple[Part, ...] = ()
    body: bytes = b""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    from_address: str | None = None
    subject: str | None = None
    date: datetime | None = None
    message_class: MessageClass | str | None = None
    expiry: datetime | timedelta | None = None
    delivery_time: datetime | timedelta | None = None
    priority: Priority | None = None
    sender_visibility: SenderVisibility | None = None
    delivery_report: bool | None = None
    read_report: bool | None = None
    version: tuple[int, int] = (1, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendConf:
    """m-send-conf (§6.1.2)."""

    message_type: ClassVar[MessageType] = MessageType.M_SEND_CONF
    _FIELDS: ClassVar[_Layout] = (
        ("transaction_id", _F.TRANSACTION_ID, _ONE),
        ("version", _F.MMS_VERSION, _ONE),
        ("response_status", _F.RESPONSE_STATUS, _ONE),
        ("response_text", _F.RESPONSE_TEXT, _ONE),
        ("message_id", _F.MESSAGE_ID, _ONE),
    )
    transaction_id: str
    response_status: ResponseStatus
    response_text: str | None = None
    message_id: str | None = None
    version: tuple[int, int] = (1, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationInd:
    """m-notification-ind (§6.2): where and until when the handset can fetch a message."""

    message_type: ClassVar[MessageType] = MessageType.M_NOTIFICATION_IND
    _FIELDS: ClassVar[_Layout] = (
        ("transaction_id", _F.TRANSACTION_ID, _ONE),
        ("version", _F.MMS_VERSION, _ONE),
        ("from_address", _F.FROM, _ONE),
        ("subject", _F.SUBJECT, _ONE),
        ("delivery_report", _F.DELIVERY_REPORT, _ONE),
        ("message_class", _F.MESSAGE_CLASS, _ONE),
        ("priority", _F.PRIORITY, _ONE),
        ("message_size", _F.MESSAGE_SIZE, _ONE),
        ("expiry", _F.EXPIRY, _ONE),
        ("content_location", _F.CONTENT_LOCATION, _ONE),
        ("content_class", _F.CONTENT_CLASS, _ONE),
    )
    transaction_id: str
    content_location: str
    message_size: int
    expiry: datetime | timedelta
    message_class: MessageClass | str = MessageClass.PERSONAL
    from_address: str | None = None
    subject: str | None = None
    delivery_report: bool | None = None
    priority: Priority | None = None
    content_class: ContentClass | None = None
    version: tuple[int, int] = (1, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyRespInd:
    """m-notifyresp-ind (§6.2): the handset's answer to a notification."""

    message_type: ClassVar[MessageType] = MessageType.M_NOTIFYRESP_IND
    _FIELDS: ClassVar[_Layout] = (
        ("transaction_id", _F.TRANSACTION_ID, _ONE),
        ("version", _F.MMS_VERSION, _ONE),
        ("status", _F.STATUS, _ONE),
        ("report_allowed", _F.REPORT_ALLOWED, _ONE),
    )
    transaction_id: str
    status: Status
    report_allowed: bool | None = None
    version: tuple[int, int] = (1, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrieveConf:
    """m-retrieve-conf (§6.3): the message itself, as the handset fetches it."""

    message_type: ClassVar[MessageType] = MessageType.M_RETRIEVE_CONF
    _FIELDS: ClassVar[_Layout] = (
        ("transaction_id", _F.TRANSACTION_ID, _ONE),
        ("version", _F.MMS_VERSION, _ONE),
        ("message_id", _F.MESSAGE_ID, _ONE),
        ("date", _F.DATE, _ONE),
        ("from_address", _F.FROM, _ONE),
        ("to", _F.TO, _MANY),
        ("cc", _F.CC, _MANY),
        ("subject", _F.SUBJECT, _ONE),
        ("message_class", _F.MESSAGE_CLASS, _ONE),
        ("priority", _F.PRIORITY, _ONE),
        ("delivery_report", _F.DELIVERY_REPORT, _ONE),
        ("read_report", _F.READ_REPORT, _ONE),
        ("retrieve_status", _F.RETRIEVE_STATUS, _ONE),
        ("retrieve_text", _F.RETRIEVE_TEXT, _ONE),
        ("content_type", _F.CONTENT_TYPE, _ONE),
    )
    date: datetime
    content_type: ContentType
    parts: tuple[Part, ...] = ()
    body: bytes = b""
    transaction_id: str | None = None
    message_id: str | None = None
    from_address: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str | None = None
    message_class: MessageClass | str | None = None
    priority: Priority | None = None
    delivery_report: bool | None = None
    read_report: bool | None = None
    retrieve_status: RetrieveStatus | None = None
    retrieve_text: str | None = None
    version: tuple[int, int] = (1, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class AcknowledgeInd:
    """m-acknowledge-ind (§6.4): the handset confirms a retrieval."""

    message_type: ClassVar[MessageType] = MessageType.M_ACKNOWLEDGE_IND
    _FIELDS: ClassVar[_Layout] = (
        ("transaction_id", _F.TRANSACTION_ID, _ONE),
        ("version", _F.MMS_VERSION, _ONE),
        ("report_allowed", _F.REPORT_ALLOWED, _ONE),
    )
    transaction_id: str
    report_allowed: bool | None = None
    version: tuple[int, int] = (1, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryInd:
    """m-delivery-ind (§6.5): what became of a message sent to ``to``."""

    message_type: ClassVar[MessageType] = MessageType.M_DELIVERY_IND
    _FIELDS: ClassVar[_Layout] = (
        ("version", _F.MMS_VERSION, _ONE),
        ("message_id", _F.MESSAGE_ID, _ONE),
        ("to", _F.TO, _ONE),
        ("date", _F.DATE, _ONE),
        ("status", _F.STATUS, _ONE),
    )
    message_id: str
    to: str
    date: datetime
    status: Status
    version: tuple[int, int] = (1, 2)


MmsPdu = (
    SendReq
    | SendConf
    | NotificationInd
    | NotifyRespInd
    | RetrieveConf
    | AcknowledgeInd
    | DeliveryInd
)
_CLASSES: Final[dict[int, type[Any]]] = {
    cls.message_type: cls
    for cls in (
        SendReq,
        SendConf,
        NotificationInd,
        NotifyRespInd,
        RetrieveConf,
        AcknowledgeInd,
        DeliveryInd,
    )
}


def phone_address(number: str) -> str:
    """An MMS address for a phone number (§8: ``+447700900123/TYPE=PLMN``)."""
    return f"{number}/TYPE=PLMN"


def encode_pdu(pdu: MmsPdu) -> bytes:
    """The PDU's octets.

    Raises :class:`EncodeError` for a value a field cannot carry, or parts with a body type
    that is not multipart.
    """
    out = bytearray(encode_field(_F.MESSAGE_TYPE, int(pdu.message_type)))
    for attribute, field, mode in pdu._FIELDS:
        value = getattr(pdu, attribute)
        if mode == _MANY:
            out += b"".join(encode_field(field, item) for item in value)
        elif value is not None or mode == _ALWAYS:
            out += encode_field(field, value)
    if isinstance(pdu, SendReq | RetrieveConf):
        if is_multipart(pdu.content_type):
            if pdu.body:
                raise EncodeError("a multipart MMS takes parts, not a body")
            out += encode_multipart(pdu.parts)
        elif pdu.parts:
            raise EncodeError(f"parts need a multipart content type, not {pdu.content_type}")
        else:
            out += pdu.body
    return bytes(out)


def _round_status(enum: type[ResponseStatus] | type[RetrieveStatus], value: int) -> Any:
    # §7.3.48 / §7.3.50: an unknown transient (192-223) or permanent (224-255) error is
    # read as the generic transient or permanent failure.
    try:
        return enum(value)
    except ValueError:
        if 192 <= value <= 223:
            return enum.ERROR_TRANSIENT_FAILURE
        if value >= 224:
            return enum.ERROR_PERMANENT_FAILURE
        raise


_CONVERT: Final[dict[str, Any]] = {
    "priority": Priority,
    "sender_visibility": SenderVisibility,
    "status": Status,
    "content_class": ContentClass,
    "response_status": lambda v: _round_status(ResponseStatus, v),
    "retrieve_status": lambda v: _round_status(RetrieveStatus, v),
    "message_class": lambda v: MessageClass(v) if isinstance(v, int) else v,
}


def _read_fields(reader: ByteReader) -> list[tuple[MmsField | str, MmsValue]]:
    fields: list[tuple[MmsField | str, MmsValue]] = []
    while not reader.at_end():
        field = read_field(reader)
        fields.append(field)
        if field[0] == _F.CONTENT_TYPE:
            break
    return fields


def decode_pdu(data: bytes) -> MmsPdu:
    """Parse an MMS PDU of one of the types above.

    Raises :class:`DecodeError` for malformed data, another message type, a missing
    mandatory field or a value outside its table.
    """
    reader = ByteReader(data)
    first, message_type = read_field(reader)
    if first != _F.MESSAGE_TYPE or not isinstance(message_type, int):
        raise DecodeError("an MMS PDU starts with X-Mms-Message-Type")
    cls = _CLASSES.get(message_type)
    if cls is None:
        raise DecodeError(f"MMS message type {message_type} is not supported")
    layout: _Layout = cls._FIELDS
    by_field = {field: (attribute, mode) for attribute, field, mode in layout}
    values: dict[str, Any] = {}
    for field, value in _read_fields(reader):
        if field not in by_field:
            continue
        attribute, mode = by_field[field]
        try:
            value = _CONVERT[attribute](value) if attribute in _CONVERT else value
        except ValueError:
            raise DecodeError(f"{attribute} value {value!r} is not in its table") from None
        if mode == _MANY:
            values[attribute] = (*values.get(attribute, ()), value)
        else:
            values[attribute] = value
    if "version" not in values:
        raise DecodeError("X-Mms-MMS-Version is missing (mandatory in every PDU, §7.3.34)")
    content_type = values.get("content_type")
    if isinstance(content_type, ContentType) and is_multipart(content_type):
        values["parts"] = read_multipart(reader)
    elif content_type is not None:
        values["body"] = reader.rest()
    try:
        pdu: MmsPdu = cls(**values)
    except TypeError as exc:
        raise DecodeError(f"{MessageType(message_type).name}: {exc}") from None
    return pdu
