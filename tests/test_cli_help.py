"""Every command, option and argument of the ``lanescreen`` command says what it is for."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from lanescreen.cli.main import build_parser


def _parsers(
    parser: argparse.ArgumentParser, path: str = "lanescreen"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def _undocumented(parser: argparse.ArgumentParser) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            missing += [
                f"command {choice.dest}"
                for choice in action._choices_actions
                if not (choice.help or "").strip()
            ]
            continue
        if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
            missing.append("/".join(action.option_strings) or action.dest)
    return missing


def test_every_option_and_argument_has_a_help_line() -> None:
    missing = {path: m for path, parser in _parsers(build_parser()) if (m := _undocumented(parser))}
    assert not missing, missing


def test_help_lines_are_one_line_each() -> None:
    long = [
        (path, "/".join(a.option_strings) or a.dest)
        for path, parser in _parsers(build_parser())
        for a in parser._actions
        if a.help and "\n" in a.help
    ]
    assert not long, long
