"""Every edge's status table is total over the domain's reasons."""

from __future__ import annotations

from heliograph.domain.rejections import RejectReason
from heliograph.servers.http.statuses import HTTP_STATUS


def test_http_status_table_covers_every_reject_reason() -> None:
    assert set(HTTP_STATUS) == set(RejectReason)


def test_http_status_table_uses_client_or_server_errors_only() -> None:
    assert all(400 <= status < 600 for status in HTTP_STATUS.values())
