"""The ordinal codes of the archive's word fields: 文化程度, 村两委评议, 住房结构.

One table per field, read both ways: the features encode an archive word into its level with
``Ordinal.encode`` and the explanations read a level back as words with ``Ordinal.label``. A
level that several words share (高中, 中专 and 职高 are all level 3) is labelled with all of
them (or, for 大专及以上, by the range), because the model sees only the level: calling a 中专
graduate 高中 would be wrong.

The levels are the model's inputs: changing a word's level changes every feature value built
from it, and so needs a retrained model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["EDUCATION", "EVALUATION", "HOUSE", "ORDINALS", "Level", "Ordinal"]


@dataclass(frozen=True)
class Level:
    code: int
    label: str  # how an explanation names the level
    words: tuple[str, ...]  # archive words encoded to this level


@dataclass(frozen=True)
class Ordinal:
    field: str  # the archive column (ingest contract)
    feature: str  # the catalogue feature holding the code
    levels: tuple[Level, ...]
    unknown: int  # the level of a word the table does not know

    def encode(self, value: Any) -> float:
        """The level of an archive word: NaN when missing; an exact word first, else the longest
        word it contains (较好 before 好, so 较好 is not read as 好), else ``unknown``."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return math.nan
        text = str(value).strip()
        words = self._words()
        if text in words:
            return float(words[text])
        for word in sorted(words, key=len, reverse=True):
            if word in text:
                return float(words[word])
        return float(self.unknown)

    def label(self, code: int) -> str:
        """The words of level ``code``; KeyError for a code the table does not have."""
        for level in self.levels:
            if level.code == code:
                return level.label
        raise KeyError(f"{self.feature} has no level {code}")

    @property
    def labels(self) -> dict[int, str]:
        return {level.code: level.label for level in self.levels}

    @property
    def table(self) -> dict[str, int]:
        """Word → level, in the table's order (what the feature SQL matches with)."""
        return self._words()

    def _words(self) -> dict[str, int]:
        # Insertion order matters for words of equal length (the longest-match scan keeps it).
        return {word: level.code for level in self.levels for word in level.words}


EDUCATION = Ordinal(
    field="head_education",
    feature="head_education_level",
    levels=(
        Level(0, "文盲或不详", ("文盲",)),
        Level(1, "小学", ("小学",)),
        Level(2, "初中", ("初中",)),
        Level(3, "高中/中专/职高", ("高中", "中专", "职高")),
        Level(4, "大专及以上", ("大专", "本科", "大学", "研究生")),
    ),
    unknown=0,
)

EVALUATION = Ordinal(
    field="village_evaluation",
    feature="village_evaluation_level",
    levels=(
        Level(3, "好", ("好",)),
        Level(2, "较好", ("较好",)),
        Level(1, "一般", ("一般",)),
        Level(0, "差/较差", ("差", "较差")),
    ),
    unknown=0,
)

HOUSE = Ordinal(
    field="house_type",
    feature="house_type_level",
    levels=(
        Level(0, "不详", ()),
        Level(1, "土木/土坯", ("土木", "土坯", "木")),
        Level(2, "砖木", ("砖木",)),
        Level(3, "砖混", ("砖混",)),
        Level(4, "框架/楼房", ("框架", "楼房")),
    ),
    unknown=0,
)

# By feature name, as the catalogue and the explanations know them.
ORDINALS: dict[str, Ordinal] = {o.feature: o for o in (EDUCATION, EVALUATION, HOUSE)}
