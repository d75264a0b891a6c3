"""Numbers the Chinese way (creditfarm.display.formatting); expected strings written by hand."""

from __future__ import annotations

from datetime import date, datetime

from creditfarm.display.formatting import fmt_count, fmt_date, fmt_pct, fmt_prob, fmt_wan, fmt_yuan


def test_yuan_switches_to_wan_from_ten_thousand() -> None:
    assert fmt_yuan(3200) == "3,200元"
    assert fmt_yuan(9999) == "9,999元"
    assert fmt_yuan(10000) == "1万元"  # 10,000 / 10,000 = 1
    assert fmt_yuan(53000) == "5.3万元"
    assert fmt_yuan(12345) == "1.23万元"  # 1.2345 → 2 places
    assert fmt_yuan(1_250_000) == "125万元"
    assert fmt_yuan(None) == "—"
    assert fmt_yuan(float("nan")) == "—"


def test_wan_and_percentages() -> None:
    assert fmt_wan(200000) == "20万元"
    assert fmt_wan(15000, 1) == "1.5万元"
    assert fmt_pct(0.7) == "70.0%"
    assert fmt_pct(0.9, 0) == "90%"
    assert fmt_prob(0.0235) == "2.35%"
    assert fmt_pct(None) == "—"


def test_counts_and_dates() -> None:
    assert fmt_count(1234, "户") == "1,234户"
    assert fmt_count(None) == "—"
    assert fmt_date(date(2022, 6, 30)) == "2022年6月30日"
    assert fmt_date(datetime(2022, 7, 1, 9, 5)) == "2022年7月1日 09:05"
