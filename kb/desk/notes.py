"""How two kinds of event note are written, for the parts that write them and the customer's view that reads them."""
from __future__ import annotations

JOINED_NOTE = "asked again: "  # a customer's question that joined their open ticket (Intake)
ARTICLE_NOTE = "article: "  # the last line of a solution's note names the linked article (Workflow)
RELATED_NOTE = "same contact, maybe related: #"  # a line of a "created" note: a ticket it may repeat (Intake)
