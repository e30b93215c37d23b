"""Colour and terminal output: the one decision every verb makes, through rich's
Console, and the styles the traces use. No other module writes escape codes or builds
a Console.

Colour only on a terminal, never in a file (`--out`). rich decides, as it does for any
program that uses it: NO_COLOR (https://no-color.org) turns colour off, FORCE_COLOR
(https://force-color.org) on where the output is no terminal (NO_COLOR wins); each
counts only when set to something other than the empty string. TERM=dumb has no
colour either.
"""

from __future__ import annotations

from typing import TextIO

from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style


def console(stream: TextIO, terminal: bool | None = None) -> Console:
    """A rich Console writing to `stream`, as it is (no markup, highlighting or
    wrapping); `terminal` overrides whether it is one (for a live display)."""
    return Console(
        file=stream,
        force_terminal=terminal,
        markup=False,
        highlight=False,
        emoji=False,
        soft_wrap=True,
    )


def color_allowed(stream: TextIO) -> bool:
    """Whether what is written to `stream` may have colour."""
    c = console(stream)
    return c.color_system is not None and not c.no_color


def paint(text: str, style: str) -> str:
    """`text` in rich's `style` ("bold red", "dim"), as the escape codes of a
    standard terminal."""
    return Style.parse(style).render(text, color_system=ColorSystem.STANDARD)


def dim(text: str) -> str:
    """`text` in rich's dim style (faint on a terminal)."""
    return paint(text, "dim")
