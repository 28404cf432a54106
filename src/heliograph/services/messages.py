"""MessageService: what a client may read about or do to its own messages.

Every query is scoped to the account: another account's message is simply not
found. Store errors become the domain's ``Rejected`` here, so edges map one
vocabulary.
"""

from __future__ import annotations

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageView
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.services.ports import Clock
from heliograph.store.base import Conflict, MessageFilter, NotFound, Store

MAX_PAGE = 1000


class MessageService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def get(self, account_id: AccountId, message_id: MessageId) -> MessageView:
        view = await self._store.get_message(account_id, message_id)
        if view is None:
            raise Rejected(RejectReason.NOT_FOUND, f"no message {message_id}", field="id")
        return view

    async def list(
        self, account_id: AccountId, flt: MessageFilter, *, cursor: str | None, limit: int
    ) -> tuple[list[MessageView], str | None]:
        """A page of messages, newest first, and the cursor of the next page."""
        if not 1 <= limit <= MAX_PAGE:
            raise Rejected(
                RejectReason.INVALID_REQUEST, f"limit must be 1 to {MAX_PAGE}", field="limit"
            )
        before = MessageId(cursor) if cursor else None
        views = await self._store.list_messages(account_id, flt, before=before, limit=limit + 1)
        if len(views) > limit:
            return views[:limit], views[limit - 1].id
        return views, None

    async def cancel(self, account_id: AccountId, message_id: MessageId) -> MessageView:
        try:
            return await self._store.cancel_message(account_id, message_id, self._clock.now())
        except NotFound as exc:
            raise Rejected(RejectReason.NOT_FOUND, str(exc), field="id") from exc
        except Conflict as exc:
            raise Rejected(RejectReason.NOT_CANCELLABLE, str(exc)) from exc
