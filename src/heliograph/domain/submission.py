"""plan_submission(): turn a neutral submit request into messages to persist.

Every edge (REST, the vendor dialects, SMPP, e-mail) builds a ``SubmitRequest``
and the submit service hands it here. Problems with the request as a whole
(no text, too many recipients, a schedule in the far future) raise
``Rejected``; a bad recipient in a batch gets its own error in its
``RecipientPlan`` while the others are accepted.

The text is not split into bytes here: the number of parts is counted with the
same code that later builds them (``wire.gsm.parts``), so the count a client is
told is the count sent. Recipients with texts of their own (``texts``, filled
in from a template by ``services/books.py``) are planned per distinct text.
Identifiers and ``now`` come in as arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from zlib import crc32

from heliograph.domain.addresses import normalize_msisdn, normalize_sender
from heliograph.domain.content import Content, for_message, per_recipient, plan_content
from heliograph.domain.ids import AccountId, ConnectorId, MessageId
from heliograph.domain.messages import MessageState, NewMessage, transition
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.wire.errors import EncodeError, UnencodableCharacter
from heliograph.wire.gsm.dcs import (
    Alphabet,
    CodingGroup,
    DataCoding,
    MessageWaiting,
    encode_data_coding,
    encode_dcs,
)
from heliograph.wire.gsm.gsm7 import DEFAULT, gsm7_alphabet, header_septets
from heliograph.wire.gsm.latin1 import LATIN1_CHARSET
from heliograph.wire.gsm.parts import MAX_OCTETS, MAX_SEPTETS, count_parts, split_text
from heliograph.wire.gsm.transliterate import transliterate
from heliograph.wire.gsm.ucs2 import encode_ucs2

ENCODINGS = ("auto", "gsm7", "latin1", "ucs2")


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitLimits:
    max_recipients: int = 10_000
    max_parts: int = 255
    max_schedule_ahead_s: float = 366 * 86400.0
    default_validity_s: int = 2 * 86400
    max_validity_s: int = 30 * 86400
    min_validity_s: int = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitRequest:
    account_id: AccountId
    to: tuple[str, ...]
    text: str
    sender: str | None = None
    callback_url: str | None = None
    reference: str | None = None
    schedule_at: float | None = None
    # Send this many seconds after the request is planned: for edges whose
    # dialect schedules relative to "now" (csoft SendTimeDelay, Kannel deferred).
    delay_s: float | None = None
    validity_s: int | None = None
    priority: int = 0
    encoding: str = "auto"
    # How status events are rendered for callback_url: "json" (REST) or a
    # dialect's own format, interpreted by the renderer registered under that name.
    callback_format: str = "json"
    # Replace characters the encoding cannot carry by look-alikes (Cyrillic to
    # Latin, accented letters to plain ones), so that the text fits GSM 7-bit
    # (auto, gsm7) or Latin-1, as the SMS Center API's translit option does.
    transliterate: bool = False
    # A client-segmented part (SMPP UDHI): the text is that one part, sent behind this UDH.
    udh: bytes | None = None
    # Test mode for this request: everything runs, nothing goes upstream, nothing is charged.
    test: bool = False
    # Rich content (domain.content): the octets are planned from it and ``text`` is ignored.
    content: Content | None = None
    message_class: int | None = None  # TS 23.038 §4: 0 is a flash message
    # A message waiting indication (TS 23.038 §4 groups 1100-1110) set or cleared by a
    # text, which may then be empty: the data_coding says it (see ``text_data_coding``).
    waiting: MessageWaiting | None = None
    languages: frozenset[int] | None = None  # national shift tables for a GSM 7-bit text
    # A template of the account instead of ``text``, or ``text`` with placeholders
    # filled in per recipient: services/books.py turns either into ``texts``.
    template: str | None = None
    personalize: bool = False
    # One entry per recipient of ``to``: its own text, None for ``text``, or the
    # refusal of that recipient (an unknown address book, a placeholder without a
    # value). Each distinct text is encoded and counted once.
    texts: tuple[str | Rejected | None, ...] | None = None
    # Send every part through this connector instead of the one the routes choose (Kannel's
    # smsc). The edge checks that it is configured; the dispatcher fails the parts when it
    # no longer is by the time they are sent.
    connector: ConnectorId | None = None
    # SMPP optional parameters (tag, value) for every submit_sm (Kannel's meta-data).
    tlvs: tuple[tuple[int, bytes], ...] | None = None


@dataclass(slots=True, kw_only=True)  # not frozen: built per recipient (see NewMessage)
class RecipientPlan:
    to: str
    message: NewMessage | None
    error: Rejected | None


def _check_request(req: SubmitRequest, now: float, limits: SubmitLimits) -> None:
    if not req.to:
        raise Rejected(RejectReason.INVALID_REQUEST, "no recipient given", field="to")
    if len(req.to) > limits.max_recipients:
        raise Rejected(
            RejectReason.TOO_MANY_RECIPIENTS,
            f"{len(req.to)} recipients, at most {limits.max_recipients} per request",
            field="to",
        )
    if req.template is not None or req.personalize:
        raise Rejected(
            RejectReason.NOT_SUPPORTED,
            "templates and personalized texts are not supported here",
            field="template" if req.template is not None else "personalize",
        )
    if req.text == "" and req.content is None and req.waiting is None:
        raise Rejected(RejectReason.INVALID_TEXT, "text is empty", field="text")
    if req.texts is not None and (
        len(req.texts) != len(req.to)
        or (
            (req.content is not None or req.udh is not None)
            and any(isinstance(t, str) for t in req.texts)
        )
    ):
        raise Rejected(
            RejectReason.INVALID_REQUEST, "one text per recipient, for text messages", field="to"
        )
    if req.content is not None and req.udh is not None:
        raise Rejected(
            RejectReason.INVALID_REQUEST, "a content's UDH goes in the content", field="udh"
        )
    if req.content is not None and req.languages:
        raise Rejected(
            RejectReason.INVALID_REQUEST, "languages apply to text only", field="languages"
        )
    if req.message_class is not None and not 0 <= req.message_class <= 3:
        raise Rejected(
            RejectReason.INVALID_REQUEST, "message_class is 0 to 3", field="message_class"
        )
    if req.waiting is not None and (req.content is not None or req.message_class is not None):
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            "a message waiting indication goes with a text, without a message class (TS 23.038 §4)",
            field="waiting",
        )
    if req.encoding not in ENCODINGS:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"encoding must be one of {', '.join(ENCODINGS)}",
            field="encoding",
        )
    if not 0 <= req.priority <= 3:
        raise Rejected(RejectReason.INVALID_REQUEST, "priority must be 0 to 3", field="priority")
    if req.delay_s is not None and not (
        req.schedule_at is None and 0 <= req.delay_s <= limits.max_schedule_ahead_s
    ):
        raise Rejected(
            RejectReason.INVALID_SCHEDULE,
            f"delay_s must be 0 to {limits.max_schedule_ahead_s:.0f} and without schedule_at",
            field="delay_s",
        )
    if req.schedule_at is not None and req.schedule_at > now + limits.max_schedule_ahead_s:
        raise Rejected(
            RejectReason.INVALID_SCHEDULE,
            f"schedule_at is more than {limits.max_schedule_ahead_s / 86400:.0f} days ahead",
            field="schedule_at",
        )
    if req.validity_s is not None and not (
        limits.min_validity_s <= req.validity_s <= limits.max_validity_s
    ):
        raise Rejected(
            RejectReason.INVALID_VALIDITY,
            f"validity_s must be between {limits.min_validity_s} and {limits.max_validity_s}",
            field="validity_s",
        )


def count_text_parts(
    text: str, encoding: str, max_parts: int, languages: frozenset[int] | None = None
) -> tuple[str, int]:
    """(encoding chosen, parts). Raises: Rejected(INVALID_TEXT | MESSAGE_TOO_LONG)."""
    try:
        chosen, parts = count_parts(text, encoding=encoding, languages=languages)  # type: ignore[arg-type]
    except UnencodableCharacter as exc:
        raise Rejected(RejectReason.INVALID_TEXT, str(exc), field="text") from exc
    except EncodeError as exc:
        raise Rejected(RejectReason.MESSAGE_TOO_LONG, str(exc), field="text") from exc
    if parts > max_parts:
        raise Rejected(
            RejectReason.MESSAGE_TOO_LONG,
            f"text needs {parts} parts, at most {max_parts} allowed",
            field="text",
        )
    return chosen, parts


def transliterate_text(text: str, encoding: str) -> str:
    """The text with look-alikes for what ``encoding`` cannot carry (UCS-2: unchanged)."""
    if encoding in ("auto", "gsm7"):
        return transliterate(text, gsm7_alphabet().charset)
    if encoding == "latin1":
        return transliterate(text, LATIN1_CHARSET)
    return text


_DATA_CODING = {"gsm7": 0x00, "latin1": 0x03, "ucs2": 0x08, "binary": 0x04}
_ALPHABETS = {"gsm7": Alphabet.GSM7, "latin1": Alphabet.LATIN1, "ucs2": Alphabet.UCS2}


def _dcs(encoding: str, message_class: int) -> int:
    """TS 23.038 §4 group 00xx with a class. Raises: Rejected (Latin-1 has no class bits)."""
    try:
        return encode_dcs(_ALPHABETS.get(encoding, Alphabet.BINARY), message_class=message_class)
    except EncodeError as exc:
        raise Rejected(RejectReason.INVALID_REQUEST, str(exc), field="message_class") from exc


def text_data_coding(
    text: str,
    encoding: str,
    *,
    message_class: int | None = None,
    waiting: MessageWaiting | None = None,
) -> int:
    """The data_coding of ``text`` in the ``encoding`` chosen for it (TS 23.038 §4).

    A message waiting indication that is cleared, or set without a text to keep, goes in
    group 1100 (discard the message, GSM 7-bit); one set by a text in 1101 (store,
    GSM 7-bit) or 1110 (store, UCS-2), as Kannel encodes them. A UCS-2 text clearing an
    indication needs 1110 too: 1100 has no UCS-2. Raises: Rejected.
    """
    if waiting is None:
        return _DATA_CODING[encoding] if message_class is None else _dcs(encoding, message_class)
    alphabet = _ALPHABETS.get(encoding, Alphabet.BINARY)
    discard = alphabet is Alphabet.GSM7 and (text == "" or not waiting.active)
    group = CodingGroup.MWI_DISCARD if discard else CodingGroup.MWI_STORE
    try:
        return encode_data_coding(DataCoding(alphabet=alphabet, group=group, waiting=waiting))
    except EncodeError as exc:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"{exc}: a message waiting indication needs a GSM 7-bit or UCS-2 text",
            field="waiting",
        ) from exc


def _check_behind_udh(
    udh: bytes, text: str, encoding: str, languages: frozenset[int] | None
) -> None:
    """A client-segmented part: its UDH and text fit one TP-UD (TS 23.040 §9.2.3.16).

    Raises: Rejected(MESSAGE_TOO_LONG).
    """
    if encoding == "gsm7":
        septets = DEFAULT.count(text) if not languages else None
        if septets is None:  # national tables: count what the splitter encodes
            split = split_text(text, reference=0, encoding="gsm7", languages=languages)
            septets = sum(len(p.payload) for p in split.parts)
        used, limit = header_septets(len(udh)) + septets, MAX_SEPTETS
    else:
        octets = len(encode_ucs2(text)) if encoding == "ucs2" else len(text)
        used, limit = len(udh) + octets, MAX_OCTETS
    if used > limit:
        unit = "septets" if encoding == "gsm7" else "octets"
        raise Rejected(
            RejectReason.MESSAGE_TOO_LONG,
            f"the text and its UDH need {used} {unit}, one part holds {limit}",
            field="text",
        )


def _plan_text(req: SubmitRequest, text: str, limits: SubmitLimits) -> tuple[str, str, int, int]:
    """(text as sent, encoding, parts, data_coding). Raises: Rejected."""
    sent = transliterate_text(text, req.encoding) if req.transliterate else text
    encoding, parts = count_text_parts(sent, req.encoding, limits.max_parts, req.languages)
    if req.udh is not None:
        _check_behind_udh(req.udh, sent, encoding, req.languages)
    data_coding = text_data_coding(
        sent, encoding, message_class=req.message_class, waiting=req.waiting
    )
    return sent, encoding, parts, data_coding


def _own_text(
    planned: dict[str, tuple[str, str, int, int] | Rejected],
    req: SubmitRequest,
    text: str,
    limits: SubmitLimits,
) -> tuple[str, str, int, int]:
    """``_plan_text`` once per distinct text. Raises: Rejected (that recipient's)."""
    if text not in planned:
        try:
            planned[text] = _plan_text(req, text, limits)
        except Rejected as exc:
            planned[text] = exc
    found = planned[text]
    if isinstance(found, Rejected):
        raise found
    return found


def plan_submission(
    req: SubmitRequest,
    *,
    now: float,
    ids: Iterator[MessageId],
    limits: SubmitLimits,
    default_callback_url: str | None = None,
    references: Callable[[str], int] | None = None,
) -> list[RecipientPlan]:
    """Plan one message per recipient. Raises: Rejected for the request as a whole."""
    _check_request(req, now, limits)
    content = (
        plan_content(req.content, message_class=req.message_class, max_parts=limits.max_parts)
        if req.content is not None
        else None
    )
    if content is not None:
        text, encoding, parts = content.description, "binary", content.parts
        data_coding = content.data_coding
    elif req.texts is None or None in req.texts:
        text, encoding, parts, data_coding = _plan_text(req, req.text, limits)
    else:  # every recipient has a text of its own
        text, encoding, parts, data_coding = req.text, "auto", 1, 0
    own: dict[str, tuple[str, str, int, int] | Rejected] = {}
    if req.udh is not None:
        parts = 1
    sender = normalize_sender(req.sender) if req.sender is not None else None
    schedule_at = now + req.delay_s if req.delay_s is not None else req.schedule_at
    due_at = max(now, schedule_at) if schedule_at is not None else now
    state = transition(
        MessageState.ACCEPTED, MessageState.SCHEDULED if due_at > now else MessageState.QUEUED
    )
    validity = req.validity_s if req.validity_s is not None else limits.default_validity_s
    plans: list[RecipientPlan] = []
    for i, raw in enumerate(req.to):
        mine = req.texts[i] if req.texts is not None else None
        if isinstance(mine, Rejected):
            plans.append(RecipientPlan(to=raw, message=None, error=mine))
            continue
        try:
            to = normalize_msisdn(raw)
            m_text, m_encoding, m_parts, m_coding = (
                (text, encoding, parts, data_coding)
                if mine is None
                else _own_text(own, req, mine, limits)
            )
        except Rejected as exc:
            plans.append(RecipientPlan(to=raw, message=None, error=exc))
            continue
        message_id = next(ids)
        if req.content is not None and per_recipient(req.content):
            # an MMS URL with the message id, or a walled garden's SI instead
            content = plan_content(
                for_message(req.content, message_id, to),
                message_class=req.message_class,
                max_parts=limits.max_parts,
            )
            m_text, m_parts, m_coding = content.description, content.parts, content.data_coding
        message = NewMessage(
            id=message_id,
            account_id=req.account_id,
            to=to,
            sender=sender,
            text=m_text,
            encoding=m_encoding,
            data_coding=m_coding,
            parts=m_parts,
            concat_ref=references(to)
            if references is not None and m_parts > 1
            else crc32(message_id.encode()) & 0xFF,
            state=state,
            reference=req.reference,
            callback_url=req.callback_url or default_callback_url,
            callback_format=req.callback_format if req.callback_url else "json",
            priority=req.priority,
            created_at=now,
            due_at=due_at,
            expires_at=due_at + validity,
            udh=content.udh if content is not None else req.udh,
            payload=content.payload if content is not None else None,
            dest_port=content.dest_port if content is not None else None,
            src_port=content.src_port if content is not None else None,
            message_class=req.message_class,
            languages=req.languages or None,
            connector=req.connector,
            tlvs=req.tlvs or None,
        )
        plans.append(RecipientPlan(to=raw, message=message, error=None))
    return plans
