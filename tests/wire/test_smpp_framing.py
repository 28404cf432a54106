"""SMPP framing: frames come out whole however the stream is split."""

from __future__ import annotations

import tomllib
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.wire.smpp.codec import PduDecodeError, decode, encode
from heliograph.wire.smpp.constants import CommandStatus
from heliograph.wire.smpp.framing import DEFAULT_MAX_FRAME_OCTETS, FrameBuffer
from heliograph.wire.smpp.pdus import DataSm, EnquireLink
from heliograph.wire.smpp.tlv import MessagePayload

VECTORS = tomllib.loads(
    (Path(__file__).parents[1] / "vectors" / "smpp.toml").read_text(encoding="utf-8")
)
FRAMES = [bytes.fromhex("".join(v["hex"].split())) for v in VECTORS["vector"]]
STREAM = b"".join(FRAMES)


def _feed_all(
    chunks: list[bytes], *, max_frame_octets: int = DEFAULT_MAX_FRAME_OCTETS
) -> list[bytes]:
    buffer = FrameBuffer(max_frame_octets=max_frame_octets)
    out: list[bytes] = []
    for chunk in chunks:
        buffer.feed(chunk)
        out.extend(buffer.pop_all())
    assert buffer.buffered_octets == 0
    return out


@pytest.mark.parametrize("frame", FRAMES, ids=[v["id"] for v in VECTORS["vector"]])
def test_smpp_framing_every_frame_split_at_every_offset(frame: bytes) -> None:
    for offset in range(len(frame) + 1):
        assert _feed_all([frame[:offset], frame[offset:]]) == [frame]


def test_smpp_framing_stream_split_at_every_offset() -> None:
    for offset in range(len(STREAM) + 1):
        assert _feed_all([STREAM[:offset], STREAM[offset:]]) == FRAMES


def test_smpp_framing_stream_byte_by_byte() -> None:
    assert _feed_all([STREAM[i : i + 1] for i in range(len(STREAM))]) == FRAMES


def test_smpp_framing_frames_decode_after_reassembly() -> None:
    frames = _feed_all([STREAM[i : i + 7] for i in range(0, len(STREAM), 7)])
    assert [encode(decode(frame)) for frame in frames[:5]] == FRAMES[:5]


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(0, len(STREAM)), max_size=20))
def test_smpp_framing_any_chunking(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    chunks = [STREAM[a:b] for a, b in pairwise(points)]
    assert _feed_all(chunks) == FRAMES


def test_smpp_framing_many_frames_compacts_buffer() -> None:
    frames = [encode(EnquireLink(sequence_number=n)) for n in range(1, 20_001)]
    buffer = FrameBuffer()
    buffer.feed(b"".join(frames))
    assert buffer.pop_all() == frames
    assert buffer.buffered_octets == 0


def test_smpp_framing_large_message_payload_fits_default_limit() -> None:
    frame = encode(DataSm(tlvs=(MessagePayload(value=bytes(65_535)),)))
    assert _feed_all([frame]) == [frame]


@pytest.mark.parametrize("length", [0, 1, 15, 1025, 0xFFFF_FFFF])
def test_smpp_framing_rejects_bad_command_length(length: int) -> None:
    buffer = FrameBuffer(max_frame_octets=1024)
    header = length.to_bytes(4, "big") + bytes.fromhex("00000004 00000000 0000002a")
    buffer.feed(header[:4])
    assert buffer.pop() is None  # judged only once the whole header is in
    buffer.feed(header[4:])
    with pytest.raises(PduDecodeError) as info:
        buffer.pop()
    assert info.value.status == CommandStatus.ESME_RINVCMDLEN
    assert info.value.sequence_number == 42
    assert info.value.command_id == 4
    buffer.feed(encode(EnquireLink(sequence_number=1)))
    with pytest.raises(PduDecodeError):
        buffer.pop()


def test_smpp_framing_exact_limit_accepted() -> None:
    frame = encode(DataSm(tlvs=(MessagePayload(value=bytes(100)),)))
    assert _feed_all([frame], max_frame_octets=len(frame)) == [frame]
    with pytest.raises(PduDecodeError):
        _feed_all([frame], max_frame_octets=len(frame) - 1)


def test_smpp_framing_limit_must_hold_a_header() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        FrameBuffer(max_frame_octets=15)
