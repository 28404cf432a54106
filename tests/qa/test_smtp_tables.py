"""The SMTP edge's reply table is total over RejectReason and speaks RFC 5321 / RFC 3463."""

from __future__ import annotations

import re

from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.smtp.statuses import SMTP_REPLY, reply, sanitize

_ENHANCED = re.compile(r"[45]\.\d{1,3}\.\d{1,3}")


def test_smtp_reply_table_covers_every_reject_reason() -> None:
    assert set(SMTP_REPLY) == set(RejectReason)


def test_smtp_replies_are_refusals_with_a_matching_enhanced_class() -> None:
    for reason, (code, enhanced) in SMTP_REPLY.items():
        assert 400 <= code < 600, reason
        assert _ENHANCED.fullmatch(enhanced), reason
        assert enhanced[0] == str(code)[0], reason  # RFC 3463 §2: class agrees with the code


def test_route_not_found_and_too_many_recipients_as_the_style_says() -> None:
    assert SMTP_REPLY[RejectReason.NO_ROUTE] == (550, "5.1.1")
    assert SMTP_REPLY[RejectReason.TOO_MANY_RECIPIENTS] == (452, "4.5.3")
    for temporary in (RejectReason.THROTTLED, RejectReason.FLOODED, RejectReason.UNAVAILABLE):
        assert SMTP_REPLY[temporary][0] < 500


def test_every_reply_is_one_ascii_line_naming_the_part() -> None:
    for reason in RejectReason:
        line = reply(Rejected(reason, "bad\r\nvalue «x»\x00" + "y" * 600, field="to"))
        assert line.isascii() and "\n" not in line and "\r" not in line
        assert len(line) <= 512
        assert line.startswith(f"{SMTP_REPLY[reason][0]} {SMTP_REPLY[reason][1]} to: bad value")
    assert sanitize("a\tb  c") == "a b c"
