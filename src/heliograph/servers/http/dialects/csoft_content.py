"""csoft content tags: picture messages, logos, ringtones, vCard/vCal, MMS, WAP Push, SI, PDU.

``parse_content()`` reads the tags of one content kind into a typed value and
checks them as csoft's page describes them (library number ranges, hex data,
file name length, the SI date format and action list, PDU octets). The values
become ``domain.content`` values (``submit_content()``) that the submit path
plans into WAP Push, Smart Messaging and port-addressed parts; library numbers
are read from the content library (``resolve_content()``); MMS and WAP Push files
go to the MMS service. What Heliograph does not send (ringtone library numbers,
ringtones for phones other than Nokia) is answered with a "not supported" report.
A request mixing two kinds, or a tag without the tag it belongs to (``MCC``
without ``OperatorLogo``), is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from heliograph.domain import content as dc
from heliograph.domain.accounts import Account
from heliograph.servers.http.dialects.csoft_reports import CsoftError, Report
from heliograph.services.library import LibraryService
from heliograph.store.library import LibraryKind
from heliograph.wire.errors import EncodeError
from heliograph.wire.gsm.dcs import Alphabet, decode_dcs
from heliograph.wire.gsm.gsm7 import DEFAULT
from heliograph.wire.wap.si import parse_si_date


class ContentKind(StrEnum):
    PICTURE_MESSAGE = "Picture Message"
    GROUP_GRAPHIC = "Group Graphic"
    OPERATOR_LOGO = "Operator Logo"
    RINGTONE = "RTTTL Ringtone"
    VCARD = "vCard"
    VCAL = "vCalendar"
    MMS = "MMS Notification"
    WAP_PUSH = "WAP PUSH"
    SERVICE_INDICATION = "WAP PUSH Service Indication"
    PDU = "Protocol Data Unit"


_NAMES = [
    "PictureMessage",
    "GroupGraphic",
    "PhoneMake",
    "PhoneModel",
    "OperatorLogo",
    "MCC",
    "MNC",
    "Ringtone",
    "vCard",
    "vCal",
    "MMSFileMMS",
    "MMSNotificationFileName1",
    "MMSNotificationFileData1",
    "ContentType",
    "DisableRepurposing",
    "DisableWalledGardenRule",
    "AddSMIL",
    "MMSFileWAP",
    "WAPPushFileName1",
    "WAPPushFileData1",
    "si-href",
    "si-id",
    "si-created",
    "si-expires",
    "si-action",
    "si-content",
    "si-info-pcdata",
    "si-info-class",
    "SmsSubmitPduDataCodingScheme",
    "SmsSubmitPduProtocolIdentifier",
    "SmsSubmitPduUserDataHeader",
    "SmsSubmitPduUserData",
]
CONTENT_TAGS = {name.lower(): name for name in _NAMES}

# The tag that names each kind; the other tags only qualify one of these.
_KIND_TAGS: dict[ContentKind, tuple[str, ...]] = {
    ContentKind.PICTURE_MESSAGE: ("picturemessage",),
    ContentKind.GROUP_GRAPHIC: ("groupgraphic",),
    ContentKind.OPERATOR_LOGO: ("operatorlogo",),
    ContentKind.RINGTONE: ("ringtone",),
    ContentKind.VCARD: ("vcard",),
    ContentKind.VCAL: ("vcal",),
    ContentKind.MMS: ("mmsfilemms", "mmsnotificationfilename1", "mmsnotificationfiledata1"),
    ContentKind.WAP_PUSH: ("mmsfilewap", "wappushfilename1", "wappushfiledata1"),
    ContentKind.SERVICE_INDICATION: tuple(n for n in CONTENT_TAGS if n.startswith("si-")),
    ContentKind.PDU: tuple(n for n in CONTENT_TAGS if n.startswith("smssubmitpdu")),
}
_QUALIFIERS: dict[str, tuple[ContentKind, ...]] = {
    "phonemake": (
        ContentKind.PICTURE_MESSAGE,
        ContentKind.GROUP_GRAPHIC,
        ContentKind.OPERATOR_LOGO,
        ContentKind.RINGTONE,
    ),
    "phonemodel": (ContentKind.RINGTONE, ContentKind.GROUP_GRAPHIC, ContentKind.PICTURE_MESSAGE),
    "mcc": (ContentKind.OPERATOR_LOGO,),
    "mnc": (ContentKind.OPERATOR_LOGO,),
    "contenttype": (ContentKind.MMS, ContentKind.WAP_PUSH),
    "disablerepurposing": (ContentKind.MMS, ContentKind.WAP_PUSH),
    "disablewalledgardenrule": (ContentKind.MMS, ContentKind.WAP_PUSH),
    "addsmil": (ContentKind.MMS,),
}
PHONE_MAKES = ("Alcatel", "Ericsson", "Motorola", "Nokia", "Sagem", "Siemens", "EMS")
SI_ACTIONS = ("signal-none", "signal-low", "signal-medium", "signal-high", "delete")
_SI_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
MAX_FILE_NAME = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class OtaBitmap:
    kind: ContentKind
    library_number: int | None
    bitmap: bytes | None
    phone_make: str | None
    mcc: int | None = None
    mnc: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ringtone:
    library_number: int | None
    rtttl: str | None
    phone_make: str
    phone_model: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    kind: ContentKind  # VCARD or VCAL
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile:
    kind: ContentKind  # MMS or WAP_PUSH
    library_number: int | None
    file_name: str | None
    data: bytes | None
    content_type: str | None
    disable_repurposing: bool
    disable_walled_garden_rule: bool
    add_smil: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceIndication:
    href: str
    si_id: str | None
    created: str | None
    expires: str | None
    action: str
    content: str | None
    info_pcdata: str | None
    info_class: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Pdu:
    data_coding_scheme: int
    protocol_identifier: int
    user_data_header: bytes
    user_data: bytes | None
    message: str | None


Content = OtaBitmap | Ringtone | Card | StoredFile | ServiceIndication | Pdu


def _invalid(detail: str) -> CsoftError:
    return CsoftError(Report.INVALID_PARAMETER, detail)


def _hex(values: Mapping[str, str], key: str) -> bytes:
    raw = values[key].strip()
    if not _HEX.fullmatch(raw):
        raise _invalid(f"{CONTENT_TAGS[key]} must be hex encoded octets")
    return bytes.fromhex(raw)


def _library(values: Mapping[str, str], key: str, low: int, high: int) -> int | None:
    raw = values[key].strip()
    if not raw.isdigit() or len(raw) > 5:
        return None
    if not low <= int(raw) <= high:
        raise _invalid(f"{CONTENT_TAGS[key]} library numbers are {low} to {high}")
    return int(raw)


def _phone_make(values: Mapping[str, str], required: bool) -> str | None:
    raw = values.get("phonemake", "").strip()
    for make in PHONE_MAKES:
        if raw.lower() == make.lower():
            return make
    if raw or required:
        raise _invalid(f"PhoneMake must be one of {', '.join(PHONE_MAKES)}")
    return None


def _flag(values: Mapping[str, str], key: str, allowed: str = "01") -> int | None:
    raw = values.get(key, "").strip()
    if not raw:
        return None
    if len(raw) != 1 or raw not in allowed:
        raise _invalid(f"{CONTENT_TAGS[key]} must be one of {', '.join(allowed)}")
    return int(raw)


def _kind(values: Mapping[str, str]) -> ContentKind | None:
    kinds = [k for k, tags in _KIND_TAGS.items() if any(t in values for t in tags)]
    if len(kinds) > 1:
        raise _invalid(f"send one kind of content, not {' and '.join(kinds)}")
    kind = kinds[0] if kinds else None
    for tag, owners in _QUALIFIERS.items():
        if tag in values and kind not in owners:
            needs = " or ".join(o.value for o in owners)
            raise _invalid(f"{CONTENT_TAGS[tag]} belongs to {needs} content")
    return kind


def _bitmap(kind: ContentKind, values: Mapping[str, str]) -> OtaBitmap:
    key = _KIND_TAGS[kind][0]
    low, high = (20000, 29999) if kind is ContentKind.PICTURE_MESSAGE else (10000, 19999)
    number = _library(values, key, low, high)
    make = _phone_make(values, required=kind is ContentKind.GROUP_GRAPHIC)
    if kind is ContentKind.GROUP_GRAPHIC and make != "Nokia":
        raise _invalid("Group Graphics can only be sent to Nokia phones (PhoneMake=Nokia)")
    logo = kind is ContentKind.OPERATOR_LOGO
    codes = [values.get(k, "").strip() for k in ("mcc", "mnc")]
    if logo and not all(c.isdigit() and len(c) <= 3 for c in codes):
        raise _invalid("Operator Logo needs MCC and MNC, each 1 to 3 digits")
    return OtaBitmap(
        kind=kind,
        library_number=number,
        bitmap=None if number is not None else _hex(values, key),
        phone_make=make,
        mcc=int(codes[0]) if logo else None,
        mnc=int(codes[1]) if logo else None,
    )


def _ringtone(values: Mapping[str, str]) -> Ringtone:
    number = _library(values, "ringtone", 0, 99999)
    raw = values["ringtone"].strip()
    if number is None and not raw:
        raise _invalid("Ringtone is empty")
    if number is None and _HEX.fullmatch(raw):
        try:
            raw = bytes.fromhex(raw).decode("ascii")
        except UnicodeDecodeError as exc:
            raise _invalid("Ringtone hex is not an RTTTL or RTX string") from exc
    make = _phone_make(values, required=True)
    assert make is not None
    model = values.get("phonemodel", "").strip() or None
    rtttl = None if number is not None else raw
    return Ringtone(library_number=number, rtttl=rtttl, phone_make=make, phone_model=model)


def _file(kind: ContentKind, values: Mapping[str, str]) -> StoredFile:
    library_key, name_key, data_key = _KIND_TAGS[kind]
    number = None
    if library_key in values:
        number = _library(values, library_key, 80000, 89999)
        if number is None or name_key in values or data_key in values:
            raise _invalid(
                f"{CONTENT_TAGS[library_key]} must be a library number 80000 to 89999, "
                f"without {CONTENT_TAGS[name_key]}"
            )
    elif name_key not in values or data_key not in values:
        raise _invalid(f"send {CONTENT_TAGS[name_key]} with {CONTENT_TAGS[data_key]}")
    name = values.get(name_key, "").strip() or None
    if number is None and (name is None or len(name) > MAX_FILE_NAME or "." not in name):
        raise _invalid(f"{CONTENT_TAGS[name_key]} must be a file name and extension, ≤ 50")
    return StoredFile(
        kind=kind,
        library_number=number,
        file_name=name,
        data=_hex(values, data_key) if number is None else None,
        content_type=values.get("contenttype", "").strip() or None,
        disable_repurposing=_flag(values, "disablerepurposing") == 1,
        disable_walled_garden_rule=_flag(values, "disablewalledgardenrule") == 1,
        add_smil=_flag(values, "addsmil", "012"),
    )


def _service_indication(values: Mapping[str, str]) -> ServiceIndication:
    href = values.get("si-href", "").strip()
    if not href:
        raise CsoftError(Report.MISSING_PARAMETER, "si-href")
    if "message" in values:
        raise _invalid("a Service Indication takes its text in si-content, not Message")
    for key in ("si-created", "si-expires"):
        if key in values and not _SI_DATE.fullmatch(values[key].strip()):
            raise _invalid(f"{key} must be YYYY-MM-DDTHH:MM:SS in UTC")
    action = values.get("si-action", "").strip() or "signal-medium"
    if action not in SI_ACTIONS:
        raise _invalid(f"si-action must be one of {', '.join(SI_ACTIONS)}")
    return ServiceIndication(
        href=href,
        si_id=values.get("si-id"),
        created=values.get("si-created"),
        expires=values.get("si-expires"),
        action=action,
        content=values.get("si-content"),
        info_pcdata=values.get("si-info-pcdata"),
        info_class=values.get("si-info-class"),
    )


def _pdu(values: Mapping[str, str]) -> Pdu:
    octets = {}
    for key in ("smssubmitpdudatacodingscheme", "smssubmitpduprotocolidentifier"):
        if key not in values or len(found := _hex(values, key)) != 1:
            raise _invalid(f"{CONTENT_TAGS[key]} must be one hex encoded octet")
        octets[key] = found[0]
    if "smssubmitpduuserdataheader" not in values:
        raise CsoftError(Report.MISSING_PARAMETER, "SmsSubmitPduUserDataHeader")
    udh = _hex(values, "smssubmitpduuserdataheader")
    if udh[0] != len(udh) - 1:
        raise _invalid("SmsSubmitPduUserDataHeader: the first octet must be the UDH length")
    has_data, message = "smssubmitpduuserdata" in values, values.get("message")
    if has_data == (message is not None):
        raise _invalid("send either SmsSubmitPduUserData or Message with a PDU")
    return Pdu(
        data_coding_scheme=octets["smssubmitpdudatacodingscheme"],
        protocol_identifier=octets["smssubmitpduprotocolidentifier"],
        user_data_header=udh,
        user_data=_hex(values, "smssubmitpduuserdata") if has_data else None,
        message=message,
    )


def parse_content(values: Mapping[str, str]) -> Content | None:
    """The content tags of a request, or None for a plain text message. Raises: CsoftError."""
    match _kind(values):
        case None:
            return None
        case (
            ContentKind.PICTURE_MESSAGE | ContentKind.GROUP_GRAPHIC | ContentKind.OPERATOR_LOGO
        ) as kind:
            return _bitmap(kind, values)
        case ContentKind.RINGTONE:
            return _ringtone(values)
        case (ContentKind.VCARD | ContentKind.VCAL) as kind:
            return Card(kind=kind, text=values[_KIND_TAGS[kind][0]])
        case (ContentKind.MMS | ContentKind.WAP_PUSH) as kind:
            return _file(kind, values)
        case ContentKind.SERVICE_INDICATION:
            return _service_indication(values)
        case ContentKind.PDU:
            return _pdu(values)
    raise AssertionError("unreachable")


def kind_of(content: Content) -> ContentKind:
    match content:
        case OtaBitmap() | Card() | StoredFile():
            return content.kind
        case Ringtone():
            return ContentKind.RINGTONE
        case ServiceIndication():
            return ContentKind.SERVICE_INDICATION
        case Pdu():
            return ContentKind.PDU


def submit_content(content: Content, message: str | None) -> dc.Content:
    """The ``domain.content`` value the submit path plans for ``content``.

    ``message`` is the Message tag: a picture message's text, an MMS subject, or a
    PDU's user data. Raises: CsoftError NOT_SUPPORTED for what Heliograph does not
    send (ringtone library numbers, ringtones for phones other than Nokia, a protocol
    identifier other than 00), INVALID_PARAMETER for a Message the DCS cannot carry.
    """
    match content:
        case Ringtone(library_number=int()):
            raise CsoftError(Report.NOT_SUPPORTED, "ringtone library numbers (none are kept)")
        case OtaBitmap(library_number=int()) | StoredFile(library_number=int()):
            raise TypeError("library numbers are resolved by resolve_content()")
        case OtaBitmap(kind=ContentKind.OPERATOR_LOGO, bitmap=bytes() as bitmap):
            return dc.OperatorLogo(
                bitmap=bitmap, mcc=f"{content.mcc:03d}", mnc=f"{content.mnc:02d}"
            )
        case OtaBitmap(kind=ContentKind.GROUP_GRAPHIC, bitmap=bytes() as bitmap):
            return dc.GroupGraphic(bitmap=bitmap)
        case OtaBitmap(bitmap=bytes() as bitmap):
            return dc.Picture(bitmap=bitmap, text=message or "")
        case Ringtone(rtttl=str() as rtttl) if content.phone_make == "Nokia":
            return dc.Ringtone(rtttl=rtttl)
        case Ringtone():
            raise CsoftError(Report.NOT_SUPPORTED, f"ringtones for {content.phone_make} phones")
        case Card(kind=ContentKind.VCARD):
            return dc.VCard(text=content.text)
        case Card():
            return dc.VCal(text=content.text)
        case ServiceIndication():
            return _si(content)
        case Pdu():
            return _pdu_content(content)
        case StoredFile(data=bytes() as data):
            return _file_options(
                dc.Mms(data=data, file_name=content.file_name, content_type=content.content_type),
                content,
                message,
            )
    raise CsoftError(Report.NOT_SUPPORTED, f"{kind_of(content).value} content")


def _file_options(mms: dc.Mms, file: StoredFile, message: str | None) -> dc.Mms:
    return replace(
        mms,
        subject=message or mms.subject,
        add_smil=file.add_smil,
        disable_repurposing=file.disable_repurposing,
        wap_push=file.kind is ContentKind.WAP_PUSH,
        walled_garden_rule=not file.disable_walled_garden_rule,
    )


async def resolve_content(
    content: Content, message: str | None, library: LibraryService | None, account: Account
) -> dc.Content:
    """``submit_content()``, with library numbers (``MMSFileMMS``, ``MMSFileWAP``,
    ``PictureMessage``, ``GroupGraphic``, ``OperatorLogo``) read from the account's own
    or the public items of the content library. Raises: CsoftError, Rejected naming
    the tag (a number that is not the account's nor public: not found)."""
    match content:
        case OtaBitmap(library_number=int() as number):
            if library is None:
                raise CsoftError(Report.NOT_SUPPORTED, "the content library")
            logo = content.kind is ContentKind.OPERATOR_LOGO
            return await library.content(
                account,
                number,
                text=message,
                mcc=f"{content.mcc:03d}" if logo else None,
                mnc=f"{content.mnc:02d}" if logo else None,
                want=LibraryKind.PICTURE
                if content.kind is ContentKind.PICTURE_MESSAGE
                else LibraryKind.LOGO,
                field=CONTENT_TAGS[_KIND_TAGS[content.kind][0]],
            )
        case StoredFile(library_number=int() as number):
            if library is None:
                raise CsoftError(Report.NOT_SUPPORTED, "the content library")
            found = await library.content(
                account,
                number,
                want=LibraryKind.FILE,
                field=CONTENT_TAGS[_KIND_TAGS[content.kind][0]],
            )
            assert isinstance(found, dc.Mms)
            return _file_options(found, content, message)
    return submit_content(content, message)


def _si(si: ServiceIndication) -> dc.WapSi:
    info: tuple[tuple[str, str], ...] = ()
    if si.info_class is not None or si.info_pcdata is not None:
        info = ((si.info_class or "", si.info_pcdata or ""),)
    return dc.WapSi(
        href=si.href,
        text=si.content or "",
        action=si.action,
        si_id=si.si_id,
        created=parse_si_date(si.created) if si.created else None,
        expires=parse_si_date(si.expires) if si.expires else None,
        info=info,
    )


def _pdu_content(pdu: Pdu) -> dc.Binary:
    if pdu.protocol_identifier != 0:
        raise CsoftError(Report.NOT_SUPPORTED, "SmsSubmitPduProtocolIdentifier other than 00")
    data = pdu.user_data
    if data is None:
        assert pdu.message is not None
        alphabet = decode_dcs(pdu.data_coding_scheme).alphabet
        try:
            if alphabet is Alphabet.GSM7:
                data = DEFAULT.encode(pdu.message)  # unpacked septets, as SMPP carries them
            elif alphabet is Alphabet.UCS2:
                data = pdu.message.encode("utf-16-be")
            else:
                data = pdu.message.encode("latin-1")
        except (EncodeError, UnicodeEncodeError) as exc:
            raise _invalid(f"Message cannot be written with this data coding: {exc}") from exc
    return dc.Binary(payload=data, udh=pdu.user_data_header, data_coding=pdu.data_coding_scheme)
