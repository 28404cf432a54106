"""Inserting accepted messages and their parts (PostgreSQL dialect).

One ``unnest`` statement writes a small batch of messages and, through a
data-modifying CTE, their parts; from ``COPY_FROM`` messages on, two binary
``COPY`` streams are cheaper. Either way it is part of the caller's
transaction: a taken message id fails the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heliograph.domain.messages import NewMessage
from heliograph.store.postgres_engine import Conn
from heliograph.store.rows import MESSAGE_COLUMNS, PART_INSERT_COLUMNS, message_row, part_rows

_INSERT = """
WITH t AS (
    SELECT * FROM unnest(
        $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
        $8::int[], $9::int[], $10::text[], $11::text[], $12::text[], $13::text[], $14::int[],
        $15::float8[], $16::float8[], $17::float8[], $18::bytea[], $19::int8[], $20::bool[],
        $21::bytea[], $22::int[], $23::int[], $24::int[], $25::text[], $26::text[], $27::text[]
    ) WITH ORDINALITY AS t(id, acct, rcpt, sndr, txt, enc, dc, n, cref, st, ref, cb, cbf, pri,
                           created, due, exp, udh, price, test, payload, dport, sport, mclass,
                           langs, conn, tlvs, ord)
), m AS (
    INSERT INTO messages (id, account_id, recipient, sender, text, encoding, data_coding,
        parts, concat_ref, state, reference, callback_url, callback_format, priority,
        created_at, updated_at, due_at, expires_at, udh, price_micros, test, payload,
        dest_port, src_port, message_class, languages, connector, tlvs)
    SELECT id, acct, rcpt, sndr, txt, enc, dc, n, cref, st, ref, cb, cbf, pri, created, created,
        due, exp, udh, price, test, payload, dport, sport, mclass,
        string_to_array(langs, ',')::int[], conn, tlvs
    FROM t ORDER BY ord
)
INSERT INTO parts (message_id, seq, state, priority, due_at, expires_at, updated_at)
SELECT t.id, g, t.st, t.pri, t.due, t.exp, t.created
FROM t, generate_series(1, t.n) AS g ORDER BY t.ord, g
"""


COPY_FROM = 64  # messages per insert from which COPY beats one unnest statement
_MESSAGE_COLUMNS = MESSAGE_COLUMNS
_PART_COLUMNS = PART_INSERT_COLUMNS
_UPDATED_AT = 15  # the column the unnest statement fills from created_at
_LANGUAGES = 25


def _message_row(m: NewMessage) -> tuple[Any, ...]:
    return message_row(m, sorted(m.languages) if m.languages else None)


async def insert_messages(conn: Conn, messages: Sequence[NewMessage]) -> None:
    """Messages and their parts: one unnest statement, or COPY for big batches (a third
    cheaper per message from a few dozen on)."""
    if not messages:
        return
    rows = [_message_row(m) for m in messages]
    if len(messages) >= COPY_FROM:
        await conn.copy_records_to_table("messages", records=rows, columns=_MESSAGE_COLUMNS)
        parts = part_rows(messages)
        await conn.copy_records_to_table("parts", records=parts, columns=_PART_COLUMNS)
        return
    columns: list[list[Any]] = [[] for _ in range(len(_MESSAGE_COLUMNS) - 1)]
    for row in rows:
        languages = row[_LANGUAGES]
        unnested = (
            *row[:_UPDATED_AT],
            *row[_UPDATED_AT + 1 : _LANGUAGES],
            ",".join(map(str, languages)) if languages else None,  # unnest takes no ragged arrays
            *row[_LANGUAGES + 1 :],
        )
        for column, value in zip(columns, unnested, strict=True):
            column.append(value)
    await conn.execute(_INSERT, *columns)
