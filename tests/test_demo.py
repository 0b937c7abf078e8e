"""`lanescreen demo` against a real server over real TLS: rendered vehicles, every outcome.

The server creates its site PKI on first start, as `make serve` does; the demo issues its own
officer and lane certificates from it and works only through the gRPC API.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lanescreen.api.server import LanescreenServer
from lanescreen.cli.main import main
from lanescreen.config import Config, default_lanes, load_config
from lanescreen.demo import DENY_LIST, VEHICLES, Gate, plan
from lanescreen.store.models import ChangeRow, CredentialRow, DecisionRow
from lanescreen.training.synth.fonts import find_fonts
from sqlalchemy import func, select

pytestmark = pytest.mark.slow

BUDGET_MS = 3000
"""The default lanes with a budget a loaded test machine cannot miss: this checks reads."""


@pytest.fixture(scope="module")
def served(
    model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str, LanescreenServer]]:
    data = tmp_path_factory.mktemp("data")
    lanes = "".join(
        f'[[lanes]]\nid = "{lane.id}"\nname = "{lane.name}"\nbudget_ms = {BUDGET_MS}\n'
        f"allow_lists = {lane.allow_lists!r}\n".replace("'", '"')
        for lane in default_lanes()
    )
    config_file = data / "lanescreen.toml"
    config_file.write_text(
        f"""
[server]
listen = "127.0.0.1:0"
[storage]
data_dir = "{data}"
[vision]
model_dir = "{model_dir}"
auto_fetch = false
[faces]
face_enabled = false
{lanes}""",
        encoding="utf-8",
    )
    server = LanescreenServer(load_config(config_file, env={}))  # TLS, creating the site PKI
    port = server.start()
    try:
        yield config_file, f"127.0.0.1:{port}", server
    finally:
        server.stop(grace=1)


def test_every_vehicle_comes_out_as_it_should(
    served: tuple[Path, str, LanescreenServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config_file, target, server = served
    demo = ["--config", str(config_file), "demo", "--server", target]
    assert main([*demo, "--save", str(tmp_path)]) == 0
    out = capsys.readouterr()
    vehicles = [line for line in out.out.splitlines() if line.strip().startswith("=>")]
    assert len(vehicles) == len(VEHICLES)
    assert all(line.endswith("as it should") for line in vehicles), vehicles
    for outcome in ("HIT", "CLEAR", "REVIEW"):
        assert any(line.strip().startswith(f"=> {outcome}") for line in vehicles), outcome
    assert "vehicles: CLEAR 2, HIT 1, REVIEW 2" in out.out
    assert "issued a user certificate for demo.officer" in out.err
    assert len(list(tmp_path.glob("demo-*.jpg"))) == 3 * len(VEHICLES)

    with server.database.read() as session:
        # The lists were changed over the API, as the officer the demo signed in as.
        actors = set(session.scalars(select(ChangeRow.actor)))
        assert actors == {"demo.officer"}, actors
        issued = set(session.scalars(select(CredentialRow.name)))
        assert {"demo.officer", "lane-1", "staff-1"} <= issued
    # One alert per vehicle, not per frame: the stolen car's HIT at once, the stranger at the
    # staff gate at once, the car without a plate when its passage ends (more frames could
    # have shown the plate).
    deadline = time.monotonic() + 20
    while True:
        assert server.sink.caught_up()
        with server.database.read() as session:
            rows = session.execute(
                select(DecisionRow.outcome, func.count()).group_by(DecisionRow.outcome)
            )
            counts = {outcome: n for outcome, n in rows}
        if counts == {"HIT": 1, "REVIEW": 2} or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert counts == {"HIT": 1, "REVIEW": 2}

    # Again: the lists are kept as they are, nothing is added twice, the outcomes are the same.
    assert main(demo) == 0
    again = capsys.readouterr()
    assert f"deny list {DENY_LIST!r} kept, 0 of 3 plates added" in again.err
    assert "vehicles: CLEAR 2, HIT 1, REVIEW 2" in again.out


def test_without_a_site_ca_it_says_to_start_the_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "lanescreen.toml"
    config_file.write_text(f'[storage]\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    assert main(["--config", str(config_file), "demo", "--server", "127.0.0.1:1"]) == 1
    assert "start the server first" in capsys.readouterr().err


def test_a_site_without_a_staff_lane_shows_the_general_lane_only() -> None:
    config = Config(lanes=[default_lanes()[0]])
    shown = plan(config, find_fonts(complete=False, borrow=True))
    assert [p.vehicle.gate for p in shown.passages] == [Gate.GENERAL] * 3
    assert len(shown.skipped) == 2 and shown.allow_list == ""
    assert all(p.lane.id == "lane-1" for p in shown.passages)
