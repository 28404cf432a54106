"""The MessageEdits protocol: replacing and cancelling by address messages that have not left.

Kept apart from ``store.base.Store``, as ``AddressBooks`` is: only the SMPP
edge's replace_sm and cancel_sm by address (SMPP 3.4 §4.10, §4.9) use it, and
a backend without it (``message_edits(store)`` gives None) answers "not
supported". A message can be changed while it and every one of its parts are
``scheduled`` or ``queued`` (none claimed by the dispatcher); each method is one
transaction that re-checks this under the write lock, so a part claimed
meanwhile makes it refuse and change nothing.

Credit follows the rule of the submit path: a message's price per part was
taken when it was accepted; a replacement takes the difference of the new
total (``price_micros × parts``) from the balance, or gives it back, in the
same transaction; a cancelled message's parts are refunded as
``Store.cancel_message`` refunds them. Test messages cost nothing either way.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageState, MessageView, NewMessage
from heliograph.store.base import StoreError

__all__ = ["CHANGEABLE", "MessageEdits", "SourceMismatch", "message_edits"]

CHANGEABLE = frozenset({MessageState.SCHEDULED, MessageState.QUEUED})
"""The states in which a message and its parts may still be replaced or cancelled."""


class SourceMismatch(StoreError):
    """The message exists, but the sender named is not the one it was stored with."""


@runtime_checkable
class MessageEdits(Protocol):
    async def replace_message(
        self, account_id: AccountId, message: NewMessage, now: float, *, sender: str | None = None
    ) -> MessageView:
        """Put ``message`` (re-planned, with the stored message's id) in place of the stored one.

        Replaced: text, encoding, data_coding, parts (part rows added or removed to
        match, every part back to the new state, due time and expiry), concat_ref,
        state (scheduled or queued), due_at, expires_at, callback_url and format,
        price_micros, languages. Kept: recipient, sender, priority, reference,
        created_at, test. ``sender``, when given, must be the stored sender.

        Raises: NotFound (no such message of the account); SourceMismatch; Conflict
        when it or a part is no longer scheduled or queued, or it carries a client's
        UDH or binary content; InsufficientCredit when the new price needs more than
        the balance. Nothing is changed when it raises.
        """

    async def cancel_matching(
        self, account_id: AccountId, *, to: str, sender: str | None, now: float
    ) -> list[MessageId]:
        """Cancel every message of the account to ``to`` (from ``sender`` when given)
        whose parts are all still scheduled or queued; messages partly claimed are left
        alone. Returns the ids cancelled, oldest first (empty: none matched)."""


def message_edits(store: object) -> MessageEdits | None:
    """The replace and cancel-by-address methods of ``store``, or None when its backend
    has none (``sqlite_replace``, ``postgres_replace``)."""
    from heliograph.store.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        from heliograph.store.sqlite_replace import SqliteMessageEdits

        return SqliteMessageEdits(store)
    try:
        from heliograph.store.postgres import PostgresStore
    except ImportError:  # asyncpg not installed
        return None
    if isinstance(store, PostgresStore):
        from heliograph.store.postgres_replace import PostgresMessageEdits

        return PostgresMessageEdits(store)
    return store if isinstance(store, MessageEdits) else None
