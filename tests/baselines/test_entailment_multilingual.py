"""The offline entailment score and the multilingual route, on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from quarkmed_dagster.baselines.entailment import (
    FEATURES,
    EntailmentModel,
    content_words,
    feature_rows,
    load_model,
    parse_model,
)
from quarkmed_dagster.baselines.judge import judge_response
from quarkmed_dagster.embeddings import get_embedder
from quarkmed_dagster.multilingual import embedder_for, get_multilingual_embedder, has_cjk


def test_features_of_a_copied_and_an_absent_statement():
    statement = "Take 400 mg of ibuprofen with food."
    sentences = ["Take 400 mg of ibuprofen with food.", "Rest at home."]
    embedder = get_embedder()
    rows = feature_rows(
        [statement, "Warfarin raises the risk of bleeding 5 fold."],
        embedder.encode([statement, "Warfarin raises the risk of bleeding 5 fold."]),
        sentences,
        embedder.encode(sentences),
    )
    copied, absent = (dict(zip(FEATURES, row, strict=True)) for row in rows)
    assert copied["best_sentence_cosine"] == pytest.approx(1.0, abs=1e-5)
    assert copied["word_recall"] == copied["best_sentence_word_recall"] == 1.0
    assert copied["missing_numbers"] == 0.0 and absent["missing_numbers"] == 1.0
    assert absent["word_recall"] == 0.0
    empty = feature_rows([statement], embedder.encode([statement]), [], np.zeros((0, 384)))
    assert empty[0][:4].tolist() == [0.0] * 4


def test_model_round_trips_and_refuses_other_features():
    n = len(FEATURES)
    model = EntailmentModel((1.0,) * n, 0.0, (0.0,) * n, (1.0,) * n, 0.6, 0.3, "x")
    assert parse_model(model.to_json()) == model
    assert model.probability(np.zeros((1, n)))[0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="other features"):
        parse_model(model.to_json().replace('"statement_words"', '"other"'))
    shipped = load_model()
    assert 0 < shipped.partial_cut < shipped.full_cut < 1 and shipped.fitted_on.startswith("dev")


def test_cjk_content_words_are_character_bigrams():
    assert content_words("孕妇禁用") == {"孕妇", "妇禁", "禁用"}
    assert content_words("Avoid alcohol 孕妇") == {"avoid", "alcohol", "孕妇"}
    assert has_cjk("布洛芬 ibuprofen") and not has_cjk("ibuprofen")


def test_route_picks_the_multilingual_encoder_only_for_cjk():
    assert embedder_for(["Drink water."], "Rest.") is get_embedder()
    assert embedder_for(["Drink water."], ["多喝水。"]) is get_multilingual_embedder()
    vectors = get_multilingual_embedder().encode(["多喝水。", "Drink water."])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    again = get_multilingual_embedder().encode(["Drink water.", "多喝水。"])
    assert np.allclose(vectors, again[::-1])  # a vector does not depend on its batch


def test_chinese_response_is_judged_on_its_meaning():
    items = [
        {"item_id": "bleed", "tier": "Essential", "title": "出现黑便或呕血时应立即就医。"},
        {"item_id": "preg", "tier": "Important", "title": "孕妇在妊娠晚期禁用布洛芬。"},
    ]
    response = "布洛芬可以缓解头痛。服药后出现黑便或呕血时，应立即去医院就医。"
    verdicts = judge_response(
        {"query": "布洛芬一次能吃多少?", "response": response, "items": items}
    )
    levels = {v["item_id"]: v["level"] for v in verdicts["verdicts"]}
    assert levels["bleed"] == 1.0  # stated in other words around the same terms
    assert levels["preg"] < 1.0  # only the drug name is shared: pregnancy is never said


def test_criteria_about_the_response_are_checked_on_their_content():
    from quarkmed_dagster.baselines.judge import _item_text
    from quarkmed_dagster.llm.payloads import JudgeItem

    def text(title: str, description: str = "") -> str:
        return _item_text(
            JudgeItem(item_id="x", tier="Essential", title=title, description=description)
        )

    assert text("Advises the user to drink fluids and rest") == "drink fluids and rest"
    assert text("Recommends paracetamol for fever") == "paracetamol for fever"
    assert text("x", "The response clearly states that Rest helps.") == "Rest helps."
    assert text("Rest is advised") == "Rest is advised"  # a verb later in the text stays
