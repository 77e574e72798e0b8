"""What a search returns, and the two score thresholds that decide what is shown and what is
"weak" (measured, see below). Kept apart from the index so faces can read results without it."""

from __future__ import annotations

from dataclasses import dataclass

from .briefs import Brief

#: Below this a match is not shown at all. Measured with ``benchmarks/thresholds.py`` on the real
#: catalog (26 briefs, November 2026): the expected brief of each of the 44 labelled related
#: queries scores 73.8–100 (lowest: plain-words questions such as "Which company offers LNG
#: cargoes?"), while the best brief for any of the 8 unrelated queries scores at most 34.6 ("how
#: to bake bread"). 45 sits in that empty band, nearer the unrelated side, so misspelt and partial
#: questions keep their answers.
MIN_SCORE = 45.0
#: Below this the best match is "weak": answers carry "did you mean" suggestions.
STRONG_SCORE = 70.0


@dataclass(frozen=True)
class Match:
    """A brief that matches a query, and the name under which it matched best."""

    brief: Brief
    score: float
    name: str


@dataclass(frozen=True)
class SearchResult:
    query: str
    matches: tuple[Match, ...]
    suggestions: tuple[str, ...]

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def weak(self) -> bool:
        return not self.matches or self.matches[0].score < STRONG_SCORE
