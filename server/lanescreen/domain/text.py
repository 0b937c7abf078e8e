"""What people's text must be to be kept, and how it leaves in a spreadsheet.

Every free-text field a person writes (list names, reasons, legal bases, notes, plates) must be
storable and must show what it holds. Refused, with the character named:

* C0 and C1 control characters (tab and line breaks only where a field may span lines), and
  lone surrogates (undecodable bytes): PostgreSQL rejects NUL, no database keeps surrogates;
* every format character (Unicode category Cf): the bidirectional controls that make text show
  in another order than it is stored (U+202E RIGHT-TO-LEFT OVERRIDE shows ``DC21`` as ``12CD``:
  "Trojan Source", CVE-2021-42574), zero-width spaces and joiners that make two names that look
  the same differ, the byte-order mark inside text.

CSV cells leave neutralised as OWASP's CSV-injection guidance says: a cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is a formula to a spreadsheet (``=HYPERLINK(...)``
sends data away, ``+cmd|...`` ran programs), so it is written with a leading ``'``; an import
takes that quote off again, so an export loads back as it was.
"""

from __future__ import annotations

import unicodedata

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet take a cell for a formula (OWASP, CSV Injection)."""
_LINE_BREAKS = frozenset("\t\n\r")


def text_problem(text: str, *, multiline: bool = True) -> str | None:
    """Why ``text`` cannot be kept as a person wrote it (naming the first bad character), or
    None when it can. ``multiline``: tab and line breaks are allowed (a note, a quoted CSV
    reason); else the text must be one line."""
    for char in text:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return "is not valid UTF-8 text"
        if char in _LINE_BREAKS and multiline:
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            return f"contains the control character U+{code:04X}"
        if category == "Cf":
            name = unicodedata.name(char, "a format character")
            return f"contains the invisible character U+{code:04X} ({name})"
    return None


def csv_cell(value: str) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def from_csv_cell(value: str) -> str:
    """A cell as :func:`csv_cell` wrote it, read back: the neutralising quote taken off."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value
