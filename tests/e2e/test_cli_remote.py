"""The CLI against a running gateway: send, send --csv, status."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gateway_process import GatewayProcess, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    gw = GatewayProcess(tmp_path, free_port())
    gw.write_config('[[connectors]]\nname = "loopback"\nreceipt_delay_s = 0.05\n')
    gw.start()
    yield gw
    gw.terminate()


def cli(gw: GatewayProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "heliograph", *args, "--url", gw.url, "--api-key", gw.api_key],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_send_then_status(gateway: GatewayProcess) -> None:
    sent = cli(gateway, "send", "--to", "+447700900001", "--text", "hello", "--from", "Shop")
    assert sent.returncode == 0, sent.stderr
    answer = json.loads(sent.stdout)
    mid = answer["messages"][0]["id"]
    shown = cli(gateway, "status", mid)
    assert shown.returncode == 0
    view = json.loads(shown.stdout)
    assert view["id"] == mid and view["from"] == "Shop"
    missing = cli(gateway, "status", "01NOSUCHMESSAGE00000000000")
    assert missing.returncode == 1 and "not_found" in missing.stdout


def test_send_csv_reports_accepted_and_rejected(gateway: GatewayProcess, tmp_path: Path) -> None:
    rows = ["to,text,from"] + [f"+4477009{i:05d},hello {i % 3},Shop" for i in range(250)]
    rows.append("not-a-number,hello 0,Shop")
    path = tmp_path / "list.csv"
    path.write_text("\n".join(rows) + "\n")
    result = cli(gateway, "send", "--csv", str(path))
    assert "accepted: 250  rejected: 1" in result.stdout
    assert result.returncode == 1
