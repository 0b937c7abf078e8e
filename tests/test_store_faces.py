"""The face store: enrolment, journal, soft removal that destroys templates, paging, snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from lanescreen.domain.faces import NewTemplate, SubjectFields, validate_subject
from lanescreen.domain.watchlists import EntryError, ListKind
from lanescreen.errors import InvalidRequestError, NotFoundError
from lanescreen.store.db import Database
from lanescreen.store.faces import MAX_TEMPLATES_PER_SUBJECT, FaceStore
from lanescreen.store.models import ChangeRow, FaceTemplateRow
from lanescreen.store.watchlists import WatchlistStore
from sqlalchemy import func, select

OFFICER = "officer.kim"


@pytest.fixture
def stores(database: Database) -> tuple[WatchlistStore, FaceStore]:
    lists = WatchlistStore(database)
    lists.create_watchlist("wanted", ListKind.DENY, "", OFFICER)
    return lists, FaceStore(database)


def template(seed: int, camera: str = "colour") -> NewTemplate:
    vector = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return NewTemplate(
        "dlib_resnet", camera, vector / np.linalg.norm(vector), 52.0, 140.0, b"\xff\xd8chip"
    )


def person(name: str = "J. Doe", **kw: object) -> SubjectFields:
    raw: dict[str, object] = {
        "name": name,
        "plates": "AB-123-CD, ab123cd, XY 99 Z",
        "category": "wanted",
        "action": "stop",
        "priority": 90,
        "reason": "arrest warrant 2026/118",
        "legal_basis": "court order",
        "owner": "unit 7",
        **kw,
    }
    return validate_subject(raw)


def test_subject_validation_names_the_bad_field() -> None:
    fields = person()
    assert fields.plates == ("AB123CD", "XY99Z")
    with pytest.raises(EntryError, match="name: is required"):
        validate_subject({"name": "  "})
    with pytest.raises(EntryError, match="plates"):
        validate_subject({"name": "x", "plates": ["A"]})
    with pytest.raises(EntryError, match="priority"):
        validate_subject({"name": "x", "priority": "high"})
    with pytest.raises(EntryError, match="unknown field"):
        validate_subject({"name": "x", "plate": "AB1"})


def test_enrol_stores_templates_and_journals_who_and_what(
    stores: tuple[WatchlistStore, FaceStore], database: Database
) -> None:
    lists, faces = stores
    subject = faces.enrol("wanted", person(), [template(1), template(2, "grey")], OFFICER)
    assert subject.template_count == 2 and subject.created_by == OFFICER
    assert faces.get_subject(subject.id).fields == person()
    wl = lists.get_watchlist("wanted")
    assert (wl.version, wl.entry_count, wl.subject_count) == (2, 0, 1)
    subjects, templates = faces.snapshot()
    assert [s.id for s in subjects] == [subject.id]
    assert sorted(t.camera_type for t in templates) == ["colour", "grey"]
    stored = next(t for t in templates if t.camera_type == "colour").vector
    assert stored.dtype == np.float32 and np.allclose(stored, template(1).vector)
    with database.read() as session:
        change = session.scalars(select(ChangeRow).where(ChangeRow.action == "enrol")).one()
    assert change.subject_id == subject.id and change.actor == OFFICER
    assert change.after is not None and change.after["templates_added"] == 2
    assert change.after["plates"] == ["AB123CD", "XY99Z"]


def test_enrolment_needs_a_photo_and_caps_them(stores: tuple[WatchlistStore, FaceStore]) -> None:
    _, faces = stores
    with pytest.raises(InvalidRequestError, match="at least one"):
        faces.enrol("wanted", person(), [], OFFICER)
    too_many = [template(i) for i in range(MAX_TEMPLATES_PER_SUBJECT + 1)]
    with pytest.raises(InvalidRequestError, match="at most"):
        faces.enrol("wanted", person(), too_many, OFFICER)
    with pytest.raises(NotFoundError):
        faces.enrol("no-such-list", person(), [template(1)], OFFICER)
    with pytest.raises(InvalidRequestError, match="actor"):
        faces.enrol("wanted", person(), [template(1)], " ")


def test_update_and_add_photos_bump_the_version(stores: tuple[WatchlistStore, FaceStore]) -> None:
    lists, faces = stores
    subject = faces.enrol("wanted", person(), [template(1)], OFFICER)
    same = faces.update_subject(subject.id, person(), "officer.lee")
    assert same.updated_at == subject.updated_at and lists.get_watchlist("wanted").version == 2
    later = datetime.now(UTC) + timedelta(days=30)
    changed = faces.update_subject(subject.id, person(expires_at=later), "officer.lee")
    assert changed.fields.expires_at == later and lists.get_watchlist("wanted").version == 3
    more = faces.add_templates(subject.id, [template(5)], "officer.lee")
    assert more.template_count == 2 and lists.get_watchlist("wanted").version == 4


def test_removal_keeps_the_subject_row_but_destroys_its_biometrics(
    stores: tuple[WatchlistStore, FaceStore], database: Database
) -> None:
    _, faces = stores
    subject = faces.enrol("wanted", person(), [template(1), template(2)], OFFICER)
    keep = faces.enrol("wanted", person("R. Roe"), [template(3)], OFFICER)
    with pytest.raises(InvalidRequestError, match="reason"):
        faces.remove_subject(subject.id, OFFICER, "")
    faces.remove_subject(subject.id, "officer.lee", "warrant withdrawn")
    with pytest.raises(NotFoundError, match=r"removed .* by officer\.lee: warrant withdrawn"):
        faces.get_subject(subject.id)
    subjects, templates = faces.snapshot()
    assert [s.id for s in subjects] == [keep.id]
    assert {t.subject_id for t in templates} == {keep.id}
    with database.read() as session:
        left = session.scalar(select(func.count()).where(FaceTemplateRow.subject_id == subject.id))
        removal = session.scalars(select(ChangeRow).where(ChangeRow.action == "remove")).one()
    assert left == 0
    assert removal.before is not None and removal.before["templates_deleted"] == 2


def test_subjects_page_by_name(stores: tuple[WatchlistStore, FaceStore]) -> None:
    _, faces = stores
    for name in ["Eve", "Bob", "Ann", "Dan", "Cy"]:
        faces.enrol("wanted", person(name), [template(len(name))], OFFICER)
    first, token, _ = faces.list_subjects("wanted", page_size=2)
    second, token2, _ = faces.list_subjects("wanted", page_size=2, page_token=token)
    third, token3, _ = faces.list_subjects("wanted", page_size=2, page_token=token2)
    names = [s.fields.name for s in first + second + third]
    assert names == ["Ann", "Bob", "Cy", "Dan", "Eve"] and token3 == ""
    assert all(s.template_count == 1 for s in first)
    with pytest.raises(InvalidRequestError, match="page_token"):
        faces.list_subjects("wanted", page_token="garbage")
    assert faces.template_chips(first[0].id) == [b"\xff\xd8chip"]
