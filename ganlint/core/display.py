"""Text that goes to a terminal or a log line: a file name may hold a newline, a tab or an escape sequence
(ESC [ ... sets colours, moves the cursor, clears the screen). Printed raw, it splits one error line in two or
garbles the terminal; printed escaped (as Python writes them in a string) it stays one readable line."""
from __future__ import annotations


def shown(text: object) -> str:
    """`text` with every non-printable character (controls, line/paragraph separators) escaped: `\\n`,
    `\\x1b`, `\\u2028`. Printable text, non-ASCII letters included, is unchanged."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in s)


MAX_SHOWN_WIDTHS = 8  # a message quotes this many widths of a longer list (a fuzzed 50,000-entry one is 250 KB)


def shown_widths(w: list[int]) -> str:
    """A width list as a message quotes it: whole when short, else its first widths and the count."""
    if len(w) <= MAX_SHOWN_WIDTHS:
        return str(list(w))
    return "[" + ", ".join(str(x) for x in w[:MAX_SHOWN_WIDTHS]) + f", ... ({len(w):,} widths)]"
