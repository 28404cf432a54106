"""Nokia Smart Messaging ringing tones (Smart Messaging 3.0.0) and RTTTL text.

Binary layout, a bit stream, most significant bit first::

    <command-length>            8  number of command parts (2)
    <ringing-tone-programming>  7  0100101, then filler bits to an octet boundary
    <sound>                     7  0011101
    <song-type>                 3  001 basic song
    <title-length> <title>      4 + 8 per ISO-8859-1 character
    <song-sequence-length>      8  number of patterns (1)
    <pattern-header>            3 + 2 + 4 + 8: id 000, pattern A (00), loop value, number
                                   of instructions that follow
    instructions:  note 001 + note 4 + duration 3 + duration specifier 2
                   scale 010 + 2     style 011 + 2     tempo 100 + 5     volume 101 + 4
    filler bits to an octet boundary, then <command-end> 00000000

Tempo is an index into :data:`BPM`; scale 0–3 is scale-1 (A = 440 Hz) to scale-4
(A = 3.52 kHz). A note plays at the scale of the last scale instruction, or the handset's
default before the first one; ``scale=None`` on a note means "no change", and a pause has
no scale. Decoding gives every note after a scale instruction that scale.

RTTTL (``name:d=4,o=6,b=63:8c,d#.,p``, "Ringing Tones Text Transfer Language") is parsed
into the same model. Octaves 4–7 are scale-1 to scale-4, A = 440 Hz in octave 4, the
reading RTTTL tools and handsets share (Nokia's own RTTTL text numbers the same scales
5–8, so 8 is also scale-4). A tempo outside the table takes the nearest entry, ``b`` is
``h``, and a dot may stand before or after the octave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError

__all__ = [
    "BPM",
    "Duration",
    "DurationSpecifier",
    "Note",
    "NoteName",
    "Ringtone",
    "Style",
    "decode_ringtone",
    "encode_ringtone",
    "parse_rtttl",
]

#: Beats per minute for tempo values 0–31 (Smart Messaging 3.0.0, <beats-per-minute>).
BPM: Final = (
    25, 28, 31, 35, 40, 45, 50, 56, 63, 70, 80, 90, 100, 112, 125, 140,
    160, 180, 200, 225, 250, 285, 320, 355, 400, 450, 500, 565, 635, 715, 800, 900,
)  # fmt: skip

_RINGING_TONE_PROGRAMMING: Final = 0b0100101
_SOUND: Final = 0b0011101
_BASIC_SONG: Final = 0b001
_PATTERN_HEADER: Final = 0b000
_NOTE, _SCALE, _STYLE, _TEMPO, _VOLUME = 0b001, 0b010, 0b011, 0b100, 0b101
_MAX_TITLE: Final = 15
_MAX_INSTRUCTIONS: Final = 255


class NoteName(IntEnum):
    """<note-value> (4 bits)."""

    PAUSE = 0
    C = 1
    C_SHARP = 2
    D = 3
    D_SHARP = 4
    E = 5
    F = 6
    F_SHARP = 7
    G = 8
    G_SHARP = 9
    A = 10
    A_SHARP = 11
    H = 12


class Duration(IntEnum):
    """<note-duration> (3 bits)."""

    FULL = 0
    HALF = 1
    QUARTER = 2
    EIGHTH = 3
    SIXTEENTH = 4
    THIRTY_SECOND = 5


class DurationSpecifier(IntEnum):
    """<note-duration-specifier> (2 bits)."""

    NONE = 0
    DOTTED = 1
    DOUBLE_DOTTED = 2
    TWO_THIRDS = 3


class Style(IntEnum):
    """<style-value> (2 bits)."""

    NATURAL = 0
    CONTINUOUS = 1
    STACCATO = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """A note or pause; ``scale`` 0–3, ``None`` for the handset's default."""

    name: NoteName
    duration: Duration = Duration.QUARTER
    specifier: DurationSpecifier = DurationSpecifier.NONE
    scale: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ringtone:
    """A monophonic tune: title (ISO-8859-1, at most 15 characters), tempo and notes."""

    name: str
    notes: tuple[Note, ...]
    bpm: int = 63
    loop: int = 0
    style: Style | None = None
    volume: int | None = None


class _Bits:
    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, value: int, width: int) -> None:
        if not 0 <= value < 1 << width:
            raise EncodeError(f"{value} does not fit {width} bits")
        self.value = self.value << width | value
        self.length += width

    def align(self) -> None:
        self.put(0, -self.length % 8)

    def octets(self) -> bytes:
        return self.value.to_bytes(self.length // 8, "big")


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.value = int.from_bytes(data, "big")
        self.length = len(data) * 8
        self.pos = 0

    def get(self, width: int) -> int:
        if self.pos + width > self.length:
            raise DecodeError(f"ringtone ends inside a {width}-bit field at bit {self.pos}")
        self.pos += width
        return (self.value >> (self.length - self.pos)) & ((1 << width) - 1)

    def align(self) -> None:
        self.get(-self.pos % 8)


def _instructions(ringtone: Ringtone) -> list[tuple[int, ...]]:
    if ringtone.bpm not in BPM:
        raise EncodeError(f"{ringtone.bpm} beats per minute is not in the tempo table")
    out: list[tuple[int, ...]] = []
    if ringtone.style is not None:
        out.append((_STYLE, 3, ringtone.style, 2))
    out.append((_TEMPO, 3, BPM.index(ringtone.bpm), 5))
    if ringtone.volume is not None:
        out.append((_VOLUME, 3, ringtone.volume, 4))
    scale: int | None = None
    for note in ringtone.notes:
        if note.name is not NoteName.PAUSE and note.scale is not None and note.scale != scale:
            out.append((_SCALE, 3, note.scale, 2))
            scale = note.scale
        out.append((_NOTE, 3, note.name, 4, note.duration, 3, note.specifier, 2))
    return out


def encode_ringtone(ringtone: Ringtone) -> bytes:
    """The Smart Messaging ringing tone for port 5505.

    Raises :class:`EncodeError` for a title that is not ISO-8859-1 or longer than 15
    characters, a tempo not in :data:`BPM`, or more than 255 instructions.
    """
    try:
        title = ringtone.name.encode("latin-1")
    except UnicodeEncodeError:
        raise EncodeError(f"ringtone title {ringtone.name!r} is not ISO-8859-1") from None
    if len(title) > _MAX_TITLE:
        raise EncodeError(f"ringtone title of {len(title)} characters exceeds {_MAX_TITLE}")
    instructions = _instructions(ringtone)
    if len(instructions) > _MAX_INSTRUCTIONS:
        raise EncodeError(f"{len(instructions)} instructions exceed one pattern's 255")
    bits = _Bits()
    bits.put(2, 8)
    bits.put(_RINGING_TONE_PROGRAMMING, 7)
    bits.align()
    bits.put(_SOUND, 7)
    bits.put(_BASIC_SONG, 3)
    bits.put(len(title), 4)
    for octet in title:
        bits.put(octet, 8)
    bits.put(1, 8)
    bits.put(_PATTERN_HEADER, 3)
    bits.put(0, 2)
    bits.put(ringtone.loop, 4)
    bits.put(len(instructions), 8)
    for instruction in instructions:
        for value, width in zip(instruction[::2], instruction[1::2], strict=True):
            bits.put(value, width)
    bits.align()
    bits.put(0, 8)
    return bits.octets()


class _Song:
    def __init__(self) -> None:
        self.notes: list[Note] = []
        self.bpm = 63  # Smart Messaging's default tempo when no tempo instruction comes
        self.loop = 0
        self.style: Style | None = None
        self.volume: int | None = None

    def read(self, reader: _BitReader) -> None:
        scale: int | None = None
        for index in range(reader.get(8)):
            if reader.get(3) != _PATTERN_HEADER:
                raise DecodeError("ringtone pattern does not start with a pattern header")
            reader.get(2)  # pattern id
            loop = reader.get(4)
            if index == 0:
                self.loop = loop
            for _ in range(reader.get(8)):
                scale = self.instruction(reader, scale)

    def instruction(self, reader: _BitReader, scale: int | None) -> int | None:
        match reader.get(3):
            case 0b001:
                name, duration = NoteName(reader.get(4)), Duration(reader.get(3))
                specifier = DurationSpecifier(reader.get(2))
                self.notes.append(
                    Note(
                        name=name,
                        duration=duration,
                        specifier=specifier,
                        scale=None if name is NoteName.PAUSE else scale,
                    )
                )
            case 0b010:
                return reader.get(2)
            case 0b011:
                self.style = Style(reader.get(2))
            case 0b100:
                self.bpm = BPM[reader.get(5)]
            case 0b101:
                self.volume = reader.get(4)
            case other:
                raise DecodeError(f"ringtone instruction {other:03b} is not assigned")
        return scale


def decode_ringtone(data: bytes) -> Ringtone:
    """Parse a Smart Messaging ringing tone (basic song).

    Raises :class:`DecodeError` for another command, song type, or a truncated stream.
    """
    reader = _BitReader(data)
    song = _Song()
    title = ""
    try:
        for _ in range(reader.get(8)):
            command = reader.get(7)
            if command == _RINGING_TONE_PROGRAMMING:
                reader.align()
            elif command == _SOUND:
                if reader.get(3) != _BASIC_SONG:
                    raise DecodeError("only basic songs are supported")
                title = bytes(reader.get(8) for _ in range(reader.get(4))).decode("latin-1")
                song.read(reader)
            else:
                raise DecodeError(f"ringtone command {command:07b} is not supported")
    except ValueError as exc:  # a value outside an IntEnum
        raise DecodeError(f"ringtone field out of range: {exc}") from None
    reader.align()
    if reader.get(8) != 0:
        raise DecodeError("ringtone does not end with command-end (0x00)")
    return Ringtone(
        name=title,
        notes=tuple(song.notes),
        bpm=song.bpm,
        loop=song.loop,
        style=song.style,
        volume=song.volume,
    )


_NOTE_NAMES: Final = {
    "p": NoteName.PAUSE, "c": NoteName.C, "c#": NoteName.C_SHARP, "d": NoteName.D,
    "d#": NoteName.D_SHARP, "e": NoteName.E, "f": NoteName.F, "f#": NoteName.F_SHARP,
    "g": NoteName.G, "g#": NoteName.G_SHARP, "a": NoteName.A, "a#": NoteName.A_SHARP,
    "h": NoteName.H, "b": NoteName.H,
}  # fmt: skip
_DURATIONS: Final = {2**d.value: d for d in Duration}  # 1, 2, 4, 8, 16, 32
_RTTTL_NOTE: Final = re.compile(r"(\d*)([pcdefgabh]#?)(\.?)(\d?)(\.?)")


def _scale(octave: int) -> int:
    if not 4 <= octave <= 8:
        raise EncodeError(f"RTTTL octave {octave} is outside 4..8")
    return min(octave - 4, 3)


def _duration(value: str, default: int) -> Duration:
    number = int(value) if value else default
    if number not in _DURATIONS:
        raise EncodeError(f"RTTTL duration {number} is not 1, 2, 4, 8, 16 or 32")
    return _DURATIONS[number]


def parse_rtttl(text: str) -> Ringtone:
    """An RTTTL string as a :class:`Ringtone` (title cut to 15 characters).

    Raises :class:`EncodeError` for text that is not RTTTL.
    """
    fields = text.strip().split(":")
    if len(fields) != 3:
        raise EncodeError("RTTTL is name:defaults:notes")
    name, defaults, body = (f.strip() for f in fields)
    settings = {"d": "4", "o": "6", "b": "63"}
    for item in filter(None, (d.strip().lower() for d in defaults.split(","))):
        key, _, value = item.partition("=")
        if key.strip() not in settings or not value.strip().isdigit():
            raise EncodeError(f"RTTTL default {item!r} is not d=, o= or b= with a number")
        settings[key.strip()] = value.strip()
    default_duration, octave = int(settings["d"]), int(settings["o"])
    _duration("", default_duration)
    bpm = min(BPM, key=lambda b: (abs(b - int(settings["b"])), b))
    notes: list[Note] = []
    for token in filter(None, (t.strip().lower() for t in body.split(","))):
        match = _RTTTL_NOTE.fullmatch(token)
        if match is None:
            raise EncodeError(f"RTTTL note {token!r} is not [duration]note[#][.][octave][.]")
        length, note, dot1, scale, dot2 = match.groups()
        name_value = _NOTE_NAMES[note]
        dotted = DurationSpecifier.DOTTED if dot1 or dot2 else DurationSpecifier.NONE
        notes.append(
            Note(
                name=name_value,
                duration=_duration(length, default_duration),
                specifier=dotted,
                scale=None if name_value is NoteName.PAUSE else _scale(int(scale or octave)),
            )
        )
    if not notes:
        raise EncodeError("RTTTL has no notes")
    return Ringtone(name=name[:_MAX_TITLE], notes=tuple(notes), bpm=bpm)
