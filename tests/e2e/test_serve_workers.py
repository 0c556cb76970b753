"""`rma serve --workers N` serves from N processes over one database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_serve_with_two_workers_answers_from_two_processes(tmp_path: Path) -> None:
    rma = str(Path(sys.executable).parent / "rma")
    env = {
        **os.environ,
        "RMA_DATABASE_URL": f"sqlite:///{tmp_path / 'rma.db'}",
        "RMA_DATA_DIR": str(tmp_path),
        "RMA_JOBS_INTERVAL_SECONDS": "0",
    }
    subprocess.run([rma, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [rma, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "rma serve --workers 2 did not answer"
            time.sleep(0.2)
        while len(_children(server.pid)) < 2:  # uvicorn's supervisor starts them in turn
            assert time.monotonic() < deadline, "fewer than two worker processes"
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
