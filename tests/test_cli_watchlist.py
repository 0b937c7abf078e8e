"""``lanescreen watchlist`` and ``lanescreen audit`` against a real database, through ``main``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lanescreen.api.server import LanescreenServer
from lanescreen.cli.main import main
from lanescreen.config import Config
from lanescreen.domain.decisions import Outcome
from lanescreen.store.db import Database
from lanescreen.store.decisions import DecisionStore

from tests.store_fixtures import BACKENDS, make_decision

EXAMPLES = Path(__file__).resolve().parents[1] / "watchlists" / "examples"


class _Context:
    """What the audit servicer asks of a gRPC context when called directly (no transport)."""

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("x-lanescreen-actor", "auditor.ng"),)

    def peer(self) -> str:
        return "in-process"


Cli = Callable[..., tuple[int, str, str]]


def dev_server(
    database_url: str, data_dir: Path, model_dir: Path, *, faces: bool = False
) -> LanescreenServer:
    """A real server in development mode on the test database (plaintext on loopback, the
    caller named by the actor it gives): what the people's commands talk to."""
    config = Config()
    config.server.listen = "127.0.0.1:0"
    config.server.insecure_dev = True
    config.storage.data_dir = data_dir
    config.storage.database_url = database_url
    config.vision.model_dir = model_dir
    config.vision.auto_fetch = False
    config.faces.face_enabled = faces
    server = LanescreenServer(config)
    server.start()
    return server


def runner(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> tuple[int, str, str]:
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse refusing the arguments
            status = int(exc.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def admin_cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """Run an administrator's ``lanescreen ARGS`` on the test database itself, as officer.kim
    unless ``--actor`` says otherwise; returns (status, stdout, stderr)."""
    monkeypatch.setenv("LANESCREEN_DATABASE_URL", database_url)
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANESCREEN_ACTOR", "officer.kim")
    monkeypatch.delenv("LANESCREEN_CONFIG", raising=False)
    return runner(capsys)


def _serving(
    database_url: str, tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch, faces: bool
) -> LanescreenServer:
    server = dev_server(database_url, tmp_path / "data", model_dir, faces=faces)
    monkeypatch.setenv("LANESCREEN_LISTEN", f"127.0.0.1:{server.port}")
    monkeypatch.setenv("LANESCREEN_INSECURE_DEV", "true")
    return server


@pytest.fixture
def cli(
    admin_cli: Cli,
    database_url: str,
    tmp_path: Path,
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cli]:
    """The same, with a server on the database for the people's commands to talk to."""
    server = _serving(database_url, tmp_path, model_dir, monkeypatch, faces=False)
    try:
        yield admin_cli
    finally:
        server.stop(grace=1)


@pytest.fixture
def faces_cli(
    admin_cli: Cli,
    database_url: str,
    tmp_path: Path,
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cli]:
    """The same, with a server that screens faces (it assesses enrolment photos)."""
    server = _serving(database_url, tmp_path, model_dir, monkeypatch, faces=True)
    try:
        yield admin_cli
    finally:
        server.stop(grace=1)


def test_create_add_list_remove(cli: Cli) -> None:
    status, out, _ = cli(
        "watchlist", "create", "stolen", "--kind", "deny", "--description", "Stolen"
    )
    assert status == 0 and "created deny list 'stolen'" in out
    assert cli("watchlist", "create", "stolen", "--kind", "deny")[0] == 1

    status, out, _ = cli(
        "watchlist", "add", "stolen", "AB-123 CD", "--mode", "lenient", "--category", "stolen",
        "--action", "stop", "--priority", "80", "--reason", "reported", "--legal-basis", "case 7",
        "--owner", "unit 4", "--expires", "2030-12-31", "--region", "EU", "--json",
    )  # fmt: skip
    assert status == 0
    entry = json.loads(out)
    assert entry["normalized_plate"] == "AB123CD" and entry["created_by"] == "officer.kim"
    assert (entry["region"], entry["priority"], entry["expires_at"]) == (
        "eu",
        80,
        "2030-12-31T00:00:00+00:00",
    )

    status, out, _ = cli("watchlist", "list", "--json")
    (listed,) = json.loads(out)["watchlists"]
    assert (listed["name"], listed["entry_count"], listed["version"]) == ("stolen", 1, 2)
    status, out, _ = cli("watchlist", "list", "stolen")
    assert status == 0 and "AB123CD" in out and entry["id"] in out

    status, _, err = cli("watchlist", "remove", entry["id"])
    assert status == 2 and "--reason" in err
    status, out, _ = cli(
        "watchlist", "remove", entry["id"], "--reason", "recovered", "--actor", "officer.lee"
    )
    assert status == 0 and "version 3" in out
    assert json.loads(cli("watchlist", "list", "stolen", "--json")[1])["entries"] == []
    status, _, err = cli("watchlist", "remove", entry["id"], "--reason", "again")
    assert status == 1 and "was removed" in err and "officer.lee" in err


def test_two_person_approval_by_actor_name(cli: Cli) -> None:
    cli("watchlist", "create", "stolen", "--kind", "deny")
    status, out, _ = cli(
        "watchlist", "add", "stolen", "AB123CD", "--priority", "90", "--case-number", "FR-69-7",
        "--legal-basis", "theft report",
    )  # fmt: skip
    assert status == 0 and "pending: it matches once another person approves it" in out
    entry_id = out.split(" as ")[1].split(";")[0]
    status, out, _ = cli("watchlist", "add", "stolen", "LOW1", "--priority", "20")
    assert status == 0 and "pending" not in out

    status, out, _ = cli("watchlist", "list", "stolen", "--status", "pending")
    assert status == 0 and "1 pending entries" in out and "changed by officer.kim" in out
    assert "LOW1" not in out and entry_id in out
    status, _, err = cli("watchlist", "list", "--status", "pending")
    assert status == 2 and "name the list" in err

    # The CLI is an administrator's tool, but the two-person rule still holds by actor name.
    status, _, err = cli("watchlist", "approve", entry_id)
    assert status == 1 and "officer.kim made the change" in err and "two-person" in err
    status, _, err = cli("watchlist", "reject", entry_id, "--actor", "supervisor.ng")
    assert status == 2 and "--note" in err
    status, out, _ = cli(
        "watchlist", "approve", entry_id, "--actor", "supervisor.ng", "--note", "checked", "--json"
    )
    approved = json.loads(out)
    assert status == 0 and (approved["status"], approved["reviewed_by"]) == (
        "active",
        "supervisor.ng",
    )
    assert (approved["case_number"], approved["review_note"]) == ("FR-69-7", "checked")
    status, _, err = cli("watchlist", "approve", entry_id, "--actor", "supervisor.ng")
    assert status == 1 and "is active, not pending" in err
    status, _, err = cli("watchlist", "approve", "no-such-id", "--actor", "supervisor.ng")
    assert status == 1 and "neither a plate entry nor a face subject" in err

    status, out, _ = cli("watchlist", "import", "stolen", str(EXAMPLES / "wanted.json"))
    assert status == 0 and "2 entries of priority 80 or more wait for another person's" in out
    pending = json.loads(cli("watchlist", "list", "stolen", "--status", "pending", "--json")[1])
    assert sorted(e["plate"] for e in pending["entries"]) == ["GD 512 KL", "HH-XY 4711"]
    gd = next(e for e in pending["entries"] if e["plate"] == "GD 512 KL")
    status, out, _ = cli(
        "watchlist", "reject", gd["id"], "--note", "order expired", "--actor", "supervisor.ng"
    )
    assert status == 0 and "rejected entry GD 512 KL" in out and "never matches" in out
    status, out, _ = cli("watchlist", "list", "stolen", "--status", "rejected")
    assert "rejected by supervisor.ng: order expired" in out


def test_the_approval_priority_comes_from_the_configuration(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the server applies the site's policy (the database's), which `site set` changes
    status, _, err = cli("site", "set", "approval_min_priority", "95", "--reason", "pilot")
    assert status == 0, err
    cli("watchlist", "create", "stolen", "--kind", "deny")
    status, out, _ = cli("watchlist", "add", "stolen", "AB123CD", "--priority", "90", "--json")
    assert status == 0 and json.loads(out)["status"] == "active"
    monkeypatch.setenv("LANESCREEN_APPROVAL_MIN_PRIORITY", "102")
    status, _, err = cli("watchlist", "list")
    assert status == 2 and "approval_min_priority must be 0-101" in err


def test_add_refuses_bad_fields_with_usage_status(cli: Cli) -> None:
    cli("watchlist", "create", "stolen", "--kind", "deny")
    status, _, err = cli("watchlist", "add", "stolen", "AB123", "--priority", "high")
    assert status == 2 and "priority: 'high' is not a whole number" in err
    status, _, err = cli("watchlist", "add", "stolen", "AB123", "--expires", "2001-01-01")
    assert status == 2 and "already past" in err
    status, _, err = cli("watchlist", "add", "nope", "AB123")
    assert status == 1 and "'nope' does not exist" in err


def test_import_reports_bad_rows_and_loads_the_good(cli: Cli) -> None:
    cli("watchlist", "create", "stolen", "--kind", "deny")
    bad = str(EXAMPLES / "bad-rows.csv")
    status, out, err = cli("watchlist", "import", "stolen", bad)
    assert status == 0
    assert f"{bad}: line 3: priority: 'high' is not a whole number" in err
    assert len(err.strip().splitlines()) == 8
    assert "imported 2 of 10 rows into 'stolen', rejected 8; 'stolen' is now version 2" in out

    status, out, _ = cli("watchlist", "import", "stolen", str(EXAMPLES / "wanted.json"), "--json")
    report = json.loads(out)
    assert status == 0 and (
        report["imported"],
        report["rejected"],
        report["watchlist_version"],
    ) == (3, 0, 3)
    assert [r["line"] for r in report["rows"]] == [1, 2, 3] and all(
        r["entry_id"] for r in report["rows"]
    )


def test_import_dry_run_and_create_kind(cli: Cli) -> None:
    residents = str(EXAMPLES / "residents-allow.csv")
    status, _, err = cli("watchlist", "import", "residents", residents)
    assert status == 1 and "--create-kind" in err
    status, out, _ = cli(
        "watchlist", "import", "residents", residents, "--create-kind", "allow", "--dry-run"
    )
    assert status == 0 and "would import 4 of 4 rows" in out
    assert json.loads(cli("watchlist", "list", "--json")[1])["watchlists"] == []
    status, out, _ = cli("watchlist", "import", "residents", residents, "--create-kind", "allow")
    assert status == 0 and "imported 4 of 4" in out
    status, _, err = cli("watchlist", "import", "residents", residents, "--create-kind", "deny")
    assert status == 1 and "'residents' is an allow list, not deny" in err


def test_import_failures(cli: Cli, tmp_path: Path) -> None:
    cli("watchlist", "create", "stolen", "--kind", "deny")
    status, _, err = cli("watchlist", "import", "stolen", str(tmp_path / "missing.csv"))
    assert status == 2 and "cannot read" in err
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("plate,colour\nAB123,red\n")
    status, _, err = cli("watchlist", "import", "stolen", str(unknown))
    assert status == 1 and "unknown column(s) 'colour'" in err and "nothing loaded" in err
    all_bad = tmp_path / "all-bad.csv"
    all_bad.write_text("plate,priority\nAB123,high\n")
    status, out, _ = cli("watchlist", "import", "stolen", str(all_bad))
    assert status == 1 and "imported 0 of 1" in out
    assert json.loads(cli("watchlist", "list", "--json")[1])["watchlists"][0]["version"] == 1


def test_export_round_trips_through_import(cli: Cli, tmp_path: Path) -> None:
    cli(
        "watchlist",
        "import",
        "stolen",
        str(EXAMPLES / "stolen-vehicles.csv"),
        "--create-kind",
        "deny",
    )
    exported = tmp_path / "stolen.csv"
    status, _, err = cli("watchlist", "export", "stolen", "-o", str(exported))
    assert status == 0 and "exported 6 entries" in err
    status, out, _ = cli("watchlist", "import", "copy", str(exported), "--create-kind", "deny")
    assert status == 0 and "imported 6 of 6" in out
    status, as_json, _ = cli("watchlist", "export", "copy", "--json")

    def fields(name: str) -> list[dict[str, object]]:
        listed = json.loads(cli("watchlist", "list", name, "--json")[1])["entries"]
        drop = {"id", "watchlist_id", "created_at", "updated_at"}
        return [{k: v for k, v in e.items() if k not in drop} for e in listed]

    assert fields("stolen") == fields("copy")
    assert [e["plate"] for e in json.loads(as_json)] == [e["plate"] for e in fields("stolen")]


def test_audit_purge_runs_locally(
    admin_cli: Cli, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An administrator's command: it works on the database directly (no server needed)."""
    now = datetime.now(UTC)
    with Database.open(database_url) as db:
        store = DecisionStore(db)
        store.record(make_decision(Outcome.CLEAR, decided_at=now - timedelta(hours=30)), None)
        store.record(make_decision(Outcome.CLEAR, decided_at=now), None)
    monkeypatch.setenv("LANESCREEN_CLEAR_RETENTION_HOURS", "24")
    status, out, _ = admin_cli("audit", "purge", "--json")
    assert status == 0 and json.loads(out)["purged"]["frame_log"] == 1
    assert "purged 0 frame_log" in admin_cli("audit", "purge")[1]


def test_unreachable_database_is_a_clear_failure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LANESCREEN_DATABASE_URL", "postgresql+psycopg://u:pw@127.0.0.1:1/x")
    assert main(["users", "list"]) == 1
    err = capsys.readouterr().err
    assert "cannot open database postgresql+psycopg://u:***@127.0.0.1:1/x" in err


@pytest.mark.parametrize("database_url", BACKENDS[1:], indirect=True)
def test_import_and_export_on_postgres(cli: Cli, tmp_path: Path) -> None:
    status, out, _ = cli(
        "watchlist", "import", "wanted", str(EXAMPLES / "wanted.json"), "--create-kind", "deny"
    )
    assert status == 0 and "imported 3 of 3" in out
    status, out, _ = cli("watchlist", "export", "wanted")
    assert status == 0 and out.splitlines()[0].startswith("plate,region,match_mode")
    assert len(out.splitlines()) == 4


@pytest.mark.slow
def test_enrol_a_face_list_it_and_remove_it(faces_cli: Cli) -> None:
    from tests.support import FACES

    cli = faces_cli
    lfw = FACES / "lfw7_subset_faces" / "images" / "Tony_Blair"
    dogs = FACES / "dlib_faces_detection" / "images" / "dogs.jpg"
    assert cli("watchlist", "create", "wanted", "--kind", "deny")[0] == 0
    status, out, _ = cli(
        "watchlist",
        "enrol",
        "wanted",
        "T. Blair",
        str(lfw / "Tony_Blair_0001.jpg"),
        str(dogs),
        "--plate",
        "AB-123-CD",
        "--reason",
        "test",
        "--case-number",
        "2026/7",
        "--json",
    )
    assert status == 0, out
    reply = json.loads(out)
    assert [p["ok"] for p in reply["photos"]] == [True, False]
    assert "no face found" in reply["photos"][1]["error"]
    subject = reply["subject"]
    assert subject["photo_count"] == 1 and subject["plates"] == ["AB123CD"]
    assert subject["created_by"] == "officer.kim" and subject["case_number"] == "2026/7"
    assert subject["status"] == "active"  # priority 50: needs no second person
    status, out, _ = cli("watchlist", "list", "wanted")
    assert status == 0 and "T. Blair" in out and "1 face subjects" in out
    status, _, err = cli("watchlist", "enrol", "wanted", "Nobody", str(dogs))
    assert status == 2 and "no photo could be enrolled" in err and "no face found" in err
    status, out, _ = cli("watchlist", "remove", subject["id"], "--reason", "case closed")
    assert status == 0 and "deleted their face templates" in out


def test_site_lanes_are_listed_added_changed_and_removed(admin_cli: Cli) -> None:
    cli = admin_cli
    status, out, _ = cli("site", "lanes")
    assert status == 0 and "the site has no lanes yet" in out
    status, out, _ = cli(
        "site", "lane-set", "gate-3", "--budget-ms", "400", "--deny-lists", "stolen,wanted",
        "--reason", "north gate opened",
    )  # fmt: skip
    assert status == 0 and out.startswith("added gate-3: 400 ms; deny: stolen, wanted"), out
    # Only what is given changes; the rest keeps its value.
    status, out, _ = cli(
        "site", "lane-set", "gate-3", "--region", "CN", "--allow-lists", "residents",
        "--review-when-no-plate", "false", "--reason", "residents only", "--json",
    )  # fmt: skip
    change = json.loads(out)
    assert status == 0 and change["before"]["region"] == ""
    after = change["after"]
    assert (after["budget_ms"], after["region"], after["allow_lists"]) == (400, "cn", ["residents"])
    assert after["deny_lists"] == ["stolen", "wanted"] and after["review_when_no_plate"] is False
    status, out, _ = cli("site", "lanes")
    assert (
        "gate-3: 400 ms; deny: stolen, wanted; allow: residents; region cn; reader lanescreen_fused"
        in out
    )
    status, _, err = cli("site", "lane-set", "gate 4", "--reason", "x")
    assert status == 2 and "lane id 'gate 4'" in err
    status, _, err = cli("site", "lane-set", "gate-4", "--budget-ms", "0", "--reason", "x")
    assert status == 2 and "budget_ms must be positive" in err
    assert cli("site", "lane-set", "gate-4", "--reader", "tesseract", "--reason", "x")[0] == 2
    status, out, _ = cli("site", "lane-remove", "gate-3", "--reason", "gate closed")
    assert status == 0 and "removed lane gate-3" in out
    status, _, err = cli("site", "lane-remove", "gate-3", "--reason", "again")
    assert status == 1 and "no lane 'gate-3'" in err
    status, out, _ = cli("site", "lanes", "--json")
    assert json.loads(out) == []
