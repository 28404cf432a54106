"""Shared helpers for the benchmarks: start a gateway subprocess, read its metrics."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
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
    proc: subprocess.Popen[bytes]
    url: str
    api_key: str
    data_dir: Path

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_gateway(extra_toml: str = "", data_dir: Path | None = None) -> GatewayProcess:
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="heliograph-bench-"))
    port = free_port()
    cfg = data_dir / "heliograph.toml"
    cfg.write_text(
        f'data_dir = "{data_dir}"\nlog_level = "warning"\n'
        f"[http]\nport = {port}\n[smpp]\nenabled = false\n[smtp]\nenabled = false\n" + extra_toml
    )
    log = (data_dir / "gateway.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "heliograph", "serve", "--config", str(cfg)],
        stdout=log,
        stderr=log,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/v1/health", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("gateway did not start: " + (data_dir / "gateway.log").read_text())
    creds = json.loads((data_dir / "admin-credentials.json").read_text())
    return GatewayProcess(proc=proc, url=url, api_key=creds["api_key"], data_dir=data_dir)


_METRIC = re.compile(r"^(heliograph_[a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$", re.M)


def metrics(url: str) -> dict[str, float]:
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    return {m[1] + (m[2] or ""): float(m[3]) for m in _METRIC.finditer(text)}


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
