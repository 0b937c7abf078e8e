"""The demo: a handful of rendered vehicles and the lists that make them HIT, CLEAR and REVIEW.

Everything shown is the project's own: the vehicles are drawn by the synthetic plate renderer
(:mod:`lanescreen.training.synth.vehicle`), never third-party photos, so the demo runs on any
machine with the service. Each vehicle says what it should come to and why; ``lanescreen demo``
streams them to a running server and shows what it answered. The seeds were chosen once so
that the shipped default reader reads every plate exactly; if a read goes wrong the demo says
so instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .config import Config, LaneConfig
from .domain.decisions import Outcome, ReasonCode
from .training.synth.fonts import FontSet
from .training.synth.glyphs import GlyphCache
from .training.synth.vehicle import VehicleFrame, vehicle_frames

DENY_LIST = "demo-stolen"
"""The demo's deny list; every lane screening all deny lists (the default) screens it."""
OTHER_DENIED = ("KX64RTU", "WD21PLM")
"""Plates on the deny list besides the demo's stolen car, none of them in the demo's frames."""
FRAMES_PER_VEHICLE = 3


class Gate(StrEnum):
    """Which kind of lane a vehicle comes through."""

    GENERAL = "general"
    """A lane screening deny lists only."""
    STAFF = "staff"
    """A lane with an allow list: only listed plates pass without a look."""


class Listing(StrEnum):
    NONE = "none"
    DENY = "deny"
    ALLOW = "allow"


@dataclass(frozen=True)
class Vehicle:
    """One vehicle of the demo: how it is drawn, where it is listed, what it must come to."""

    story: str
    gate: Gate
    style: str
    seed: int
    listing: Listing
    expect: Outcome
    reason: ReasonCode
    with_plate: bool = True


VEHICLES = (
    Vehicle(
        "a car reported stolen",
        Gate.GENERAL,
        "eu_uk",
        3,
        Listing.DENY,
        Outcome.HIT,
        ReasonCode.DENY_LIST_MATCH,
    ),
    Vehicle(
        "a car on no list",
        Gate.GENERAL,
        "eu_de",
        2,
        Listing.NONE,
        Outcome.CLEAR,
        ReasonCode.CLEAR,
    ),
    Vehicle(
        "a car with its plate taken off",
        Gate.GENERAL,
        "eu_uk",
        5,
        Listing.NONE,
        Outcome.REVIEW,
        ReasonCode.NO_PLATE_FOUND,
        with_plate=False,
    ),
    Vehicle(
        "a member of staff",
        Gate.STAFF,
        "eu_uk",
        1,
        Listing.ALLOW,
        Outcome.CLEAR,
        ReasonCode.ALLOW_LIST_MATCH,
    ),
    Vehicle(
        "a visitor at the staff gate",
        Gate.STAFF,
        "us",
        2,
        Listing.NONE,
        Outcome.REVIEW,
        ReasonCode.NOT_ON_ALLOW_LIST,
    ),
)


@dataclass(frozen=True)
class Passage:
    """A vehicle's frames, ready to stream to its lane."""

    number: int
    vehicle: Vehicle
    lane: LaneConfig
    plate: str
    """The plate it carries (its label), empty when it shows none."""
    frames: tuple[VehicleFrame, ...]

    @property
    def passage_id(self) -> str:
        return f"demo-{self.number}"

    def frame_id(self, index: int) -> str:
        return f"demo-{self.number}-{index + 1}"


@dataclass(frozen=True)
class Plan:
    """What the demo will do on this server: its passages and the lists they need."""

    passages: tuple[Passage, ...]
    allow_list: str
    """The staff lane's allow list (empty: no lane has one, so no staff passages)."""
    skipped: tuple[str, ...]
    """Why vehicles were left out (no lane of their kind is configured)."""

    def plates(self, listing: Listing) -> list[str]:
        listed = [p.plate for p in self.passages if p.vehicle.listing is listing and p.plate]
        return [*listed, *OTHER_DENIED] if listing is Listing.DENY else listed


def _general_lane(config: Config, name: str) -> LaneConfig | None:
    if name:
        return config.lane(name)
    screens_demo = [
        lane
        for lane in config.lanes
        if not lane.allow_lists and (lane.deny_lists is None or DENY_LIST in lane.deny_lists)
    ]
    return screens_demo[0] if screens_demo else None


def _staff_lane(config: Config, name: str) -> LaneConfig | None:
    if name:
        lane = config.lane(name)
        return lane if lane is not None and lane.allow_lists else None
    return next((lane for lane in config.lanes if lane.allow_lists), None)


def plan(
    config: Config,
    fonts: FontSet,
    *,
    general_lane: str = "",
    staff_lane: str = "",
    vehicles: Sequence[Vehicle] = VEHICLES,
) -> Plan:
    """Render the vehicles for the lanes configured here (a named lane must exist)."""
    lanes = {
        Gate.GENERAL: _general_lane(config, general_lane),
        Gate.STAFF: _staff_lane(config, staff_lane),
    }
    if general_lane and lanes[Gate.GENERAL] is None:
        raise ValueError(f"lane {general_lane!r} is not configured here")
    if staff_lane and lanes[Gate.STAFF] is None:
        raise ValueError(f"lane {staff_lane!r} is not configured here, or has no allow list")
    glyphs = GlyphCache()
    passages: list[Passage] = []
    skipped: list[str] = []
    for vehicle in vehicles:
        lane = lanes[vehicle.gate]
        if lane is None:
            skipped.append(f"{vehicle.story}: no {vehicle.gate.value} lane is configured")
            continue
        frames = vehicle_frames(
            vehicle.style,
            vehicle.seed,
            fonts,
            frames=FRAMES_PER_VEHICLE,
            with_plate=vehicle.with_plate,
            glyphs=glyphs,
        )
        number = len(passages) + 1
        passages.append(Passage(number, vehicle, lane, frames[0].text, tuple(frames)))
    staff = lanes[Gate.STAFF]
    return Plan(tuple(passages), staff.allow_lists[0] if staff else "", tuple(skipped))
