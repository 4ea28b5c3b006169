"""Gap suggestions: questions the knowledge base did not answer, grouped by meaning (Russian and
English together) into "write this missing article" or "add these wordings to article X"."""
