from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from heliograph.config import ConfigError, load


def test_defaults_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load(env={})
    assert (cfg.http.port, cfg.smpp.port, cfg.smtp.port) == (8080, 2775, 2525)
    assert cfg.http.host == cfg.smpp.host == cfg.smtp.host == "127.0.0.1"
    assert cfg.store_url == "sqlite:///data/heliograph.sqlite3"
    assert [c.name for c in cfg.connectors] == ["loopback"]


def test_file_and_environment_overrides(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text('[http]\nport = 9000\n[[connectors]]\nname = "a"\nreceipt_delay_s = 2\n')
    cfg = load(
        str(path),
        env={
            "HELIOGRAPH_HTTP_PORT": "9100",
            "HELIOGRAPH_SMPP_PORT": "2776",
            "HELIOGRAPH_SMTP_PORT": "2526",
            "HELIOGRAPH_STORE_URL": "sqlite:////tmp/x.db",
            "HELIOGRAPH_DATA_DIR": "/var/lib/heliograph",
        },
    )
    assert (cfg.http.port, cfg.smpp.port, cfg.smtp.port) == (9100, 2776, 2526)
    assert cfg.store_url == "sqlite:////tmp/x.db"
    assert cfg.data_dir == "/var/lib/heliograph"
    assert cfg.connectors[0].receipt_delay_s == 2.0


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ("[http]\nport = 70000\n", {}, "http.port"),
        ('[http]\nport = "x"\n', {}, "http.port"),
        ("[http]\nprot = 1\n", {}, "http.prot"),
        ("[bogus]\n", {}, "bogus"),
        ("", {"HELIOGRAPH_SMPP_PORT": "many"}, "smpp.port"),
        ('[store]\nurl = "mysql://x"\n', {}, "store.url"),
        ('[[connectors]]\nname = "a"\ntype = "smpp"\n', {}, "connectors[0].host"),
        ('[[connectors]]\nname = "a"\ndelivery_ratio = 2\n', {}, "connectors[0].delivery_ratio"),
        ("[[connectors]]\nreceipt_delay_s = 1\n", {}, "connectors[0].name"),
        ('log_level = "loud"\n', {}, "log_level"),
        ('[content]\nwalled_garden = ["44 770"]\n', {}, "content.walled_garden"),
        ('[content]\nwalled_garden = "44770"\n', {}, "content.walled_garden"),
        ('[credit]\nsettle = "weekly"\n', {}, "credit.settle"),
        ("", {"HELIOGRAPH_CREDIT_RECEIPT_WAIT_S": "-1"}, "credit.receipt_wait_s"),
        ("[http\n", {}, "h.toml"),
    ],
)
def test_invalid_config_names_the_key(
    tmp_path: Path, text: str, env: dict[str, str], key: str
) -> None:
    path = tmp_path / "h.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load(str(path), env=env)
    assert key in str(info.value)


def test_credit_settles_on_submit_unless_told_delivery(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text("")
    assert load(str(path), env={}).credit.on_delivery is False
    path.write_text('[credit]\nsettle = "delivery"\nreceipt_wait_s = 60\n')
    credit = load(str(path), env={}).credit
    assert credit.on_delivery and credit.receipt_wait_s == 60.0


def test_serve_with_invalid_config_exits_2_and_starts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text("[http]\nport = -1\n")
    result = subprocess.run(
        [sys.executable, "-m", "heliograph", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "http.port" in result.stderr
    assert not (tmp_path / "data").exists()


def test_printed_store_url_hides_the_password() -> None:
    from heliograph.config import redact_url

    assert redact_url("postgresql://app:s3cr3t@db.example:5432/sms") == (
        "postgresql://app:***@db.example:5432/sms"
    )
    assert redact_url("postgresql://app@db/sms") == "postgresql://app@db/sms"
    assert redact_url("sqlite:///data/heliograph.sqlite3") == "sqlite:///data/heliograph.sqlite3"


def test_routes_section_builds_strategies_and_checks_connectors(tmp_path: Path) -> None:
    from heliograph.app import mt_routes
    from heliograph.domain.routing import Strategy

    path = tmp_path / "h.toml"
    path.write_text(
        '[[connectors]]\nname = "a"\ncosts = { "44" = 0.04 }\n'
        '[[connectors]]\nname = "b"\ncosts = { "447" = 0.03 }\n'
        '[[routes]]\nname = "uk"\nconnectors = ["a", "b"]\nstrategy = "least_cost"\n'
        'prefixes = ["44"]\naccounts = ["shop"]\nkinds = ["text"]\n'
    )
    cfg = load(str(path), env={})
    (route,) = mt_routes(cfg)
    assert route.strategy is Strategy.LEAST_COST and route.accounts == frozenset({"shop"})
    assert route.costs["b"].price_micros("+447700900001") == 30_000
    for text, key in [
        ('[[routes]]\nname = "x"\nconnectors = ["nope"]\n', "routes[0].connectors"),
        (
            '[[routes]]\nname = "x"\nconnectors = ["loopback"]\nstrategy = "cheap"\n',
            "routes[0].strategy",
        ),
        ('[[routes]]\nname = "x"\nconnectors = ["loopback"]\npattern = "("\n', "routes[0].pattern"),
        (
            '[[routes]]\nname = "x"\nconnectors = ["loopback"]\nprefixes = ["+44"]\n',
            "routes[0].prefixes",
        ),
        ('[[routes]]\nconnectors = ["loopback"]\n', "routes[0].name"),
        ('[[connectors]]\nname = "a"\ncosts = { "44" = "cheap" }\n', "connectors[0].costs.44"),
    ]:
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            load(str(path), env={})
        assert key in str(info.value), text


def test_content_walled_garden_prefixes(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text('[content]\nwalled_garden = ["44770", "+3538"]\n')
    assert load(str(path), env={}).content.walled_garden == ("44770", "+3538")
    path.write_text("")
    assert load(str(path), env={}).content.walled_garden == ()


def test_smpp_tlvs_are_defined_by_name_tag_type_and_length(tmp_path: Path) -> None:
    from heliograph.config import SmppTlvConfig

    path = tmp_path / "h.toml"
    path.write_text(
        '[[smpp_tlvs]]\nname = "campaign"\ntag = 0x1401\ntype = "nulterminated"\nlength = 12\n'
        '[[smpp_tlvs]]\nname = "pay"\ntag = 0x0019\ntype = "integer"\nlength = 1\n'
    )
    assert load(str(path), env={}).smpp_tlvs == (
        SmppTlvConfig(name="campaign", tag=0x1401, type="nulterminated", length=12),
        SmppTlvConfig(name="pay", tag=0x0019, type="integer", length=1),
    )
    tlv = '[[smpp_tlvs]]\nname = "a"\ntag = 0x1401\ntype = "octetstring"\nlength = 4\n'
    for text, key in [
        (tlv.replace("0x1401", "0x4000"), "smpp_tlvs[0].tag"),  # past the vendor range
        (tlv.replace("0x1401", "0x1234"), "smpp_tlvs[0].tag"),  # reserved, no SMPP 3.4 tag
        (tlv.replace("octetstring", "string"), "smpp_tlvs[0].type"),
        (tlv.replace("length = 4", "length = 0"), "smpp_tlvs[0].length"),
        (tlv.replace('"octetstring"\nlength = 4', '"integer"\nlength = 9'), "smpp_tlvs[0].length"),
        (tlv.replace('name = "a"', 'name = "a b"'), "smpp_tlvs[0].name"),
        (tlv.replace('name = "a"\n', ""), "smpp_tlvs[0].name"),
        (tlv + tlv.replace("0x1401", "0x1402"), "smpp_tlvs[1].name"),  # duplicate
        (tlv.replace("length = 4", 'length = "4"\nextra = 1'), "smpp_tlvs[0].extra"),
        ("smpp_tlvs = 1\n", "smpp_tlvs"),
    ]:
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            load(str(path), env={})
        assert key in str(info.value), text
