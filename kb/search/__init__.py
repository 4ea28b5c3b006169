"""Search: every signal (`signals`: each encoder, the classifier, character n-grams, keywords; one
shape, listed once) fitted on the articles into a build (`build`), a build loaded (`loading`), and
questions answered from it (`searcher`: the evidence of every signal in one record, turned into rank
and confidence by `scoring.score`). The no-match calibration and `kb tune` live here too.

Imports nothing from `kb.desk`; heavy libraries (torch, faiss) load inside the functions that use them.
"""
