"""The query log, the votes and the figures for leads: every question asked, masked, what came of it,
and whether the article helped."""
