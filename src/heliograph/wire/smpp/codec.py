"""SMPP 3.4 PDU codec: ``encode(pdu) -> bytes`` and ``decode(frame) -> Pdu``.

One generic encoder and one generic decoder serve every PDU class. At import,
each class's layout (its dataclass fields, see ``fields.py``) is compiled into a
short plan: runs of adjacent Integer fields become one precompiled
``struct.Struct``, and the remaining C-Octet Strings, short_message, submit_multi
lists and TLVs are handled by a few branches of one loop. Decoded objects are
built by setting their slots directly, which is what makes decoding cheap
enough for a gateway's hot path.

Strict validation, each failure a ``PduDecodeError`` (a ``DecodeError``) whose
``status`` is the command_status to answer and which still reports the
header's ``command_id`` and ``sequence_number`` so a generic_nack or a
``*_resp`` can echo them:

* command_length not equal to the frame's length, or a body longer or shorter
  than its layout → ESME_RINVCMDLEN (§3.2, §5.1.1);
* unknown command_id → ESME_RINVCMDID (§5.1.2);
* a C-Octet String without its NUL within its maximum length → the field's own
  status (ESME_RINVSYSID, ESME_RINVPASWD, ESME_RINVSRCADR, ESME_RINVDSTADR...);
* sm_length over 254 or past the end of the PDU → ESME_RINVMSGLEN (§5.2.21);
* number_of_dests 0 or over 254 → ESME_RINVNUMDESTS, a bad dest_flag →
  ESME_RINVDESTFLAG (§5.2.24, §5.2.25);
* TLV errors as described in ``tlv.py``.

A response whose command_status is not 0 comes without a body (§4.4.2 and
the same rule for every response with a body); it decodes to the class's
defaults. So does a bodyless response with command_status 0, which some
ESMEs send as deliver_sm_resp: a response is never answered, so rejecting it
would only lose the acknowledgement. Symmetrically, ``encode`` omits the body
of a response with a non-zero command_status when all its body fields are
defaults. Apart from that case, and the TLV tolerance of
``tlv.py``, ``encode(decode(frame)) == frame`` for every frame ``decode`` accepts.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from typing import Any, Final

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.smpp.constants import (
    HEADER_OCTETS,
    RESPONSE_BIT,
    CommandStatus,
    DestFlag,
)
from heliograph.wire.smpp.fields import Kind, layout
from heliograph.wire.smpp.pdus import (
    PDU_CLASSES,
    RESPONSE_CLASSES,
    DistributionList,
    GenericNack,
    Pdu,
    SmeAddress,
    UnsuccessSme,
)
from heliograph.wire.smpp.tlv import decode_tlvs, encode_tlvs

__all__ = [
    "HEADER",
    "PduDecodeError",
    "decode",
    "decode_header",
    "encode",
    "error_response",
    "with_sequence_number",
]

HEADER: Final = struct.Struct(">IIII")
"""command_length, command_id, command_status, sequence_number (§3.2)."""

_INTS, _CSTRING, _SHORT_MESSAGE, _DEST_ADDRESSES, _UNSUCCESS_SMES, _TLVS = range(6)
_INT_FORMATS = {Kind.INT1: "B", Kind.INT2: "H", Kind.INT4: "I"}
_TON_NPI = struct.Struct(">BB")
_UNSUCCESS_TAIL = struct.Struct(">I")
_DEST_ADDR_MAX = 21  # destination_addr and dl_name inside submit_multi (§4.5.1)
_INVCMDLEN = CommandStatus.ESME_RINVCMDLEN


class PduDecodeError(DecodeError):
    """A frame that is not a valid PDU; ``status`` is the command_status to answer.

    ``command_id`` and ``sequence_number`` are taken from the header when it was
    readable (None otherwise), so the caller can answer with a generic_nack or the
    matching ``*_resp`` carrying the same sequence_number.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        command_id: int | None = None,
        sequence_number: int | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.command_id = command_id
        self.sequence_number = sequence_number


Op = tuple[int, Any, int, int]
"""(kind, struct or max_octets, status, index into the value tuple).

For an Integer run: (kind, struct, first index, index after the run)."""


class _Plan:
    __slots__ = ("cls", "decode_ops", "defaults", "getter", "has_body", "ops", "setters")

    def __init__(self, cls: type[Pdu]) -> None:
        names = [name for name, _ in layout(cls)]
        self.cls = cls
        self.has_body = bool(names)
        all_names = ["sequence_number", "command_status", *names]
        self.getter: Callable[[Pdu], tuple[Any, ...]] = attrgetter(*all_names)
        self.setters: tuple[Callable[[Pdu, Any], None], ...] = tuple(
            getattr(cls, name).__set__ for name in all_names
        )
        self.defaults = tuple(f.default for f in fields(cls))[2:]
        self.ops = tuple(_compile(cls))
        # Decoding needs an Integer run's unpack_from and size instead of its indexes.
        self.decode_ops: tuple[tuple[int, Any, int, str], ...] = tuple(
            (kind, arg.unpack_from, arg.size, "") if kind == _INTS else (kind, arg, status, name)
            for (kind, arg, status, index), name in zip(self.ops, _op_names(cls), strict=True)
        )


def _op_names(cls: type[Pdu]) -> list[str]:
    """The field name of each op (the first name of an Integer run)."""
    names: list[str] = []
    previous_int = False
    for name, spec in layout(cls):
        is_int = spec.kind in _INT_FORMATS
        if not (is_int and previous_int):
            names.append(name)
        previous_int = is_int
    return names


def _compile(cls: type[Pdu]) -> list[Op]:
    ops: list[Op] = []
    run: list[str] = []
    index = 2  # values[0] and values[1] are sequence_number and command_status
    for _name, spec in layout(cls):
        if spec.kind in _INT_FORMATS:
            run.append(_INT_FORMATS[spec.kind])
            index += 1
            continue
        if run:
            ops.append((_INTS, struct.Struct(">" + "".join(run)), index - len(run), index))
            run = []
        if spec.kind is Kind.CSTRING:
            ops.append((_CSTRING, spec.max_octets, spec.status, index))
        elif spec.kind is Kind.SHORT_MESSAGE:
            ops.append((_SHORT_MESSAGE, spec.max_octets, spec.status, index))
        elif spec.kind is Kind.DEST_ADDRESSES:
            ops.append((_DEST_ADDRESSES, spec.max_octets, spec.status, index))
        elif spec.kind is Kind.UNSUCCESS_SMES:
            ops.append((_UNSUCCESS_SMES, spec.max_octets, spec.status, index))
        else:
            ops.append((_TLVS, 0, 0, index))
        index += 1
    if run:
        ops.append((_INTS, struct.Struct(">" + "".join(run)), index - len(run), index))
    return ops


_PLANS: dict[type[Pdu], _Plan] = {cls: _Plan(cls) for cls in PDU_CLASSES.values()}
_PLANS_BY_ID: dict[int, _Plan] = {cid: _PLANS[cls] for cid, cls in PDU_CLASSES.items()}


# --- encoding ---------------------------------------------------------------


def _encode_cstring(value: str, max_octets: int, status: int) -> bytes:
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise EncodeError(f"{value!r} is not Latin-1", status=status) from exc
    if len(raw) >= max_octets or b"\0" in raw:
        raise EncodeError(f"{value!r} does not fit a C-Octet String({max_octets})", status=status)
    return raw + b"\0"


def _encode_dest_address(item: SmeAddress | DistributionList) -> bytes:
    if isinstance(item, SmeAddress):
        return (
            _TON_NPI.pack(DestFlag.SME_ADDRESS, item.dest_addr_ton)
            + bytes((item.dest_addr_npi,))
            + _encode_cstring(item.destination_addr, _DEST_ADDR_MAX, CommandStatus.ESME_RINVDSTADR)
        )
    return bytes((DestFlag.DISTRIBUTION_LIST,)) + _encode_cstring(
        item.dl_name, _DEST_ADDR_MAX, CommandStatus.ESME_RINVDLNAME
    )


def _encode_unsuccess_sme(item: UnsuccessSme) -> bytes:
    return (
        _TON_NPI.pack(item.dest_addr_ton, item.dest_addr_npi)
        + _encode_cstring(item.destination_addr, _DEST_ADDR_MAX, CommandStatus.ESME_RINVDSTADR)
        + _UNSUCCESS_TAIL.pack(item.error_status_code)
    )


def _encode_list(kind: int, items: tuple[Any, ...], max_count: int, status: int) -> bytes:
    if kind == _DEST_ADDRESSES:
        if not 1 <= len(items) <= max_count:
            raise EncodeError(f"number_of_dests {len(items)} not in 1..{max_count}", status=status)
        return bytes((len(items),)) + b"".join(_encode_dest_address(item) for item in items)
    if len(items) > max_count:
        raise EncodeError(f"no_unsuccess {len(items)} > {max_count}", status=status)
    return bytes((len(items),)) + b"".join(_encode_unsuccess_sme(item) for item in items)


def _encode_body(plan: _Plan, values: tuple[Any, ...], buf: bytearray) -> None:
    for kind, arg, status, index in plan.ops:
        if kind == _CSTRING:
            value = values[index]
            if value:
                buf += _encode_cstring(value, arg, status)
            else:
                buf.append(0)
        elif kind == _INTS:
            buf += arg.pack(*values[status:index])
        elif kind == _SHORT_MESSAGE:
            value = values[index]
            if len(value) > arg:
                raise EncodeError(f"short_message of {len(value)} octets > {arg}", status=status)
            buf.append(len(value))
            buf += value
        elif kind == _TLVS:
            if values[index]:
                buf += encode_tlvs(values[index])
        else:
            buf += _encode_list(kind, values[index], arg, status)


def encode(pdu: Pdu, sequence_number: int | None = None) -> bytes:
    """Encode a PDU, header included, optionally with another sequence_number.

    Raises:
        EncodeError: a field that does not fit its wire format; ``status`` is the
            command_status a peer would answer for it.
    """
    try:
        plan = _PLANS[type(pdu)]
    except KeyError:
        raise EncodeError(f"not an SMPP 3.4 PDU: {type(pdu).__name__}") from None
    values = plan.getter(pdu)
    buf = bytearray(HEADER_OCTETS)
    status = values[1]
    if plan.has_body and not (
        status and pdu.command_id & RESPONSE_BIT and values[2:] == plan.defaults
    ):
        try:
            _encode_body(plan, values, buf)
        except struct.error as exc:
            raise EncodeError(f"{pdu!r}: {exc}", status=CommandStatus.ESME_RSYSERR) from exc
    try:
        seq = values[0] if sequence_number is None else sequence_number
        HEADER.pack_into(buf, 0, len(buf), pdu.command_id, status, seq)
    except struct.error as exc:
        raise EncodeError(f"{pdu!r}: header {exc}", status=CommandStatus.ESME_RSYSERR) from exc
    return bytes(buf)


# --- decoding ---------------------------------------------------------------


def _decode_cstring(
    frame: bytes, pos: int, end: int, max_octets: int, status: int, name: str
) -> int:
    limit = pos + max_octets
    nul = frame.find(0, pos, limit if limit < end else end)
    if nul < 0:
        raise DecodeError(f"{name}: no NUL within {max_octets} octets", status=status)
    return nul


def _decode_dest_addresses(
    frame: bytes, pos: int, end: int, max_count: int, status: int
) -> tuple[tuple[SmeAddress | DistributionList, ...], int]:
    count = frame[pos]
    pos += 1
    if not 1 <= count <= max_count:
        raise DecodeError(f"number_of_dests {count}", status=status)
    items: list[SmeAddress | DistributionList] = []
    for _ in range(count):
        flag = frame[pos]
        if flag == DestFlag.SME_ADDRESS:
            ton, npi = _TON_NPI.unpack_from(frame, pos + 1)
            nul = _decode_cstring(
                frame,
                pos + 3,
                end,
                _DEST_ADDR_MAX,
                CommandStatus.ESME_RINVDSTADR,
                "destination_addr",
            )
            addr = frame[pos + 3 : nul].decode("latin-1")
            items.append(SmeAddress(dest_addr_ton=ton, dest_addr_npi=npi, destination_addr=addr))
        elif flag == DestFlag.DISTRIBUTION_LIST:
            nul = _decode_cstring(
                frame, pos + 1, end, _DEST_ADDR_MAX, CommandStatus.ESME_RINVDLNAME, "dl_name"
            )
            items.append(DistributionList(dl_name=frame[pos + 1 : nul].decode("latin-1")))
        else:
            raise DecodeError(f"dest_flag {flag}", status=CommandStatus.ESME_RINVDESTFLAG)
        pos = nul + 1
    return tuple(items), pos


def _decode_unsuccess_smes(
    frame: bytes, pos: int, end: int
) -> tuple[tuple[UnsuccessSme, ...], int]:
    count = frame[pos]
    pos += 1
    items = []
    for _ in range(count):
        ton, npi = _TON_NPI.unpack_from(frame, pos)
        nul = _decode_cstring(
            frame, pos + 2, end, _DEST_ADDR_MAX, CommandStatus.ESME_RINVDSTADR, "destination_addr"
        )
        addr = frame[pos + 2 : nul].decode("latin-1")
        if nul + 5 > end:
            raise DecodeError("unsuccess_sme runs past the PDU", status=_INVCMDLEN)
        (error,) = _UNSUCCESS_TAIL.unpack_from(frame, nul + 1)
        items.append(
            UnsuccessSme(
                dest_addr_ton=ton, dest_addr_npi=npi, destination_addr=addr, error_status_code=error
            )
        )
        pos = nul + 5
    return tuple(items), pos


def _decode_body(plan: _Plan, frame: bytes, end: int, values: list[Any]) -> int:
    pos = HEADER_OCTETS
    append = values.append
    for kind, arg, status, name in plan.decode_ops:
        if kind == _CSTRING:
            if pos < end and frame[pos] == 0:
                append("")
                pos += 1
            else:
                nul = _decode_cstring(frame, pos, end, arg, status, name)
                append(frame[pos:nul].decode("latin-1"))
                pos = nul + 1
        elif kind == _INTS:
            values.extend(arg(frame, pos))  # struct.error past the end → ESME_RINVCMDLEN
            pos += status
        elif kind == _SHORT_MESSAGE:
            if pos >= end:
                raise DecodeError("body ends before sm_length", status=_INVCMDLEN)
            length = frame[pos]
            pos += 1
            if length > arg or pos + length > end:
                raise DecodeError(f"sm_length {length} invalid", status=status)
            append(frame[pos : pos + length])
            pos += length
        elif kind == _TLVS:
            append(decode_tlvs(frame, pos, end) if pos < end else ())
            pos = end
        elif kind == _DEST_ADDRESSES:
            items, pos = _decode_dest_addresses(frame, pos, end, arg, status)
            append(items)
        else:
            smes, pos = _decode_unsuccess_smes(frame, pos, end)
            append(smes)
    return pos


_new = object.__new__


def decode(frame: bytes) -> Pdu:
    """Decode one whole frame (header included) into its PDU.

    Raises:
        PduDecodeError: the frame is not a valid PDU; see the module docstring.
    """
    end = len(frame)
    if end < HEADER_OCTETS:
        raise PduDecodeError(f"frame of {end} octets < 16", status=_INVCMDLEN)
    length, command_id, status, seq = HEADER.unpack_from(frame)
    if length != end:
        raise PduDecodeError(
            f"command_length {length} != frame length {end}",
            status=_INVCMDLEN,
            command_id=command_id,
            sequence_number=seq,
        )
    plan = _PLANS_BY_ID.get(command_id)
    if plan is None:
        raise PduDecodeError(
            f"unknown command_id 0x{command_id:08x}",
            status=CommandStatus.ESME_RINVCMDID,
            command_id=command_id,
            sequence_number=seq,
        )
    values: list[Any] = [seq, status]
    if end == HEADER_OCTETS and (not plan.has_body or command_id & RESPONSE_BIT):
        values.extend(plan.defaults)
    else:
        try:
            if not plan.has_body:
                raise DecodeError(
                    f"{end - HEADER_OCTETS} octets after a header-only PDU", status=_INVCMDLEN
                )
            if end == HEADER_OCTETS:
                raise DecodeError("the body is missing", status=_INVCMDLEN)
            pos = _decode_body(plan, frame, end, values)
            if pos != end:
                raise DecodeError(
                    f"{end - pos} unexpected octets after the body", status=_INVCMDLEN
                )
        except DecodeError as exc:
            raise PduDecodeError(
                str(exc), status=exc.status, command_id=command_id, sequence_number=seq
            ) from exc
        except (IndexError, struct.error) as exc:
            raise PduDecodeError(
                "body ends inside a field",
                status=_INVCMDLEN,
                command_id=command_id,
                sequence_number=seq,
            ) from exc
    pdu: Pdu = _new(plan.cls)
    for setter, value in zip(plan.setters, values):  # noqa: B905 (lengths equal by construction)
        setter(pdu, value)
    return pdu


def decode_header(data: bytes) -> tuple[int, int, int, int]:
    """(command_length, command_id, command_status, sequence_number) of the first 16 octets."""
    if len(data) < HEADER_OCTETS:
        raise DecodeError(f"header of {len(data)} octets < 16", status=_INVCMDLEN)
    length, command_id, status, seq = HEADER.unpack_from(data)
    return length, command_id, status, seq


def error_response(command_id: int, sequence_number: int, status: int) -> Pdu:
    """The bodyless response to a request with ``command_id``, or a generic_nack.

    generic_nack answers an unknown or unanswerable command_id (§4.3.1): a response,
    outbind, alert_notification, or anything the codec does not know.
    """
    cls = RESPONSE_CLASSES.get(command_id, GenericNack)
    return cls(sequence_number=sequence_number, command_status=status)


def with_sequence_number(pdu: Pdu, sequence_number: int) -> Pdu:
    """A copy of ``pdu`` with another sequence_number (cheaper than dataclasses.replace)."""
    plan = _PLANS[type(pdu)]
    values = plan.getter(pdu)
    copy: Pdu = _new(plan.cls)
    setters = plan.setters
    setters[0](copy, sequence_number)
    for i in range(1, len(setters)):
        setters[i](copy, values[i])
    return copy
