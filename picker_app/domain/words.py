"""Small words of the sentences the app says: counts with their noun, a noun with its article."""

from __future__ import annotations


def count(n: float, one: str, many: str | None = None) -> str:
    """`n` and its noun: "1 bin", "3 bins", "0.5 kg" stays as the caller words it."""
    return f"{n:g} {one if n == 1 else many or one + 's'}"


def a(noun: str) -> str:
    """`noun` with its indefinite article: "a tote", "an order"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
