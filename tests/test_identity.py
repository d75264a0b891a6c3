"""Resident IDs (GB 11643-1999): checksums worked out by hand, 15→18, masks, keyed hashes."""

from datetime import date

from creditfarm.identity import (
    age_on,
    birth_date_from_id,
    check_id,
    checksum_char,
    gender_from_id,
    hash_key,
    mask_card,
    mask_id,
    mask_name,
    mask_phone,
    normalize_text,
    upgrade_15_to_18,
)


def test_checksum_x_by_hand():
    # 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 × weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    # = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → "10X98765432"[2] = X
    assert checksum_char("11010519491231002") == "X"


def test_checksum_digit_by_hand():
    # 4 4 0 5 2 4 1 8 8 0 0 1 0 1 0 0 1
    # = 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8 → "10X98765432"[8] = 4
    assert checksum_char("44052418800101001") == "4"


def test_valid_id_with_upper_and_lower_x():
    assert check_id("11010519491231002X").normalized == "11010519491231002X"
    lower = check_id("11010519491231002x")
    assert lower.ok and lower.normalized == "11010519491231002X"


def test_full_width_and_spaces_are_normalised():
    result = check_id("１１０１０５ １９４９１２３１００２Ｘ")
    assert result.normalized == "11010519491231002X"
    assert normalize_text(" ４４０５２４\t") == "440524"


def test_bad_checksum():
    result = check_id("110105194912310021")  # the right last character is X
    assert not result.ok and result.error == "id_checksum"


def test_bad_format():
    assert check_id("11010519491231002").error == "id_format"  # 17 characters
    assert check_id("1101051949123100XX").error == "id_format"
    assert check_id("abc").error == "id_format"


def test_bad_birth_date():
    # 1949-02-30 does not exist; 17 digits 110105 19490230 002 → date fails before checksum
    assert check_id("110105194902300020").error == "id_date"
    # born in the future relative to "today"
    first17 = "11010520300101002"
    future = first17 + checksum_char(first17)
    assert check_id(future, today=date(2022, 6, 30)).error == "id_date"


def test_15_digit_upgrade_by_hand():
    # 110105 491231 002 → 110105 19 491231 002 + checksum X (computed above)
    assert upgrade_15_to_18("110105491231002") == "11010519491231002X"
    result = check_id("110105491231002")
    assert result.normalized == "11010519491231002X"
    assert "id_upgraded_15_to_18" in result.warnings


def test_unknown_region_is_a_warning_not_a_rejection():
    # province 99 does not exist. 9 9 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2:
    # 63+81+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 295; 295 mod 11 = 9 → "10X98765432"[9] = 3
    result = check_id("990105194912310023")
    assert result.ok
    assert result.warnings == ("id_unknown_region",)


def test_birth_date_and_gender():
    assert birth_date_from_id("11010519491231002X") == date(1949, 12, 31)
    assert gender_from_id("11010519491231002X") == "女"  # 17th digit 2 is even
    assert gender_from_id("440524188001010014") == "男"  # 17th digit 1 is odd


def test_masks():
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_card("6228481234567890123") == "622848*********0123"
    assert mask_name("黎明") == "黎*"
    assert mask_id("") == "" and mask_id(None) == ""
    assert mask_phone("12345") == "*****"  # too short to show head and tail


def test_hash_key_is_keyed_and_stable():
    a = hash_key("11010519491231002X", "s1")
    assert a == hash_key("11010519491231002X", "s1")
    assert a != hash_key("11010519491231002X", "s2")
    assert len(a) == 32 and "11010519491231002X" not in a


def test_age_on_counts_whole_years_from_the_birthday() -> None:
    on = date(2022, 6, 30)
    assert age_on(date(1980, 6, 30), on) == 42  # birthday today: 42 from today
    assert age_on(date(1980, 6, 29), on) == 42  # birthday yesterday
    assert age_on(date(1980, 7, 1), on) == 41  # birthday tomorrow: still 41
    assert age_on(date(1980, 12, 31), on) == 41
    assert age_on(date(1981, 1, 1), on) == 41
    assert age_on(on, on) == 0  # born today


def test_age_on_for_a_29_february_birthday() -> None:
    born = date(2000, 2, 29)
    assert age_on(born, date(2023, 2, 28)) == 22  # no 29 February in 2023: not yet 23
    assert age_on(born, date(2023, 3, 1)) == 23
    assert age_on(born, date(2024, 2, 28)) == 23
    assert age_on(born, date(2024, 2, 29)) == 24  # the birthday itself in a leap year
