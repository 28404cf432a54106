"""Service Indication (WAP-167) and Service Loading (WAP-168), checked against wbxml2xml.

wbxml2xml (Debian package libwbxml2-utils) is an independent WBXML decoder: every vector
and a sample of generated documents are fed to it, and the XML it prints must be the
document we meant. Those tests skip, with the reason shown, when it is not installed.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.si import (
    SI,
    Action,
    InfoItem,
    ServiceIndication,
    decode_si,
    decode_si_date,
    encode_si,
    encode_si_date,
    parse_si_date,
)
from heliograph.wire.wap.sl import SL, ServiceLoading, SlAction, decode_sl, encode_sl

VECTORS: dict[str, list[dict[str, Any]]] = tomllib.loads(
    (Path(__file__).parent.parent / "vectors" / "wbxml.toml").read_text(encoding="utf-8")
)
WBXML2XML = shutil.which("wbxml2xml")
needs_wbxml2xml = pytest.mark.skipif(
    WBXML2XML is None, reason="wbxml2xml not installed (apt-get install libwbxml2-utils)"
)


def _hex(value: str) -> bytes:
    return bytes.fromhex(value.replace(" ", ""))


def _date(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _si(vector: dict[str, Any]) -> ServiceIndication:
    return ServiceIndication(
        href=vector.get("href"),
        si_id=vector.get("si_id"),
        created=_date(vector.get("created")),
        si_expires=_date(vector.get("si_expires")),
        action=Action(vector["action"]) if "action" in vector else None,
        text=vector.get("text", ""),
        info=tuple(InfoItem(item_class=c, text=t) for c, t in vector.get("info", [])),
    )


def _sl(vector: dict[str, Any]) -> ServiceLoading:
    action = SlAction(vector["action"]) if "action" in vector else None
    return ServiceLoading(href=vector["href"], action=action)


def _tree(node: ET.Element) -> tuple[Any, ...]:
    return (
        node.tag,
        sorted(node.attrib.items()),
        node.text or "",
        [(_tree(c), c.tail or "") for c in node],
    )


def wbxml2xml(data: bytes, tmp_path: Path) -> ET.Element:
    """The document wbxml2xml prints for ``data`` (compact, whitespace kept)."""
    assert WBXML2XML is not None
    source, target = tmp_path / "in.wbxml", tmp_path / "out.xml"
    source.write_bytes(data)
    target.unlink(missing_ok=True)
    result = subprocess.run(
        [WBXML2XML, "-m", "0", "-k", "-o", str(target), str(source)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = target.read_text(encoding="utf-8")
    text = re.sub(r"^<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>)?", "", text)
    return ET.fromstring(text)


# --- SI ------------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["si"], ids=[v["id"] for v in VECTORS["si"]])
def test_si_vectors(vector: dict[str, Any]) -> None:
    raw = _hex(vector["hex"])
    assert encode_si(_si(vector)) == raw
    assert decode_si(raw) == _si(vector)
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_si(raw[:cut])


@needs_wbxml2xml
@pytest.mark.parametrize("vector", VECTORS["si"], ids=[v["id"] for v in VECTORS["si"]])
def test_si_vectors_read_by_wbxml2xml(vector: dict[str, Any], tmp_path: Path) -> None:
    printed = wbxml2xml(_hex(vector["hex"]), tmp_path)
    assert _tree(printed) == _tree(ET.fromstring(vector["xml"]))


@pytest.mark.parametrize(
    ("moment", "octets"),
    [
        # WAP-167 §9.2.2: digits packed two per octet, trailing zero octets dropped.
        ("1999-06-25T15:23:15Z", "19990625152315"),
        ("1999-06-30T00:00:00Z", "19990630"),
        ("2000-01-01T00:00:00Z", "20000101"),
        ("2024-02-29T12:30:00Z", "202402291230"),
        ("2030-10-10T10:00:10Z", "20301010100010"),
    ],
)
def test_si_dates(moment: str, octets: str) -> None:
    when = datetime.fromisoformat(moment)
    assert encode_si_date(when).hex() == octets
    assert decode_si_date(bytes.fromhex(octets)) == when
    assert parse_si_date(moment) == when
    assert parse_si_date(moment.removesuffix("Z")) == when  # the csoft si-created form


def test_si_dates_convert_to_utc() -> None:
    from datetime import timedelta, timezone

    paris = datetime(2024, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert encode_si_date(paris).hex() == "2024060112"
    assert encode_si_date(datetime(2024, 6, 1, 12)).hex() == "2024060112"  # naive is UTC


@pytest.mark.parametrize(
    "octets", ["", "2024", "202413", "1999063a", "20240230", "0102030405060708"]
)
def test_si_bad_dates(octets: str) -> None:
    with pytest.raises(DecodeError):
        decode_si_date(bytes.fromhex(octets))


def test_si_parse_date_rejects_other_forms() -> None:
    with pytest.raises(EncodeError):
        parse_si_date("31/12/2024 10:00")


def test_si_token_tables() -> None:
    # WAP-167 §9.3.1-§9.3.3.
    assert SI.tags[(0, 0x06)] == "indication"
    assert SI.attribute_starts[(0, 0x0D)] == ("href", "http://www.")
    assert SI.attribute_starts[(0, 0x09)] == ("action", "delete")
    assert SI.attribute_starts[(0, 0x11)] == ("si-id", "")
    assert SI.attribute_values[(0, 0x88)] == ".org/"
    assert [a.value for a in Action] == [
        "signal-none", "signal-low", "signal-medium", "signal-high", "delete",
    ]  # fmt: skip


def test_si_decode_rejects_other_documents() -> None:
    with pytest.raises(DecodeError):
        decode_si(encode_sl(ServiceLoading(href="http://x")))  # SL public id
    # <si> without <indication>
    with pytest.raises(DecodeError):
        decode_si(_hex("02 05 6a 00 05"))
    # action="signal-xyz" spelled with an inline string after the bare 'class' token
    with pytest.raises(DecodeError):
        decode_si(_hex("02 05 6a 00 45 c6 09 03 7800 01 01 01"))
    # created as text that is not a date
    with pytest.raises(DecodeError):
        decode_si(_hex("02 05 6a 00 45 86 0a 03 6e6f7700 01 01"))


def test_si_textual_created_is_accepted() -> None:
    raw = _hex("02 05 6a 00 45 86 0a 03") + b"2024-01-02T03:04:05Z\x00" + _hex("01 01")
    assert decode_si(raw).created == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_si_string_table() -> None:
    si = ServiceIndication(
        href="http://www.a.com/x", si_id="same-text", text="same-text", action=Action.SIGNAL_LOW
    )
    raw = encode_si(si, string_table=True)
    assert raw.count(b"same-text") == 1
    assert decode_si(raw) == si


text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
dates = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
hrefs = st.one_of(
    st.sampled_from(["http://", "http://www.", "https://", "https://www.", "tel:", ""]).flatmap(
        lambda p: st.from_regex(r"\A[a-z0-9./?=&-]{0,30}\Z").map(lambda s: p + s)
    ),
    st.just("http://www.example.com/a.org/b.net/c.edu/"),
)
service_indications = st.builds(
    ServiceIndication,
    href=st.none() | hrefs,
    si_id=st.none() | text,
    created=st.none() | dates,
    si_expires=st.none() | dates,
    action=st.none() | st.sampled_from(Action),
    text=text,
    info=st.lists(st.builds(InfoItem, item_class=text.filter(bool), text=text), max_size=2).map(
        tuple
    ),
)


@given(service_indications, st.booleans())
def test_property_si_round_trip(si: ServiceIndication, table: bool) -> None:
    raw = encode_si(si, string_table=table)
    assert decode_si(raw) == si


@needs_wbxml2xml
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(si=service_indications)
def test_property_si_read_by_wbxml2xml(si: ServiceIndication, tmp_path: Path) -> None:
    printed = wbxml2xml(encode_si(si), tmp_path)
    indication = printed.find("indication")
    assert printed.tag == "si" and indication is not None
    expected = {
        "href": si.href,
        "si-id": si.si_id,
        "created": si.created and si.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "si-expires": si.si_expires and si.si_expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "action": si.action and si.action.value,
    }
    assert indication.attrib == {k: v for k, v in expected.items() if v is not None}
    assert (indication.text or "") == si.text
    items = printed.findall("info/item")
    assert [(i.get("class"), i.text or "") for i in items] == [
        (i.item_class, i.text) for i in si.info
    ]


# --- SL ------------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["sl"], ids=[v["id"] for v in VECTORS["sl"]])
def test_sl_vectors(vector: dict[str, Any]) -> None:
    raw = _hex(vector["hex"])
    assert encode_sl(_sl(vector)) == raw
    assert decode_sl(raw) == _sl(vector)
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_sl(raw[:cut])


@needs_wbxml2xml
@pytest.mark.parametrize("vector", VECTORS["sl"], ids=[v["id"] for v in VECTORS["sl"]])
def test_sl_vectors_read_by_wbxml2xml(vector: dict[str, Any], tmp_path: Path) -> None:
    printed = wbxml2xml(_hex(vector["hex"]), tmp_path)
    assert _tree(printed) == _tree(ET.fromstring(vector["xml"]))


def test_sl_token_tables_and_errors() -> None:
    # WAP-168 §9.3.
    assert SL.tags == {(0, 0x05): "sl"}
    assert SL.attribute_starts[(0, 0x0C)] == ("href", "https://www.")
    assert SL.attribute_starts[(0, 0x07)] == ("action", "cache")
    with pytest.raises(DecodeError):
        decode_sl(_hex("02 06 6a 00 05"))  # no href
    with pytest.raises(DecodeError):
        decode_sl(encode_si(ServiceIndication(href="http://x")))


@given(hrefs.filter(bool), st.none() | st.sampled_from(SlAction))
def test_property_sl_round_trip(href: str, action: SlAction | None) -> None:
    sl = ServiceLoading(href=href, action=action)
    assert decode_sl(encode_sl(sl)) == sl


@given(st.binary(max_size=80))
def test_property_decoders_raise_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_si(b"\x02\x05\x6a\x00" + data)
    with contextlib.suppress(DecodeError):
        decode_sl(b"\x02\x06\x6a\x00" + data)
