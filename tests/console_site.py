"""A site for console tests and benchmarks: a real server over mutual TLS on loopback, people
with their own tokens, and ``lanescreen console`` processes (one holding the console
certificate, one a lane's, which must not work)."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
from lanescreen.api.server import LanescreenServer
from lanescreen.cli.main import main
from lanescreen.config import load_config
from lanescreen.security.pki import SitePaths
from lanescreen.store.models import TrailRow
from lanescreen.v1 import common_pb2, screening_pb2, screening_pb2_grpc
from sqlalchemy import select

PEOPLE = (("jones", "officer"), ("lee", "supervisor"), ("audrey", "auditor"))


def rendered_vehicle(index: int) -> tuple[str, list[bytes]]:
    """The plate and JPEG frames of the demo's vehicle ``index`` (lanescreen.demo): drawn by
    the project's own renderer, so its pictures may be shown in the docs, and read exactly by
    the default reader."""
    import cv2
    from lanescreen.demo import FRAMES_PER_VEHICLE, VEHICLES
    from lanescreen.training.synth import find_fonts
    from lanescreen.training.synth.vehicle import vehicle_frames

    vehicle = VEHICLES[index]
    frames = vehicle_frames(
        vehicle.style,
        vehicle.seed,
        find_fonts(),
        frames=FRAMES_PER_VEHICLE,
        with_plate=vehicle.with_plate,
    )
    jpegs = [
        cv2.imencode(".jpg", f.image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes() for f in frames
    ]
    return frames[0].text, jpegs


def cli(config_file: Path, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--config", str(config_file), *args, "--json"]) == 0
    return dict(json.loads(out.getvalue().splitlines()[-1]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Console:
    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_console(config_file: Path, server: str, cert: Path) -> Console:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lanescreen.cli.main",
            "--config",
            str(config_file),
            "console",
            "--listen",
            f"127.0.0.1:{port}",
            "--server",
            server,
            "--cert",
            str(cert),
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    console = Console(process, f"http://127.0.0.1:{port}")
    threading.Thread(
        target=lambda: console.output.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
        daemon=True,
    ).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "".join(console.output)
        try:
            if httpx.get(console.url + "/signin", timeout=1).status_code == 200:
                return console
        except httpx.HTTPError:
            time.sleep(0.2)
    console.stop()
    raise AssertionError("the console did not answer: " + "".join(console.output))


@dataclass
class Site:
    server: LanescreenServer
    config_file: Path
    pki: SitePaths
    target: str
    tokens: dict[str, str]
    console: Console | None
    lane_console: Console | None

    def channel(self, client: str) -> grpc.Channel:
        cert = (self.pki.root / f"{client}.pem").read_bytes()
        key = (self.pki.root / f"{client}.key").read_bytes()
        credentials = grpc.ssl_channel_credentials(self.pki.ca_cert.read_bytes(), key, cert)
        return grpc.secure_channel(self.target, credentials)

    def as_person(self, name: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.tokens[name]}"),)

    def screen(self, jpeg: bytes, frame_id: str, passage_id: str = "") -> screening_pb2.Decision:
        with self.channel("lanes/lane-1") as channel:
            stub = screening_pb2_grpc.ScreeningServiceStub(channel)
            decision: screening_pb2.Decision = stub.ScreenFrame(
                screening_pb2.Frame(
                    lane_id="lane-1",
                    camera=common_pb2.CAMERA_ROLE_PLATE,
                    frame_id=frame_id,
                    passage_id=passage_id,
                    image=jpeg,
                ),
                timeout=30,
            )
            return decision

    def trail(self, action: str) -> list[TrailRow]:
        assert self.server.refusals.flush()
        with self.server.database.read() as session:
            return list(session.scalars(select(TrailRow).where(TrailRow.action == action)))


@contextmanager
def console_site(
    data: Path, model_dir: Path, database_url: str = "", *, consoles: bool = True
) -> Iterator[Site]:
    """The site, running until the block ends (its consoles too, unless ``consoles=False``)."""
    config_file = data / "lanescreen.toml"
    config_file.write_text(
        f"""
[server]
listen = "127.0.0.1:0"
[storage]
data_dir = "{data}"
database_url = "{database_url}"
[vision]
model_dir = "{model_dir}"
auto_fetch = false
[faces]
face_enabled = false
[[lanes]]
id = "lane-1"
budget_ms = 5000
"""
    )
    config = load_config(config_file, env={})
    server = LanescreenServer(config)
    target = f"127.0.0.1:{server.start()}"
    pki = SitePaths(config.pki_dir)
    cli(config_file, "pki", "issue-console", "desk-1", "--actor", "admin")
    cli(config_file, "pki", "issue-lane", "lane-1", "--actor", "admin")
    tokens = {
        name: cli(config_file, "users", "add", name, "--role", role, "--actor", "admin")["token"]
        for name, role in PEOPLE
    }
    started: list[Console] = []
    try:
        if consoles:
            started.append(start_console(config_file, target, pki.root / "consoles" / "desk-1.pem"))
            started.append(start_console(config_file, target, pki.root / "lanes" / "lane-1.pem"))
        yield Site(server, config_file, pki, target, tokens, *(started or [None, None]))
    finally:
        for console in started:
            console.stop()
        server.stop(grace=1)
