"""What the gap finder reads: one asked question as the search saw it.

A plain record, so it can come from a replay (`kb gaps eval`) or, later, from the query log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# A question whose first result's confidence is below this is "low confidence" and a gap
# candidate even when the search did answer (the searcher's confidences are calibrated so that
# its own no-match threshold sits at 0.5).
LOW_CONFIDENCE = 0.5


@dataclass
class AskedQuestion:
    text: str
    lang: str
    asked_at: datetime
    visitor: str
    no_match: bool
    confidence: float
    results: list[tuple[str, float]] = field(default_factory=list)  # top 5: (article id, confidence)
    vote: str | None = None  # "helpful" | "not helpful"
    ticket: str | None = None  # the ticket it led to
    solved_with: str | None = None  # the article the ticket was solved with, if any
    network: str | None = None  # the asker's address, hashed (None: not known, counted by the visitor)

    @property
    def origin(self) -> str:
        """Who it came from as far as can be told: the hashed address, else the visitor."""
        return self.network or self.visitor

    @property
    def first(self) -> str | None:
        return self.results[0][0] if self.results else None

    def to_dict(self) -> dict:
        return {"text": self.text, "lang": self.lang, "asked_at": self.asked_at.isoformat(),
                "visitor": self.visitor, "no_match": self.no_match, "confidence": self.confidence,
                "results": [list(r) for r in self.results], "vote": self.vote, "ticket": self.ticket,
                "solved_with": self.solved_with, "network": self.network}

    @classmethod
    def from_dict(cls, item: dict) -> AskedQuestion:
        return cls(text=item["text"], lang=item["lang"], asked_at=datetime.fromisoformat(item["asked_at"]),
                   visitor=item["visitor"], no_match=item["no_match"], confidence=item["confidence"],
                   results=[tuple(r) for r in item.get("results", [])], vote=item.get("vote"),
                   ticket=item.get("ticket"), solved_with=item.get("solved_with"), network=item.get("network"))


def is_candidate(question: AskedQuestion, low_confidence: float = LOW_CONFIDENCE) -> bool:
    """A question the knowledge base failed: no match, a weak answer, "not helpful", or a ticket."""
    return (question.no_match or question.confidence < low_confidence or question.vote == "not helpful"
            or question.ticket is not None)
