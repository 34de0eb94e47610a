"""Services and agencies named in a citizen's words, matched against the live catalogue.

The catalogue (agencies/catalog.py) holds the names and synonyms as configuration; this module
normalises them the way a message is normalised and finds them in text.
"""

from __future__ import annotations

import re
from typing import Optional

from agencies.catalog import Catalog
from nlu.persian import normalize

# «پاسپورتم», «گواهینامش», «کارت ملیمو»: a name with a spoken possessive or object ending.
_POSSESSIVE = r"(?:م|ت|ش|ام|ات|اش|مان|تان|شان|مون|تون|شون|مو|رو|و)?"
Name = tuple[str, str, str]  # normalised name, "service" | "agency", id


def name_index(catalog: Catalog) -> tuple[Name, ...]:
    """Every name and synonym, normalised; longest first so «کارت ملی هوشمند» wins over «کارت ملی»,
    services before agencies on ties."""
    names: set[Name] = set()
    for agency in catalog.agencies:
        for service in agency.services:
            names.update((normalize(n), "service", service.id) for n in (service.name, *service.synonyms))
        names.update((normalize(n), "agency", agency.id) for n in (agency.name, *agency.synonyms))
    return tuple(sorted((n for n in names if n[0]), key=lambda item: (-len(item[0]), item[1] != "service", item[0])))


class _LastIndex:
    """The index of the catalogue last asked about: ``CatalogFile`` hands out the same object
    until the file changes, so one slot spares normalising every name on every message."""

    def __init__(self) -> None:
        # One tuple, replaced whole: a reader never sees one catalogue's names with another.
        self._slot: tuple[Optional[Catalog], tuple[Name, ...]] = (None, ())

    def of(self, catalog: Catalog) -> tuple[Name, ...]:
        seen, names = self._slot
        if catalog is not seen:
            names = name_index(catalog)
            self._slot = (catalog, names)
        return names


_index = _LastIndex()


def find_names(catalog: Catalog, normalised_text: str) -> list[tuple[str, str, int, int]]:
    """Services and agencies named in the text: (kind, id, start, end), no overlaps."""
    found: list[tuple[str, str, int, int]] = []
    taken: list[tuple[int, int]] = []
    for name, kind, ident in _index.of(catalog):
        pattern = r"(?<![\w])" + re.escape(name) + _POSSESSIVE + r"(?![\w])"
        for match in re.finditer(pattern, normalised_text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            found.append((kind, ident, start, end))
    return sorted(found, key=lambda item: item[2])
