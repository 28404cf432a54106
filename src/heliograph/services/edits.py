"""EditService: replacing a message that has not been sent, and cancelling by address.

What SMPP 3.4 offers a client beyond cancelling one message by id: replace_sm
(§4.10) puts a new text, schedule, validity or receipt request in place of a
message still waiting, and cancel_sm without a message_id (§4.9) cancels every
waiting message from one source to one destination. Both are scoped to the
account, as every message query is.

A replacement is planned exactly as a submit (``SubmitService.estimate``:
encoding, parts, senders, opt-outs, quiet hours, price) for the stored
message's recipient, sender and priority; the store then swaps it in atomically
and moves the price difference (``store.edits``). Store errors become the
domain's ``Rejected``: unknown or other account's message ``NOT_FOUND``, a
different source ``INVALID_SENDER``, a message already on its way or final
``NOT_CANCELLABLE`` (the edge names its own status for it),
``INSUFFICIENT_CREDIT``. Nothing here knows SMPP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from heliograph.domain.accounts import Account
from heliograph.domain.addresses import normalize_msisdn, normalize_sender
from heliograph.domain.ids import MessageId
from heliograph.domain.messages import MessageView
from heliograph.domain.pricing import from_micros
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import SubmitRequest
from heliograph.services.ports import Clock
from heliograph.services.submit import SubmitService
from heliograph.store.base import Conflict, InsufficientCredit, NotFound
from heliograph.store.edits import MessageEdits, SourceMismatch

__all__ = ["EditService"]


class EditService:
    def __init__(
        self,
        edits: MessageEdits | None,
        submit: SubmitService,
        clock: Clock,
        on_changed: Callable[[], None] | None = None,
    ) -> None:
        self._edits = edits
        self._submit = submit
        self._clock = clock
        self._on_changed = on_changed  # wakes the dispatcher: a replacement may be due now

    def _store(self) -> MessageEdits:
        if self._edits is None:
            raise Rejected(
                RejectReason.NOT_SUPPORTED, "this gateway's store cannot replace messages"
            )
        return self._edits

    async def replace(
        self,
        account: Account,
        view: MessageView,
        req: SubmitRequest,
        *,
        source: str | None,
        keep_expiry: bool,
    ) -> MessageView:
        """Put the message planned from ``req`` in place of ``view`` (the stored message).

        ``req`` carries the new text and times; its recipient, sender and priority are
        taken from ``view``. ``source``: the sender the client names, checked against
        the stored one (None: not checked). ``keep_expiry``: keep the stored validity
        (when the new schedule starts after it, its length from the new schedule).
        Raises: Rejected.
        """
        edits = self._store()
        now = self._clock.now()
        sender = normalize_sender(source, field="source_addr") if source else None
        req = replace(req, to=(view.to,), sender=view.sender, priority=view.priority)
        plans, _ = await self._submit.estimate(req, account, now)
        [plan] = plans
        if plan.error is not None:
            raise plan.error
        assert plan.message is not None
        new = plan.message
        expires_at = new.expires_at
        if keep_expiry:
            expires_at = view.expires_at
            if expires_at is not None and expires_at <= new.due_at:
                expires_at = new.due_at + (expires_at - min(view.due_at, expires_at))
        new = replace(
            new,
            id=view.id,
            created_at=view.created_at,
            reference=view.reference,
            test=view.test,
            price_micros=0 if view.test else new.price_micros,
            expires_at=expires_at,
        )
        try:
            replaced = await edits.replace_message(account.id, new, now, sender=sender)
        except NotFound as exc:
            raise Rejected(RejectReason.NOT_FOUND, str(exc), field="message_id") from exc
        except SourceMismatch as exc:
            raise Rejected(RejectReason.INVALID_SENDER, str(exc), field="source_addr") from exc
        except InsufficientCredit as exc:
            raise Rejected(
                RejectReason.INSUFFICIENT_CREDIT,
                f"the new text costs {from_micros(exc.needed_micros)} more, the balance is "
                f"{from_micros(exc.balance_micros)}",
            ) from exc
        except Conflict as exc:
            raise Rejected(RejectReason.NOT_CANCELLABLE, str(exc), field="message_id") from exc
        if self._on_changed is not None:
            self._on_changed()
        return replaced

    async def cancel_matching(
        self, account: Account, *, to: str, source: str | None
    ) -> list[MessageId]:
        """Cancel the account's messages to ``to`` (from ``source`` when given) that have
        not left; returns their ids (empty: none matched). Raises: Rejected for an
        address that no message could have."""
        edits = self._store()
        recipient = normalize_msisdn(to, field="destination_addr")
        sender = normalize_sender(source, field="source_addr") if source else None
        return await edits.cancel_matching(
            account.id, to=recipient, sender=sender, now=self._clock.now()
        )
