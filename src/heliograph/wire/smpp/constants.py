"""SMPP 3.4 code tables: command ids, command statuses, field values and TLV tags.

Every table cites its section of the SMPP v3.4 specification (issue 1.2); values
that only exist in SMPP 5.0 are marked as such. PDU fields hold plain ``int``
values (a peer may send any octet), so these enums are used to build and to
compare values, never required when decoding.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

HEADER_OCTETS = 16
"""command_length, command_id, command_status, sequence_number (§3.2)."""

RESPONSE_BIT = 0x8000_0000
"""Bit 31 of command_id marks a response (§5.1.2.1)."""

MAX_SEQUENCE_NUMBER = 0x7FFF_FFFF
"""sequence_number runs 0x00000001..0x7FFFFFFF (§5.1.4)."""


class CommandId(IntEnum):
    """command_id values (§5.1.2.1)."""

    GENERIC_NACK = 0x8000_0000
    BIND_RECEIVER = 0x0000_0001
    BIND_RECEIVER_RESP = 0x8000_0001
    BIND_TRANSMITTER = 0x0000_0002
    BIND_TRANSMITTER_RESP = 0x8000_0002
    QUERY_SM = 0x0000_0003
    QUERY_SM_RESP = 0x8000_0003
    SUBMIT_SM = 0x0000_0004
    SUBMIT_SM_RESP = 0x8000_0004
    DELIVER_SM = 0x0000_0005
    DELIVER_SM_RESP = 0x8000_0005
    UNBIND = 0x0000_0006
    UNBIND_RESP = 0x8000_0006
    REPLACE_SM = 0x0000_0007
    REPLACE_SM_RESP = 0x8000_0007
    CANCEL_SM = 0x0000_0008
    CANCEL_SM_RESP = 0x8000_0008
    BIND_TRANSCEIVER = 0x0000_0009
    BIND_TRANSCEIVER_RESP = 0x8000_0009
    OUTBIND = 0x0000_000B
    ENQUIRE_LINK = 0x0000_0015
    ENQUIRE_LINK_RESP = 0x8000_0015
    SUBMIT_MULTI = 0x0000_0021
    SUBMIT_MULTI_RESP = 0x8000_0021
    ALERT_NOTIFICATION = 0x0000_0102
    DATA_SM = 0x0000_0103
    DATA_SM_RESP = 0x8000_0103


class CommandStatus(IntEnum):
    """command_status values, the complete SMPP 3.4 list (§5.1.3, table 5-2).

    0x100-0x3FF are reserved for SMPP extensions (SMPP 5.0 uses some, listed at
    the end) and 0x400-0x4FF for SMSC vendor specific errors, so a decoded
    command_status is kept as a plain ``int``.
    """

    ESME_ROK = 0x0000_0000
    ESME_RINVMSGLEN = 0x0000_0001
    ESME_RINVCMDLEN = 0x0000_0002
    ESME_RINVCMDID = 0x0000_0003
    ESME_RINVBNDSTS = 0x0000_0004
    ESME_RALYBND = 0x0000_0005
    ESME_RINVPRTFLG = 0x0000_0006
    ESME_RINVREGDLVFLG = 0x0000_0007
    ESME_RSYSERR = 0x0000_0008
    ESME_RINVSRCADR = 0x0000_000A
    ESME_RINVDSTADR = 0x0000_000B
    ESME_RINVMSGID = 0x0000_000C
    ESME_RBINDFAIL = 0x0000_000D
    ESME_RINVPASWD = 0x0000_000E
    ESME_RINVSYSID = 0x0000_000F
    ESME_RCANCELFAIL = 0x0000_0011
    ESME_RREPLACEFAIL = 0x0000_0013
    ESME_RMSGQFUL = 0x0000_0014
    ESME_RINVSERTYP = 0x0000_0015
    ESME_RINVNUMDESTS = 0x0000_0033
    ESME_RINVDLNAME = 0x0000_0034
    ESME_RINVDESTFLAG = 0x0000_0040
    ESME_RINVSUBREP = 0x0000_0042
    ESME_RINVESMCLASS = 0x0000_0043
    ESME_RCNTSUBDL = 0x0000_0044
    ESME_RSUBMITFAIL = 0x0000_0045
    ESME_RINVSRCTON = 0x0000_0048
    ESME_RINVSRCNPI = 0x0000_0049
    ESME_RINVDSTTON = 0x0000_0050
    ESME_RINVDSTNPI = 0x0000_0051
    ESME_RINVSYSTYP = 0x0000_0053
    ESME_RINVREPFLAG = 0x0000_0054
    ESME_RINVNUMMSGS = 0x0000_0055
    ESME_RTHROTTLED = 0x0000_0058
    ESME_RINVSCHED = 0x0000_0061
    ESME_RINVEXPIRY = 0x0000_0062
    ESME_RINVDFTMSGID = 0x0000_0063
    ESME_RX_T_APPN = 0x0000_0064
    ESME_RX_P_APPN = 0x0000_0065
    ESME_RX_R_APPN = 0x0000_0066
    ESME_RQUERYFAIL = 0x0000_0067
    ESME_RINVOPTPARSTREAM = 0x0000_00C0
    ESME_ROPTPARNOTALLWD = 0x0000_00C1
    ESME_RINVPARLEN = 0x0000_00C2
    ESME_RMISSINGOPTPARAM = 0x0000_00C3
    ESME_RINVOPTPARAMVAL = 0x0000_00C4
    ESME_RDELIVERYFAILURE = 0x0000_00FE
    ESME_RUNKNOWNERR = 0x0000_00FF
    # SMPP 5.0 command_status table: codes in the range 3.4 reserves for extensions.
    ESME_RSERTYPUNAUTH = 0x0000_0100
    ESME_RPROHIBITED = 0x0000_0101
    ESME_RSERTYPUNAVAIL = 0x0000_0102
    ESME_RSERTYPDENIED = 0x0000_0103
    ESME_RINVDCS = 0x0000_0104
    ESME_RINVSRCADDRSUBUNIT = 0x0000_0105
    ESME_RINVDSTADDRSUBUNIT = 0x0000_0106


class InterfaceVersion(IntEnum):
    """interface_version / sc_interface_version (§5.2.4)."""

    SMPP_3_3 = 0x33
    SMPP_3_4 = 0x34
    SMPP_5_0 = 0x50  # SMPP 5.0


class Ton(IntEnum):
    """Type of Number: addr_ton, source_addr_ton, dest_addr_ton, esme_addr_ton (§5.2.5)."""

    UNKNOWN = 0x00
    INTERNATIONAL = 0x01
    NATIONAL = 0x02
    NETWORK_SPECIFIC = 0x03
    SUBSCRIBER_NUMBER = 0x04
    ALPHANUMERIC = 0x05
    ABBREVIATED = 0x06


class Npi(IntEnum):
    """Numeric Plan Indicator: addr_npi, source_addr_npi, dest_addr_npi (§5.2.6)."""

    UNKNOWN = 0x00
    ISDN = 0x01  # E163/E164
    DATA = 0x03  # X.121
    TELEX = 0x04  # F.69
    LAND_MOBILE = 0x06  # E.212
    NATIONAL = 0x08
    PRIVATE = 0x09
    ERMES = 0x0A
    INTERNET = 0x0E  # IP
    WAP_CLIENT_ID = 0x12


class EsmClass(IntFlag):
    """esm_class (§5.2.12): messaging mode (bits 1-0), message type (bits 5-2), GSM features.

    Multi-bit sub-fields are compared after masking with ``MESSAGING_MODE_MASK``,
    ``MESSAGE_TYPE_MASK`` or ``GSM_FEATURES_MASK``.
    """

    DEFAULT = 0x00
    DATAGRAM_MODE = 0x01
    FORWARD_MODE = 0x02
    STORE_AND_FORWARD_MODE = 0x03
    SMSC_DELIVERY_RECEIPT = 0x04
    SME_DELIVERY_ACK = 0x08
    SME_MANUAL_ACK = 0x10
    CONVERSATION_ABORT = 0x18  # Korean CDMA
    INTERMEDIATE_DELIVERY_NOTIFICATION = 0x20
    UDHI = 0x40
    REPLY_PATH = 0x80


MESSAGING_MODE_MASK = 0x03
MESSAGE_TYPE_MASK = 0x3C
GSM_FEATURES_MASK = 0xC0


class PriorityFlag(IntEnum):
    """priority_flag (§5.2.14)."""

    LEVEL_0 = 0
    LEVEL_1 = 1
    LEVEL_2 = 2
    LEVEL_3 = 3


class RegisteredDelivery(IntFlag):
    """registered_delivery (§5.2.17): SMSC receipt (bits 1-0), SME ack (bits 3-2), bit 4."""

    NO_RECEIPT = 0x00
    SMSC_RECEIPT_ON_SUCCESS_OR_FAILURE = 0x01
    SMSC_RECEIPT_ON_FAILURE = 0x02
    SME_DELIVERY_ACK = 0x04
    SME_MANUAL_ACK = 0x08
    INTERMEDIATE_NOTIFICATION = 0x10


SMSC_RECEIPT_MASK = 0x03
SME_ACK_MASK = 0x0C


class ReplaceIfPresentFlag(IntEnum):
    """replace_if_present_flag (§5.2.18)."""

    DONT_REPLACE = 0
    REPLACE = 1


class DataCoding(IntEnum):
    """data_coding values named by SMPP 3.4 (§5.2.19).

    Other values follow the GSM 03.38 data coding scheme and are interpreted in
    ``heliograph.wire.gsm.dcs``.
    """

    SMSC_DEFAULT = 0x00
    IA5 = 0x01  # IA5 (CCITT T.50) / ASCII (ANSI X3.4)
    OCTET_UNSPECIFIED = 0x02  # 8-bit binary
    LATIN_1 = 0x03  # ISO-8859-1
    OCTET_UNSPECIFIED_4 = 0x04  # 8-bit binary
    JIS = 0x05  # X 0208-1990
    CYRILLIC = 0x06  # ISO-8859-5
    LATIN_HEBREW = 0x07  # ISO-8859-8
    UCS2 = 0x08  # ISO/IEC-10646
    PICTOGRAM = 0x09
    ISO_2022_JP = 0x0A  # music codes
    EXTENDED_KANJI_JIS = 0x0D  # X 0212-1990
    KS_C_5601 = 0x0E


class DestFlag(IntEnum):
    """dest_flag of a submit_multi dest_address (§5.2.25)."""

    SME_ADDRESS = 1
    DISTRIBUTION_LIST = 2


class MessageState(IntEnum):
    """message_state field and TLV (§5.2.28, §5.3.2.35)."""

    SCHEDULED = 0  # SMPP 5.0 only
    ENROUTE = 1
    DELIVERED = 2
    EXPIRED = 3
    DELETED = 4
    UNDELIVERABLE = 5
    ACCEPTED = 6
    UNKNOWN = 7
    REJECTED = 8
    SKIPPED = 9  # SMPP 5.0 only


class Subunit(IntEnum):
    """dest_addr_subunit / source_addr_subunit (§5.3.2.1, §5.3.2.2)."""

    UNKNOWN = 0x00
    MS_DISPLAY = 0x01
    MOBILE_EQUIPMENT = 0x02
    SMART_CARD_1 = 0x03
    EXTERNAL_UNIT_1 = 0x04


class NetworkType(IntEnum):
    """dest_network_type / source_network_type (§5.3.2.3, §5.3.2.4)."""

    UNKNOWN = 0x00
    GSM = 0x01
    ANSI_136_TDMA = 0x02
    IS_95_CDMA = 0x03
    PDC = 0x04
    PHS = 0x05
    IDEN = 0x06
    AMPS = 0x07
    PAGING_NETWORK = 0x08


class BearerType(IntEnum):
    """dest_bearer_type / source_bearer_type (§5.3.2.5, §5.3.2.6)."""

    UNKNOWN = 0x00
    SMS = 0x01
    CSD = 0x02
    PACKET_DATA = 0x03
    USSD = 0x04
    CDPD = 0x05
    DATATAC = 0x06
    FLEX_REFLEX = 0x07
    CELL_BROADCAST = 0x08


class PayloadType(IntEnum):
    """payload_type (§5.3.2.10)."""

    DEFAULT = 0  # WDP message for WAP applications
    WCMP = 1


class PrivacyIndicator(IntEnum):
    """privacy_indicator (§5.3.2.14)."""

    NOT_RESTRICTED = 0
    RESTRICTED = 1
    CONFIDENTIAL = 2
    SECRET = 3


class LanguageIndicator(IntEnum):
    """language_indicator (§5.3.2.19)."""

    UNSPECIFIED = 0
    ENGLISH = 1
    FRENCH = 2
    SPANISH = 3
    GERMAN = 4
    PORTUGUESE = 5


class DisplayTime(IntEnum):
    """display_time (§5.3.2.26)."""

    TEMPORARY = 0
    DEFAULT = 1
    INVOKE = 2


class MsValidity(IntEnum):
    """ms_validity (§5.3.2.27)."""

    STORE_INDEFINITELY = 0
    POWER_DOWN = 1
    SID_BASED_REGISTRATION_AREA = 2
    DISPLAY_ONLY = 3


class DpfResult(IntEnum):
    """dpf_result (§5.3.2.28)."""

    NOT_SET = 0
    SET = 1


class SetDpf(IntEnum):
    """set_dpf (§5.3.2.29)."""

    NOT_REQUESTED = 0
    REQUESTED = 1


class MsAvailabilityStatus(IntEnum):
    """ms_availability_status (§5.3.2.30)."""

    AVAILABLE = 0
    DENIED = 1
    UNAVAILABLE = 2


class ErrorNetworkType(IntEnum):
    """Network type octet of network_error_code (§5.3.2.31)."""

    ANSI_136_ACCESS_DENIED_REASON = 1
    IS_95_ACCESS_DENIED_REASON = 2
    GSM = 3
    ANSI_136_CAUSE_CODE = 4
    IS_95_CAUSE_CODE = 5
    ANSI_41_ERROR = 6
    SMPP_ERROR = 7
    MESSAGE_CENTER_SPECIFIC = 8


class DeliveryFailureReason(IntEnum):
    """delivery_failure_reason (§5.3.2.33)."""

    DESTINATION_UNAVAILABLE = 0
    DESTINATION_ADDRESS_INVALID = 1
    PERMANENT_NETWORK_ERROR = 2
    TEMPORARY_NETWORK_ERROR = 3


class MoreMessagesToSend(IntEnum):
    """more_messages_to_send (§5.3.2.34)."""

    NO_MORE_MESSAGES = 0
    MORE_MESSAGES = 1


class ItsReplyType(IntEnum):
    """its_reply_type (§5.3.2.42)."""

    DIGIT = 0
    NUMBER = 1
    TELEPHONE_NO = 2
    PASSWORD = 3
    CHARACTER_LINE = 4
    MENU = 5
    DATE = 6
    TIME = 7
    CONTINUE = 8


class UssdServiceOp(IntEnum):
    """ussd_service_op (§5.3.2.44)."""

    PSSD_INDICATION = 0
    PSSR_INDICATION = 1
    USSR_REQUEST = 2
    USSN_REQUEST = 3
    PSSD_RESPONSE = 16
    PSSR_RESPONSE = 17
    USSR_CONFIRM = 18
    USSN_CONFIRM = 19


class Tag(IntEnum):
    """Optional parameter (TLV) tags (§5.3.2, table 5-6), plus common SMPP 5.0 tags.

    0x1400-0x3FFF are reserved for SMSC vendor specific TLVs; such tags are kept
    as ``RawTlv`` by the codec.
    """

    DEST_ADDR_SUBUNIT = 0x0005
    DEST_NETWORK_TYPE = 0x0006
    DEST_BEARER_TYPE = 0x0007
    DEST_TELEMATICS_ID = 0x0008
    SOURCE_ADDR_SUBUNIT = 0x000D
    SOURCE_NETWORK_TYPE = 0x000E
    SOURCE_BEARER_TYPE = 0x000F
    SOURCE_TELEMATICS_ID = 0x0010
    QOS_TIME_TO_LIVE = 0x0017
    PAYLOAD_TYPE = 0x0019
    ADDITIONAL_STATUS_INFO_TEXT = 0x001D
    RECEIPTED_MESSAGE_ID = 0x001E
    MS_MSG_WAIT_FACILITIES = 0x0030
    PRIVACY_INDICATOR = 0x0201
    SOURCE_SUBADDRESS = 0x0202
    DEST_SUBADDRESS = 0x0203
    USER_MESSAGE_REFERENCE = 0x0204
    USER_RESPONSE_CODE = 0x0205
    SOURCE_PORT = 0x020A
    DESTINATION_PORT = 0x020B
    SAR_MSG_REF_NUM = 0x020C
    LANGUAGE_INDICATOR = 0x020D
    SAR_TOTAL_SEGMENTS = 0x020E
    SAR_SEGMENT_SEQNUM = 0x020F
    SC_INTERFACE_VERSION = 0x0210
    CALLBACK_NUM_PRES_IND = 0x0302
    CALLBACK_NUM_ATAG = 0x0303
    NUMBER_OF_MESSAGES = 0x0304
    CALLBACK_NUM = 0x0381
    DPF_RESULT = 0x0420
    SET_DPF = 0x0421
    MS_AVAILABILITY_STATUS = 0x0422
    NETWORK_ERROR_CODE = 0x0423
    MESSAGE_PAYLOAD = 0x0424
    DELIVERY_FAILURE_REASON = 0x0425
    MORE_MESSAGES_TO_SEND = 0x0426
    MESSAGE_STATE = 0x0427
    USSD_SERVICE_OP = 0x0501
    DISPLAY_TIME = 0x1201
    SMS_SIGNAL = 0x1203
    MS_VALIDITY = 0x1204
    ALERT_ON_MESSAGE_DELIVERY = 0x130C
    ITS_REPLY_TYPE = 0x1380
    ITS_SESSION_INFO = 0x1383
    # SMPP 5.0 TLV tag table (§4.8.1).
    CONGESTION_STATE = 0x0428
    BROADCAST_CHANNEL_INDICATOR = 0x0600
    BROADCAST_CONTENT_TYPE = 0x0601
    BROADCAST_CONTENT_TYPE_INFO = 0x0602
    BROADCAST_MESSAGE_CLASS = 0x0603
    BROADCAST_REP_NUM = 0x0604
    BROADCAST_FREQUENCY_INTERVAL = 0x0605
    BROADCAST_AREA_IDENTIFIER = 0x0606
    BROADCAST_ERROR_STATUS = 0x0607
    BROADCAST_AREA_SUCCESS = 0x0608
    BROADCAST_END_TIME = 0x0609
    BROADCAST_SERVICE_GROUP = 0x060A
    BILLING_IDENTIFICATION = 0x060B
    SOURCE_NETWORK_ID = 0x060D
    DEST_NETWORK_ID = 0x060E
    SOURCE_NODE_ID = 0x060F
    DEST_NODE_ID = 0x0610
    DEST_ADDR_NP_RESOLUTION = 0x0611
    DEST_ADDR_NP_INFORMATION = 0x0612
    DEST_ADDR_NP_COUNTRY = 0x0613
