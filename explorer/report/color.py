"""Whether a trace is written with colour: the one decision every verb makes, and the
one style the CPU diagram uses.

Colour only on a terminal, never in a file (`--out`); NO_COLOR (https://no-color.org)
turns it off, FORCE_COLOR on where the output is no terminal (NO_COLOR wins). Each
counts only when set to something other than the empty string.
"""

from __future__ import annotations

import os
from typing import TextIO

from rich.color import ColorSystem
from rich.style import Style


def color_allowed(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def dim(text: str) -> str:
    """`text` in rich's dim style (faint on a terminal)."""
    return Style(dim=True).render(text, color_system=ColorSystem.STANDARD)
