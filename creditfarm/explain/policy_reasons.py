"""Policy vetoes and caps in Chinese. They are rules from policy.toml, not model statistics, so
they are listed apart from the model's reasons."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from creditfarm.explain.formatting import format_yuan

__all__ = ["CAP_CODES", "VETO_CODES", "policy_reasons"]

VETO_CODES = (
    "blacklist",
    "current_non_performing",
    "current_overdue",
    "fraud_record",
    "tax_arrears",
    "business_revoked",
    "abroad_now",
    "age",
)
CAP_CODES = ("cap", "thin_file_cap", "poverty_product", "min_limit")


def _veto_sentences(policy: Any) -> dict[str, str]:
    v = getattr(policy, "vetoes", None)
    overdue = f"{v.current_overdue_days} 天" if v else "规定天数"
    years = f"{v.fraud_record_years} 年内" if v else "近年内"
    tax = f"超过 {format_yuan(v.tax_arrears_yuan)}" if v else "超过规定金额"
    ages = f"{v.min_age}–{v.max_age} 周岁" if v else "规定年龄"
    return {
        "blacklist": "户主在逃废债黑名单上，不予预授信。",
        "current_non_performing": "有尚未结清且五级分类为次级、可疑或损失的贷款，不予预授信。",
        "current_overdue": f"有尚未结清的贷款当前逾期达到 {overdue}，不予预授信。",
        "fraud_record": f"{years}有诈骗、赌博等违法犯罪记录，不予预授信。",
        "tax_arrears": f"欠缴税款{tax}，不予预授信。",
        "business_revoked": "名下工商登记被吊销营业执照，不予预授信。",
        "abroad_now": "户主目前在境外，不予预授信。",
        "age": f"户主年龄不在 {ages}之间，不予预授信。",
    }


def _cap_sentences(policy: Any) -> dict[str, str]:
    lim = getattr(policy, "limit", None)
    pov = getattr(policy, "poverty_product", None)
    cap = format_yuan(lim.cap) if lim else "上限"
    thin = format_yuan(lim.thin_file.cap) if lim else "规定上限"
    minimum = format_yuan(lim.min_limit) if lim else "最低额度"
    if pov:
        poverty = (
            f"按扶贫小额信贷政策核定：额度 {format_yuan(pov.min_limit)} 至 "
            f"{format_yuan(pov.cap)}，期限 {pov.term_years} 年，免担保免抵押。"
        )
    else:
        poverty = "按扶贫小额信贷政策核定额度。"
    return {
        "cap": f"按公式计算的额度超过封顶额度，按 {cap} 封顶。",
        "thin_file_cap": f"此前没有贷款记录（白户），额度最高 {thin}。",
        "poverty_product": poverty,
        "min_limit": f"按公式计算的额度低于最低额度 {minimum}，预授信额度为 0。",
    }


def policy_reasons(
    vetoes: Iterable[str], caps: Iterable[str], *, policy: Any = None
) -> list[dict[str, Any]]:
    """One entry per veto and cap: ``{"code", "kind": "veto"|"cap", "sentence"}``.

    ``policy`` (a ``creditfarm.policy.Policy``) puts its thresholds in the sentences. A code not
    known here still gets an entry, so no rule that fired is hidden.
    """
    veto_text = _veto_sentences(policy)
    cap_text = _cap_sentences(policy)
    out: list[dict[str, Any]] = []
    for code in vetoes:
        sentence = veto_text.get(code, f"触发一票否决规则（{code}），不予预授信。")
        out.append({"code": code, "kind": "veto", "sentence": sentence})
    for code in caps:
        sentence = cap_text.get(code, f"额度受政策规则（{code}）限制。")
        out.append({"code": code, "kind": "cap", "sentence": sentence})
    return out
