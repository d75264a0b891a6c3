"""The ordinal table of 文化程度, 村两委评议 and 住房结构: the features encode with it and the
explanations decode with it, so a household's own word reads back as itself (中专 as 中专)."""

from __future__ import annotations

import math

import pytest

from creditfarm.explain import FeatureInfo, build_reasons, format_value
from creditfarm.explain.reasons import LOWERED
from creditfarm.features.catalogue import FEATURE_NAMES
from creditfarm.features.ordinals import EDUCATION, EVALUATION, HOUSE, ORDINALS

# The levels the committed model was trained on, written out by hand: the table must keep them.
TRAINED_LEVELS = {
    "head_education_level": {
        "文盲": 0,
        "小学": 1,
        "初中": 2,
        "高中": 3,
        "中专": 3,
        "职高": 3,
        "大专": 4,
        "本科": 4,
        "大学": 4,
        "研究生": 4,
        "大专及以上": 4,  # contains 大专
        "不识字": 0,  # a word the table does not know
    },
    "village_evaluation_level": {
        "好": 3,
        "较好": 2,  # the longer word wins over 好
        "一般": 1,
        "差": 0,
        "较差": 0,
        "评议较好": 2,
    },
    "house_type_level": {
        "土木": 1,
        "土坯": 1,
        "木": 1,
        "砖木": 2,
        "砖混": 3,
        "框架": 4,
        "楼房": 4,
        "钢混": 0,  # not in the table: unknown
    },
}


@pytest.mark.parametrize("feature", sorted(TRAINED_LEVELS))
def test_encoding_keeps_the_trained_levels(feature: str) -> None:
    ordinal = ORDINALS[feature]
    for word, level in TRAINED_LEVELS[feature].items():
        assert ordinal.encode(word) == level, word
        assert ordinal.encode(f"  {word} ") == level, word  # surrounding spaces ignored
    assert math.isnan(ordinal.encode(None))
    assert math.isnan(ordinal.encode(float("nan")))


@pytest.mark.parametrize("feature", sorted(ORDINALS))
def test_every_code_round_trips(feature: str) -> None:
    ordinal = ORDINALS[feature]
    assert ordinal.feature == feature and feature in FEATURE_NAMES
    codes = [level.code for level in ordinal.levels]
    assert len(set(codes)) == len(codes)
    for level in ordinal.levels:
        assert ordinal.encode(ordinal.label(level.code)) == level.code  # label → same code
        for word in level.words:
            assert ordinal.encode(word) == level.code
            # the label names every word of its level, or the range they are in (大专及以上)
            assert word in level.label or level.label.endswith("及以上")
    with pytest.raises(KeyError):
        ordinal.label(max(codes) + 1)


def test_zhongzhuan_reads_as_zhongzhuan() -> None:
    # 中专 is level 3, which 高中 and 职高 share: the explanation names all three, not 高中 alone
    assert format_value(EDUCATION.encode("中专"), "级", feature=EDUCATION.feature) == (
        "高中/中专/职高"
    )
    assert format_value(4.0, "级", feature=EDUCATION.feature) == "大专及以上"
    assert format_value(0.0, "级", feature=EVALUATION.feature) == "差/较差"
    # every word of every table reads back as its level's label, from the same table
    for ordinal in (EDUCATION, EVALUATION, HOUSE):
        for level in ordinal.levels:
            for word in level.words:
                shown = format_value(ordinal.encode(word), "级", feature=ordinal.feature)
                assert shown == level.label


def test_explanation_sentence_names_the_households_own_word() -> None:
    info = FeatureInfo(name="head_education_level", zh="户主文化程度", source="archive", unit="级")
    reasons = build_reasons(
        household_no="H1",
        village_code="V",
        contributions={"head_education_level": 0.3, "_base": -2.0},
        values={"head_education_level": EDUCATION.encode("中专")},
        infos={"head_education_level": info},
        monotone={},
        reference=None,
    )
    (reason,) = reasons[LOWERED]
    assert reason["sentence"] == "户主文化程度 高中/中专/职高"
