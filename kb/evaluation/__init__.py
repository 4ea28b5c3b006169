"""Measuring the product, apart from it: `kb eval` (matching quality) and `kb bench` (speed)."""
