"""Personal numbers in columns the contract does not know.

An export may carry columns the contract has no name for: ``GMSFHM`` (公民身份号码), ``LXDH``
(联系电话), ``YHKH`` (银行卡号) — pinyin initials are common in Chinese government and bank
systems — or a ``备注`` that holds a phone number. Such a column is not a contract column, so
nothing masks it as one. Two tests catch it:

- by header: Chinese words for an ID, phone or card number, and their pinyin initials;
- by value: a cell that is shaped like a resident ID (15 or 18 characters), a mobile number
  (11 digits, 1[3-9]…) or a card number (16–19 digits).

Import does not keep such extra cells (``validate``: a warning names the column) and the
quarantine export masks them (``report.mask_row``).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["header_pii", "personal_cells", "value_pii"]

# (pattern on the header, lower-cased, spaces removed; the kind of number it holds)
_HEADERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"身份证|证件号|公民身份|^(gmsfhm|sfzh|sfzhm|zjhm|gmsfzh|idno|idcard)$"), "id"),
    (re.compile(r"电话|手机|联系方式|^(lxdh|sjhm|sjh|dhhm|lxfs|phone|mobile|tel)$"), "phone"),
    (re.compile(r"卡号|账号|帐号|^(yhkh|khzh|yhzh|kh|zh|cardno|account)$"), "card"),
)
_VALUES: tuple[tuple[str, str], ...] = (
    (r"^[0-9]{17}[0-9Xx]$|^[0-9]{15}$", "id"),
    (r"^1[3-9][0-9]{9}$", "phone"),
    (r"^[0-9]{16,19}$", "card"),
)
_VALUE_RES = tuple((re.compile(pattern), kind) for pattern, kind in _VALUES)


def header_pii(header: str) -> str | None:
    """``id``, ``phone`` or ``card`` when the header names such a number, else None."""
    key = re.sub(r"[\s_*]+", "", header).lower()
    return next((kind for pattern, kind in _HEADERS if pattern.search(key)), None)


def value_pii(text: str) -> str | None:
    """``id``, ``phone`` or ``card`` when the text is shaped like such a number, else None."""
    value = re.sub(r"[\s-]+", "", text)
    return next((kind for pattern, kind in _VALUE_RES if pattern.match(value)), None)


def personal_cells(cells: pa.Array) -> np.ndarray:
    """Which cells of a column of text are shaped like an ID, phone or card number."""
    value = pc.replace_substring_regex(cells, r"[\s-]+", "")
    found = np.zeros(len(cells), dtype=bool)
    for pattern, _ in _VALUES:
        hit = pc.match_substring_regex(value, pattern)
        found |= pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    return found
