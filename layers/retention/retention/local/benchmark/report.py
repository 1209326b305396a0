"""How the report reads: prose wrapped to one width, tables with numbers aligned."""

import re
import textwrap
from collections.abc import Iterable, Sequence

from retention.local import display

WIDTH = 96
INDENT = "   "
NUMBER = re.compile(r"-?[\d,]+(\.\d+)?")


def show(lines: list[str]) -> None:
    print("\n".join(lines), end="\n\n", flush=True)


def heading(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, subsequent_indent=INDENT)


def prose(text: str, indent: str = INDENT) -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
    )


def listing(amounts: Iterable[tuple[str, float]], digits: int = 2) -> str:
    """``name 1.00, other 0.25``: what a section counts, by name."""
    return ", ".join(f"{name} {amount:.{digits}f}" for name, amount in amounts)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """``display.table``, indented, with its columns of numbers right-aligned."""
    columns = [_aligned(column) for column in zip(header, *rows, strict=True)]
    heads, *body = zip(*columns, strict=True)
    return [INDENT + line for line in display.table(body, heads)]


def _aligned(column: Sequence[str]) -> Sequence[str]:
    """``display.table`` pads on the right; numbers are padded here to one width first."""
    if not all(NUMBER.fullmatch(cell) for cell in column[1:]):
        return column
    width = max(len(cell) for cell in column)
    return [cell.rjust(width) for cell in column]
