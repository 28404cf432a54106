"""Upstream command_status → what the dispatcher should do: accepted, retry later, or give up.

One total table over ``CommandStatus`` (SMPP 3.4 §5.1.3 and the SMPP 5.0
additions), in the spirit of Kannel's ``SMSCCONN_FAILED_*`` reasons: a
*temporary* status means the same part may succeed later (the SMSC is busy,
throttling, or our bind is in a bad state), a *permanent* one means the part
itself is refused (bad address, bad data coding, barred). A status outside
the table (vendor-specific codes 0x400-0x4FF and anything newer) counts as
permanent: retrying an unknown refusal ten times only delays the failure the
client has to see. ``tests/qa/test_smpp_tables.py`` checks that the table is
total. This module knows nothing about sockets or the store.
"""

from __future__ import annotations

from enum import Enum

from heliograph.domain.ids import UpstreamId
from heliograph.domain.outcomes import Accepted, PermanentFailure, SubmitOutcome, TemporaryFailure
from heliograph.wire.smpp.constants import CommandStatus

__all__ = ["CLASSIFICATION", "Kind", "classify", "describe", "outcome"]


class Kind(Enum):
    ACCEPTED = "accepted"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


S = CommandStatus
A, T, P = Kind.ACCEPTED, Kind.TEMPORARY, Kind.PERMANENT

CLASSIFICATION: dict[CommandStatus, Kind] = {
    S.ESME_ROK: A,
    S.ESME_RINVMSGLEN: P,
    S.ESME_RINVCMDLEN: P,
    S.ESME_RINVCMDID: P,  # the SMSC does not know the command (e.g. no data_sm)
    S.ESME_RINVBNDSTS: T,  # our bind is in the wrong state: re-bind and resend
    S.ESME_RALYBND: T,
    S.ESME_RINVPRTFLG: P,
    S.ESME_RINVREGDLVFLG: P,
    S.ESME_RSYSERR: T,  # SMSC system error
    S.ESME_RINVSRCADR: P,
    S.ESME_RINVDSTADR: P,
    S.ESME_RINVMSGID: P,
    S.ESME_RBINDFAIL: T,
    S.ESME_RINVPASWD: T,
    S.ESME_RINVSYSID: T,
    S.ESME_RCANCELFAIL: P,
    S.ESME_RREPLACEFAIL: P,
    S.ESME_RMSGQFUL: T,  # message queue full
    S.ESME_RINVSERTYP: P,
    S.ESME_RINVNUMDESTS: P,
    S.ESME_RINVDLNAME: P,
    S.ESME_RINVDESTFLAG: P,
    S.ESME_RINVSUBREP: P,
    S.ESME_RINVESMCLASS: P,
    S.ESME_RCNTSUBDL: P,
    S.ESME_RSUBMITFAIL: T,  # "submit_sm or submit_multi failed": unspecific, try again
    S.ESME_RINVSRCTON: P,
    S.ESME_RINVSRCNPI: P,
    S.ESME_RINVDSTTON: P,
    S.ESME_RINVDSTNPI: P,
    S.ESME_RINVSYSTYP: P,
    S.ESME_RINVREPFLAG: P,
    S.ESME_RINVNUMMSGS: P,
    S.ESME_RTHROTTLED: T,  # throughput exceeded: slow down and retry
    S.ESME_RINVSCHED: P,
    S.ESME_RINVEXPIRY: P,
    S.ESME_RINVDFTMSGID: P,
    S.ESME_RX_T_APPN: T,  # ESME receiver temporary app error
    S.ESME_RX_P_APPN: P,
    S.ESME_RX_R_APPN: P,
    S.ESME_RQUERYFAIL: P,
    S.ESME_RINVOPTPARSTREAM: P,
    S.ESME_ROPTPARNOTALLWD: P,
    S.ESME_RINVPARLEN: P,
    S.ESME_RMISSINGOPTPARAM: P,
    S.ESME_RINVOPTPARAMVAL: P,
    S.ESME_RDELIVERYFAILURE: T,  # data_sm delivery failure (§5.1.3): may succeed later
    S.ESME_RUNKNOWNERR: T,
    S.ESME_RSERTYPUNAUTH: P,
    S.ESME_RPROHIBITED: P,
    S.ESME_RSERTYPUNAVAIL: T,
    S.ESME_RSERTYPDENIED: P,
    S.ESME_RINVDCS: P,
    S.ESME_RINVSRCADDRSUBUNIT: P,
    S.ESME_RINVDSTADDRSUBUNIT: P,
}
"""Every command_status → accepted, temporary or permanent."""

_BY_VALUE: dict[int, Kind] = {int(status): kind for status, kind in CLASSIFICATION.items()}


def classify(status: int) -> Kind:
    """The kind of ``status``; codes outside the table are permanent (see the module doc)."""
    return _BY_VALUE.get(status, P)


def describe(status: int) -> str:
    """``ESME_RTHROTTLED (0x00000058)``, or just the hex for a code outside the table."""
    try:
        return f"{CommandStatus(status).name} (0x{status:08x})"
    except ValueError:
        return f"command_status 0x{status:08x}"


def outcome(status: int, upstream_id: UpstreamId, *, throttled_retry_s: float) -> SubmitOutcome:
    """The ``SubmitOutcome`` of a response with ``status`` (and the normalised message_id)."""
    kind = classify(status)
    if kind is A:
        return Accepted(upstream_id=upstream_id)
    if kind is T:
        retry = throttled_retry_s if status in _SLOW_DOWN else None
        return TemporaryFailure(reason=f"upstream answered {describe(status)}", retry_after_s=retry)
    return PermanentFailure(reason=f"upstream refused the part: {describe(status)}")


_SLOW_DOWN = frozenset({int(S.ESME_RTHROTTLED), int(S.ESME_RMSGQFUL)})
