"""SMPP 3.4 PDUs (§4): one frozen dataclass per command, fields named as in the spec.

Each class body *is* the layout of its PDU body: mandatory parameters in wire
order, declared with the field kinds of ``fields.py``, then ``tlvs`` where the
PDU may carry optional parameters. ``codec.py`` encodes and decodes every class
from that declaration alone. All PDUs carry ``sequence_number`` and
``command_status`` (§3.2); ``command_id`` is a class constant. Integer fields
hold plain ``int`` (build them from the enums in ``constants.py``); C-Octet
Strings are ``str`` (Latin-1 on the wire, ASCII in practice); short_message is
``bytes`` whose meaning depends on data_coding and esm_class UDHI, which this
module knows nothing about. Reprs of bind and outbind PDUs redact the password.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from heliograph.wire.smpp.constants import CommandId, InterfaceVersion
from heliograph.wire.smpp.constants import CommandStatus as S
from heliograph.wire.smpp.fields import (
    cstring,
    dest_addresses,
    int1,
    short_message,
    tlvs,
    unsuccess_smes,
)
from heliograph.wire.smpp.tlv import Tlv

__all__ = [
    "PDU_CLASSES",
    "RESPONSE_CLASSES",
    "AlertNotification",
    "Bind",
    "BindReceiver",
    "BindReceiverResp",
    "BindResp",
    "BindTransceiver",
    "BindTransceiverResp",
    "BindTransmitter",
    "BindTransmitterResp",
    "CancelSm",
    "CancelSmResp",
    "DataSm",
    "DataSmResp",
    "DeliverSm",
    "DeliverSmResp",
    "DistributionList",
    "EnquireLink",
    "EnquireLinkResp",
    "GenericNack",
    "Outbind",
    "Pdu",
    "QuerySm",
    "QuerySmResp",
    "ReplaceSm",
    "ReplaceSmResp",
    "SmeAddress",
    "SubmitMulti",
    "SubmitMultiResp",
    "SubmitSm",
    "SubmitSmResp",
    "Unbind",
    "UnbindResp",
    "UnsuccessSme",
]

_V34 = InterfaceVersion.SMPP_3_4
_DEST_ADDR = 21  # destination_addr / source_addr of submit_sm and friends (§5.2.8, §5.2.9)
_DATA_ADDR = 65  # source_addr / destination_addr / esme_addr of data_sm, alert (§4.7.1, §4.12.1)
_MESSAGE_ID = 65  # §5.2.23
_TIME = 17  # schedule_delivery_time, validity_period, final_date (§7.1)


def _repr_redacted(self: object) -> str:
    parts = []
    for f in fields(self):  # type: ignore[arg-type]
        value = getattr(self, f.name)
        if f.name == "password" and value:
            value = "***"
        parts.append(f"{f.name}={value!r}")
    return f"{type(self).__name__}({', '.join(parts)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Pdu:
    """Base of every PDU: the header fields other than command_length (§3.2)."""

    command_id: ClassVar[int]
    sequence_number: int = 0
    command_status: int = 0


# §4.1 bind operations


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Bind(Pdu):
    """Body shared by bind_transmitter, bind_receiver and bind_transceiver (§4.1.1)."""

    system_id: str = cstring(16, S.ESME_RINVSYSID)
    password: str = cstring(9, S.ESME_RINVPASWD)
    system_type: str = cstring(13, S.ESME_RINVSYSTYP)
    interface_version: int = int1(_V34)
    addr_ton: int = int1()
    addr_npi: int = int1()
    address_range: str = cstring(41, S.ESME_RBINDFAIL)

    __repr__ = _repr_redacted


class BindTransmitter(Bind):
    """bind_transmitter (§4.1.1)."""

    __slots__ = ()
    command_id = CommandId.BIND_TRANSMITTER


class BindReceiver(Bind):
    """bind_receiver (§4.1.3)."""

    __slots__ = ()
    command_id = CommandId.BIND_RECEIVER


class BindTransceiver(Bind):
    """bind_transceiver (§4.1.5)."""

    __slots__ = ()
    command_id = CommandId.BIND_TRANSCEIVER


@dataclass(frozen=True, slots=True, kw_only=True)
class BindResp(Pdu):
    """Body shared by the bind responses (§4.1.2); sc_interface_version is a TLV."""

    system_id: str = cstring(16, S.ESME_RINVSYSID)
    tlvs: tuple[Tlv, ...] = tlvs()


class BindTransmitterResp(BindResp):
    """bind_transmitter_resp (§4.1.2)."""

    __slots__ = ()
    command_id = CommandId.BIND_TRANSMITTER_RESP


class BindReceiverResp(BindResp):
    """bind_receiver_resp (§4.1.4)."""

    __slots__ = ()
    command_id = CommandId.BIND_RECEIVER_RESP


class BindTransceiverResp(BindResp):
    """bind_transceiver_resp (§4.1.6)."""

    __slots__ = ()
    command_id = CommandId.BIND_TRANSCEIVER_RESP


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Outbind(Pdu):
    """outbind (§4.1.7): the SMSC asks the ESME to bind_receiver; it has no response."""

    command_id = CommandId.OUTBIND
    system_id: str = cstring(16, S.ESME_RINVSYSID)
    password: str = cstring(9, S.ESME_RINVPASWD)

    __repr__ = _repr_redacted


# §4.2, §4.3, §4.11: header-only PDUs


@dataclass(frozen=True, slots=True, kw_only=True)
class Unbind(Pdu):
    """unbind (§4.2.1)."""

    command_id = CommandId.UNBIND


@dataclass(frozen=True, slots=True, kw_only=True)
class UnbindResp(Pdu):
    """unbind_resp (§4.2.2)."""

    command_id = CommandId.UNBIND_RESP


@dataclass(frozen=True, slots=True, kw_only=True)
class GenericNack(Pdu):
    """generic_nack (§4.3.1): the answer to a PDU whose header is unusable."""

    command_id = CommandId.GENERIC_NACK


@dataclass(frozen=True, slots=True, kw_only=True)
class EnquireLink(Pdu):
    """enquire_link (§4.11.1)."""

    command_id = CommandId.ENQUIRE_LINK


@dataclass(frozen=True, slots=True, kw_only=True)
class EnquireLinkResp(Pdu):
    """enquire_link_resp (§4.11.2)."""

    command_id = CommandId.ENQUIRE_LINK_RESP


# §4.4 submit_sm


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitSm(Pdu):
    """submit_sm (§4.4.1)."""

    command_id = CommandId.SUBMIT_SM
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = int1()
    source_addr_npi: int = int1()
    source_addr: str = cstring(_DEST_ADDR, S.ESME_RINVSRCADR)
    dest_addr_ton: int = int1()
    dest_addr_npi: int = int1()
    destination_addr: str = cstring(_DEST_ADDR, S.ESME_RINVDSTADR)
    esm_class: int = int1()
    protocol_id: int = int1()
    priority_flag: int = int1()
    schedule_delivery_time: str = cstring(_TIME, S.ESME_RINVSCHED)
    validity_period: str = cstring(_TIME, S.ESME_RINVEXPIRY)
    registered_delivery: int = int1()
    replace_if_present_flag: int = int1()
    data_coding: int = int1()
    sm_default_msg_id: int = int1()
    short_message: bytes = short_message()
    tlvs: tuple[Tlv, ...] = tlvs()


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitSmResp(Pdu):
    """submit_sm_resp (§4.4.2); the body is absent when command_status is not 0."""

    command_id = CommandId.SUBMIT_SM_RESP
    message_id: str = cstring(_MESSAGE_ID, S.ESME_RINVMSGID)
    tlvs: tuple[Tlv, ...] = tlvs()


# §4.5 submit_multi


@dataclass(frozen=True, slots=True, kw_only=True)
class SmeAddress:
    """A dest_address with dest_flag 1, SME Address (§4.5.1.1)."""

    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionList:
    """A dest_address with dest_flag 2, Distribution List name (§4.5.1.2)."""

    dl_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsuccessSme:
    """An entry of submit_multi_resp's unsuccess_sme list (§4.5.2.1)."""

    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""
    error_status_code: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitMulti(Pdu):
    """submit_multi (§4.5.1): up to 254 SME addresses or distribution list names."""

    command_id = CommandId.SUBMIT_MULTI
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = int1()
    source_addr_npi: int = int1()
    source_addr: str = cstring(_DEST_ADDR, S.ESME_RINVSRCADR)
    dest_address: tuple[SmeAddress | DistributionList, ...] = dest_addresses()
    esm_class: int = int1()
    protocol_id: int = int1()
    priority_flag: int = int1()
    schedule_delivery_time: str = cstring(_TIME, S.ESME_RINVSCHED)
    validity_period: str = cstring(_TIME, S.ESME_RINVEXPIRY)
    registered_delivery: int = int1()
    replace_if_present_flag: int = int1()
    data_coding: int = int1()
    sm_default_msg_id: int = int1()
    short_message: bytes = short_message()
    tlvs: tuple[Tlv, ...] = tlvs()


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitMultiResp(Pdu):
    """submit_multi_resp (§4.5.2)."""

    command_id = CommandId.SUBMIT_MULTI_RESP
    message_id: str = cstring(_MESSAGE_ID, S.ESME_RINVMSGID)
    unsuccess_sme: tuple[UnsuccessSme, ...] = unsuccess_smes()
    tlvs: tuple[Tlv, ...] = tlvs()


# §4.6 deliver_sm


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverSm(Pdu):
    """deliver_sm (§4.6.1): MO messages and delivery receipts (esm_class bit 2)."""

    command_id = CommandId.DELIVER_SM
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = int1()
    source_addr_npi: int = int1()
    source_addr: str = cstring(_DEST_ADDR, S.ESME_RINVSRCADR)
    dest_addr_ton: int = int1()
    dest_addr_npi: int = int1()
    destination_addr: str = cstring(_DEST_ADDR, S.ESME_RINVDSTADR)
    esm_class: int = int1()
    protocol_id: int = int1()
    priority_flag: int = int1()
    schedule_delivery_time: str = cstring(_TIME, S.ESME_RINVSCHED)
    validity_period: str = cstring(_TIME, S.ESME_RINVEXPIRY)
    registered_delivery: int = int1()
    replace_if_present_flag: int = int1()
    data_coding: int = int1()
    sm_default_msg_id: int = int1()
    short_message: bytes = short_message()
    tlvs: tuple[Tlv, ...] = tlvs()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverSmResp(Pdu):
    """deliver_sm_resp (§4.6.2): message_id is unused and NULL."""

    command_id = CommandId.DELIVER_SM_RESP
    message_id: str = cstring(_MESSAGE_ID, S.ESME_RINVMSGID)
    tlvs: tuple[Tlv, ...] = tlvs()


# §4.7 data_sm


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSm(Pdu):
    """data_sm (§4.7.1): user data travels in the message_payload TLV."""

    command_id = CommandId.DATA_SM
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = int1()
    source_addr_npi: int = int1()
    source_addr: str = cstring(_DATA_ADDR, S.ESME_RINVSRCADR)
    dest_addr_ton: int = int1()
    dest_addr_npi: int = int1()
    destination_addr: str = cstring(_DATA_ADDR, S.ESME_RINVDSTADR)
    esm_class: int = int1()
    registered_delivery: int = int1()
    data_coding: int = int1()
    tlvs: tuple[Tlv, ...] = tlvs()


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSmResp(Pdu):
    """data_sm_resp (§4.7.2)."""

    command_id = CommandId.DATA_SM_RESP
    message_id: str = cstring(_MESSAGE_ID, S.ESME_RINVMSGID)
    tlvs: tuple[Tlv, ...] = tlvs()


# §4.8 query_sm


@dataclass(frozen=True, slots=True, kw_only=True)
class QuerySm(Pdu):
    """query_sm (§4.8.1)."""

    command_id = CommandId.QUERY_SM
    message_id: str = cstring(_MESSAGE_ID, S.ESME_RINVMSGID)
    source_addr_ton: int = int1()
    source_addr_npi: int = int1()
    source_addr: str = cstring(_DEST_ADDR, S.ESME_RINVSRCADR)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuerySmResp(Pdu):
    """query_sm_resp (§4.8.2)."""

    command_id = CommandId.QUERY_SM_RESP
    message_id: str = cstring(_MESSAGE_ID, S.ESME_RINVMSGID)
    final_date: str = cstring(_TIME, S.ESME_RQUERYFAIL)
    message_state: int = int1()
    error_code: int = int1()


# §4.9 cancel_sm


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelSm(Pdu):
    """cancel_sm (§4.9.1)."""

    command_id = CommandId.CANCEL_SM
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    message_id: str = cstring(_MESSAGE_ID, S.ESME_RINVMSGID)
    source_addr_ton: int = int1()
    source_addr_npi: int = int1()
    source_addr: str = cstring(_DEST_ADDR, S.ESME_RINVSRCADR)
    dest_addr_ton: int = int1()
    dest_addr_npi: int = int1()
    destination_addr: str = cstring(_DEST_ADDR, S.ESME_RINVDSTADR)


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelSmResp(Pdu):
    """cancel_sm_resp (§4.9.2)."""

    command_id = CommandId.CANCEL_SM_RESP


# §4.10 replace_sm


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceSm(Pdu):
    """replace_sm (§4.10.1)."""

    command_id = CommandId.REPLACE_SM
    message_id: str = cstring(_MESSAGE_ID, S.ESME_RINVMSGID)
    source_addr_ton: int = int1()
    source_addr_npi: int = int1()
    source_addr: str = cstring(_DEST_ADDR, S.ESME_RINVSRCADR)
    schedule_delivery_time: str = cstring(_TIME, S.ESME_RINVSCHED)
    validity_period: str = cstring(_TIME, S.ESME_RINVEXPIRY)
    registered_delivery: int = int1()
    sm_default_msg_id: int = int1()
    short_message: bytes = short_message()
    tlvs: tuple[Tlv, ...] = tlvs()  # SMPP 5.0 §4.7.9 allows message_payload here


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceSmResp(Pdu):
    """replace_sm_resp (§4.10.2)."""

    command_id = CommandId.REPLACE_SM_RESP


# §4.12 alert_notification


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertNotification(Pdu):
    """alert_notification (§4.12.1): an MS became available; it has no response."""

    command_id = CommandId.ALERT_NOTIFICATION
    source_addr_ton: int = int1()
    source_addr_npi: int = int1()
    source_addr: str = cstring(_DATA_ADDR, S.ESME_RINVSRCADR)
    esme_addr_ton: int = int1()
    esme_addr_npi: int = int1()
    esme_addr: str = cstring(_DATA_ADDR, S.ESME_RINVDSTADR)
    tlvs: tuple[Tlv, ...] = tlvs()


PDU_CLASSES: dict[int, type[Pdu]] = {
    cls.command_id: cls
    for cls in (
        BindTransmitter,
        BindTransmitterResp,
        BindReceiver,
        BindReceiverResp,
        BindTransceiver,
        BindTransceiverResp,
        Outbind,
        Unbind,
        UnbindResp,
        GenericNack,
        SubmitSm,
        SubmitSmResp,
        SubmitMulti,
        SubmitMultiResp,
        DeliverSm,
        DeliverSmResp,
        DataSm,
        DataSmResp,
        QuerySm,
        QuerySmResp,
        CancelSm,
        CancelSmResp,
        ReplaceSm,
        ReplaceSmResp,
        EnquireLink,
        EnquireLinkResp,
        AlertNotification,
    )
}
"""command_id → PDU class, for every SMPP 3.4 command (§5.1.2.1)."""

RESPONSE_CLASSES: dict[int, type[Pdu]] = {
    command_id: PDU_CLASSES[command_id | 0x8000_0000]
    for command_id in PDU_CLASSES
    if not command_id & 0x8000_0000 and command_id | 0x8000_0000 in PDU_CLASSES
}
"""Request command_id → its response class (outbind and alert_notification have none)."""
