"""Search: build an index of the articles (`build`), load a build (`loading`) and answer questions
from it (`searcher`, with `scoring`, the one function that turns evidence into scores). Encoders,
the classifier, character n-grams, the no-match calibration and `kb tune` live here too.

Imports nothing from `kb.desk`; heavy libraries (torch, faiss) load inside the functions that use them.
"""
