"""SMS Center: incoming SMS to the client's handler, as the status handler gets statuses.

An MO route with ``--format smsc`` POSTs each MO to its URL (the route's, else
the account's callback URL: the handler of "User settings", seed 003), with
the fields of an incoming message; the handler tells them from a status by the
presence of ``mes``:

* ``id``: the incoming message's id, a number (53 bits of a hash of the MO's
  Heliograph id, the same on every try; the Heliograph id itself is in the
  ``X-Heliograph-Message-Id`` header);
* ``phone``: the subscriber's number, ``to``: the number texted (both
  international, without "+");
* ``mes``: the text;
* ``sent`` and ``time``: when the message was received, Unix time (the
  upstream does not say when the subscriber sent it);

then every parameter of the handler URL, as for statuses (``smsc_handler``):
``charset`` (windows-1251 by default, utf-8, koi8-r) and ``fmt`` (2 XML, 3
JSON) choose the encoding, and an ``md5``, ``sha1`` or ``crc32`` parameter is
sent with its secret replaced by the hash of ``"id:phone:mes:<secret>"``.
"""

from __future__ import annotations

import hashlib

from heliograph.servers.http.dialects._mo import MoEvent, digits, signed_headers
from heliograph.servers.http.dialects.smsc_handler import handler_params, handler_request
from heliograph.services.callbacks import Renderer
from heliograph.services.ports import CallbackRequest
from heliograph.store.base import CallbackJob

FORMAT = "smsc-mo"
_ID_BITS = 53  # exact in a double: JSON parsers and PHP floats keep it whole


def incoming_id(message_id: str) -> int:
    """The SMS Center id of an incoming message: a positive number, stable for the MO."""
    digest = hashlib.blake2b(message_id.encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> (64 - _ID_BITS)) or 1


def mo_fields(mo: MoEvent) -> list[tuple[str, str]]:
    at = str(int(mo.received_at))
    return [
        ("id", str(incoming_id(mo.id))),
        ("phone", digits(mo.sender)),
        ("mes", mo.text),
        ("to", digits(mo.to)),
        ("sent", at),
        ("time", at),
    ]


def render_mo(job: CallbackJob, now: float) -> CallbackRequest | None:
    mo = MoEvent.of(job)
    if mo is None:
        return None
    fields = mo_fields(mo)
    values = dict(fields)
    own, charset, fmt = handler_params(job.url, f"{values['id']}:{values['phone']}:{mo.text}:")
    request = handler_request(job.url, fields + own, charset, fmt)
    request.headers.update(signed_headers(job, now, job.url, request.body))
    return request


CALLBACK_RENDERERS: dict[str, Renderer] = {FORMAT: render_mo}
