"""RejectReason → command_status: the SMPP server's one total table (SMPP 3.4 §5.1.3).

Every refusal of the domain reaches an SMPP client as the command_status of
its ``*_resp`` through this table, as ``servers/http/statuses.py`` does for
HTTP; ``tests/qa/test_smpp_tables.py`` checks that it covers every reason.
Reasons a client can fix by waiting (throttling, flood protection, the
gateway being unavailable) map to statuses an ESME retries (ESME_RTHROTTLED,
ESME_RSYSERR); route-not-found is ESME_RINVDSTADR as STYLE §4 asks. Errors of
the SMPP edge itself (a data_coding it cannot read, a bad schedule format)
are raised in ``translate.py`` with their status and never come through here.
"""

from __future__ import annotations

from heliograph.domain.rejections import RejectReason
from heliograph.wire.smpp.constants import CommandStatus

R = RejectReason
S = CommandStatus

SMPP_STATUS: dict[RejectReason, CommandStatus] = {
    R.UNKNOWN_ACCOUNT: S.ESME_RINVSYSID,
    R.BAD_CREDENTIALS: S.ESME_RINVPASWD,
    R.ACCOUNT_DISABLED: S.ESME_RBINDFAIL,
    R.INVALID_REQUEST: S.ESME_RSUBMITFAIL,
    R.INVALID_DESTINATION: S.ESME_RINVDSTADR,
    R.INVALID_SENDER: S.ESME_RINVSRCADR,
    R.SENDER_NOT_ALLOWED: S.ESME_RINVSRCADR,
    R.INVALID_TEXT: S.ESME_RINVMSGLEN,
    R.MESSAGE_TOO_LONG: S.ESME_RINVMSGLEN,
    R.TOO_MANY_RECIPIENTS: S.ESME_RINVNUMDESTS,
    R.INVALID_SCHEDULE: S.ESME_RINVSCHED,
    R.INVALID_VALIDITY: S.ESME_RINVEXPIRY,
    R.OPTED_OUT: S.ESME_RX_R_APPN,  # the recipient refused: do not retry
    R.NO_ROUTE: S.ESME_RINVDSTADR,
    R.INSUFFICIENT_CREDIT: S.ESME_RX_T_APPN,  # temporary: succeeds after a top-up
    R.THROTTLED: S.ESME_RTHROTTLED,
    R.DUPLICATE: S.ESME_RX_P_APPN,
    R.FLOODED: S.ESME_RTHROTTLED,
    R.NOT_FOUND: S.ESME_RINVMSGID,
    R.NOT_CANCELLABLE: S.ESME_RCANCELFAIL,
    R.NOT_SUPPORTED: S.ESME_RINVCMDID,
    R.UNAVAILABLE: S.ESME_RSYSERR,
}
"""Every RejectReason → the command_status an SMPP client receives."""
