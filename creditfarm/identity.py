"""Resident ID numbers (公民身份号码, GB 11643-1999): normalise, check, upgrade, mask, hash.

Own small checks rather than python-stdnum: stdnum also validates the birthplace code against
its validity years and rejects real IDs of people born before their county code existed. An
unknown region code is a warning, never a rejection.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "IdCheck",
    "age_on",
    "birth_date_from_id",
    "check_id",
    "checksum_char",
    "gender_from_id",
    "hash_key",
    "mask_card",
    "mask_id",
    "mask_name",
    "mask_phone",
    "normalize_text",
    "show_name",
    "upgrade_15_to_18",
]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_RE18 = re.compile(r"^\d{17}[\dX]$")
_RE15 = re.compile(r"^\d{15}$")
# Province-level codes (first two digits) that exist; a finer region table is not shipped.
_PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
}


def normalize_text(value: str) -> str:
    """NFKC (full-width → half-width), strip every kind of white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))


def checksum_char(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def upgrade_15_to_18(legacy: str) -> str:
    """A 15-digit legacy ID (born 19xx) upgraded to 18 digits with its checksum."""
    first17 = legacy[:6] + "19" + legacy[6:]
    return first17 + checksum_char(first17)


@dataclass(frozen=True)
class IdCheck:
    """Outcome of checking one raw ID value."""

    raw: str
    normalized: str | None  # the 18-character ID when valid
    error: str | None = None  # reason code when invalid: id_format, id_date, id_checksum
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.normalized is not None


def check_id(raw: str, *, today: date | None = None) -> IdCheck:
    """Normalise and validate a resident ID; upgrade 15→18; never raises on bad input."""
    value = normalize_text(str(raw)).upper()
    warnings: list[str] = []
    if _RE15.match(value):
        value = upgrade_15_to_18(value)
        warnings.append("id_upgraded_15_to_18")
    if not _RE18.match(value):
        return IdCheck(raw, None, "id_format")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return IdCheck(raw, None, "id_date")
    if born.year < 1880 or born > (today or date.today()):
        return IdCheck(raw, None, "id_date")
    if checksum_char(value[:17]) != value[17]:
        return IdCheck(raw, None, "id_checksum")
    if value[:2] not in _PROVINCES:
        warnings.append("id_unknown_region")
    return IdCheck(raw, value, None, tuple(warnings))


def birth_date_from_id(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def age_on(born: date, on: date) -> int:
    """Age in whole years (周岁) on the day ``on``: one year more from the birthday itself. A
    29 February birthday falls on 1 March in other years (28 February is still the day before).
    Every age in creditfarm (features, policy vetoes, the household card) is this one."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def gender_from_id(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def hash_key(value: str, secret: str) -> str:
    """Keyed hash (HMAC-SHA256, hex, 32 chars) used to join on IDs and card numbers."""
    digest = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def key_check(secret: str) -> str:
    """A check value of ``secret`` (16 hex): recorded with the workspace, so a database whose
    person keys were made with one secret is never opened with another (it would silently
    duplicate every person). It reveals nothing of the secret."""
    return hash_key("creditfarm key check v1", secret)[:16]


def _mask(value: str | None, head: int, tail: int) -> str:
    if not value:
        return ""
    value = str(value)
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_id(value: str | None) -> str:
    """ID 前6后4: 110101********123X."""
    return _mask(value, 6, 4)


def mask_phone(value: str | None) -> str:
    """Phone 前3后4: 138****5678."""
    return _mask(value, 3, 4)


def mask_card(value: str | None) -> str:
    """Card 前6后4: 622848******1234."""
    return _mask(value, 6, 4)


def mask_name(value: str | None) -> str:
    """Name: family name kept, given name starred (张**)."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


# Roles that work with farmers by name (loan officers, administrators); others see 张**.
def show_name(name: str | None, full: bool) -> str:
    """A person's name in ``full``, or masked 张** (callers pass whether the acting person holds
    ``access.Permission.see_names``: one rule for cards, lists, queues and explanations)."""
    if not name:
        return ""
    return name if full else mask_name(name)
