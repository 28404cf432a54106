"""Field kinds of SMPP 3.4 PDU bodies (§3.1, §4), used to declare each body as data.

A PDU class in ``pdus.py`` declares its mandatory parameters in spec order with
these helpers (``source_addr: str = cstring(21, ESME_RINVSRCADR)``). Each helper
returns an ordinary dataclass default carrying a ``FieldSpec`` in its metadata,
so the dataclass *is* the layout table: ``layout(cls)`` reads it back and
``codec.py`` compiles it into precompiled ``struct`` runs. A ``FieldSpec`` also
carries the command_status to answer when a peer's value breaks the field's
limit (e.g. ESME_RINVSRCADR for an over-long source_addr).

Field kinds (§3.1):

* ``int1`` / ``int2`` / ``int4``: unsigned big-endian Integer of 1, 2 or 4 octets;
* ``cstring(max_octets)``: C-Octet String, NUL-terminated, ``max_octets``
  counting the NUL (``max_octets == 1`` means only the empty string);
* ``short_message``: sm_length (Integer, 1 octet) then that many octets, 0..254
  (§5.2.21, §5.2.22);
* ``dest_addresses``: submit_multi's number_of_dests and dest_address list (§4.5.1);
* ``unsuccess_smes``: submit_multi_resp's no_unsuccess and unsuccess_sme list (§4.5.2);
* ``tlvs``: the optional parameters after the mandatory ones (§3.2.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import TYPE_CHECKING, Any

from heliograph.wire.smpp.constants import CommandStatus

if TYPE_CHECKING:
    from heliograph.wire.smpp.tlv import Tlv

__all__ = [
    "FieldSpec",
    "Kind",
    "cstring",
    "dest_addresses",
    "int1",
    "int2",
    "int4",
    "layout",
    "short_message",
    "tlvs",
    "unsuccess_smes",
]

SPEC_KEY = "smpp"
MAX_SHORT_MESSAGE_OCTETS = 254
"""short_message is at most 254 octets (§5.2.22); longer user data goes in message_payload."""


class Kind(Enum):
    INT1 = "Integer(1)"
    INT2 = "Integer(2)"
    INT4 = "Integer(4)"
    CSTRING = "C-Octet String"
    SHORT_MESSAGE = "sm_length + short_message"
    DEST_ADDRESSES = "number_of_dests + dest_address"
    UNSUCCESS_SMES = "no_unsuccess + unsuccess_sme"
    TLVS = "TLVs"


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """How one mandatory parameter is laid out, and the status a bad value earns."""

    kind: Kind
    max_octets: int = 0
    status: int = CommandStatus.ESME_RINVCMDLEN


def _spec(**kwargs: Any) -> dict[str, FieldSpec]:
    return {SPEC_KEY: FieldSpec(**kwargs)}


def int1(default: int = 0) -> int:
    """An Integer of 1 octet."""
    return field(default=default, metadata=_spec(kind=Kind.INT1))


def int2(default: int = 0) -> int:
    """An Integer of 2 octets."""
    return field(default=default, metadata=_spec(kind=Kind.INT2))


def int4(default: int = 0) -> int:
    """An Integer of 4 octets."""
    return field(default=default, metadata=_spec(kind=Kind.INT4))


def cstring(max_octets: int, status: int, *, repr: bool = True) -> str:
    """A C-Octet String of at most ``max_octets`` octets including the NUL."""
    return field(
        default="",
        repr=repr,
        metadata=_spec(kind=Kind.CSTRING, max_octets=max_octets, status=status),
    )


def short_message() -> bytes:
    """sm_length and short_message (§5.2.21, §5.2.22)."""
    return field(
        default=b"",
        metadata=_spec(
            kind=Kind.SHORT_MESSAGE,
            max_octets=MAX_SHORT_MESSAGE_OCTETS,
            status=CommandStatus.ESME_RINVMSGLEN,
        ),
    )


def dest_addresses() -> tuple[Any, ...]:
    """number_of_dests and the dest_address list of submit_multi (§4.5.1, §5.2.24-25)."""
    return field(
        default=(),
        metadata=_spec(
            kind=Kind.DEST_ADDRESSES, max_octets=254, status=CommandStatus.ESME_RINVNUMDESTS
        ),
    )


def unsuccess_smes() -> tuple[Any, ...]:
    """no_unsuccess and the unsuccess_sme list of submit_multi_resp (§4.5.2, §5.2.26)."""
    return field(default=(), metadata=_spec(kind=Kind.UNSUCCESS_SMES, max_octets=255))


def tlvs() -> tuple[Tlv, ...]:
    """The optional parameters (§3.2.3), in wire order."""
    return field(default=(), metadata=_spec(kind=Kind.TLVS))


def layout(cls: type) -> tuple[tuple[str, FieldSpec], ...]:
    """The body layout of a PDU class: (field name, spec) in wire order."""
    return tuple((f.name, f.metadata[SPEC_KEY]) for f in fields(cls) if SPEC_KEY in f.metadata)
