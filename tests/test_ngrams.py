"""Character n-gram naive Bayes (kb.search.signals.ngrams)."""
import numpy as np

from kb.search.signals.ngrams import NgramModel, grams


def test_grams_are_within_words():
    found = grams("Мой заказ")
    assert found[" за"] == 1 and found["каз "] == 1 and "й з" not in found


def test_a_question_sharing_word_forms_finds_its_article(tmp_path):
    texts = ["Как отменить заказ?", "Хочу отменить покупку", "Где мой заказ сейчас", "Отследить посылку"]
    model = NgramModel.fit(texts, np.array([0, 0, 1, 1]), 2)
    assert model.log_likelihood("отмена заказа").argmax() == 0  # another form of "отменить"
    assert model.log_likelihood("отслеживание посылки").argmax() == 1
    assert np.allclose(model.log_likelihood("zzz"), 0)  # nothing known: no preference
    model.save(tmp_path)
    again = NgramModel.load(tmp_path)
    assert np.allclose(again.log_likelihood("отмена заказа"), model.log_likelihood("отмена заказа"))
    assert NgramModel.load(tmp_path / "missing") is None
