"""heliograph mms build|decode and heliograph content upload."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heliograph.cli import app
from heliograph.wire.mms.pdus import RetrieveConf, SendReq, decode_pdu

runner = CliRunner()

GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
SMIL = b'<smil><body><par dur="5000ms"><text src="luther.txt"/></par></body></smil>'
TEXT = b"I have a dream"


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.output


def said(text: str) -> str:
    """An error as one line (the error console wraps long lines)."""
    return " ".join(text.split())


@pytest.fixture
def parts(tmp_path: Path) -> Path:
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "luther.txt").write_bytes(TEXT)
    (folder / "luther.smil").write_bytes(SMIL)
    (folder / "smiley.gif").write_bytes(GIF)
    (folder / ".DS_Store").write_bytes(b"hidden files are left out")
    return folder


def zipped(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_build_a_directory_keeps_its_smil(parts: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mms"
    code, text = run("mms", "build", str(parts), "-o", str(out), "--subject", "Dream",
                     "--from", "+447700900001")  # fmt: skip
    assert code == 0, text
    conf = decode_pdu(out.read_bytes())
    assert isinstance(conf, RetrieveConf)
    assert conf.subject == "Dream" and conf.from_address == "+447700900001/TYPE=PLMN"
    assert conf.content_type.media_type == "application/vnd.wap.multipart.related"
    assert conf.content_type.parameter("start") == "<luther.smil>"
    assert [(p.content_location, p.data) for p in conf.parts] == [
        ("luther.smil", SMIL),
        ("luther.txt", TEXT),
        ("smiley.gif", GIF),
    ]
    assert "m-retrieve-conf" in text and "<luther.smil>" in text


def test_build_a_zip_with_a_generated_smil_as_a_send_req(tmp_path: Path) -> None:
    source = tmp_path / "MLuther.zip"
    source.write_bytes(zipped({"luther.txt": TEXT, "luther.smil": SMIL}))
    out = tmp_path / "out.mms"
    code, text = run("mms", "build", str(source), "-o", str(out), "--smil", "generate",
                     "--pdu", "send-req", "--to", "+447700900002")  # fmt: skip
    assert code == 0, text
    req = decode_pdu(out.read_bytes())
    assert isinstance(req, SendReq) and req.to == ("+447700900002/TYPE=PLMN",)
    smil, body = req.parts
    assert smil.content_location == "smil.xml" and b'<text src="luther.txt"' in smil.data
    assert body.data == TEXT
    assert req.content_type.parameter("start") == smil.content_id


def test_build_without_smil(parts: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mms"
    assert run("mms", "build", str(parts), "-o", str(out), "--smil", "none")[0] == 0
    conf = decode_pdu(out.read_bytes())
    assert isinstance(conf, RetrieveConf)
    assert conf.content_type.media_type == "application/vnd.wap.multipart.mixed"
    assert [p.content_location for p in conf.parts] == ["luther.txt", "smiley.gif"]


def test_build_one_media_file(tmp_path: Path) -> None:
    gif = tmp_path / "smiley1.gif"
    gif.write_bytes(GIF)
    out = tmp_path / "out.mms"
    assert run("mms", "build", str(gif), "-o", str(out))[0] == 0
    conf = decode_pdu(out.read_bytes())
    assert isinstance(conf, RetrieveConf)
    assert [p.content_type.media_type for p in conf.parts] == ["application/smil", "image/gif"]


def test_decode_prints_headers_and_parts(parts: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mms"
    assert run("mms", "build", str(parts), "-o", str(out), "--subject", "Dream")[0] == 0
    code, text = run("mms", "decode", str(out))
    assert code == 0, text
    assert f"m-retrieve-conf, {out.stat().st_size} octets" in text
    assert "subject: Dream" in text and "version: 1.2" in text
    for line in (
        ["application/smil", "<luther.smil>", "luther.smil", str(len(SMIL))],
        ["text/plain; charset=utf-8", "<luther.txt>", "luther.txt", str(len(TEXT))],
        ["image/gif", "<smiley.gif>", "smiley.gif", str(len(GIF))],
    ):
        assert any(all(cell in row for cell in line) for row in text.splitlines()), line


@pytest.mark.parametrize("smil", ["keep", "generate"])
def test_bad_input_is_refused_and_nothing_is_written(tmp_path: Path, smil: str) -> None:
    out = tmp_path / "out.mms"
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(zipped({"big.txt": b"\0" * 2_000_000}))
    code, text = run("mms", "build", str(bomb), "-o", str(out), "--max-octets", "3000",
                     "--smil", smil)  # fmt: skip
    assert code == 2 and "the ZIP unpacks to more than 3000 octets" in said(text)
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"this is not a zip")
    code, text = run("mms", "build", str(fake), "-o", str(out), "--smil", smil)
    assert code == 2 and "not a ZIP file" in said(text)
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "program.exe").write_bytes(b"MZ")
    code, text = run("mms", "build", str(odd), "-o", str(out), "--smil", smil)
    assert code == 2 and "unknown content type for 'program.exe'" in said(text)
    assert not out.exists()


def test_decode_refuses_what_is_not_an_mms(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mms"
    junk.write_bytes(b"hello")
    code, text = run("mms", "decode", str(junk))
    assert code == 2 and "is not an MMS (OMA-MMS-ENC) message" in said(text)
    code, text = run("mms", "decode", str(tmp_path / "missing.mms"))
    assert code == 2 and "cannot read" in said(text)


def test_content_upload_is_library_upload(tmp_path: Path) -> None:
    cfg = tmp_path / "h.toml"
    cfg.write_text(f'data_dir = "{tmp_path}"\n')
    assert run("accounts", "create", "shop", "--config", str(cfg))[0] == 0
    gif = tmp_path / "smiley.gif"
    gif.write_bytes(GIF)
    code, text = run("content", "upload", "shop", str(gif), "--config", str(cfg))
    assert code == 0 and text.strip() == "80000", text
    code, text = run("library", "list", "shop", "--config", str(cfg))
    assert code == 0 and "80000" in text and "smiley.gif" in text
