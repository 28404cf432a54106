"""Kannel's sms-service ``get-url``: the route's URL is the pattern, filled per MO.

An MO route with ``--format kannel`` treats its URL (the route's, else the
account's callback URL) as a Kannel ``get-url``: the %-escapes are filled with
the MO's values, as Kannel's ``urltrans_fill_escape_codes`` does, and the
result is fetched with GET. Escapes (Kannel's user guide, "sms-service"):

* ``%k`` the first word (the keyword), ``%s`` the second word, ``%S`` the same
  with ``*`` as ``~`` and not URL-encoded, ``%r`` the words after the ones
  ``%k``/``%s`` name, ``%a`` all words joined by ``+``, ``%b`` the whole text
  and ``%e`` the text in hex; Heliograph texts are Unicode, so ``%b`` and the
  words are always UTF-8, URL-encoded;
* ``%p`` the subscriber, ``%P`` the number texted, ``%q``/``%Q`` the same with
  a leading ``00`` as ``+``;
* ``%t`` the time received (``YYYY-MM-DD+HH:MM:SS``, UTC), ``%T`` the same as
  Unix time;
* ``%i`` and ``%f`` the connector that received it (Kannel's smsc-id), ``%I``
  the MO's id, ``%n`` the route's keyword (``default`` without one);
* ``%c`` the coding (``0`` for a text in the GSM alphabet, else ``2``) and
  ``%C`` its charset (``GSM``, else ``UTF-8``);
* ``%u``, ``%m``, ``%M``, ``%o``, ``%B``, ``%d``, ``%A``, ``%F`` are empty;
  ``%%`` is ``%``; other escapes are kept as written.

A 2xx answer of type ``text/plain`` (or without a type) with a non-empty body
is sent back to the subscriber as a reply, from the number texted, through
the one submit path, as Kannel sends a service's answer (an empty answer sends
nothing: Kannel's ``omit-empty``). ``--format kannel:noreply`` sends no replies
(Kannel's ``max-messages = 0``).
"""

from __future__ import annotations

import logging
import time
from functools import partial

from heliograph.domain.ids import AccountId
from heliograph.servers.http.dialects._mo import MoEvent, signed_headers
from heliograph.servers.http.dialects.kannel_dlr import _fill, url_encode  # the one filler
from heliograph.services.callbacks import Renderer
from heliograph.services.ports import CallbackRequest, CallbackResponse, Replies
from heliograph.store.base import CallbackJob
from heliograph.wire.gsm.gsm7 import septet_length

FORMAT = "kannel-mo"
NO_REPLY = "noreply"
_REPLY_TYPES = frozenset({"", "text/plain"})

log = logging.getLogger("heliograph.http.kannel")


def _plus(number: str) -> str:
    return "+" + number[2:] if number.startswith("00") else number


def escape_values(mo: MoEvent, *, words_taken: int) -> dict[str, str]:
    """Escape letter → value. ``words_taken``: how many words ``%k``/``%s`` name (for %r)."""
    words = mo.text.split()
    gsm = septet_length(mo.text) is not None
    return {
        "k": url_encode(words[0]) if words else "",
        "s": url_encode(words[1]) if len(words) > 1 else "",
        "S": words[1].replace("*", "~") if len(words) > 1 else "",
        "r": "+".join(url_encode(w) for w in words[words_taken:]),
        "a": "+".join(url_encode(w) for w in words),
        "b": url_encode(mo.text),
        "e": mo.text.encode().hex(),
        "p": url_encode(mo.sender),
        "P": url_encode(mo.to),
        "q": url_encode(_plus(mo.sender)),
        "Q": url_encode(_plus(mo.to)),
        "t": time.strftime("%Y-%m-%d+%H:%M:%S", time.gmtime(mo.received_at)),
        "T": str(int(mo.received_at)),
        "i": url_encode(mo.connector),
        "f": url_encode(mo.connector),
        "I": url_encode(mo.id),
        "n": url_encode(mo.keyword or "default"),
        "c": "0" if gsm else "2",
        "C": "GSM" if gsm else "UTF-8",
        **dict.fromkeys("umMoBdAF", ""),
    }


def fill_get_url(pattern: str, mo: MoEvent) -> str:
    taken = 2 if "%s" in pattern or "%S" in pattern else 1
    return _fill(pattern, escape_values(mo, words_taken=taken), final=True)


async def send_reply(
    answer: CallbackResponse, replies: Replies, *, account_id: AccountId, mo: MoEvent
) -> str | None:
    """The service's answer, texted back to the subscriber (an error text: try again later)."""
    if answer.content_type not in _REPLY_TYPES:
        log.info("answer to MO %s is %s, not text/plain: no reply", mo.id, answer.content_type)
        return None
    text = answer.body.decode(answer.charset or "utf-8", "replace").strip()
    if not text:
        return None
    return await replies.send(
        account_id,
        to=mo.sender,
        sender=mo.to,
        text=text,
        encoding="auto",
        key=f"kannel-mo:{mo.id}",
    )


def render_mo(job: CallbackJob, now: float) -> CallbackRequest | None:
    mo = MoEvent.of(job)
    if mo is None:
        return None
    url = fill_get_url(job.url, mo)
    quiet = job.format.partition(":")[2].lower() == NO_REPLY
    return CallbackRequest(
        method="GET",
        url=url,
        body=b"",
        headers=signed_headers(job, now, url, b""),
        on_response=None if quiet else partial(send_reply, account_id=job.account_id, mo=mo),
    )


CALLBACK_RENDERERS: dict[str, Renderer] = {FORMAT: render_mo}
