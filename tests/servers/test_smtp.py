"""The SMTP edge over real sockets, with the stdlib smtplib as the client.

The whole gateway runs in process (SQLite in tmp_path, the loopback connector)
so that a mail goes through the one submit path. smtplib blocks, so each
client conversation runs in a thread while the gateway serves on the loop.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.app import Gateway
from heliograph.config import (
    Config,
    ConfigError,
    ConnectorConfig,
    HttpConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
    load,
)
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageView
from heliograph.domain.rejections import Rejected
from heliograph.servers.smtp import (
    Policy,
    SmtpServer,
    SmtpServices,
    SmtpSettings,
    translate,
)
from heliograph.servers.smtp import smsc_mail as smsc_format
from heliograph.servers.smtp.receipts import receipt_mail
from heliograph.services.accounts import NewAccount
from heliograph.store.base import CallbackJob, MessageFilter
from tests.support.callback_sink import CallbackSink

T = TypeVar("T")
WAIT_S = 10.0
DOMAIN = "sms.example.com"


@dataclass
class Mailer:
    gateway: Gateway
    account: NewAccount
    port: int

    async def talk(self, conversation: Callable[[smtplib.SMTP], T]) -> T:
        def run() -> T:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=WAIT_S) as client:
                return conversation(client)

        return await asyncio.wait_for(asyncio.to_thread(run), WAIT_S)

    async def send(
        self,
        msg: EmailMessage | bytes,
        to: list[str],
        *,
        login: tuple[str, str] | None = None,
        mechanism: str = "PLAIN",
        auth: bool = True,
    ) -> tuple[int, str]:
        """The DATA reply (or the first refusal before it)."""
        if login is None:
            login = (self.account.username, self.account.password)
        content = msg if isinstance(msg, bytes) else msg.as_bytes(policy=policy.SMTP)

        def conversation(client: smtplib.SMTP) -> tuple[int, str]:
            client.ehlo("client.example")
            if auth:
                client.user, client.password = login
                code, text = client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"))
            client.mail("app@example.org")
            for address in to:
                code, text = client.rcpt(address)
                if code >= 300:
                    return code, text.decode()
            code, text = client.data(content)
            return code, text.decode()

        return await self.talk(conversation)

    async def stored(self, account: NewAccount | None = None) -> list[MessageView]:
        owner = (account or self.account).account.id
        views, _ = await self.gateway.messages.list(
            AccountId(owner), MessageFilter(), cursor=None, limit=1000
        )
        return sorted(views, key=lambda v: v.to)


def config(tmp_path: Path, **smtp: Any) -> Config:
    smtp.setdefault("domain", DOMAIN)
    return Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(port=0, **smtp),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        connectors=(ConnectorConfig(name="loopback", receipt_delay_s=0.05),),
    )


async def running(cfg: Config, callback_url: str | None = None) -> AsyncIterator[Mailer]:
    gateway = Gateway(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    await asyncio.wait_for(gateway.ready.wait(), WAIT_S)
    try:
        account = await gateway.create_account("alice", callback_url=callback_url)
        assert gateway.smtp is not None and gateway.smtp.port is not None
        yield Mailer(gateway, account, gateway.smtp.port)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@pytest.fixture
async def mailer(tmp_path: Path) -> AsyncIterator[Mailer]:
    async for m in running(config(tmp_path)):
        yield m


def mail(body: str = "Hello from e-mail", subject: str = "", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "app@example.org"
    msg["To"] = f"+447700900123@{DOMAIN}"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


# --- mail to <number>@<domain> -------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_authenticated_mail_to_a_number_is_one_sms(mailer: Mailer, mechanism: str) -> None:
    code, text = await mailer.send(mail(), [f"+447700900123@{DOMAIN}"], mechanism=mechanism)
    [view] = await mailer.stored()
    assert code == 250
    assert text == f"2.0.0 Accepted as message {view.id} (1 SMS)"
    assert (view.to, view.text, view.sender) == ("+447700900123", "Hello from e-mail", None)


async def test_several_recipients_one_line_each_and_duplicates_once(mailer: Mailer) -> None:
    to = [f"447700900123@{DOMAIN}", f"+447700900124@{DOMAIN.upper()}", f"+447700900123@{DOMAIN}"]
    code, text = await mailer.send(mail(), to)
    views = await mailer.stored()
    assert code == 250
    assert [v.to for v in views] == ["+447700900123", "+447700900124"]
    lines = text.splitlines()
    assert lines[0] == "2.0.0 Accepted 2 of 2 recipients (2 SMS)"
    assert sorted(lines[1:]) == sorted(f"2.0.0 {v.to} accepted as message {v.id}" for v in views)


async def test_wrong_password_is_535_and_nothing_is_sent(mailer: Mailer) -> None:
    with pytest.raises(smtplib.SMTPAuthenticationError) as info:
        await mailer.send(mail(), [f"+447700900123@{DOMAIN}"], login=("alice", "wrong"))
    assert info.value.smtp_code == 535
    assert info.value.smtp_error.startswith(b"5.7.8")
    assert await mailer.stored() == []


async def test_a_number_needs_auth_first(mailer: Mailer) -> None:
    code, text = await mailer.send(mail(), [f"+447700900123@{DOMAIN}"], auth=False)
    assert (code, text.split(" ", 1)[0]) == (530, "5.7.0")
    assert await mailer.stored() == []


async def test_other_domains_are_not_relayed(mailer: Mailer) -> None:
    code, text = await mailer.send(mail(), ["+447700900123@gmail.com"])
    assert code == 550 and text.startswith("5.7.1 Relaying denied")


async def test_a_local_part_that_is_no_number_names_the_recipient(mailer: Mailer) -> None:
    code, text = await mailer.send(mail(), [f"bob@{DOMAIN}"])
    assert code == 550
    assert text.startswith("5.1.1 to: 'bob' is not an E.164 number")


async def test_too_many_recipients_is_452_on_the_one_over(tmp_path: Path) -> None:
    async for m in running(config(tmp_path, max_recipients=2)):
        to = [f"+44770090012{i}@{DOMAIN}" for i in range(3)]
        code, text = await m.send(mail(), to)
        assert (code, text.split(" ", 1)[0]) == (452, "4.5.3")


async def test_mail_over_the_size_limit_is_552(tmp_path: Path) -> None:
    async for m in running(config(tmp_path, max_message_bytes=2048)):
        code, _ = await m.send(mail(("x" * 70 + "\n") * 60), [f"+447700900123@{DOMAIN}"])
        assert code == 552
        assert await m.stored() == []


async def test_sender_from_header_or_config(tmp_path: Path) -> None:
    async for m in running(config(tmp_path, sender="Shop")):
        await m.send(mail("one"), [f"+447700900123@{DOMAIN}"])
        await m.send(mail("two", X_Heliograph_Sender="+447700900999"), [f"+447700900124@{DOMAIN}"])
        code, text = await m.send(
            mail("three", X_Heliograph_Sender="not a valid sender!"), [f"+447700900125@{DOMAIN}"]
        )
        assert [v.sender for v in await m.stored()] == ["Shop", "+447700900999"]
        assert code == 550 and text.startswith("5.1.7 from: 'not a valid sender!'")


async def test_the_same_message_id_again_gets_the_first_answer(mailer: Mailer) -> None:
    msg = mail(Message_ID="<once@example.org>")
    first = await mailer.send(msg, [f"+447700900123@{DOMAIN}"])
    again = await mailer.send(msg, [f"+447700900123@{DOMAIN}"])
    assert first == again and first[0] == 250
    assert len(await mailer.stored()) == 1


async def test_mail_without_auth_goes_to_the_configured_account(tmp_path: Path) -> None:
    async for m in running(config(tmp_path, require_auth=False, account="alice")):
        code, _ = await m.send(mail(), [f"+447700900123@{DOMAIN}"], auth=False)
        assert code == 250
        assert len(await m.stored()) == 1


# --- what the text is -----------------------------------------------------------------------


def raw(headers: str, body: bytes) -> bytes:
    head = f"From: app@example.org\r\nTo: +447700900123@{DOMAIN}\r\n{headers}"
    return head.replace("\n", "\r\n").replace("\r\r", "\r").encode() + b"\r\n\r\n" + body


async def text_of(mailer: Mailer, content: bytes) -> str:
    code, text = await mailer.send(content, [f"+447700900123@{DOMAIN}"])
    assert code == 250, text
    [view] = await mailer.stored()
    return view.text


async def test_quoted_printable_latin1_and_the_signature_is_dropped(mailer: Mailer) -> None:
    content = raw(
        "Subject: ignored\nContent-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable",
        b"Gr=FC=DFe aus K=F6ln,=\r\n bis bald\r\n\r\n-- \r\nAlice\r\nACME Ltd",
    )
    assert await text_of(mailer, content) == "Grüße aus Köln, bis bald"


async def test_the_subject_when_the_body_is_empty(mailer: Mailer) -> None:
    content = raw("Subject: =?utf-8?b?0J/RgNC40LLQtdGC?= there", b"\r\n-- \r\nsignature only")
    assert await text_of(mailer, content) == "Привет there"


async def test_multipart_alternative_takes_the_plain_part(mailer: Mailer) -> None:
    msg = mail("Plain wins\nsecond line")
    msg.add_alternative("<p>HTML loses</p>", subtype="html")
    code, _ = await mailer.send(msg, [f"+447700900123@{DOMAIN}"])
    assert code == 250
    assert [v.text for v in await mailer.stored()] == ["Plain wins\nsecond line"]


async def test_format_flowed_lines_are_joined(mailer: Mailer) -> None:
    content = raw(
        "Content-Type: text/plain; charset=utf-8; format=flowed",
        b"This is one \r\nlong line.\r\nNext.",
    )
    assert await text_of(mailer, content) == "This is one long line.\nNext."


@pytest.mark.parametrize(
    ("content", "reply"),
    [
        (raw("Content-Type: text/html", b"<p>hi</p>"), "554 5.6.1 body: HTML-only mail"),
        (raw("Subject: ", b"\r\n"), "554 5.6.0 body: no text"),
        (raw("Content-Type: text/plain; charset=x-unknown", b"hi"), "554 5.6.0 body: unknown"),
        (raw("Content-Type: text/plain; charset=utf-8", b"\xff\xfe"), "554 5.6.0 body: the text"),
        (raw("Content-Type: image/png", b"PNG"), "554 5.6.1 body: a image/png body"),
    ],
)
async def test_mail_that_is_no_sms_text_is_refused_saying_why(
    mailer: Mailer, content: bytes, reply: str
) -> None:
    code, text = await mailer.send(content, [f"+447700900123@{DOMAIN}"])
    assert f"{code} {text}".startswith(reply)
    assert await mailer.stored() == []


async def test_attachments_are_not_supported(mailer: Mailer) -> None:
    msg = mail("see the file")
    msg.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    code, text = await mailer.send(msg, [f"+447700900123@{DOMAIN}"])
    assert (code, text) == (
        554,
        "5.6.1 body: attachments are not supported: the mail must be text only",
    )


async def test_a_text_too_long_for_255_parts_is_552(mailer: Mailer) -> None:
    code, text = await mailer.send(mail(("x" * 99 + "\n") * 400), [f"+447700900123@{DOMAIN}"])
    assert code == 552 and text.startswith("5.3.4 text:")


# --- the SMS Center e-mail format -----------------------------------------------------------


def smsc_mail(text: str, charset: str | None = "utf-8") -> bytes:
    content_type = f"Content-Type: text/plain; charset={charset}\r\n" if charset else ""
    encoding = "koi8-r" if charset is None else charset
    return (
        b"From: app@example.org\r\nTo: send@send.smsc.ru\r\nSubject: \r\n"
        + content_type.encode()
        + b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        + text.encode(encoding)
    )


async def test_smsc_format_without_smtp_auth(mailer: Mailer) -> None:
    a = mailer.account
    text = f"{a.username}:{a.password}:77::0,0,Shop,0:+447700900123,447700900124:Hello\nthere"
    code, reply = await mailer.send(smsc_mail(text), ["send@send.smsc.ru"], auth=False)
    views = await mailer.stored()
    assert code == 250, reply
    assert [(v.to, v.text, v.sender, v.reference) for v in views] == [
        ("+447700900123", "Hello\nthere", "Shop", "77"),
        ("+447700900124", "Hello\nthere", "Shop", "77"),
    ]


async def test_smsc_format_defaults_to_koi8r_and_takes_a_list(mailer: Mailer) -> None:
    a = mailer.account
    text = f"{a.username}:{a.password}:::::\n+447700900123:Привет\n+447700900124:second"
    code, reply = await mailer.send(smsc_mail(text, None), [f"send@{DOMAIN}"], auth=False)
    assert code == 250, reply
    assert [v.text for v in await mailer.stored()] == ["Привет", "second"]


async def test_smsc_format_text_tags_in_html(mailer: Mailer) -> None:
    a = mailer.account
    html = f"<p>[text]{a.username}:{a.password}::::+447700900123:Tom &amp; Jerry[/text]</p>"
    content = raw("Content-Type: text/html; charset=utf-8", html.encode())
    code, reply = await mailer.send(content, ["send@send.smsc.ru"], auth=False)
    assert code == 250, reply
    assert [v.text for v in await mailer.stored()] == ["Tom & Jerry"]


async def test_smsc_statuses_go_to_the_handler_in_smsc_form(tmp_path: Path) -> None:
    sink = CallbackSink()
    await sink.start()
    try:
        async for m in running(config(tmp_path), callback_url=sink.url):
            a = m.account
            text = f"{a.username}:{a.password}:42:::+447700900123:hi"
            code, _ = await m.send(smsc_mail(text), ["send@send.smsc.ru"], auth=False)
            assert code == 250
            got = await sink.wait_for(lambda r: any(b"status=1" in x.body for x in r))
            delivered = next(x.body.decode() for x in got if b"status=1" in x.body)
            assert "id=42" in delivered and "phone=447700900123" in delivered
    finally:
        await sink.stop()


@pytest.mark.parametrize(
    ("order", "reply"),
    [
        ("{u}:wrong::::+447700900123:hi", "535 5.7.8"),
        ("{u}:{p}::::+447700900123", "554 5.6.0 body: the format is login:psw:id"),
        ("{u}:{p}:::0,1:+447700900123:hi", "554 5.6.1 format: format=1 is not supported"),
        ("{u}:{p}:::0,0,,1:+447700900123:hi", "554 5.6.1 test: test=1 (virtual sending)"),
        ("{u}:{p}:::2:+447700900123:hi", "554 5.6.1 translit: translit=2"),
        ("{u}:{p}::9999999999::+447700900123:hi", "554 5.6.0 time: no such date"),
        ("{u}:{p}::::G12:hi", "554 5.6.1 phones: sending to a group"),
        ("{u}:{p}::::+447700900123:", "554 5.6.0 mes: the message is empty"),
        ("{u}:{p}:::::\n+447700900123 hi", "554 5.6.0 list: list lines are phones:message"),
    ],
)
async def test_smsc_format_refusals_say_which_part(mailer: Mailer, order: str, reply: str) -> None:
    a = mailer.account
    text = order.format(u=a.username, p=a.password)
    code, got = await mailer.send(smsc_mail(text), ["send@send.smsc.ru"], auth=False)
    assert f"{code} {got}".startswith(reply)
    assert await mailer.stored() == []


async def test_smsc_address_goes_alone(mailer: Mailer) -> None:
    code, text = await mailer.send(mail(), [f"+447700900123@{DOMAIN}", "send@send.smsc.ru"])
    assert code == 503 and text.startswith("5.5.1 Bad sequence")


# --- TLS, junk, shutdown --------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", str(key),
             "-out", str(cert)],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"openssl cannot make a test certificate: {exc}")
    return str(cert), str(key)


async def test_auth_needs_starttls_when_required(
    tmp_path: Path, certificate: tuple[str, str]
) -> None:
    """Off loopback (here: told so), AUTH waits for STARTTLS (RFC 3207, RFC 4954 §4)."""
    cert, key = certificate
    gateway = Gateway(config(tmp_path, enabled=False))
    await gateway.open()
    settings = SmtpSettings(
        port=0,
        auth_require_tls=True,
        tls_cert_file=cert,
        tls_key_file=key,
        policy=Policy(domain=DOMAIN),
    )
    services = SmtpServices(
        accounts=gateway.accounts,
        submit=gateway.submit,
        find_account=gateway.store.find_account,
        clock=gateway.clock,
    )
    server = SmtpServer(settings, services)
    await server.start()
    try:
        assert server.port is not None
        m = Mailer(gateway, await gateway.create_account("alice"), server.port)
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE

        def conversation(client: smtplib.SMTP) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
            client.ehlo("client.example")
            assert client.has_extn("starttls") and not client.has_extn("auth")
            before = client.docmd("AUTH", "PLAIN AGFsaWNlAHg=")
            client.starttls(context=insecure)
            client.ehlo("client.example")
            client.login(m.account.username, m.account.password)
            client.mail("app@example.org")
            client.rcpt(f"+447700900123@{DOMAIN}")
            return before, client.data(mail().as_bytes(policy=policy.SMTP))

        before, after = await m.talk(conversation)
        assert before == (538, b"5.7.11 Encryption required for requested authentication mechanism")
        assert after[0] == 250
        assert len(await m.stored()) == 1
    finally:
        await server.aclose()
        await gateway.store.close()


async def test_junk_gets_errors_and_the_server_goes_on(mailer: Mailer) -> None:
    def junk() -> list[bytes]:
        with socket.create_connection(("127.0.0.1", mailer.port), timeout=WAIT_S) as sock:
            f = sock.makefile("rb")
            replies = [f.readline()]
            for line in (b"\x00\xff\xfe garbage\r\n", b"EHLO x\r\n", b"MAIL FROM:<<<>\r\n"):
                sock.sendall(line)
                replies.append(f.readline())
                while replies[-1][3:4] == b"-":
                    replies.append(f.readline())
            sock.sendall(b"RCPT TO:<+447700900123@" + DOMAIN.encode() + b">\r\nDATA\r\n")
            sock.close()  # gone in the middle of a transaction
            return replies

    replies = await asyncio.wait_for(asyncio.to_thread(junk), WAIT_S)
    assert replies[0].startswith(b"220 ")
    assert replies[1].startswith(b"500 ")
    assert replies[-1].startswith(b"553 ")
    code, _ = await mailer.send(mail(), [f"+447700900123@{DOMAIN}"])
    assert code == 250


async def test_shutdown_stops_accepting_and_says_421(tmp_path: Path) -> None:
    gateway = Gateway(config(tmp_path))
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    await asyncio.wait_for(gateway.ready.wait(), WAIT_S)
    assert gateway.smtp is not None and gateway.smtp.port is not None
    port = gateway.smtp.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert (await asyncio.wait_for(reader.readline(), WAIT_S)).startswith(b"220 ")
    stop.set()
    await asyncio.wait_for(task, 20)
    assert (await asyncio.wait_for(reader.readline(), WAIT_S)).startswith(b"421 4.3.2")
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[smtp]\ndomain = 'a@b'", "smtp.domain: must be a mail domain"),
        ("[smtp]\nrequire_auth = false", "smtp.account: is required when require_auth = false"),
        ("[smtp]\nmax_recipients = 0", "smtp.max_recipients: must be from 1 to 10000"),
        ("[smtp]\ntls_cert_file = 'c.pem'", "smtp.tls_key_file: tls_cert_file and tls_key_file"),
        (
            "[smtp]\ntls_cert_file = '/nonexistent/c.pem'\ntls_key_file = '/nonexistent/k.pem'",
            "smtp.tls_cert_file: no such file",
        ),
        ("[smtp]\nrelay = true", "smtp.relay: unknown key"),
    ],
)
def test_bad_smtp_settings_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "heliograph.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load(str(path), env={})
    assert str(info.value).startswith(message)


def test_smtp_settings_load_with_their_defaults(tmp_path: Path) -> None:
    path = tmp_path / "heliograph.toml"
    path.write_text("[smtp]\ndomain = 'sms.example.com'\nmax_recipients = 5\n")
    cfg = load(
        str(path), env={"HELIOGRAPH_SMTP_REQUIRE_AUTH": "false", "HELIOGRAPH_SMTP_ACCOUNT": "a"}
    )
    assert (cfg.smtp.domain, cfg.smtp.max_recipients, cfg.smtp.port) == ("sms.example.com", 5, 2525)
    assert (cfg.smtp.require_auth, cfg.smtp.account, cfg.smtp.smsc_address) == (False, "a", "send")


# --- receipts mailed back -------------------------------------------------------------------


class Inbox:
    """A mail server on 127.0.0.1:0 (aiosmtpd) standing for the relay; it keeps what it gets."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self.changed = asyncio.Condition()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        async with self.changed:
            self.mails.append((list(envelope.rcpt_tos), parsed))
            self.changed.notify_all()
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="relay.test", loop=loop), "127.0.0.1", 0
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def wait_for(self, count: int) -> list[tuple[list[str], EmailMessage]]:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: len(self.mails) >= count), WAIT_S)
        return self.mails

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    box = Inbox()
    await box.start()
    yield box
    await box.stop()


async def test_final_statuses_are_mailed_to_who_asked(tmp_path: Path, inbox: Inbox) -> None:
    cfg = config(tmp_path, relay_host="127.0.0.1", relay_port=inbox.port)
    async for m in running(cfg):
        msg = mail("track me", Disposition_Notification_To="Ops <ops@example.org>")
        code, _ = await m.send(msg, [f"+447700900123@{DOMAIN}", f"+447700900124@{DOMAIN}"])
        assert code == 250
        got = await inbox.wait_for(2)
        views = await m.stored()
        assert all(v.state == "delivered" for v in views)
        assert sorted(str(r["Subject"]) for _, r in got) == [
            f"SMS to {v.to}: delivered ({v.id})" for v in views
        ]
        rcpts, receipt = got[0]
        assert rcpts == ["ops@example.org"]
        assert receipt["From"] == f"heliograph@{DOMAIN}"
        assert receipt["Auto-Submitted"] == "auto-generated"
        mid = receipt["X-Heliograph-Message-Id"]
        assert mid in {v.id for v in views}
        assert f"Message {mid} to +44770090012" in receipt.get_content()
        assert len(inbox.mails) == 2  # sending and sent were not mailed


async def test_no_relay_no_receipts_and_a_bad_address_is_refused(
    tmp_path: Path, inbox: Inbox
) -> None:
    async for m in running(config(tmp_path)):
        msg = mail("no receipts here", Disposition_Notification_To="ops@example.org")
        assert (await m.send(msg, [f"+447700900123@{DOMAIN}"]))[0] == 250
        assert [v.callback_url for v in await m.stored()] == [None]
    cfg = config(tmp_path / "2", relay_host="127.0.0.1", relay_port=inbox.port)
    async for m in running(cfg):
        msg = mail("x", Disposition_Notification_To="a@example.org, b@example.org")
        code, text = await m.send(msg, [f"+447700900123@{DOMAIN}"])
        assert (code, text) == (554, "5.6.0 Disposition-Notification-To: give one e-mail address")


def test_receipt_mail_only_for_final_statuses() -> None:
    def job(status: str) -> CallbackJob:
        event = {"id": "m1", "to": "+447700900123", "from": None, "status": status, "parts": 1,
                 "reference": None, "error": "001" if status == "undeliverable" else None,
                 "at": 1_800_000_000.0}  # fmt: skip
        return CallbackJob(
            id=1, account_id=AccountId("a"), message_id=MessageId("m1"),
            url="mailto:ops@example.org", format="email", body=json.dumps(event).encode(),
            secret="s", attempts=0, created_at=0.0,
        )  # fmt: skip

    assert receipt_mail(job("sent"), "gw@example.com") is None
    msg = receipt_mail(job("undeliverable"), "gw@example.com")
    assert msg is not None and msg["To"] == "ops@example.org"
    assert msg.get_content().splitlines() == [
        "Message m1 to +447700900123: undeliverable at 2027-01-15 08:00:00 UTC.",
        "",
        "From:      (the default sender)",
        "Parts:     1",
        "Error:     001",
    ]


def test_relay_settings(tmp_path: Path) -> None:
    path = tmp_path / "heliograph.toml"
    path.write_text("[smtp]\nrelay_host = 'mail.example.com'\nrelay_password_env = 'HG_RELAY'\n")
    with pytest.raises(ConfigError) as info:
        load(str(path), env={})
    assert str(info.value) == "smtp.relay_password_env: environment variable HG_RELAY is not set"
    assert load(str(path), env={"HG_RELAY": "pw"}).smtp.relay_port == 25


async def test_some_refused_some_accepted_is_250_naming_the_refused(mailer: Mailer) -> None:
    first = await mailer.send(mail("same text"), [f"+447700900123@{DOMAIN}"])
    both = await mailer.send(
        mail("same text"), [f"+447700900123@{DOMAIN}", f"+447700900124@{DOMAIN}"]
    )
    again = await mailer.send(mail("same text"), [f"+447700900123@{DOMAIN}"])
    [accepted] = [v for v in await mailer.stored() if v.to == "+447700900124"]
    duplicate = "to: the same text was sent to +447700900123 less than 60 s ago"
    assert first[0] == 250
    assert both == (
        250,
        "2.0.0 Accepted 1 of 2 recipients (1 SMS)\n"
        f"5.7.1 +447700900123 refused: {duplicate}\n"
        f"2.0.0 +447700900124 accepted as message {accepted.id}",
    )
    assert again == (554, f"5.7.1 {duplicate}")


# --- junk mail content ------------------------------------------------------------------------

_SEEDS = [
    b"Subject: =?utf-8?q?x?=\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1; format=flowed\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\nHall=F6 =\r\nx\r\n--x\r\n"
    b"Content-Type: text/html\r\n\r\n<b>[text]a:b::::+447700900123:hi[/text]</b>\r\n--x--\r\n",
    b'Content-Type: text/plain; charset="koi8-r"\r\nContent-Transfer-Encoding: base64\r\n'
    b"Disposition-Notification-To: a@b\r\n\r\nYWJj\r\n",
    b'Content-Type: multipart/mixed; boundary="q"\r\n\r\n--q\r\n'
    b"Content-Disposition: attachment; filename=a\r\n\r\nx\r\n--q--",
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_SEEDS),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 8), st.binary(max_size=12)), max_size=8),
)
def test_any_mail_content_is_read_or_refused_with_a_reason(
    seed: bytes, edits: list[tuple[float, int, bytes]]
) -> None:
    content = bytearray(seed)
    for where, cut, insert in edits:
        at = int(where * len(content))
        content[at : at + cut] = insert
    try:
        mail = translate.read_mail(bytes(content))
        for step in (
            lambda: translate.sms_text(mail),
            lambda: translate.notify_address(mail),
            lambda: smsc_format.parse_order(smsc_format.order_text(mail), 1_800_000_000.0),
        ):
            try:
                step()
            except Rejected:
                pass
    except Rejected:
        pass


def test_a_charset_that_is_no_text_encoding_is_unknown() -> None:
    content = raw("Content-Type: text/plain; charset=base64", b"aGk=")
    with pytest.raises(Rejected) as info:
        translate.read_mail(content)
    assert (info.value.field, info.value.detail) == ("body", "unknown charset 'base64'")


def test_shutdown_says_421_under_uvloop(tmp_path: Path) -> None:
    """``heliograph serve`` runs on uvloop, whose transports are not asyncio.WriteTransport."""
    import uvloop

    async def scenario() -> bytes:
        gateway = Gateway(config(tmp_path))
        stop = asyncio.Event()
        task = asyncio.create_task(gateway.run(stop))
        await asyncio.wait_for(gateway.ready.wait(), WAIT_S)
        assert gateway.smtp is not None and gateway.smtp.port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.smtp.port)
        assert (await asyncio.wait_for(reader.readline(), WAIT_S)).startswith(b"220 ")
        stop.set()
        await asyncio.wait_for(task, 20)
        line = await asyncio.wait_for(reader.readline(), WAIT_S)
        writer.close()
        return line

    assert uvloop.run(scenario()).startswith(b"421 4.3.2")
