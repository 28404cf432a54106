"""SMS user data: 3GPP TS 23.038 alphabets and DCS, TS 23.040 user data headers.

Pure code (no I/O, no clock): text in, parts out, and back.

* :mod:`.gsm7`: GSM 7-bit default alphabet, extension table, septet packing.
* :mod:`.shift_tables`: national language locking and single shift tables (Annex A).
* :mod:`.ucs2`, :mod:`.latin1`: the octet alphabets.
* :mod:`.dcs`: the data coding scheme byte.
* :mod:`.udh`: user data header information elements.
* :mod:`.parts`: choice of alphabet and splitting into parts.
* :mod:`.preview`: what a text costs, for users.
* :mod:`.references`: concatenation references per destination.
* :mod:`.reassembly`: MO parts back into messages.
* :mod:`.transliterate`: look-alikes for characters an alphabet lacks.
"""

from heliograph.wire.gsm.dcs import Alphabet, DataCoding, MessageClass, decode_dcs, encode_dcs
from heliograph.wire.gsm.gsm7 import decode_gsm7, encode_gsm7, pack_septets, unpack_septets
from heliograph.wire.gsm.parts import (
    EncodedPart,
    Encoding,
    SplitText,
    count_parts,
    split_binary,
    split_text,
)
from heliograph.wire.gsm.preview import Preview, preview_text
from heliograph.wire.gsm.reassembly import ConcatenatedPart, ReassembledMessage, Reassembler
from heliograph.wire.gsm.references import ReferenceAllocator
from heliograph.wire.gsm.shift_tables import NationalLanguage
from heliograph.wire.gsm.udh import UserDataHeader, decode_udh, split_user_data

__all__ = [
    "Alphabet",
    "ConcatenatedPart",
    "DataCoding",
    "EncodedPart",
    "Encoding",
    "MessageClass",
    "NationalLanguage",
    "Preview",
    "ReassembledMessage",
    "Reassembler",
    "ReferenceAllocator",
    "SplitText",
    "UserDataHeader",
    "count_parts",
    "decode_dcs",
    "decode_gsm7",
    "decode_udh",
    "encode_dcs",
    "encode_gsm7",
    "pack_septets",
    "preview_text",
    "split_binary",
    "split_text",
    "split_user_data",
    "unpack_septets",
]
