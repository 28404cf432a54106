"""Command-line tools for rich content (docs/content.md, "Command line").

``heliograph mms build SOURCE -o OUT`` compiles a directory or a ZIP of parts
(text, images, audio, video, SMIL), one media file or a ready ``.mms`` into an
encapsulated MMS (OMA-MMS-ENC 1.2): an m-retrieve-conf, as handsets fetch it,
or with ``--pdu send-req`` an m-send-req, as MMS toolkits write them. It is the
composer the REST and csoft paths use (``services.content.compose_mms``), with
the same limits and refusals; ``--smil keep|generate|none`` is csoft's AddSMIL
(0, 1, 2), except that ``generate`` and ``none`` also leave out a SMIL given.
``heliograph mms decode FILE`` prints an MMS's headers and parts.
``heliograph content upload`` is ``heliograph library upload`` under the name
the content documentation uses. Registered on the main application by ``cli.py``.
"""

from __future__ import annotations

import enum
import io
import secrets
import zipfile
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from heliograph.cli_library import library_upload

content_app = typer.Typer(help="Rich content tools.", no_args_is_help=True)
mms_app = typer.Typer(help="Build and read MMS files (OMA-MMS-ENC).", no_args_is_help=True)
content_app.command("upload")(library_upload)


class SmilMode(enum.StrEnum):
    KEEP = "keep"  # AddSMIL 0: a SMIL given is kept, one is generated when there is none
    GENERATE = "generate"  # AddSMIL 1: a SMIL is generated, one given is left out
    NONE = "none"  # AddSMIL 2: no SMIL at all


class PduKind(enum.StrEnum):
    RETRIEVE_CONF = "retrieve-conf"
    SEND_REQ = "send-req"


_ADD_SMIL = {SmilMode.KEEP: 0, SmilMode.GENERATE: 1, SmilMode.NONE: 2}


def _base() -> Any:
    from heliograph import cli

    return cli


def _fail(detail: str) -> typer.Exit:
    _base().err.print(f"[red]error[/red] {escape(detail)}")
    return typer.Exit(2)


def _is_smil(name: str) -> bool:
    from heliograph.services.content import MEDIA_TYPES

    return MEDIA_TYPES.get(name.rsplit(".", 1)[-1].lower()) == "application/smil"


def _dir_files(source: Path, budget: int) -> list[tuple[str, bytes]]:
    """The files of a directory (hidden ones left out), by name; at most ``budget`` octets."""
    files = []
    for path in sorted(source.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        size = path.stat().st_size
        if size > budget:
            raise _fail(f"{source}: the parts are larger than {budget} octets")
        budget -= size
        files.append((path.name, path.read_bytes()))
    return files


def _zip_files(data: bytes, budget: int) -> list[tuple[str, bytes]]:
    """The files of a ZIP, each read at most to what is left of ``budget``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise _fail(f"not a ZIP file: {exc}") from None
    files = []
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            try:
                with archive.open(info) as member:
                    content = member.read(budget + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
                raise _fail(f"cannot read {info.filename!r} from the ZIP: {exc}") from None
            if len(content) > budget:
                raise _fail(f"the ZIP unpacks to more than {budget} octets")
            budget -= len(content)
            files.append((info.filename, content))
    return files


def _zipped(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()


def _source(source: Path, smil: SmilMode, budget: int) -> tuple[bytes, str]:
    """(data, file name) for the composer: parts travel as a ZIP, the way csoft takes them."""
    if source.is_dir():
        files = _dir_files(source, budget)
    else:
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise _fail(f"cannot read {source}: {exc}") from None
        if data[:4] != b"PK\x03\x04" and not source.name.lower().endswith(".zip"):
            return data, source.name  # one media file, or a ready .mms
        if smil is SmilMode.KEEP:
            return data, source.name
        files = _zip_files(data, budget)
    if smil is not SmilMode.KEEP:
        files = [(n, d) for n, d in files if not _is_smil(n)]
    if not files:
        raise _fail(f"{source} holds no parts")
    return _zipped(files), "parts.zip"


@mms_app.command("build")
def mms_build(
    source: Annotated[
        Path, typer.Argument(help="A directory or ZIP of parts, a media file, or a .mms")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the MMS")],
    smil: Annotated[SmilMode, typer.Option(help="keep, generate or none")] = SmilMode.KEEP,
    pdu: Annotated[PduKind, typer.Option(help="retrieve-conf or send-req")] = (
        PduKind.RETRIEVE_CONF
    ),
    subject: Annotated[str | None, typer.Option(help="The subject")] = None,
    sender: Annotated[str | None, typer.Option("--from", help="The sender's number")] = None,
    to: Annotated[list[str] | None, typer.Option(help="A recipient (send-req), repeatable")] = None,
    max_octets: Annotated[int, typer.Option(help="The largest MMS allowed")] = 600 * 1024,
) -> None:
    """Compile SOURCE into an encapsulated MMS file and print its parts."""
    from heliograph.domain.content import Mms
    from heliograph.domain.rejections import Rejected
    from heliograph.services.content import MmsLimits, compose_mms
    from heliograph.wire.mms.pdus import (
        RetrieveConf,
        SendReq,
        decode_pdu,
        encode_pdu,
        phone_address,
    )

    if max_octets < 1:
        raise _fail("--max-octets must be at least 1")
    limits = MmsLimits(max_octets=max_octets)
    data, name = _source(source, smil, max_octets)
    mms = Mms(data=data, file_name=name, subject=subject, add_smil=_ADD_SMIL[smil])
    now = datetime.now(UTC).timestamp()
    message_id = secrets.token_hex(8)
    try:
        composed = compose_mms(mms, now=now, message_id=message_id, sender=sender, limits=limits)
    except Rejected as exc:
        raise _fail(f"{source}: {exc.detail}") from None
    out = composed.pdu
    if pdu is PduKind.SEND_REQ:
        conf = decode_pdu(out)
        assert isinstance(conf, RetrieveConf)
        req = SendReq(
            transaction_id=message_id,
            content_type=conf.content_type,
            parts=conf.parts,
            body=conf.body,
            to=tuple(phone_address(t) for t in to or ()),
            from_address=conf.from_address,
            subject=conf.subject,
            date=conf.date,
        )
        out = encode_pdu(req)
    try:
        output.write_bytes(out)
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc}") from None
    _print_pdu(decode_pdu(out), len(out), output)


def _value(value: object) -> str:
    match value:
        case datetime():
            return value.isoformat()
        case bytes():
            return value.hex()
        case enum.Enum():
            return value.name
        case tuple():
            return ", ".join(_value(v) for v in value)
        case _:
            return str(value)


def _print_pdu(pdu: Any, size: int, path: Path) -> None:
    console = _base().console
    kind = type(pdu).message_type.name.lower().replace("_", "-")
    console.print(Text(f"{path}: {kind}, {size} octets"))
    for f in fields(pdu):
        value = getattr(pdu, f.name)
        if f.name in ("parts", "body") or value is None or value == ():
            continue
        if f.name == "version":
            value = ".".join(str(v) for v in value)
        console.print(Text(f"  {f.name}: {_value(value)}"))
    if pdu_parts := getattr(pdu, "parts", ()):
        table = Table("#", "content type", "Content-ID", "Content-Location", "octets")
        for i, part in enumerate(pdu_parts, 1):
            table.add_row(
                str(i),
                Text(str(part.content_type)),
                Text(part.content_id or ""),
                Text(part.content_location or ""),
                str(len(part.data)),
            )
        console.print(table)
    elif body := getattr(pdu, "body", b""):
        console.print(Text(f"  body: {len(body)} octets"))


@mms_app.command("decode")
def mms_decode(file: Path) -> None:
    """Print the headers and parts of the MMS in FILE."""
    from heliograph.wire.errors import DecodeError, EncodeError
    from heliograph.wire.mms.pdus import decode_pdu

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc}") from None
    try:
        pdu = decode_pdu(data)
    except (DecodeError, EncodeError) as exc:
        raise _fail(f"{file} is not an MMS (OMA-MMS-ENC) message: {exc}") from None
    _print_pdu(pdu, len(data), file)


def register(app: typer.Typer) -> None:
    """Add these commands to the main application."""
    app.add_typer(content_app, name="content")
    app.add_typer(mms_app, name="mms")
