"""How two kinds of event note are written, for the parts that write them and the customer's view that reads them."""
from __future__ import annotations

JOINED_NOTE = "asked again: "  # a customer's question that joined their open ticket (Intake)
ARTICLE_NOTE = "article: "  # before migration 0008, a solution's note ended with this line naming the article
