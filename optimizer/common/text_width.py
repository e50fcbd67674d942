"""Terminal text that fits a line width: prose wrapped, wide tables cut into blocks of columns
(the CSV and the report hold them whole)."""

from __future__ import annotations

import textwrap

TEXT_WIDTH = 100  # every line a command prints fits this many columns


def column_blocks(widths: list[int], room: int) -> list[list[int]]:
    """The positions of columns of ``widths`` in consecutive blocks whose widths add up to at
    most ``room`` (a column wider than ``room`` on its own)."""
    blocks: list[list[int]] = []
    used = room + 1
    for position, width in enumerate(widths):
        if used + width > room:
            blocks.append([])
            used = 0
        blocks[-1].append(position)
        used += width
    return blocks


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters in its middle, the cut marked by an ellipsis: names
    that differ only at their end (``india-2026-strict``, ``india-2026-partner``) stay apart."""
    if len(text) <= width:
        return text
    if width < 3:
        return text[:width]
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def wrap_prose(lines: list[str], width: int = TEXT_WIDTH) -> list[str]:
    """``lines`` with each line of prose longer than ``width`` wrapped, its continuation lines
    indented two columns more than it. A line with a run of three spaces inside is a table row
    and is left as it is (tables are fitted where they are made)."""
    out: list[str] = []
    for line in (part for item in lines for part in item.split("\n")):
        body = line.lstrip(" ")
        if len(line) <= width or "   " in body:
            out.append(line)
            continue
        indent = " " * (len(line) - len(body))
        out += textwrap.wrap(
            body,
            width=width,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return out
