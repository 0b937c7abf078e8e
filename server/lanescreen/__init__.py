"""lanescreen: border-checkpoint screening of plates (and, later, faces) against governed watchlists."""

__version__ = "0.1.0"
