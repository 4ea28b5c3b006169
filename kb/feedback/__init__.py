"""Was this helpful? The visitors' votes on articles, each with the question that led there."""
