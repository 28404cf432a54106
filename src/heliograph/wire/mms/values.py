"""MMS header value tables (OMA-MMS-ENC-V1_3 §7.3): message types, classes, statuses.

Each table is the octet a field carries (a Short-integer, 128 and up). :mod:`.headers`
reads and writes them as plain integers; :mod:`.pdus` turns them into these enums.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "ContentClass",
    "MessageClass",
    "MessageType",
    "Priority",
    "ResponseStatus",
    "RetrieveStatus",
    "SenderVisibility",
    "Status",
]


class MessageType(IntEnum):
    """X-Mms-Message-Type values (§7.3.30)."""

    M_SEND_REQ = 128
    M_SEND_CONF = 129
    M_NOTIFICATION_IND = 130
    M_NOTIFYRESP_IND = 131
    M_RETRIEVE_CONF = 132
    M_ACKNOWLEDGE_IND = 133
    M_DELIVERY_IND = 134
    M_READ_REC_IND = 135
    M_READ_ORIG_IND = 136
    M_FORWARD_REQ = 137
    M_FORWARD_CONF = 138
    M_MBOX_STORE_REQ = 139
    M_MBOX_STORE_CONF = 140
    M_MBOX_VIEW_REQ = 141
    M_MBOX_VIEW_CONF = 142
    M_MBOX_UPLOAD_REQ = 143
    M_MBOX_UPLOAD_CONF = 144
    M_MBOX_DELETE_REQ = 145
    M_MBOX_DELETE_CONF = 146
    M_MBOX_DESCR = 147
    M_DELETE_REQ = 148
    M_DELETE_CONF = 149
    M_CANCEL_REQ = 150
    M_CANCEL_CONF = 151


class MessageClass(IntEnum):
    """X-Mms-Message-Class values (§7.3.27); any other class is sent as Token-text."""

    PERSONAL = 128
    ADVERTISEMENT = 129
    INFORMATIONAL = 130
    AUTO = 131


class Priority(IntEnum):
    """X-Mms-Priority values (§7.3.35)."""

    LOW = 128
    NORMAL = 129
    HIGH = 130


class SenderVisibility(IntEnum):
    """X-Mms-Sender-Visibility values (§7.3.52)."""

    HIDE = 128
    SHOW = 129


class ResponseStatus(IntEnum):
    """X-Mms-Response-Status values (§7.3.48)."""

    OK = 128
    ERROR_UNSPECIFIED = 129
    ERROR_SERVICE_DENIED = 130
    ERROR_MESSAGE_FORMAT_CORRUPT = 131
    ERROR_SENDING_ADDRESS_UNRESOLVED = 132
    ERROR_MESSAGE_NOT_FOUND = 133
    ERROR_NETWORK_PROBLEM = 134
    ERROR_CONTENT_NOT_ACCEPTED = 135
    ERROR_UNSUPPORTED_MESSAGE = 136
    ERROR_TRANSIENT_FAILURE = 192
    ERROR_TRANSIENT_SENDING_ADDRESS_UNRESOLVED = 193
    ERROR_TRANSIENT_MESSAGE_NOT_FOUND = 194
    ERROR_TRANSIENT_NETWORK_PROBLEM = 195
    ERROR_TRANSIENT_PARTIAL_SUCCESS = 196
    ERROR_PERMANENT_FAILURE = 224
    ERROR_PERMANENT_SERVICE_DENIED = 225
    ERROR_PERMANENT_MESSAGE_FORMAT_CORRUPT = 226
    ERROR_PERMANENT_SENDING_ADDRESS_UNRESOLVED = 227
    ERROR_PERMANENT_MESSAGE_NOT_FOUND = 228
    ERROR_PERMANENT_CONTENT_NOT_ACCEPTED = 229
    ERROR_PERMANENT_REPLY_CHARGING_LIMITATIONS_NOT_MET = 230
    ERROR_PERMANENT_REPLY_CHARGING_REQUEST_NOT_ACCEPTED = 231
    ERROR_PERMANENT_REPLY_CHARGING_FORWARDING_DENIED = 232
    ERROR_PERMANENT_REPLY_CHARGING_NOT_SUPPORTED = 233
    ERROR_PERMANENT_ADDRESS_HIDING_NOT_SUPPORTED = 234
    ERROR_PERMANENT_LACK_OF_PREPAID = 235


class RetrieveStatus(IntEnum):
    """X-Mms-Retrieve-Status values (§7.3.50)."""

    OK = 128
    ERROR_TRANSIENT_FAILURE = 192
    ERROR_TRANSIENT_MESSAGE_NOT_FOUND = 193
    ERROR_TRANSIENT_NETWORK_PROBLEM = 194
    ERROR_PERMANENT_FAILURE = 224
    ERROR_PERMANENT_SERVICE_DENIED = 225
    ERROR_PERMANENT_MESSAGE_NOT_FOUND = 226
    ERROR_PERMANENT_CONTENT_UNSUPPORTED = 227


class Status(IntEnum):
    """X-Mms-Status values (§7.3.54), in m-notifyresp-ind and m-delivery-ind."""

    EXPIRED = 128
    RETRIEVED = 129
    REJECTED = 130
    DEFERRED = 131
    UNRECOGNISED = 132
    INDETERMINATE = 133
    FORWARDED = 134
    UNREACHABLE = 135


class ContentClass(IntEnum):
    """X-Mms-Content-Class values (§7.3.9, MMS 1.3)."""

    TEXT = 128
    IMAGE_BASIC = 129
    IMAGE_RICH = 130
    VIDEO_BASIC = 131
    VIDEO_RICH = 132
    MEGAPIXEL = 133
    CONTENT_BASIC = 134
    CONTENT_RICH = 135
