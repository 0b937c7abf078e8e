"""``lanescreen pki`` and ``lanescreen users``: files, records, the audit trail, clear errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from lanescreen.cli.main import main
from lanescreen.config import load_config
from lanescreen.security.identity import token_digest
from lanescreen.security.pki import read_peer_certificate
from lanescreen.store.credentials import CredentialStore
from lanescreen.store.db import open_configured
from lanescreen.store.models import TrailRow
from sqlalchemy import select


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LANESCREEN_ACTOR", "admin")
    return tmp_path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main([*args, "--json"]) == 0, capsys.readouterr().err
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_every_action_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (
        ["pki"],
        ["pki", "init"],
        ["pki", "issue-lane"],
        ["pki", "issue-user"],
        ["pki", "issue-console"],
        ["pki", "list"],
        ["pki", "revoke"],
        ["users"],
        ["users", "add"],
        ["users", "revoke"],
    ):
        with pytest.raises(SystemExit) as done:
            main([*command, "--help"])
        assert done.value.code == 0
    assert "Bearer" in capsys.readouterr().out


def test_a_small_site_from_scratch(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [site] = run_json(capsys, "pki", "init", "--host", "checkpoint.local", "--host", "10.1.2.3")
    assert site["hosts"] == ["checkpoint.local", "10.1.2.3"]
    assert main(["pki", "init"]) == 1
    assert "already exists" in capsys.readouterr().err

    [lane] = run_json(capsys, "pki", "issue-lane", "lane-1")
    assert lane["certificate"] == str(data / "pki" / "lanes" / "lane-1.pem")
    assert stat.S_IMODE(Path(str(lane["key"])).stat().st_mode) == 0o600
    peer = read_peer_certificate(Path(str(lane["certificate"])).read_bytes())
    assert peer.lanes == {"lane-1"} and peer.fingerprint == lane["fingerprint"]

    [user] = run_json(
        capsys, "pki", "issue-user", "alice", "--role", "officer", "--role", "auditor"
    )
    assert user["roles"] == ["auditor", "officer"]
    with pytest.raises(SystemExit) as refused:  # lane is a terminal's role, not a person's
        main(["pki", "issue-user", "bob", "--role", "lane"])
    assert refused.value.code == 2 and "invalid choice: 'lane'" in capsys.readouterr().err

    [added] = run_json(capsys, "users", "add", "jones", "--role", "officer", "--expires", "30d")
    token = str(added["token"])
    assert token.startswith("lst_") and added["state"] == "active"
    # Shown once: the database holds only its hash.
    config = load_config()
    with open_configured(config.storage) as db:
        stored = CredentialStore(db).find_token(token_digest(token))
        assert stored is not None and stored.name == "jones" and stored.created_by == "admin"
        with db.read() as session:
            assert token not in json.dumps([r.detail for r in session.scalars(select(TrailRow))])

    listed = run_json(capsys, "users", "list")
    assert {(row["kind"], row["name"]) for row in listed} == {("user", "alice"), ("token", "jones")}
    revoked = run_json(capsys, "users", "revoke", "jones", "--actor", "supervisor.lee")
    assert [row["revoked_by"] for row in revoked] == ["supervisor.lee"]
    assert main(["users", "revoke", "jones"]) == 1
    assert "no live token" in capsys.readouterr().err
    assert run_json(capsys, "users", "list") == [listed[0]]

    with open_configured(config.storage) as db, db.read() as session:
        trail = [
            (row.action, row.actor, row.target)
            for row in session.scalars(
                select(TrailRow).where(TrailRow.action.like("credential.%")).order_by(TrailRow.seq)
            )
        ]
    assert trail == [
        ("credential.issue", "admin", "lane-1"),
        ("credential.issue", "admin", "alice"),
        ("credential.issue", "admin", "jones"),
        ("credential.revoke", "supervisor.lee", "jones"),
    ]


def test_issuing_without_a_ca_says_how_to_make_one(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pki", "issue-lane", "lane-1"]) == 1
    assert "lanescreen pki init" in capsys.readouterr().err


def test_bad_expiry_and_names_are_argument_errors(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", "jones", "--role", "officer", "--expires", "soon"]) == 2
    assert "--expires" in capsys.readouterr().err
    assert main(["users", "add", "jones", "--role", "officer", "--expires", "2001-01-01"]) == 2
    assert "future" in capsys.readouterr().err
    assert main(["users", "add", "a/b", "--role", "officer"]) == 2
    assert "letters, digits" in capsys.readouterr().err
