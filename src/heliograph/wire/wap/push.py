"""WAP Push over SMS: a body in a connectionless WSP Push PDU, in binary SMS parts.

* WAP-230-WSP §8.2.4.1: the Push PDU (:mod:`.wsp`), TID first because push over SMS is
  connectionless WSP.
* WAP-259-WDP Annex B / TS 23.040 §9.2.3.24.4: the WDP datagram goes to port 2948 (WAP
  connectionless push) from port 9200 (WAP connectionless session service), in the 16-bit
  application port IE of every part's UDH.
* TS 23.040 §9.2.3.24.1: longer PDUs are split into concatenated 8-bit parts by
  :func:`heliograph.wire.gsm.parts.split_binary`, like any binary message.

Builders for the common bodies: an SI (``application/vnd.wap.sic``, 0xAE), an SL
(``application/vnd.wap.slc``, 0xB0), and an MMS m-notification-ind
(``application/vnd.wap.mms-message``, 0xBE, with ``X-Wap-Application-Id: mms.ua``, 0x84,
as OMA-MMS-ENC §6.2 / WAP-230 Table 39 have it). The caller supplies the transaction id
and the concatenation reference; nothing here draws random numbers.
"""

from __future__ import annotations

from typing import Final

from heliograph.wire.gsm.parts import MAX_PARTS, SplitText, split_binary
from heliograph.wire.gsm.udh import application_port_ie
from heliograph.wire.wap.content_types import ContentType
from heliograph.wire.wap.headers import Header, PushApplicationId
from heliograph.wire.wap.si import ServiceIndication, encode_si
from heliograph.wire.wap.sl import ServiceLoading, encode_sl
from heliograph.wire.wap.wsp import PushPdu, encode_push

__all__ = [
    "WAP_PUSH_PORT",
    "WSP_CONNECTIONLESS_PORT",
    "mms_notification_push",
    "push_parts",
    "push_pdu",
    "si_push",
    "sl_push",
]

#: WAP-259-WDP Annex B: WAP connectionless push (destination port of a push).
WAP_PUSH_PORT: Final = 2948
#: WAP-259-WDP Annex B: WAP connectionless session service (originator port).
WSP_CONNECTIONLESS_PORT: Final = 9200

_SIC: Final = "application/vnd.wap.sic"
_SLC: Final = "application/vnd.wap.slc"
_MMS: Final = "application/vnd.wap.mms-message"


def push_pdu(
    body: bytes,
    content_type: ContentType | str,
    *,
    transaction_id: int = 0,
    application_id: int | str | None = None,
    headers: tuple[Header, ...] = (),
) -> bytes:
    """A connectionless WSP Push PDU carrying ``body``.

    ``application_id`` adds an ``X-Wap-Application-Id`` header (a
    :class:`PushApplicationId` number or a URI) before ``headers``.
    """
    if isinstance(content_type, str):
        content_type = ContentType(media_type=content_type)
    if application_id is not None:
        headers = (Header(name="X-Wap-Application-Id", value=application_id), *headers)
    return encode_push(
        PushPdu(
            transaction_id=transaction_id, content_type=content_type, headers=headers, data=body
        )
    )


def si_push(si: ServiceIndication, *, transaction_id: int = 0, charset: bool = False) -> bytes:
    """A Push PDU with the SI as WBXML; ``charset`` adds ``charset=utf-8`` to the type."""
    content_type = ContentType(
        media_type=_SIC, parameters=(("charset", "utf-8"),) if charset else ()
    )
    return push_pdu(encode_si(si), content_type, transaction_id=transaction_id)


def sl_push(sl: ServiceLoading, *, transaction_id: int = 0) -> bytes:
    """A Push PDU with the SL as WBXML."""
    return push_pdu(encode_sl(sl), _SLC, transaction_id=transaction_id)


def mms_notification_push(notification: bytes, *, transaction_id: int = 0) -> bytes:
    """A Push PDU for an encoded m-notification-ind, addressed to the MMS user agent."""
    return push_pdu(
        notification,
        _MMS,
        transaction_id=transaction_id,
        application_id=PushApplicationId.MMS_UA,
    )


def push_parts(
    pdu: bytes,
    *,
    reference: int,
    ref16: bool = False,
    max_parts: int = MAX_PARTS,
    message_class: int | None = None,
) -> SplitText:
    """``pdu`` as 8-bit SMS parts with ports 2948 ← 9200 in every UDH.

    Raises :class:`EncodeError` when it needs more than ``max_parts`` parts.
    """
    ports = application_port_ie(WAP_PUSH_PORT, WSP_CONNECTIONLESS_PORT)
    return split_binary(
        pdu,
        reference=reference,
        udh_extra=ports,
        ref16=ref16,
        max_parts=max_parts,
        message_class=message_class,
    )
