"""csoft (Connection Software) HTTP API: /webservices/http/sendsms and /sendmms.

Both paths take the same tags by GET or POST and answer in the report format
the request asks for (``csoft_reports``). Authentication is the account's
Username and PIN. A text message goes through the one submit path, where
``SendToAddressBook`` and its Cc/Bcc forms (``Book`` or ``Book::Group``) expand
to the contacts of the account's address books (``services/books.py``). The
features Heliograph does not have yet are answered with report 37 "Not
supported" naming the feature, never dropped: ``ReplyTo`` (it must be checked
against the account's permitted senders, which do not exist yet). The content
kinds (``csoft_content``) go through the same submit path as rich content,
library numbers read from the content library; an MMS or WAP Push file is sent
by the MMS service (a notification, or a Service Indication for the browser,
fetched from the gateway), and a file sent with its data is kept in the library:
its number is the answer's ``LibraryNumber`` (formats 1 and 3). Every answer
is HTTP 200 with the report in the body, as csoft answers; a bad method is 405
with a report.

The checks run in this order, so that a request with several problems gets
the one a user should fix first: tags and charset, login, the general tags'
own form (number count, send time, address book names), numbers, ReplyTo,
content, message text, then the submit service's rules (address books too).
"""

from __future__ import annotations

import logging

from aiohttp import web

from heliograph.domain.accounts import Account, CredentialKind
from heliograph.domain.addresses import normalize_msisdn
from heliograph.domain.content import Content, Mms
from heliograph.domain.rejections import Rejected
from heliograph.domain.submission import RecipientPlan, SubmitRequest
from heliograph.servers.http.content import MMS, base_url
from heliograph.servers.http.context import SERVICES
from heliograph.servers.http.dialects.csoft_content import (
    StoredFile,
    parse_content,
    resolve_content,
)
from heliograph.servers.http.dialects.csoft_params import (
    Form,
    FormError,
    General,
    parse_general,
    read_form,
)
from heliograph.servers.http.dialects.csoft_reports import (
    CsoftError,
    Entry,
    Report,
    entry,
    entry_for,
    format_entries,
)
from heliograph.services.library import LibraryService
from heliograph.services.submit import Render, SubmitResult
from heliograph.store.base import IdempotentAnswer

PATHS = ("/webservices/http/sendsms", "/webservices/http/sendmms")
_log = logging.getLogger("heliograph.http.csoft")
_CONTENT_TYPE = "text/html; charset=utf-8"


def _answer(
    entries: list[Entry],
    response_format: int,
    status: int = 200,
    *,
    library_number: int | None = None,
) -> web.Response:
    body = format_entries(entries, response_format, library_number=library_number).encode()
    return web.Response(status=status, body=body, headers={"Content-Type": _CONTENT_TYPE})


def _plan_entry(plan: RecipientPlan) -> Entry:
    if plan.message is not None:
        return entry(Report.QUEUED, identifier=plan.message.id)
    assert plan.error is not None
    return entry_for(plan.error)


def _render(response_format: int) -> Render:
    def render(plans: list[RecipientPlan]) -> IdempotentAnswer:
        entries = [_plan_entry(p) for p in plans]
        return IdempotentAnswer(status=200, body=format_entries(entries, response_format).encode())

    return render


async def _login(request: web.Request, form: Form) -> Account:
    username = form.values.get("username", "").strip()
    pin = form.values.get("pin", "").strip()
    if not username or not pin:
        raise CsoftError(Report.INVALID_LOGIN)
    return await request.app[SERVICES].accounts.by_secret(
        CredentialKind.PIN, username, pin, peer=request.remote
    )


async def _check(
    general: General, form: Form, library: LibraryService | None, account: Account
) -> tuple[str, Content | None, StoredFile | None]:
    """Everything but the login, in the order described above: (text, content, the
    file to keep in the library when the request uploads one)."""
    if not general.numbers and not general.address_books:
        raise CsoftError(Report.MISSING_PARAMETER, "SendTo")
    if not general.address_books and not any(_valid(n) for n in general.numbers):
        raise CsoftError(Report.INVALID_NUMBER, general.numbers[0][:60])
    if general.reply_to is not None:
        raise CsoftError(Report.NOT_SUPPORTED, "ReplyTo (permitted senders)")
    content = parse_content(form.values)
    if content is not None:
        upload = content if isinstance(content, StoredFile) and content.data else None
        return "", await resolve_content(content, general.message, library, account), upload
    if general.message is None:
        raise CsoftError(Report.MISSING_PARAMETER, "Message")
    return general.message, None, None


async def _keep(
    library: LibraryService | None, account: Account, file: StoredFile | None, sent: bool
) -> int | None:
    """The LibraryNumber of a file a request sent (csoft keeps uploads for sending
    again); None when nothing was sent or the library cannot take it."""
    if library is None or file is None or file.data is None or not sent:
        return None
    try:
        item = await library.upload(
            account, file.data, file_name=file.file_name, content_type=file.content_type
        )
    except Rejected as exc:  # sent all the same: the answer just has no LibraryNumber
        _log.warning("csoft upload not kept in the library: %s", exc.detail)
        return None
    return item.number


def _valid(number: str) -> bool:
    try:
        normalize_msisdn(number)
    except Rejected:
        return False
    return True


async def _submit(
    request: web.Request, req: SubmitRequest, account: Account, render: Render
) -> SubmitResult:
    if isinstance(req.content, Mms):  # composed, stored, notified: services/content.py
        mms = request.app.get(MMS)
        if mms is None:
            kind = "WAP PUSH" if req.content.wap_push else "MMS Notification"
            raise CsoftError(Report.NOT_SUPPORTED, f"{kind} content")
        return await mms.submit(req, account, render, base_url=base_url(request))
    return await request.app[SERVICES].submit.submit(req, account, render)


async def send(request: web.Request) -> web.Response:
    if request.method not in ("GET", "POST"):
        return _answer([entry(Report.INVALID_PARAMETER, "use GET or POST")], 0, status=405)
    try:
        form = await read_form(request)
    except FormError as exc:
        return _answer([entry_for(exc)], exc.response_format)
    except CsoftError as exc:
        return _answer([entry_for(exc)], 0)
    try:
        account = await _login(request, form)
        general = parse_general(form.values)
        library = request.app[SERVICES].library
        text, content, upload = await _check(general, form, library, account)
        req = SubmitRequest(
            account_id=account.id,
            to=general.numbers + tuple(f"{b.book}::{b.group or ''}" for b in general.address_books),
            text=text,
            content=content,
            schedule_at=general.send_at,
            delay_s=general.delay_min * 60.0 if general.delay_min is not None else None,
        )
        result = await _submit(request, req, account, _render(form.response_format))
        sent = any(p.message is not None for p in result.plans)
        number = await _keep(library, account, upload, sent)
    except (CsoftError, Rejected) as exc:
        return _answer([entry_for(exc)], form.response_format)
    if number is not None:
        entries = [_plan_entry(p) for p in result.plans]
        return _answer(entries, form.response_format, library_number=number)
    return web.Response(body=result.answer.body, headers={"Content-Type": _CONTENT_TYPE})


def add_routes(app: web.Application) -> None:
    for path in PATHS:
        app.router.add_route("*", path, send)
