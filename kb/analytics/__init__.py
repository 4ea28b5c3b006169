"""The query log and the figures for leads: every question asked, masked, and what came of it."""
