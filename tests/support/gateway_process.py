"""Run ``heliograph serve`` as a subprocess on free ports, for crash and restart tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class GatewayProcess:
    data_dir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_key(self) -> str:
        creds = json.loads((self.data_dir / "admin-credentials.json").read_text())
        return str(creds["api_key"])

    @property
    def config_path(self) -> Path:
        return self.data_dir / "heliograph.toml"

    def write_config(self, extra: str = "") -> Path:
        cfg = self.config_path
        cfg.write_text(
            f'data_dir = "{self.data_dir}"\nlog_level = "info"\n'
            f"[http]\nport = {self.port}\n[smpp]\nenabled = false\n[smtp]\nenabled = false\n"
            + extra
        )
        return cfg

    def start(self, timeout_s: float = 30.0) -> None:
        with (self.data_dir / "gateway.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "heliograph", "serve", "--config", str(self.config_path)],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gateway exited: " + self.log())
            try:
                urllib.request.urlopen(self.url + "/v1/health", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gateway did not start: " + self.log())

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout_s: float = 30.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout_s)

    def log(self) -> str:
        return (self.data_dir / "gateway.log").read_text(errors="replace")
