"""csoft dialect in process: the seed's requests replayed, the report formats, bad input.

Every request printed in csoft's HTTP API page (seed 002) is sent as written
over a real socket: the request line, every header, and the body with its
mistakes (a missing ``&``, an ``&amp;``, ``&&``, line breaks, trailing
spaces). Only ``Content-Length`` is computed, as every HTTP client does: the
page's values are illustrative and mostly a few bytes off, and a wrong
framing is answered by the HTTP layer before any dialect sees the request
(``test_wrong_content_length_does_not_break_the_gateway``). Each replay runs
against an account whose Username and PIN are the request's own.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import Config, StoreConfig
from heliograph.domain.accounts import Account, CredentialKind, secret_credential
from heliograph.domain.ids import AccountId
from heliograph.domain.messages import MessageState, MessageView
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.app import build_app
from heliograph.servers.http.dialects.csoft_reports import (
    REPORTS_BY_REASON,
    TEXT,
    Entry,
    Report,
    entry_for,
    format_entries,
)
from heliograph.store.base import MessageFilter
from tests.support.clock import FakeClock

SEED_REQUESTS: dict[str, str] = {
    "wap_push_image_jpg": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nContent-Length: 3458\n\n'
        "Username=ANOther.12345&PIN=123456&SendTo=447700912345&Message=Hello%20World&"
        "WAPPushFileName1=image.jpg&WAPPushFileData1=......."
    ),
    "utf8_hebrew_alef": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 70\n\nUsername=ANOther.12345&PIN=123456&Message=%D7%90&SendTo=44770"
        "0912345"
    ),
    "wap_push_barcode": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 2875\n\nUsername=ANOther.12345&PIN=123456&SendTo=447700912345&Messa"
        "ge=Your%20barcode%20ticket&WAPPushFileName1=barcode.jpg&WAPPushFileData1=FFD"
        "8FFE000104A46494600010101006000600000FFDB00430003020203020203030303040303040"
        "50805050404050A070706080C0A0C0C0B0A0B0B0D0E12100D0E110E0B0B10161011131415151"
        "50C0F171816141812141514FFDB00430103040405040509050509140D0B0D141414141414141"
        "4141414141414141414141414141414141414141414141414141414141414141414141414141"
        "414141414FFC0001108000B006003012200021101031101FFC4001F000001050101010101010"
        "0000000000000000102030405060708090A0BFFC400B51000020103030204030505040400000"
        "17D01020300041105122131410613516107227114328191A1082342B1C11552D1F0243362728"
        "2090A161718191A25262728292A3435363738393A434445464748494A535455565758595A636"
        "465666768696A737475767778797A838485868788898A92939495969798999AA2A3A4A5A6A7A"
        "8A9AAB2B3B4B5B6B7B8B9BAC2C3C4C5C6C7C8C9CAD2D3D4D5D6D7D8D9DAE1E2E3E4E5E6E7E8E"
        "9EAF1F2F3F4F5F6F7F8F9FAFFC4001F010003010101010101010101000000000000010203040"
        "5060708090A0BFFC400B51100020102040403040705040400010277000102031104052131061"
        "241510761711322328108144291A1B1C109233352F0156272D10A162434E125F11718191A262"
        "728292A35363738393A434445464748494A535455565758595A636465666768696A737475767"
        "778797A82838485868788898A92939495969798999AA2A3A4A5A6A7A8A9AAB2B3B4B5B6B7B8B"
        "9BAC2C3C4C5C6C7C8C9CAD2D3D4D5D6D7D8D9DAE2E3E4E5E6E7E8E9EAF2F3F4F5F6F7F8F9FAF"
        "FDA000C03010002110311003F00E9BF66CF8A5E2EF1178ABC4D0DEF89753BE8EDFC37E2EB98C"
        "DDDDC921492DF5182289D4B1246C566000E067DEBD0FC31E38D7EF3C1D697136AB74D309B590"
        "65329DD88F4B8658C67A9C3BB1FC6BC43F662516FAFF8A1E3CABBF867C6C8C73D41D46D491F9"
        "935EA3E1D262F87762C8705AE35904FB1D32DD4FE9C5007A07C28F16EBFAC7C0EB0BFBBD4EE6"
        "6BB6F0A4D706692662C5FFB1B4E9779E7AEE91DBEAC6BC07FE16CF8C078CFE0E5BAF8A35930E"
        "A7A1A4F7713DEB94B87FB1E98DB9C670C73339E7FBC6BD93E073B3FECF76458924784E541FEE"
        "FF62E9EB8FC940FC2BC0D6C60FF0084D7E05BECF98786830393D458E978FE42803DDFC5FE39F"
        "1259F8BBE2CC70EAF771C7A75807B609332889BFE11A79F2A0743E600DF5AE2BF66EF89DE2BD"
        "77E154D7D77E21D4EFEE7ECBE1991A5BBBA791879C6E7CC20939F9B62823DAB77C7A36F8B3E3"
        "211C17D2D8B7BFF00C52F22FF002E2B81FD97A2587E0F5FAA0C016BE1051CF6FF0048FF00E28"
        "FE7401CEDF7C5AF194BF0EB50B93E2BD68CA2363BC5FCBCE65D0148C6EF4B89BF09187739EBF"
        "C5DF127C57A6FECC5F0EF5CB7F13EAF0EA57D77E1D49EEE3BD956497CDBED41640C4364EE112"
        "E7E95C0C3A5DB4BF0E7508DE2CA796DC6E3FF003D3C3A7D7FD91F9575DE2DB1827FD90BE1787"
        "4DC1751F0C81C9E31A86A38FF00D08FE7401EB5F08BC73E23D6BC23717175AC5E4F3FFC2C1B6"
        "D37CE96762DE4359D83940739037393C77AF9CFE077C6AF1B7883C3BF03A4D43C5DAE5D3EB50"
        "F8D1EF8CB7D211706DB4E8E484B8CE0EC62580AF75F84CA2D7C19388BE407E23D9C9D7F8BFB3"
        "EC39FD057CDFF00B3D6996CBE19FD9F7117FAB87C7017E63C06D263DDDFBD007D47E1AF1C789"
        "2F3C53676D3EAF7535BC9F0BFC43A9346656C19E2D4E24493AFDE00903DABC72E7E2F78CA0F8"
        "F1E39D317C53AB1B2B3B0F0D4B15B7DB24088D3E9B1BCACA33D589AF45F0831FF008584B1E4E"
        "C8FE157896351E8A7564C8FD05788DFC29FF0D13E3C6C7CD2697E19DC73D76E969B7F2C0A00F"
        "FD9"
    ),
    "mms_smiley_gif": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk\nContent-Type: "
        'application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nContent-'
        "Length: 613\n\nUsername=ANOther.12345&PIN=123456&SendTo=447700912345&Message=H"
        "ello&MMSNotificationFileName1=smiley1.gif&MMSNotificationFileData1=474946383"
        "96120002000B30000000000990000009900999900000099990099009999999999CCCCCCFF000"
        "000FF00FFFF000000FFFF00FF00FFFFFFFFFF21F9040100000F002C000000002000200040049"
        "EF0C94925B8F8D63DC1FAE07785A2478A16699E2CB8A2CFA826746DBF2587B72C50ED2E4C28C"
        "3F3013348644F072CFA38BFE649038DF1AE2A4A9318944DADA5973738F48EC9D833EA986C2FB"
        "553DBED5BEDA8C375A8B047CD5BA47C7580580B4F5A838485865B7B615B297C635C5F262B958"
        "D8A32962543893D65539E22536C6D6E9491A6982E1D7C3517AF473F717273593AA4497482883"
        "97E1BA67E1100003B"
    ),
    "mms_library_logo": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 115\n\nUsername=ANOther.12345&PIN=123456&SendTo=447700912345&Messag"
        "e=Connection%20Software&MMSFileWAP=8005&ResponseFormat=1"
    ),
    "si_url_no_request_line": (
        "Host: 127.0.0.1:80\nContent-Type: application/x-www-form-urlencoded; charset="
        '"utf-8"\nConnection:close\nContent-Length: 165\n\nUsername=ANother.12345&PIN=123'
        "45678&SendTo=447700912345&si-href=http://www.csoft.co.uk/images/smiley1.gif&"
        "si-content=Connection%20Software"
    ),
    "mms_zip_file": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk\nContent-Length"
        ": 1092\nConnection:close\nContent-Type: application/x-www-form-urlencoded; cha"
        'rset="utf-8"\n\nUsername=ANOther.12345&PIN=11223344&SendTo=447700912345&Messag'
        "e=LutherQuote&MMSNotificationFileName1=MLuther.zip&amp;MMSNotificationFileDa"
        "ta1=504B0304140002000800498134334BE43DD54D000000620000000B0000006C7574686572"
        "2E736D696CB329CECDCCB1E3E552B049CA4FA90431146C0A128B14524A8B6C958C0C8A95C042"
        "0A3625A915250AC545C9B64AC999295639A52519A9457A2515254AFA103DFA404D6063F4A1E6"
        "D8E8434D0600504B0304140002000800C48134331AEDF03FB70000000B0100000A0000006C75"
        "746865722E747874458EB14E04310C447F6574F57212202128699038A0BEDA9B783781AC2D39"
        "CEA1FD7B7CA2B8CED69B67CFE11D852E0C4236A60D5EC8B1ED5874185A756F8C546A0B2AF8AD"
        "AD418591690F185A953085BC6AD0C2C67180F7FFA0A863667C8FBC72C6BC5F11923635E8725D"
        "AAA1FFC48579F80D8BB3F82D900A1925673B1E70872F320FE17304347C5459279CEC38E13547"
        "C1DE11E523934AB4C4997A8984C7B8C4CF93CEC125E3CD98B36E218D7574C7C3F384FB97A7C7"
        "3F504B01021400140002000800498134334BE43DD54D000000620000000B0000000000000001"
        "002000B681000000006C75746865722E736D696C504B01021400140002000800C48134331AED"
        "F03FB70000000B0100000A0000000000000001002000B681760000006C75746865722E747874"
        "504B050600000000020 0020071000000550100000000"
    ),
    "ringtone_library": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nContent-Length: 85\n\nUs'
        "erName=ANOther.12345&PIN=123456&SendTo=447700912345&Ringtone=73344&PhoneMake"
        "=Nokia "
    ),
    "ringtone_rtttl": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 248\n\nUserName=ANOther.12345&PIN=123456&SendTo=447700912345&Ringto"
        "ne=Uncle%3Ad\n%3D8%2Co%3D5%2Cb%3D130%3Aa%2Ca%2Ca%2Cg%2Cf%2Cf%2Cd%2Cf%2C4g%2C4"
        "g%2Cc%2Cd%2C4f%2Ca%2Ca%2C4g%2Cf%2Cf%2Cd%2Cf%2C4g%2C4g%2Cg%2C4f%2C4a%2C4a%2Cg"
        "%2C4f%2C4g%2C4f%2C2f&PhoneMake=Nokia"
    ),
    "group_graphic_library": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nContent-Length: 89\n\nUs'
        "erName=ANOther.12345&PIN=123456&SendTo=447700912345&GroupGraphic=10147\n&Phon"
        "eMake=Nokia"
    ),
    "group_graphic_ota": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 344\n\nUserName=ANOther.12345&PIN=123456&SendTo=447700912345&GroupG"
        "raphic=00480e01f83fffffffffffffffe7cfffffffffffffffcfe3fb52aaa2108a9787c1fc0"
        "0000000000107c0f0633cf336ccf30380ea633cdbb6edf90000746366cbf6fd830100796366d"
        "b76dd8133986a6b66f336cdbbf93f7d6b7edb36cd99f83e703e66db36cd99f83efa3666db36c"
        "cf3701cfe800000000005b01dfff77d6eaf7bdf&PhoneMake=Nokia"
    ),
    "operator_logo_library": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 104\n\nUserName=ANOther.12345&PIN=123456&SendTo=447700912345&Operat"
        "orLogo=10147&MCC=234&MNC=33&PhoneMake=Nokia "
    ),
    "operator_logo_ota": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nContent-Length: 352\n\nU'
        "serName=ANOther.12345&PIN=123456&SendTo=447700912345&OperatorLogo=42f4500048"
        "0e01ffffffffffffffffff000000000000000000ffffffffffffffffff000000000000000000"
        "10f0000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000001&MCC=234&MNC=33&PhoneMake=Nokia"
    ),
    "picture_message_library": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 112\n\nUserName=ANOther.12345&PIN=123456&Message=Golf%20Course&Send"
        "To=447700912345&PictureMessage=20150&PhoneMake=Nokia "
    ),
    "picture_message_ota_missing_ampersand": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nContent-Length: 351\n\nU'
        "serName=ANOther.12345&PIN=123456&SendTo=447700912345PictureMessage=42f450004"
        "80e01ffffffffffffffffff000000000000000000ffffffffffffffffff00000000000000000"
        "010f000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000001&PhoneMake=Nokia"
    ),
    "vcard": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 121\n\nUsername=ANOTHER.12345&PIN=12345678&SendTo=447700912345&vCar"
        "d=BEGIN:VCARD%0D%0AFN:Connection%20Software%0D%0ATEL:%2B442077138000%0D%0AEN"
        "D:VCARD"
    ),
    "vcalendar": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 381\n\nUsername=ANOther.12345&PIN=12345678&SendTo=447700912345&vCal"
        "=BEGIN:VCALENDAR%0D%0AVERSION:1.0%0D%0ABEGIN:VEVENT%0D%0ACATEGORIES:MEETING%"
        "0D%0ASTATUS:TENTATIVE%0D%0ADTSTART:19960401T033000Z%0D%0ADTEND:20060101T0430"
        "00Z%0D%0ASUMMARY:Meeting+with+CSoft%0D%0ADESCRIPTION:Meeting%20with%20Connec"
        "tion%20Software%20at%20their%20offices%0D%0ACLASS:PRIVATE%0D%0AEND:VEVENT%0D"
        "%0AEND:VCALENDAR"
    ),
    "pdu_vcard": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 288\n\nUserName=ANOthER.12345&PIN=12345678&SendTo=447700912345&SmsS"
        "ubmitPduDataCodingScheme=00&SmsSubmitPduProtocolIdentifier=00&SmsSubmitPduUs"
        "erDataHeader=06050423F40000&Message=BEGIN:VCARD%0D%0AVERSION:2.1D%0D%0AN:Smi"
        "th,John,MD%0D%0ATEL;PREF;VOICE:447700912345%0D%0AEND:VCARD&ResponseFormat=3"
    ),
    "pdu_text_to_port": (
        "POST /webservices/http/sendmms HTTP/1.1\nHost: www.csoft.co.uk:80\nContent-Typ"
        'e: application/x-www-form-urlencoded; charset="utf-8"\nConnection:close\nConte'
        "nt-Length: 233\n\nUserName=ANOther.12345&PIN=12345678&SendTo=447700912345&&Res"
        "ponseFormat=3&SmsSubmitPduDataCodingScheme=00&SmsSubmitPduProtocolIdentifier"
        "=00&SmsSubmitPduUserDataHeader=06050450000000&Message=This%20is%20a%20messag"
        "e%20to%20port%205000"
    ),
}

SEED_ANSWERS: dict[str, str] = {
    "wap_push_image_jpg": "31 - Invalid parameter: WAPPushFileData1 must be hex encoded octets",
    "utf8_hebrew_alef": "-2 - Accepted by csoft: queued",
    "wap_push_barcode": "37 - Not supported: WAP PUSH content",
    "mms_smiley_gif": "37 - Not supported: MMS Notification content",
    "mms_library_logo": (
        "MessageIdentifier=-1&Report=31&Text=Invalid%20parameter%3A%20MMSFileWAP%20library"
        "%20numbers%20are%2080000%20to%2089999"
    ),
    "si_url_no_request_line": "-2 - Accepted by csoft: queued",
    "mms_zip_file": "31 - Invalid parameter: unknown tag amp;MMSNotificationFileData1",
    "ringtone_library": "37 - Not supported: ringtone library numbers (none are kept)",
    "ringtone_rtttl": "-2 - Accepted by csoft: queued",
    "group_graphic_library": "31 - Invalid parameter: no library number 10147",
    "group_graphic_ota": "-2 - Accepted by csoft: queued",
    "operator_logo_library": "31 - Invalid parameter: no library number 10147",
    "operator_logo_ota": "-2 - Accepted by csoft: queued",
    "picture_message_library": "31 - Invalid parameter: no library number 20150",
    "picture_message_ota_missing_ampersand": (
        "3 - Invalid number: 447700912345PictureMessage=42f45000480e01ffffffffffffffffff0"
    ),
    "vcard": "-2 - Accepted by csoft: queued",
    "vcalendar": "-2 - Accepted by csoft: queued",
    "pdu_vcard": "MessageIdentifier={id}&Report=%2D2&Text=Accepted%20by%20csoft%3A%20queued",
    "pdu_text_to_port": "MessageIdentifier={id}&Report=%2D2&Text=Accepted%20by%20csoft%3A%20queued",
}

SENDSMS = "/webservices/http/sendsms"
SENDMMS = "/webservices/http/sendmms"
USER, PIN = "ANOther.12345", "123456"


@dataclass
class Csoft:
    client: TestClient  # type: ignore[type-arg]
    gateway: Gateway
    clock: FakeClock

    async def account(self, username: str = USER, pin: str = PIN) -> Account:
        now = self.clock.now()
        account = Account(
            id=AccountId(uuid.uuid4().hex),
            name=username,
            callback_url=None,
            callback_secret="whsec_test",
            created_at=now,
        )
        cred = secret_credential(account.id, CredentialKind.PIN, username, pin, os.urandom(16), now)
        await self.gateway.store.create_account(account, [cred])
        return account

    async def stored(self, account: Account) -> list[MessageView]:
        views, _ = await self.gateway.messages.list(
            account.id, MessageFilter(), cursor=None, limit=1000
        )
        return views

    async def post(self, path: str = SENDSMS, **fields: str) -> str:
        resp = await self.client.post(path, data=fields)
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        return await resp.text()

    async def raw(self, block: str, *, keep_length: bool = False) -> bytes:
        """Send a seed request over a socket; the answer's body (b"" if the server hung up)."""
        head, _, body = block.partition("\n\n")
        lines = head.split("\n")
        if not re.match(r"[A-Z]+ /", lines[0]):
            lines.insert(0, f"POST {SENDMMS} HTTP/1.1")
        if not keep_length:
            lines = [h for h in lines if not h.lower().startswith("content-length")]
            lines.append(f"Content-Length: {len(body.encode())}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body.encode()
        server = self.client.server
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(data)
            if keep_length:
                writer.write_eof()
                return await asyncio.wait_for(reader.read(), 10)
            head_bytes = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status_line, *headers = head_bytes.decode().split("\r\n")
            assert status_line.startswith("HTTP/1.1 200"), status_line
            length = next(
                int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length")
            )
            return await asyncio.wait_for(reader.readexactly(length), 10)
        finally:
            writer.close()
            await writer.wait_closed()


@pytest.fixture
async def csoft(tmp_path: object) -> AsyncIterator[Csoft]:
    clock = FakeClock()
    cfg = Config(data_dir=str(tmp_path), store=StoreConfig(url="memory://"))
    gateway = Gateway(cfg, clock=clock)
    await gateway.store.open()
    app = build_app(gateway.http_services(), max_body_bytes=256 * 1024)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        yield Csoft(client, gateway, clock)
    await gateway.store.close()


def _credentials(block: str) -> tuple[str, str]:
    body = dict((k.lower(), v) for k, v in parse_qsl(block.partition("\n\n")[2]))
    return body["username"], body["pin"]


@pytest.mark.parametrize("name", sorted(SEED_REQUESTS))
async def test_seed_request_replayed_gets_documented_answer(csoft: Csoft, name: str) -> None:
    block = SEED_REQUESTS[name]
    account = await csoft.account(*_credentials(block))
    answer = (await csoft.raw(block)).decode()
    stored = await csoft.stored(account)
    assert answer == SEED_ANSWERS[name].format(id=stored[0].id if stored else "")
    if name == "utf8_hebrew_alef":
        assert [(m.to, m.text, m.encoding, m.state) for m in stored] == [
            ("+447700912345", "\u05d0", "ucs2", MessageState.QUEUED)
        ]
    elif "Accepted" in answer:  # rich content (tests/servers/test_http_content.py)
        assert [(m.to, m.encoding) for m in stored] == [("+447700912345", "binary")]
    else:
        assert stored == []


async def test_wrong_content_length_does_not_break_the_gateway(csoft: Csoft) -> None:
    account = await csoft.account()
    # The page says Content-Length: 70 for a 68-byte body: the server waits for
    # two more bytes, the client gives up; nothing is stored, nothing breaks.
    assert await csoft.raw(SEED_REQUESTS["utf8_hebrew_alef"], keep_length=True) == b""
    assert await csoft.stored(account) == []
    answer = await csoft.raw(SEED_REQUESTS["utf8_hebrew_alef"])
    assert answer == b"-2 - Accepted by csoft: queued"


def test_documented_response_examples_are_rendered_byte_for_byte() -> None:
    queued = Entry("30106CCE", Report.QUEUED, TEXT[Report.QUEUED])
    credit = entry_for(Rejected(RejectReason.INSUFFICIENT_CREDIT, "balance 0.00"))
    credit = Entry("30106CCF", credit.report, credit.text)
    assert format_entries([queued, credit], 3) == (
        "MessageIdentifier=30106CCE,30106CCF&Report=%2D2,15"
        "&Text=Accepted%20by%20csoft%3A%20queued,Out%20of%20credit"
    )
    login = Entry("30106CCE", Report.INVALID_LOGIN, TEXT[Report.INVALID_LOGIN])
    assert format_entries([login], 1) == "MessageIdentifier=30106CCE&Report=2&Text=Invalid%20Login"
    assert format_entries([login], 0) == "171 - Invalid login"


def test_report_table_is_total() -> None:
    assert {r.value for r in RejectReason} <= set(REPORTS_BY_REASON)
    assert set(TEXT) == set(Report)
    assert len({int(r) for r in Report}) == len(Report)


@pytest.mark.parametrize(
    ("fields", "answer"),
    [
        ({"PIN": "654321"}, "171 - Invalid login"),
        (
            {"PIN": "654321", "ResponseFormat": "1"},
            "MessageIdentifier=-1&Report=2&Text=Invalid%20Login",
        ),
        (
            {"PIN": "654321", "ResponseFormat": "3"},
            "MessageIdentifier=-1&Report=2&Text=Invalid%20Login",
        ),
        ({"PIN": ""}, "171 - Invalid login"),
        ({"Username": "nobody"}, "171 - Invalid login"),
        ({"PIN": "654321", "SendTo": ",".join(["447700912345"] * 351)}, "171 - Invalid login"),
        ({"PIN": "654321", "SendTimeDelay": "0", "vCard": "x"}, "171 - Invalid login"),
    ],
)
async def test_invalid_login_in_each_format(
    csoft: Csoft, fields: dict[str, str], answer: str
) -> None:
    account = await csoft.account()
    base = {"Username": USER, "PIN": PIN, "SendTo": "447700912345", "Message": "Hi"}
    assert await csoft.post(**{**base, **fields}) == answer
    assert await csoft.stored(account) == []


async def test_get_and_post_on_both_paths_with_any_tag_case(csoft: Csoft) -> None:
    account = await csoft.account()
    resp = await csoft.client.get(
        SENDSMS + "?uSeRnAmE=ANOther.12345&pin=123456&SENDTO=447700912345&Message=Hello%20World"
    )
    assert resp.status == 200 and await resp.text() == "-2 - Accepted by csoft: queued"
    assert await csoft.post(SENDMMS, UserName=USER, PIN=PIN, SendTo="447700912346", Message="x")
    stored = sorted((m.to, m.text) for m in await csoft.stored(account))
    assert stored == [("+447700912345", "Hello World"), ("+447700912346", "x")]


async def test_format3_gives_one_value_per_number(csoft: Csoft) -> None:
    account = await csoft.account()
    answer = await csoft.post(
        Username=USER,
        PIN=PIN,
        SendTo="447700912345, 12",
        SendCc="447700912346",
        Message="Hello",
        ResponseFormat="3",
    )
    match = re.fullmatch(
        r"MessageIdentifier=([0-9A-Z]{26}),-1,([0-9A-Z]{26})&Report=%2D2,3,%2D2"
        r"&Text=Accepted%20by%20csoft%3A%20queued,Invalid%20number(%3A%20[^,&]*),"
        r"Accepted%20by%20csoft%3A%20queued",
        answer,
    )
    assert match, answer
    assert "12" in unquote(match.group(3))
    stored = {m.id: m.to for m in await csoft.stored(account)}
    assert stored == {match.group(1): "+447700912345", match.group(2): "+447700912346"}


async def test_format1_gives_the_last_failure(csoft: Csoft) -> None:
    await csoft.account()
    answer = await csoft.post(
        Username=USER, PIN=PIN, SendTo="12,447700912345", Message="Hi", ResponseFormat="1"
    )
    assert answer.startswith("MessageIdentifier=-1&Report=3&Text=Invalid%20number")
    answer = await csoft.post(
        Username=USER, PIN=PIN, SendTo="447700912345,447700912346", Message="Ho", ResponseFormat="1"
    )
    assert re.fullmatch(
        r"MessageIdentifier=[0-9A-Z]{26}&Report=%2D2&Text=Accepted%20by%20csoft%3A%20queued", answer
    )


@pytest.mark.parametrize(
    ("fields", "answer"),
    [
        (
            {"SendTo": ",".join(["447700912345"] * 351)},
            "32 - Too many numbers: 351 numbers, at most 350 per request",
        ),
        (
            {
                "SendTo": ",".join(["447700912345"] * 300),
                "SendBcc": ",".join(["447700912346"] * 51),
            },
            "32 - Too many numbers: 351 numbers, at most 350 per request",
        ),
        ({"SendTo": ""}, "30 - Missing parameter: SendTo"),
        ({"Message": ""}, "30 - Missing parameter: Message"),
        ({"SendTo": "0044"}, "3 - Invalid number: 0044"),
        (
            {"SendBccAddressBook": "Contacts::"},
            "31 - Invalid parameter: SendBccAddressBook must be Name or Name::Group",
        ),
        ({"ReplyTo": "447700900999"}, "37 - Not supported: ReplyTo (permitted senders)"),
        (
            {"SendTimeDelay": "0"},
            "33 - Invalid send time: SendTimeDelay must be 1 to 10080 minutes",
        ),
        (
            {"SendTimeDelay": "10081"},
            "33 - Invalid send time: SendTimeDelay must be 1 to 10080 minutes",
        ),
        (
            {"SendTimeDelay": "soon"},
            "33 - Invalid send time: SendTimeDelay must be 1 to 10080 minutes",
        ),
        (
            {"SendTimeAbsolute": "2027-02-01 10:00"},
            "33 - Invalid send time: SendTimeAbsolute must be YYYY-MM-DDTHH:MM:SS in UTC",
        ),
        (
            {"SendTimeAbsolute": "2027-02-30T10:00:00"},
            "33 - Invalid send time: SendTimeAbsolute must be YYYY-MM-DDTHH:MM:SS in UTC",
        ),
        (
            {"SendTimeAbsolute": "2027-02-01T10:00:00", "SendTimeDelay": "5"},
            "33 - Invalid send time: give SendTimeDelay or SendTimeAbsolute, not both",
        ),
        (
            {"SendTimeAbsolute": "2030-02-01T10:00:00"},
            "33 - Invalid send time: schedule_at is more than 366 days ahead",
        ),
        ({"ResponseFormat": "2"}, "31 - Invalid parameter: ResponseFormat must be 0, 1 or 3"),
        ({"Colour": "red"}, "31 - Invalid parameter: unknown tag Colour"),
        ({"LibraryNumber": "80001"}, "31 - Invalid parameter: unknown tag LibraryNumber"),
        ({"MCC": "234"}, "31 - Invalid parameter: MCC belongs to Operator Logo content"),
        (
            {"vCard": "BEGIN:VCARD", "vCal": "BEGIN:VCALENDAR"},
            "31 - Invalid parameter: send one kind of content, not vCard and vCalendar",
        ),
        (
            {"si-href": "http://x.test/a", "si-action": "shout", "Message": None},
            (
                "31 - Invalid parameter: si-action must be one of signal-none, signal-low,"
                " signal-medium, signal-high, delete"
            ),
        ),
        (
            {"GroupGraphic": "10147", "PhoneMake": "Siemens"},
            (
                "31 - Invalid parameter: Group Graphics can only be sent to Nokia phones"
                " (PhoneMake=Nokia)"
            ),
        ),
        (
            {"Ringtone": "73344"},
            (
                "31 - Invalid parameter: PhoneMake must be one of Alcatel, Ericsson, Motorola,"
                " Nokia, Sagem, Siemens, EMS"
            ),
        ),
        (
            {"WAPPushFileName1": "a.jpg"},
            "31 - Invalid parameter: send WAPPushFileName1 with WAPPushFileData1",
        ),
        (
            {"MMSNotificationFileName1": "x" * 51 + ".mms", "MMSNotificationFileData1": "00"},
            (
                "31 - Invalid parameter: MMSNotificationFileName1 must be a file name and"
                " extension, ≤ 50"
            ),
        ),
        (
            {
                "SmsSubmitPduDataCodingScheme": "0",
                "SmsSubmitPduProtocolIdentifier": "00",
                "SmsSubmitPduUserDataHeader": "00",
            },
            "31 - Invalid parameter: SmsSubmitPduDataCodingScheme must be hex encoded octets",
        ),
        (
            {
                "SmsSubmitPduDataCodingScheme": "00",
                "SmsSubmitPduProtocolIdentifier": "00",
                "SmsSubmitPduUserDataHeader": "0605",
            },
            (
                "31 - Invalid parameter: SmsSubmitPduUserDataHeader: the first octet must be"
                " the UDH length"
            ),
        ),
        (
            {"Message": "a" * (153 * 255 + 1)},
            "34 - Message too long: text needs 256 parts, at most 255 allowed",
        ),
    ],
)
async def test_bad_request_gets_its_report_and_stores_nothing(
    csoft: Csoft, fields: dict[str, str | None], answer: str
) -> None:
    account = await csoft.account()
    base = {"Username": USER, "PIN": PIN, "SendTo": "447700912345", "Message": "Hi"}
    sent = {k: v for k, v in {**base, **fields}.items() if v is not None}
    assert await csoft.post(**sent) == answer
    assert await csoft.stored(account) == []


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("&SendTo=447700912346", "31 - Invalid parameter: SendTo given twice"),
        ("&sendto=447700912346", "31 - Invalid parameter: SendTo given twice"),
        ("&Message=%FF", "11 - Invalid characters: not valid utf-8 in Message"),
        (
            "&Message=%FF&ResponseFormat=1",
            (
                "MessageIdentifier=-1&Report=11&Text=Invalid%20characters%3A%20not%20valid%20utf%2D8%20in%20Messag"
                "e"
            ),
        ),
    ],
)
async def test_malformed_query_gets_its_report(csoft: Csoft, query: str, answer: str) -> None:
    account = await csoft.account()
    base = "?Username=ANOther.12345&PIN=123456&SendTo=447700912345"
    if "Message" not in query:
        base += "&Message=Hi"
    resp = await csoft.client.get(SENDSMS + base + query)
    assert resp.status == 200 and await resp.text() == answer
    assert await csoft.stored(account) == []


async def test_declared_charset_decodes_the_octets(csoft: Csoft) -> None:
    account = await csoft.account()
    body = b"Username=ANOther.12345&PIN=123456&SendTo=447700912345&Message=caf%E9"
    resp = await csoft.client.post(
        SENDSMS,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=iso-8859-1"},
    )
    assert await resp.text() == "-2 - Accepted by csoft: queued"
    assert [m.text for m in await csoft.stored(account)] == ["café"]
    resp = await csoft.client.post(
        SENDSMS,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=klingon"},
    )
    assert await resp.text() == "31 - Invalid parameter: charset klingon"
    resp = await csoft.client.post(SENDSMS, data=body, headers={"Content-Type": "application/json"})
    assert (
        await resp.text()
        == "31 - Invalid parameter: send the body as application/x-www-form-urlencoded"
    )
    assert len(await csoft.stored(account)) == 1


async def test_multipart_form_is_read_too(csoft: Csoft) -> None:
    account = await csoft.account()
    fields = {"Username": USER, "PIN": PIN, "SendTo": "447700912345", "Message": "Hi"}
    form = FormData()
    for k, v in fields.items():
        form.add_field(k, v, content_type="text/plain")  # a content type makes it multipart
    resp = await csoft.client.post(SENDSMS, data=form)
    assert await resp.text() == "-2 - Accepted by csoft: queued"
    form = FormData()
    for k, v in {**fields, "Message": "Ho"}.items():
        form.add_field(k, v)
    form.add_field("Ringtone", b"x", filename="x.bin")
    resp = await csoft.client.post(SENDSMS, data=form)
    assert await resp.text() == "31 - Invalid parameter: Ringtone must not be a file upload"
    assert [m.text for m in await csoft.stored(account)] == ["Hi"]


async def test_send_time_delay_and_absolute_schedule_the_message(csoft: Csoft) -> None:
    account = await csoft.account()
    now = csoft.clock.now()
    await csoft.post(Username=USER, PIN=PIN, SendTo="447700912345", Message="a", SendTimeDelay="5")
    await csoft.post(
        Username=USER,
        PIN=PIN,
        SendTo="447700912346",
        Message="b",
        SendTimeAbsolute="2027-02-01T10:00:00",
    )
    stored = {m.to: m for m in await csoft.stored(account)}
    assert stored["+447700912345"].state == MessageState.SCHEDULED
    assert stored["+447700912345"].due_at == now + 300
    assert stored["+447700912346"].due_at == 1_801_476_000.0  # 2027-02-01T10:00:00Z
    assert stored["+447700912346"].state == MessageState.SCHEDULED


async def test_other_methods_get_a_report(csoft: Csoft) -> None:
    resp = await csoft.client.put(SENDSMS, data={"Username": USER})
    assert resp.status == 405
    assert await resp.text() == "31 - Invalid parameter: use GET or POST"
