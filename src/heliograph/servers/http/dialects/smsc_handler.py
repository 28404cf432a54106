"""SMS Center statuses: status codes, and the POST to the client's status handler.

The handler is the account's callback URL (the SMS Center's "User settings"
handler address). For every status change the SMS Center knows, it receives a
POST with ``id`` (the message id the client was given), ``phone``, ``status``,
``err``, ``time`` and ``ts`` (when the status changed, Unix time) and ``cnt``
(SMS parts), plus every parameter written in the handler URL after ``?``. In
that URL:

* ``charset`` chooses the encoding of the parameters (windows-1251 by default,
  utf-8, koi8-r);
* ``fmt=2`` sends the parameters as an XML document and ``fmt=3`` as a JSON
  object instead of a form (koi8-r is then not used: UTF-8 instead);
* ``md5``, ``sha1`` or ``crc32`` with a secret string as value: the parameter is
  sent with the secret replaced by the hash of ``"id:phone:status:<secret>"``
  (hex digest; crc32 as an unsigned decimal number).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.sax.saxutils import escape

from heliograph.domain.messages import MessageState
from heliograph.servers.http.dialects.smsc_params import CHARSETS, DEFAULT_CHARSET
from heliograph.services.callbacks import Renderer
from heliograph.services.ports import CallbackRequest
from heliograph.store.base import CallbackJob

FORMAT = "smsc"

S = MessageState
WAITING, TRANSFERRED, DELIVERED, EXPIRED, UNDELIVERABLE = -1, 0, 1, 3, 20
NOT_FOUND = -3
REJECTED_BY_OPERATOR = 255  # the err that goes with status 20 for a network's rejection

#: Heliograph state → (SMS Center status, err).
STATUS_OF: dict[MessageState, tuple[int, int]] = {
    S.ACCEPTED: (WAITING, 0),
    S.SCHEDULED: (WAITING, 0),
    S.QUEUED: (WAITING, 0),
    S.SENDING: (WAITING, 0),
    S.SENT: (TRANSFERRED, 0),
    S.DELIVERED: (DELIVERED, 0),
    S.EXPIRED: (EXPIRED, 0),
    S.UNDELIVERABLE: (UNDELIVERABLE, 0),
    S.REJECTED: (UNDELIVERABLE, REJECTED_BY_OPERATOR),
    S.FAILED: (UNDELIVERABLE, 0),
    S.CANCELLED: (UNDELIVERABLE, 0),
}
# Statuses that reach the handler: those an operator reports, not the gateway's own steps.
_REPORTED = frozenset({S.SENT, S.DELIVERED, S.EXPIRED, S.UNDELIVERABLE, S.REJECTED, S.FAILED})
_HASHES = ("md5", "sha1", "crc32")


def phone_of(number: str) -> str:
    """Numbers as the SMS Center writes them: international, without "+"."""
    return number.removeprefix("+")


def control_value(algorithm: str, material: str) -> str:
    data = material.encode("utf-8")
    if algorithm == "crc32":
        return str(zlib.crc32(data))
    return hashlib.new(algorithm, data).hexdigest()


def handler_fields(
    url: str, event: dict[str, object]
) -> tuple[list[tuple[str, str]], str, str | None] | None:
    """(parameters in order, charset, fmt) for one status event, or None to send nothing."""
    try:
        state = MessageState(str(event["status"]))
    except ValueError:
        return None
    if state not in _REPORTED:
        return None
    status, err = STATUS_OF[state]
    at = str(int(float(str(event["at"]))))
    message_id = str(event.get("reference") or event["id"])
    phone = phone_of(str(event["to"]))
    fields = [
        ("id", message_id),
        ("phone", phone),
        ("status", str(status)),
        ("err", str(err)),
        ("time", at),
        ("ts", at),
        ("cnt", str(event.get("parts") or 1)),
    ]
    own, charset, fmt = handler_params(url, f"{message_id}:{phone}:{status}:")
    return fields + own, charset, fmt


def handler_params(url: str, material: str) -> tuple[list[tuple[str, str]], str, str | None]:
    """The handler URL's own parameters (a control parameter's secret replaced by the hash
    of ``material`` + secret), its charset and its fmt."""
    own = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    params = [
        (name, control_value(name, material + value) if name in _HASHES else value)
        for name, value in own
    ]
    settings = dict(own)
    charset = settings.get("charset", "").lower()
    return params, charset if charset in CHARSETS else DEFAULT_CHARSET, settings.get("fmt")


def render_handler(job: CallbackJob, now: float) -> CallbackRequest | None:
    found = handler_fields(job.url, json.loads(job.body))
    if found is None:
        return None
    return handler_request(job.url, *found)


def handler_request(
    url: str, fields: list[tuple[str, str]], charset: str, fmt: str | None
) -> CallbackRequest:
    """The POST of ``fields`` to the handler: a form in ``charset``, or XML / JSON (fmt 2, 3)."""
    if fmt in ("2", "3"):
        codec = "utf-8" if charset == "koi8-r" else CHARSETS[charset]
        if fmt == "3":
            body = json.dumps(dict(fields), ensure_ascii=False)
            ctype = "application/json"
        else:
            items = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields)
            body = f'<?xml version="1.0" encoding="{codec}"?>\n<data>{items}</data>'
            ctype = "text/xml"
        return CallbackRequest(
            method="POST",
            url=url,
            body=body.encode(codec, "replace"),
            headers={"Content-Type": f"{ctype}; charset={codec}"},
        )
    form = urlencode(fields, encoding=CHARSETS[charset], errors="replace")
    return CallbackRequest(
        method="POST",
        url=url,
        body=form.encode("ascii"),
        headers={"Content-Type": f"application/x-www-form-urlencoded; charset={charset}"},
    )


CALLBACK_RENDERERS: dict[str, Renderer] = {FORMAT: render_handler}
