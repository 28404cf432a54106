"""The SMPP edges' code tables are total: every RejectReason, every CommandStatus."""

from __future__ import annotations

from heliograph.connectors.smpp.statuses import CLASSIFICATION, Kind, classify, describe
from heliograph.domain.rejections import RejectReason
from heliograph.servers.smpp.statuses import SMPP_STATUS
from heliograph.wire.smpp.constants import CommandStatus


def test_smpp_server_table_covers_every_reject_reason() -> None:
    assert set(SMPP_STATUS) == set(RejectReason)


def test_smpp_server_table_never_answers_ok() -> None:
    assert all(isinstance(s, CommandStatus) and s != 0 for s in SMPP_STATUS.values())


def test_smpp_server_table_route_not_found_is_invalid_destination() -> None:
    assert SMPP_STATUS[RejectReason.NO_ROUTE] is CommandStatus.ESME_RINVDSTADR
    assert SMPP_STATUS[RejectReason.THROTTLED] is CommandStatus.ESME_RTHROTTLED


def test_connector_classification_covers_every_command_status() -> None:
    assert set(CLASSIFICATION) == set(CommandStatus)


def test_connector_classification_only_ok_is_accepted() -> None:
    accepted = {s for s, kind in CLASSIFICATION.items() if kind is Kind.ACCEPTED}
    assert accepted == {CommandStatus.ESME_ROK}


def test_connector_classification_of_the_issue_list() -> None:
    for status in (CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL):
        assert classify(status) is Kind.TEMPORARY
    assert classify(CommandStatus.ESME_RINVDSTADR) is Kind.PERMANENT
    assert classify(0x0000_0401) is Kind.PERMANENT  # vendor specific
    assert describe(0x58) == "ESME_RTHROTTLED (0x00000058)"
    assert describe(0x401) == "command_status 0x00000401"
