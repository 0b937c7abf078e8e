"""People's CLI commands go through the API, as the person: a real server over mutual TLS on
loopback, the person's token over the site's console certificate, roles checked and refusals
trailed by the server exactly as for the console."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lanescreen.cli.main import main
from lanescreen.domain.decisions import Outcome
from lanescreen.domain.export import export_hits
from lanescreen.store.decisions import DecisionStore, HitFilter
from lanescreen.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    common_pb2,
    watchlist_pb2,
    watchlist_pb2_grpc,
)

from tests.console_site import Site, console_site, rendered_vehicle
from tests.store_fixtures import make_decision
from tests.support import PLATE_FONTS_MISSING

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(PLATE_FONTS_MISSING), reason=f"needs fonts: {PLATE_FONTS_MISSING}"),
]


@pytest.fixture(scope="module")
def site(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with console_site(tmp_path_factory.mktemp("cli"), model_dir, consoles=False) as opened:
        yield opened


def as_person(
    site: Site, name: str, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """``lanescreen ARGS`` signed in with ``name``'s token over the console certificate."""
    try:
        status = main(
            [
                "--config", str(site.config_file), *args,
                "--server", site.target,
                "--token", site.tokens[name],
                "--cert", str(site.pki.root / "consoles" / "desk-1.pem"),
            ]
        )  # fmt: skip
    except SystemExit as exc:  # argparse refusing the arguments
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_the_hit_log_commands_act_as_the_person_and_their_roles(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    stolen, frames = rendered_vehicle(0)
    other, other_frames = rendered_vehicle(1)
    with site.channel("consoles/desk-1") as channel:
        watchlists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        watchlists.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name="stolen", kind=common_pb2.LIST_KIND_DENY),
            metadata=site.as_person("jones"),
        )
        for plate in (stolen, other):
            watchlists.AddPlateEntry(
                watchlist_pb2.AddPlateEntryRequest(
                    watchlist="stolen",
                    entry=watchlist_pb2.PlateEntry(plate=plate, reason="stolen", priority=50),
                ),
                metadata=site.as_person("jones"),
            )
    hit = site.screen(frames[0], "cli-hit", "vehicle-1")
    review = site.screen(other_frames[0], "cli-hit-2", "vehicle-2")
    assert common_pb2.Outcome.Name(hit.outcome) == "OUTCOME_HIT"
    assert common_pb2.Outcome.Name(review.outcome) == "OUTCOME_HIT"

    status, out, _ = as_person(site, "jones", capsys, "audit", "queue", "--json")
    assert status == 0
    assert {h["decision_id"] for h in json.loads(out)["hits"]} == {hit.alert_id, review.alert_id}
    status, out, _ = as_person(
        site, "jones", capsys, "audit", "dispose", hit.alert_id, "confirmed", "vehicle_stopped"
    )
    assert status == 0 and "confirmed (vehicle_stopped) by jones" in out
    status, _, err = as_person(
        site, "jones", capsys, "audit", "dispose", review.alert_id, "dismissed", "other"
    )
    assert status == 2 and "needs a note" in err
    status, out, _ = as_person(site, "jones", capsys, "audit", "queue", "--json")
    assert [h["decision_id"] for h in json.loads(out)["hits"]] == [review.alert_id]

    # statistics and exports are for auditors: the server refuses the officer, and says so
    status, _, err = as_person(site, "jones", capsys, "audit", "stats")
    assert status == 1 and "PERMISSION_DENIED" in err
    assert any(r.actor == "jones" for r in site.trail("auth_refused"))
    status, out, _ = as_person(site, "audrey", capsys, "audit", "stats", "--json")
    report = json.loads(out)["by_outcome"]["HIT"]
    assert (report["confirmed_share"], report["pending"]) == (1.0, 1)
    status, out, _ = as_person(
        site, "audrey", capsys, "audit", "export", "--format", "csv", "--reason", "case 9"
    )
    assert status == 0
    with site.channel("consoles/desk-1") as channel:
        exported = b"".join(
            c.data
            for c in audit_pb2_grpc.AuditServiceStub(channel).ExportHits(
                audit_pb2.ExportHitsRequest(format=audit_pb2.EXPORT_FORMAT_CSV, reason="compare"),
                metadata=site.as_person("audrey"),
            )
        )
    import difflib

    assert out.encode() == exported, "\n".join(
        difflib.unified_diff(out.splitlines(), exported.decode().splitlines(), lineterm="")
    )
    exports = [row for row in site.trail("audit.export") if row.actor == "audrey"]
    assert "case 9" in [row.detail.get("reason") for row in exports]


def test_a_command_with_no_credentials_says_how_to_sign_in(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANESCREEN_TOKEN", raising=False)
    status = main(["--config", str(site.config_file), "audit", "queue", "--server", site.target])
    assert status == 1 and "give --token" in capsys.readouterr().err
    status = main(
        ["--config", str(site.config_file), "audit", "queue", "--server", site.target, "--token", "nope",
         "--cert", str(site.pki.root / "consoles" / "desk-1.pem")]
    )  # fmt: skip
    assert status == 1 and "unknown bearer token" in capsys.readouterr().err


def test_hits_are_listed_paged_filtered_and_exported_like_the_api_does(
    site: Site, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    store = DecisionStore(site.server.database)
    hits = [
        make_decision(Outcome.HIT, lane_id="gate-9", decided_at=now - timedelta(minutes=3)),
        make_decision(Outcome.REVIEW, lane_id="gate-9", decided_at=now - timedelta(minutes=2)),
        make_decision(Outcome.HIT, lane_id="gate-9", decided_at=now - timedelta(minutes=1)),
    ]
    for decision in hits:
        store.record(decision, None)
    run = functools.partial(as_person, site, "audrey", capsys)
    status, out, _ = run("audit", "hits", "--lane", "gate-9", "--json")
    assert status == 0 and [h["decision_id"] for h in json.loads(out)["hits"]] == [
        d.decision_id for d in reversed(hits)
    ]
    status, out, _ = run("audit", "hits", "--lane", "gate-9", "--outcome", "review", "--limit", "1")
    assert status == 0 and hits[1].decision_id in out and "(more" not in out
    assert "(more: raise --limit" in run("audit", "hits", "--lane", "gate-9", "--limit", "2")[1]

    target = tmp_path / "hits.csv"
    status, _, err = run(
        "audit", "export", "--lane", "gate-9", "--format", "csv", "-o", str(target)
    )
    assert status == 2 and "--reason" in err
    status, _, err = run(
        "audit", "export", "--lane", "gate-9", "--format", "csv", "-o", str(target),
        "--reason", "case 2026/118",
    )  # fmt: skip
    expected = b"".join(export_hits(store.iter_hits(HitFilter(lane_id="gate-9")), "csv"))
    assert status == 0 and target.read_bytes() == expected
    since = (now - timedelta(minutes=2, seconds=30)).isoformat()
    status, out, _ = run("audit", "export", "--lane", "gate-9", "--since", since, "--reason", "r")
    assert [json.loads(line)["decision_id"] for line in out.splitlines()] == [
        hits[1].decision_id,
        hits[2].decision_id,
    ]
    status, _, err = run("audit", "export", "--since", "yesterday", "--reason", "x")
    assert status == 2 and "ISO 8601" in err
    status, _, err = run("audit", "export", "--watchlist", "nope", "--reason", "x")
    assert status == 1 and "'nope' does not exist" in err
