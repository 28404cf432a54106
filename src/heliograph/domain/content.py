"""Rich content on the submit path: the one content model and its pure planner.

A text message has no content object (``SubmitRequest.text``); everything else is one
of the values below. ``plan_content()`` turns a value into the fields of a
``NewMessage``: the octets (``payload``), the TS 23.040 §9.2.3.24.4 application ports,
the data_coding byte and the number of parts. The parts are counted by splitting the
payload with ``split_message()`` — the very function the connectors call to build the
user data they send — so the count a client is told (and charged for) is the count
sent:

* WAP Push SI / SL (WAP-167, WAP-168) in a WSP Push PDU (WAP-230 §8.2.4.1), ports 2948
  ← 9200 (``wire.wap.push.push_parts`` splits identically);
* vCard / vCalendar to 9204 / 9205 from 0, ringing tone 5505, operator logo 5506, CLI
  icon 5507, picture message 5514 (Nokia Smart Messaging 3.0.0; ``wire.ota.smart``);
* an MMS notification (m-notification-ind, OMA-MMS-ENC §6.2) pointing at a URL, by WAP
  Push to the MMS user agent;
* raw binary: octets with the client's own UDH (one part, sent as given), with ports,
  or plain (concatenated when long).

Binary parts are 8-bit (DCS 0x04, TS 23.038 §4) unless the client gives its own
data_coding; a message class (0 = flash) goes into the DCS. National language shift
tables (TS 23.038 Annex A) apply to text only. MMS is planned by the service layer
(it needs the content store) and answers "not supported" here. Everything is pure:
no I/O, no clock; errors are ``Rejected`` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Protocol
from zlib import crc32

from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.gsm.dcs import Alphabet, decode_dcs, encode_dcs, is_message_waiting
from heliograph.wire.gsm.parts import (
    MAX_OCTETS,
    MAX_PARTS,
    EncodedPart,
    SplitText,
    split_binary,
    split_text,
)
from heliograph.wire.gsm.shift_tables import NationalLanguage
from heliograph.wire.gsm.udh import application_port_ie, decode_udh
from heliograph.wire.mms.pdus import NotificationInd, encode_pdu
from heliograph.wire.ota.bitmap import OtaBitmap, decode_ota_bitmap
from heliograph.wire.ota.logos import (
    PictureMessage,
    decode_logo_input,
    encode_cli_icon,
    encode_operator_logo,
    encode_picture_message,
)
from heliograph.wire.ota.ringtone import encode_ringtone, parse_rtttl
from heliograph.wire.ota.smart import SmartPort, vobject_payload
from heliograph.wire.wap.push import (
    WAP_PUSH_PORT,
    WSP_CONNECTIONLESS_PORT,
    mms_notification_push,
    si_push,
    sl_push,
)
from heliograph.wire.wap.si import Action, InfoItem, ServiceIndication
from heliograph.wire.wap.sl import ServiceLoading, SlAction

__all__ = [
    "Binary",
    "Content",
    "GroupGraphic",
    "Mms",
    "MmsNotification",
    "OperatorLogo",
    "PartSource",
    "Picture",
    "PlannedContent",
    "Ringtone",
    "StoredMms",
    "VCal",
    "VCard",
    "WalledGarden",
    "WapSi",
    "WapSl",
    "content_type_name",
    "for_message",
    "parse_languages",
    "per_recipient",
    "plan_content",
    "split_message",
]

#: Data coding of 8-bit data without a class (TS 23.038 §4, SMPP 3.4 §5.2.19).
BINARY_DCS: Final = 0x04
#: WSP transaction id of the pushes (connectionless push: the handset does not answer).
PUSH_TRANSACTION_ID: Final = 0x01


@dataclass(frozen=True, slots=True, kw_only=True)
class WapSi:
    """A WAP Push Service Indication (WAP-167 §8.2); dates are UTC."""

    href: str
    text: str = ""
    action: str | None = None  # signal-none / -low / -medium / -high / delete
    si_id: str | None = None
    created: datetime | None = None
    expires: datetime | None = None
    info: tuple[tuple[str, str], ...] = ()  # (class, text) items


@dataclass(frozen=True, slots=True, kw_only=True)
class WapSl:
    """A WAP Push Service Loading (WAP-168 §8.2)."""

    href: str
    action: str | None = None  # execute-low / execute-high / cache


@dataclass(frozen=True, slots=True, kw_only=True)
class VCard:
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VCal:
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Ringtone:
    rtttl: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorLogo:
    """``bitmap``: an OTA bitmap, or a whole operator logo (its network code is then kept
    unless ``mcc``/``mnc`` are given)."""

    bitmap: bytes
    mcc: str | None = None
    mnc: str | None = None
    nokia_headers: bool = False  # the short form (Smart Messaging FAQ Q19) fits one SMS


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupGraphic:
    """A CLI icon: an OTA bitmap (with or without the leading version octet)."""

    bitmap: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Picture:
    bitmap: bytes
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Binary:
    """Raw 8-bit (or client-coded) user data.

    ``udh`` is the client's own UDH, UDHL included: the message is then one part, sent
    as given. Otherwise ``dest_port``/``src_port`` add the 16-bit port IE to every part.
    """

    payload: bytes
    udh: bytes | None = None
    dest_port: int | None = None
    src_port: int | None = None
    data_coding: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WalledGarden:
    """Networks whose handsets cannot fetch an MMS from outside (walled gardens): their
    numbers (E.164 digits starting with one of ``prefixes``) get ``push`` instead, a
    Service Indication pointing the browser at the same content."""

    prefixes: tuple[str, ...]
    push: WapSi

    def holds(self, to: str) -> bool:
        digits = to.lstrip("+")
        return any(digits.startswith(p) for p in self.prefixes)


@dataclass(frozen=True, slots=True, kw_only=True)
class MmsNotification:
    """An m-notification-ind (OMA-MMS-ENC §6.2) by WAP Push: the handset fetches ``url``."""

    url: str
    size: int
    subject: str | None = None
    transaction_id: str | None = None  # default: derived from the URL
    expiry_s: int = 7 * 86400
    from_address: str | None = None
    walled_garden: WalledGarden | None = None  # recipients there get its SI instead


@dataclass(frozen=True, slots=True, kw_only=True)
class Mms:
    """An MMS: a ready encapsulated message, a ZIP of parts, or one media file."""

    data: bytes
    file_name: str | None = None
    content_type: str | None = None
    subject: str | None = None
    add_smil: int | None = None  # csoft AddSMIL: 0 default, 1 add a SMIL, 2 do not add one
    disable_repurposing: bool = False  # csoft DisableRepurposing: never adapt to the handset
    wap_push: bool = False  # to the browser by a WAP Push SI (csoft WAPPushFile, MMSFileWAP)
    walled_garden_rule: bool = True  # False: csoft DisableWalledGardenRule=1


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMms:
    """A composed MMS kept for handsets to fetch: the m-retrieve-conf they get."""

    token: str  # unguessable, in the fetch URL
    account_id: AccountId
    pdu: bytes
    created_at: float
    expires_at: float
    fetches: int = 0
    first_fetched_at: float | None = None
    adapt: bool = True  # images may be resized to the fetching handset


#: Put in ``MmsNotification.url``, replaced by each recipient's message id.
MESSAGE_ID_PLACEHOLDER: Final = "{message_id}"


def for_message(content: Content, message_id: str, to: str = "") -> Content:
    """``content`` for one recipient: an MMS notification URL (or a pushed href) gets the
    message id; a recipient in the notification's walled garden gets its SI instead."""
    if isinstance(content, MmsNotification):
        if content.walled_garden is not None and content.walled_garden.holds(to):
            return for_message(content.walled_garden.push, message_id, to)
        if MESSAGE_ID_PLACEHOLDER in content.url:
            return replace(content, url=content.url.replace(MESSAGE_ID_PLACEHOLDER, message_id))
    if isinstance(content, WapSi) and MESSAGE_ID_PLACEHOLDER in content.href:
        return replace(content, href=content.href.replace(MESSAGE_ID_PLACEHOLDER, message_id))
    return content


def per_recipient(content: Content) -> bool:
    """Whether each recipient's octets differ (and must be planned with its message id
    and number)."""
    if isinstance(content, MmsNotification):
        return content.walled_garden is not None or MESSAGE_ID_PLACEHOLDER in content.url
    return isinstance(content, WapSi) and MESSAGE_ID_PLACEHOLDER in content.href


Content = (
    WapSi
    | WapSl
    | VCard
    | VCal
    | Ringtone
    | OperatorLogo
    | GroupGraphic
    | Picture
    | Binary
    | MmsNotification
    | Mms
)

_TYPE_NAMES: Final[dict[type, str]] = {
    WapSi: "wap_si",
    WapSl: "wap_sl",
    VCard: "vcard",
    VCal: "vcal",
    Ringtone: "ringtone",
    OperatorLogo: "operator_logo",
    GroupGraphic: "group_graphic",
    Picture: "picture",
    Binary: "binary",
    MmsNotification: "mms_notification",
    Mms: "mms",
}


def content_type_name(content: Content) -> str:
    """The REST ``content.type`` of a value: ``wap_si``, ``vcard``..."""
    return _TYPE_NAMES[type(content)]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedContent:
    """The ``NewMessage`` fields of one content value (the same for every recipient)."""

    description: str  # stored as the message text: what the octets are, for people
    payload: bytes
    udh: bytes | None
    dest_port: int | None
    src_port: int | None
    data_coding: int
    parts: int


class PartSource(Protocol):
    """What ``split_message`` reads: a ``NewMessage`` or a claimed part of one."""

    @property
    def text(self) -> str: ...
    @property
    def encoding(self) -> str: ...
    @property
    def data_coding(self) -> int: ...
    @property
    def concat_ref(self) -> int: ...
    @property
    def udh(self) -> bytes | None: ...
    @property
    def payload(self) -> bytes | None: ...
    @property
    def dest_port(self) -> int | None: ...
    @property
    def src_port(self) -> int | None: ...
    @property
    def message_class(self) -> int | None: ...
    @property
    def languages(self) -> frozenset[int] | None: ...


# --- splitting: shared by the planner and the connectors ------------------------------


def split_message(m: PartSource, *, max_parts: int = MAX_PARTS) -> SplitText:
    """Every part of a stored message, UDH and user data, as the connectors send them.

    Binary: ``payload`` split by ``split_binary`` with the port IE in each part (as
    ``push_parts``/``port_parts`` do), or behind the client's UDH as one part; the
    message's own data_coding is kept. Text: ``split_text`` with the message's
    encoding, national tables and class (a message waiting indication's data_coding is
    kept); a text behind the client's UDH is one part.
    Raises: EncodeError.
    """
    if m.payload is not None:
        if m.udh is not None:
            return _client_udh_split(m.payload, m.udh, m.data_coding)
        extra = b""
        if m.dest_port is not None:
            extra = application_port_ie(m.dest_port, m.src_port or 0)
        split = split_binary(
            m.payload,
            reference=m.concat_ref,
            udh_extra=extra,
            max_parts=max_parts,
            message_class=m.message_class,
        )
        return (
            split
            if split.data_coding == m.data_coding
            else replace(split, data_coding=m.data_coding)
        )
    encoding = m.encoding
    if m.udh is not None:
        encoding = encoding if encoding in ("gsm7", "latin1", "ucs2") else "auto"
    split = split_text(
        m.text,
        reference=0 if m.udh is not None else m.concat_ref,
        encoding=encoding,  # type: ignore[arg-type]
        languages=m.languages,
        message_class=m.message_class,
        max_parts=max_parts,
    )
    if is_message_waiting(m.data_coding):  # planned by domain.submission.text_data_coding
        return replace(split, data_coding=m.data_coding)
    return split


def _client_udh_split(payload: bytes, udh: bytes, data_coding: int) -> SplitText:
    septets = decode_dcs(data_coding).alphabet is Alphabet.GSM7
    used_bits = len(udh) * 8 + len(payload) * (7 if septets else 8)
    if used_bits > MAX_OCTETS * 8:
        raise EncodeError(f"a UDH of {len(udh)} octets leaves no room for {len(payload)} more")
    part = EncodedPart(udh=udh, payload=payload, text="")
    return SplitText(encoding="binary", data_coding=data_coding, parts=(part,))


# --- national language tables ---------------------------------------------------------


def parse_languages(values: Iterable[str | int]) -> frozenset[int]:
    """National language names (``turkish``) or identifiers (1-13, TS 23.038
    §6.2.1.2.4). Raises: Rejected naming ``languages``."""
    out: set[int] = set()
    for value in values:
        key = value.strip() if isinstance(value, str) else value
        if isinstance(key, str) and key.isdigit():
            key = int(key)
        try:
            out.add(
                NationalLanguage(key) if isinstance(key, int) else NationalLanguage[key.upper()]
            )
        except (KeyError, ValueError):
            names = ", ".join(n.name.lower() for n in NationalLanguage)
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"unknown national language {value!r}: use 1-13 or {names}",
                field="languages",
            ) from None
    return frozenset(out)


# --- the planner ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Octets:
    description: str
    payload: bytes
    dest_port: int | None = None
    src_port: int | None = None
    udh: bytes | None = None
    data_coding: int | None = None


def _bad(detail: str, field: str) -> Rejected:
    return Rejected(RejectReason.INVALID_REQUEST, detail, field=field)


def _choice(value: str | None, allowed: Iterable[str], field: str) -> str | None:
    options = [str(a) for a in allowed]
    if value is not None and value not in options:
        raise _bad(f"must be one of {', '.join(options)}", field)
    return value


def _wap_si(c: WapSi) -> _Octets:
    if not c.href:
        raise _bad("a Service Indication needs an href", "content.href")
    action = _choice(c.action, Action, "content.action")
    si = ServiceIndication(
        href=c.href,
        si_id=c.si_id,
        created=c.created,
        si_expires=c.expires,
        action=Action(action) if action else None,
        text=c.text,
        info=tuple(InfoItem(item_class=k, text=t) for k, t in c.info),
    )
    pdu = si_push(si, transaction_id=PUSH_TRANSACTION_ID)
    label = f"WAP Push SI {c.href}" + (f": {c.text}" if c.text else "")
    return _Octets(label, pdu, WAP_PUSH_PORT, WSP_CONNECTIONLESS_PORT)


def _wap_sl(c: WapSl) -> _Octets:
    if not c.href:
        raise _bad("a Service Loading needs an href", "content.href")
    action = _choice(c.action, SlAction, "content.action")
    sl = ServiceLoading(href=c.href, action=SlAction(action) if action else None)
    pdu = sl_push(sl, transaction_id=PUSH_TRANSACTION_ID)
    return _Octets(f"WAP Push SL {c.href}", pdu, WAP_PUSH_PORT, WSP_CONNECTIONLESS_PORT)


# RFC 2425 §5.8.2 / vCard 2.1 §2.1.2: [group.]name[;params]:value
_PROPERTY: Final = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)?(?:;[^:]*)?:")


def _vobject(text: str, kind: str, port: SmartPort) -> _Octets:
    """A vCard or vCalendar checked line by line: BEGIN/END of ``kind`` and properties."""
    payload = vobject_payload(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    if lines[0].strip().upper() != f"BEGIN:{kind}":
        raise _bad(f"a {kind} starts with BEGIN:{kind}", "content.text")
    if len(lines) < 3:
        raise _bad(f"the {kind} has no properties", "content.text")
    soft_break = False  # quoted-printable soft line break: the next line continues this one
    for number, line in enumerate(lines[1:-1], 2):
        if not (soft_break or line[:1] in (" ", "\t") or _PROPERTY.match(line)):
            raise _bad(f"line {number} is not NAME:value: {line[:40]!r}", "content.text")
        soft_break = line.endswith("=")
    return _Octets(text.strip(), payload, port, 0)


def _bitmap(data: bytes, field: str) -> OtaBitmap:
    try:
        return decode_ota_bitmap(data)
    except DecodeError as exc:
        raise _bad(f"not an OTA bitmap: {exc}", field) from exc


def _operator_logo(c: OperatorLogo) -> _Octets:
    try:
        found = decode_logo_input(c.bitmap)
    except DecodeError as exc:
        raise _bad(f"not an OTA bitmap or operator logo: {exc}", "content.bitmap") from exc
    mcc, mnc = c.mcc or found.mcc, c.mnc or found.mnc
    if mcc is None or mnc is None:
        raise _bad("an operator logo needs the network's MCC and MNC", "content.mcc")
    try:
        data = encode_operator_logo(mcc, mnc, found.bitmap, nokia_headers=c.nokia_headers)
    except EncodeError as exc:
        field = "content.mnc" if "MNC" in str(exc) else "content.mcc"
        raise _bad(str(exc), field) from exc
    size = f"{found.bitmap.width}x{found.bitmap.height}"
    port = SmartPort.OPERATOR_LOGO
    return _Octets(f"Operator logo {size} for {mcc}/{mnc}", data, port, port)


def _group_graphic(c: GroupGraphic) -> _Octets:
    data = c.bitmap[1:] if c.bitmap[:1] == b"\x30" else c.bitmap
    bitmap = _bitmap(data, "content.bitmap")
    port = SmartPort.CLI_ICON
    return _Octets(
        f"Group graphic {bitmap.width}x{bitmap.height}", encode_cli_icon(bitmap), port, port
    )


def _picture(c: Picture) -> _Octets:
    bitmap = _bitmap(c.bitmap, "content.bitmap")
    data = encode_picture_message(PictureMessage(bitmap=bitmap, text=c.text))
    port = SmartPort.PICTURE_MESSAGE
    label = f"Picture message {bitmap.width}x{bitmap.height}" + (f": {c.text}" if c.text else "")
    return _Octets(label, data, port, port)


def _ringtone(c: Ringtone) -> _Octets:
    tone = parse_rtttl(c.rtttl)
    port = SmartPort.RINGTONE
    return _Octets(c.rtttl.strip(), encode_ringtone(tone), port, port)


def _mms_notification(c: MmsNotification) -> _Octets:
    if not c.url.startswith(("http://", "https://")):
        raise _bad("the MMS URL must be http:// or https://", "content.url")
    if not 0 < c.size < 1 << 32:
        raise _bad("the MMS size is 1 to 4294967295 octets", "content.size")
    if not 60 <= c.expiry_s <= 366 * 86400:
        raise _bad("the expiry is 60 s to 366 days", "content.expiry_s")
    notification = NotificationInd(
        transaction_id=c.transaction_id or f"{crc32(c.url.encode()):08x}",
        content_location=c.url,
        message_size=c.size,
        expiry=timedelta(seconds=c.expiry_s),
        subject=c.subject or None,
        from_address=c.from_address,
    )
    pdu = mms_notification_push(encode_pdu(notification), transaction_id=PUSH_TRANSACTION_ID)
    label = f"MMS notification {c.url}" + (f": {c.subject}" if c.subject else "")
    return _Octets(label, pdu, WAP_PUSH_PORT, WSP_CONNECTIONLESS_PORT)


def _port(value: int | None, field: str) -> int | None:
    if value is not None and not 0 <= value <= 0xFFFF:
        raise _bad("a port is 0 to 65535", field)
    return value


def _binary(c: Binary) -> _Octets:
    if not c.payload:
        raise _bad("the payload is empty", "content.payload")
    if c.data_coding is not None and not 0 <= c.data_coding <= 0xFF:
        raise _bad("data_coding is one octet (0 to 255)", "content.data_coding")
    if c.udh is not None:
        if c.dest_port is not None or c.src_port is not None:
            raise _bad("give the ports inside the udh, or ports without a udh", "content.udh")
        try:
            header = decode_udh(c.udh)
        except DecodeError as exc:
            raise _bad(f"not a user data header: {exc}", "content.udh") from exc
        if len(header.raw) != len(c.udh):
            raise _bad("the first octet (UDHL) must be the length of the rest", "content.udh")
    if c.src_port is not None and c.dest_port is None:
        raise _bad("a source port needs a destination port", "content.dest_port")
    dest = _port(c.dest_port, "content.dest_port")
    src = _port(c.src_port, "content.src_port")
    label = f"Binary, {len(c.payload)} octets" + (f" to port {dest}" if dest is not None else "")
    return _Octets(label, c.payload, dest, src, c.udh, c.data_coding)


def _octets(content: Content) -> _Octets:
    match content:
        case WapSi():
            return _wap_si(content)
        case WapSl():
            return _wap_sl(content)
        case VCard():
            return _vobject(content.text, "VCARD", SmartPort.VCARD)
        case VCal():
            return _vobject(content.text, "VCALENDAR", SmartPort.VCALENDAR)
        case Ringtone():
            return _ringtone(content)
        case OperatorLogo():
            return _operator_logo(content)
        case GroupGraphic():
            return _group_graphic(content)
        case Picture():
            return _picture(content)
        case Binary():
            return _binary(content)
        case MmsNotification():
            return _mms_notification(content)
        case Mms():
            raise Rejected(
                RejectReason.NOT_SUPPORTED,
                "MMS is sent through the MMS service, not planned as SMS content",
                field="content.type",
            )


# The field an error about the content as a whole names.
_FIELDS: Final[dict[type, str]] = {
    WapSi: "href",
    WapSl: "href",
    VCard: "text",
    VCal: "text",
    Ringtone: "rtttl",
    OperatorLogo: "bitmap",
    GroupGraphic: "bitmap",
    Picture: "bitmap",
    Binary: "payload",
    MmsNotification: "url",
    Mms: "data",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Counted:
    """A stand-in message to count the parts with the connectors' own splitter."""

    text: str
    encoding: str
    data_coding: int
    concat_ref: int
    udh: bytes | None
    payload: bytes | None
    dest_port: int | None
    src_port: int | None
    message_class: int | None
    languages: frozenset[int] | None = None


def plan_content(
    content: Content, *, message_class: int | None = None, max_parts: int = MAX_PARTS
) -> PlannedContent:
    """The message fields for ``content``. Raises: Rejected naming the ``content`` field
    (INVALID_REQUEST for bad values, MESSAGE_TOO_LONG, NOT_SUPPORTED for MMS)."""
    if message_class is not None and not 0 <= message_class <= 3:
        raise _bad("message_class is 0 to 3", "message_class")
    if (
        isinstance(content, Binary)
        and content.data_coding is not None
        and message_class is not None
    ):
        raise _bad("give message_class or the binary data_coding, not both", "message_class")
    field = f"content.{_FIELDS[type(content)]}"
    try:
        o = _octets(content)
    except EncodeError as exc:
        raise _bad(str(exc), field) from exc
    try:
        data_coding = (
            o.data_coding
            if o.data_coding is not None
            else encode_dcs(Alphabet.BINARY, message_class=message_class)
        )
        counted = _Counted(
            text="",
            encoding="binary",
            data_coding=data_coding,
            concat_ref=0,
            udh=o.udh,
            payload=o.payload,
            dest_port=o.dest_port,
            src_port=o.src_port,
            message_class=message_class,
        )
        parts = len(split_message(counted, max_parts=max_parts).parts)
    except EncodeError as exc:
        raise Rejected(RejectReason.MESSAGE_TOO_LONG, str(exc), field=field) from exc
    return PlannedContent(
        description=o.description,
        payload=o.payload,
        udh=o.udh,
        dest_port=o.dest_port,
        src_port=o.src_port,
        data_coding=data_coding,
        parts=parts,
    )
