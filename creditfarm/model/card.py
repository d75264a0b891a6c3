"""The model card (Markdown): data, label, populations, split, figures, baseline, fairness,
limits, intended use and human review. Every figure comes from the training run's metrics."""

from __future__ import annotations

from typing import Any

from creditfarm.features.catalogue import FEATURES, MODEL_EXCLUDED, REDEFINED, SOURCE_ZH
from creditfarm.model.fairness import (
    GROUPING_NOTES,
    GROUPINGS,
    STATUS_EN,
    flag_text_en,
    rule_text_en,
)
from creditfarm.model.monitoring import PSI_DRIFT_FROM, PSI_STABLE_BELOW, psi_verdict
from creditfarm.policy.config import Policy

__all__ = ["render_card"]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _figures_row(name: str, s: dict[str, Any] | None) -> str:
    if not s:
        return f"| {name} | – | – | – | – | – | – |"
    return (
        f"| {name} | {s['n']} | {s['bads']} | {_num(s['auc'])} | {_num(s['ks'])} | "
        f"{_num(s['gini'])} | {_num(s['brier'], 4)} |"
    )


def _calibration_text(cal: dict[str, Any]) -> str:
    base = (
        "Platt scaling, a two-parameter increasing logistic map of the raw score (with tens of "
        "bad loans isotonic steps would overfit). A fitted slope ≤ 0 — possible on a small "
        "held-out part — would invert the ranking, so it is refused and calibration falls back "
        "to intercept-only (slope 1, the mean moved to the held-out bad rate)."
    )
    if cal.get("method") == "intercept":
        return base + f" **This model uses the fallback** (b = {_num(cal.get('b'))})."
    if cal.get("method") == "platt":
        return base + f" Fitted: a = {_num(cal.get('a'))}, b = {_num(cal.get('b'))}."
    if cal.get("method") == "platt_crossfit":
        return base + (
            " **Cross-fitted**: a held-out part alone has too few bad cases to place the map "
            "in the riskiest decile, so Platt is fitted on the out-of-fold raw scores of the "
            f"{cal.get('folds', '–')} household-grouped cross-validation folds (each row scored "
            "by a booster that never saw its household, at the chosen number of trees). "
            f"Fitted: a = {_num(cal.get('a'))}, b = {_num(cal.get('b'))}."
        )
    return base


def _ci_text(value: Any, ci: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "pct":
        return f"{100 * value:.1f}% ({100 * ci[0]:.1f}–{100 * ci[1]:.1f})"
    if kind == "points":
        text = f"{100 * value:+.1f} ({100 * ci[0]:+.1f} … {100 * ci[1]:+.1f})"
        return text.replace("-", "−")
    if kind == "ratio":
        return f"{value:.2f} ({ci[0]:.2f}–{ci[1]:.2f})"
    if kind == "auc":
        return f"{value:.3f} ({ci[0]:.3f}–{ci[1]:.3f})"
    return f"{value:+.3f} ({ci[0]:+.3f} … {ci[1]:+.3f})".replace("-", "−")


def _gap_lines(gaps: dict[str, Any] | None) -> list[str]:
    """The fairness gaps with their intervals and flags (``metrics["fairness_gaps"]``)."""
    if not gaps:
        return [
            "",
            "### Gaps between groups",
            "",
            "This model version was trained before the gaps were computed: no figures.",
        ]
    rule = gaps["rule"]
    level = f"{100 * rule['confidence']:.0f}%"
    flags = gaps.get("flags") or []
    lines = ["", "### Gaps between groups", "", rule_text_en(rule), ""]
    if flags:
        lines.append(f"**{len(flags)} gap{'' if len(flags) == 1 else 's'} flagged for review:**")
        lines += [f"- **FLAG** {flag_text_en(f)}." for f in flags]
    else:
        lines.append("**No gap flagged.**")
    for grouping, title in GROUPINGS.items():
        part = (gaps.get("groupings") or {}).get(grouping)
        if not part:
            continue
        approval, performance = part["approval"], part["performance"]
        lines += [
            "",
            f"#### {title} ({grouping})",
            "",
            *([GROUPING_NOTES[grouping][0], ""] if grouping in GROUPING_NOTES else []),
            f"Pre-credit rate, scoring population; reference {approval['reference']}. Rates and "
            f"gaps in % and points, {level} intervals in brackets; too few: under "
            f"{rule['min_households']} households.",
            "",
            "| group | households | pre-credited | rate | gap vs reference | ratio lower/higher | "
            "verdict: gap | verdict: ratio |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for r in approval["rows"]:
            lines.append(
                f"| {r['group']} | {r['households']} | {r['pre_credited']} | "
                + (
                    f"{_ci_text(r['rate'], r['rate_ci'], 'pct')} | "
                    if r["rate"] is not None
                    else "too few to judge | "
                )
                + f"{_ci_text(r['gap'], r['gap_ci'], 'points')} | "
                f"{_ci_text(r['ratio'], r['ratio_ci'], 'ratio')} | "
                f"{STATUS_EN[r['gap_status']]} | {STATUS_EN[r['ratio_status']]} |"
            )
        lines += [
            "",
            f"Out of time; AUC reference {performance['reference']}; calibration gap = mean "
            f"predicted − observed default rate, in points; too few: under "
            f"{rule['min_households']} rows or {rule['min_bads']} bad or good outcomes.",
            "",
            "| group | rows | bad | AUC | AUC gap | predicted | observed | calibration gap | "
            "verdict: AUC | verdict: calibration |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for r in performance["rows"]:
            if r["auc"] is None:
                figures = "too few to judge | – | – | – | – | "
            else:
                figures = (
                    f"{_ci_text(r['auc'], r['auc_ci'], 'auc')} | "
                    f"{_ci_text(r['auc_gap'], r['auc_gap_ci'], 'signed')} | "
                    f"{_pct(r['predicted'])} | {_pct(r['observed'])} | "
                    f"{_ci_text(r['calibration_gap'], r['calibration_gap_ci'], 'points')} | "
                )
            lines.append(
                f"| {r['group']} | {r['rows']} | {r['bads']} | {figures}"
                f"{STATUS_EN[r['auc_status']]} | {STATUS_EN[r['calibration_status']]} |"
            )
    return lines


def _flag_summary(gaps: dict[str, Any] | None) -> list[str]:
    """One line at the top of the card when a fairness gap is flagged."""
    flags = (gaps or {}).get("flags") or []
    if not flags:
        return []
    return [
        f"**Fairness: {len(flags)} gap{'' if len(flags) == 1 else 's'} between groups flagged "
        "for review** — see Fairness, gaps between groups.",
        "",
    ]


def _min_bads(metrics: dict[str, Any], part: str) -> str:
    needed = metrics.get("minimum_bads", {}).get(part)
    return "–" if needed is None else str(needed)


def _verdict(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} ({psi_verdict(float(value))})"


def _stability_lines(metrics: dict[str, Any]) -> list[str]:
    """PSI of the score and every feature with its verdict, and the features redefined or
    left out of the model because their drift is structural."""
    psi = metrics.get("psi") or {}
    ref = psi.get("reference") or {}
    mix = psi.get("thin_file_share") or {}
    lines = [
        "Population stability index of the scoring population (filed households on "
        f"{metrics['as_of']}) against the filed households on {ref.get('as_of', '—')} (the "
        "out-of-time observation date, a year earlier, same definition, same model). Bins are "
        "the reference's deciles; empty bins get 0.01%. Below "
        f"{PSI_STABLE_BELOW:g} stable, {PSI_STABLE_BELOW:g}–{PSI_DRIFT_FROM:g} watch, "
        f"from {PSI_DRIFT_FROM:g} drift.",
        "",
        f"- Probability of default: **{_verdict(psi.get('score'))}**",
    ]
    if mix:
        lines.append(
            f"- Thin files (白户) among those scored: {_pct(mix.get('scoring'))} now, "
            f"{_pct(mix.get('reference'))} on the reference date, {_pct(mix.get('training'))} "
            "of the training rows (borrowers whose outcome could be seen): the model extrapolates "
            "to thin files, see above."
        )
    features = psi.get("features") or {}
    drifted = [n for n, v in features.items() if psi_verdict(v) == "drift"]
    lines.append(
        f"- Features in drift: **{len(drifted)}**"
        + (": " + ", ".join(f"`{n}`" for n in drifted) if drifted else "")
    )
    for name, why in REDEFINED.items():
        lines.append(f"- `{name}` redefined: {why}.")
    for name, why in MODEL_EXCLUDED.items():
        lines.append(f"- `{name}` is not a model input: {why}.")
    lines += ["", "| feature | PSI (verdict) |", "| --- | --- |"]
    lines += [
        f"| `{name}`{' (not a model input)' if name in MODEL_EXCLUDED else ''} | "
        f"{_verdict(value)} |"
        for name, value in features.items()
    ]
    return lines


def render_card(
    *, version: str, metrics: dict[str, Any], fingerprint: dict[str, Any], policy: Policy
) -> str:
    pops = metrics["populations"]
    stopping = metrics.get("early_stopping") or {}
    sp = metrics["scoring_population"]
    lines = [
        f"# Model card — creditfarm default model `{version}`",
        "",
        "Pre-credit (预授信) default model for filed rural households (已建档农户) of one county.",
        "",
        *_flag_summary(metrics.get("fairness_gaps")),
        "## Data",
        "",
        f"- Data date (as-of date, the county exports' date): **{metrics['as_of']}**; loan book "
        f"(贷款台账) snapshot date {fingerprint['loan_book_date']}.",
        "- Sources: 户籍 (households), 农户信用档案 (archive), "
        "助农取款服务点交易流水 (service-point payments), 政务信息 (government records), "
        "贷款台账 (loans), 逃废债黑名单 (blacklist).",
        "- Row counts: "
        + ", ".join(f"{k} {v:,}" for k, v in fingerprint["row_counts"].items())
        + ".",
        f"- {len(fingerprint['import_runs'])} imported files; their SHA-256 are in "
        "`fingerprint.json`.",
        f"- {len(FEATURES)} features from five sources ("
        + ", ".join(f"{src} {zh}" for src, zh in SOURCE_ZH.items())
        + "); the catalogue is in `features.json`. Ethnicity, gender, religion and health are "
        "never features.",
        "",
        "## Label",
        "",
        "A household observed on date T is **bad** when a member's loan becomes non-performing — "
        "90+ days past due, or classified 次级/可疑/损失 (five-category classification 五级分类) — "
        f"within {metrics['horizon_months']} months after T. The performance population is the "
        "households filed before T with a loan on the book at T, or a loan taken in the window "
        "early enough that 90 days past its maturity fall inside the window, and not already "
        "non-performing at T.",
        "",
        "Limits of a snapshot loan book: the outcome fields (max days overdue, classification, "
        "status, balance) are as of the export. The date a loan reached 90 days past due is "
        "inferred from its overdue spell, assuming repayment at maturity (按月付息、到期还本) and, "
        "when the spell is longer than the time since maturity, the latest start it could have "
        "had. A 次级/可疑/损失 classification without a 90-day spell is dated at the export. "
        "Loans taken late in a window are left out: they could not reach 90 days overdue inside "
        "it and would count as good by construction. "
        "Archive fields and undated government records (tax, poverty, residence, land, "
        "exit-entry, insurance) are what the export holds, not their state on T: a mild look-ahead "
        "for the earlier observation dates.",
        "",
        "## Populations and thin files",
        "",
        "Only filed households (已建档) are scored: filing comes first. Thin files (白户: no loan "
        "before the as-of date) are the households pre-credit exists for and are scored by the "
        "same model, with their loan-history features at 'no history' (0 loans, 0 days overdue, "
        "0 outstanding). A first-time borrower's outcome can enter training only when the loan "
        "matured early enough in the window (short loans); with 1-year loans that is rare, so "
        f"training holds {pops['out_of_time']['thin_file_rows']} thin-file rows out of time and "
        "the model extrapolates for them from archive, payments, government and village "
        "features — the features that carry most of the risk in any case. Hence a further "
        f"limit cap for thin files ({policy.limit.thin_file.cap:,.0f} 元), the `thin_file` mark "
        "in every output, and a place in the officer's review queue.",
        "",
        "| part | rows | bad |",
        "| --- | ---: | ---: |",
        f"| fitting (in time; trees and calibration by {pops['fitting'].get('folds', '–')}-fold "
        f"cross-validation) | {pops['fitting']['rows']} | {pops['fitting']['bads']} |",
        f"| of which the former held-out part (comparison only) | {pops['held_out']['rows']} | "
        f"{pops['held_out']['bads']} |",
        f"| out of time ({metrics['out_of_time_date']}) | {pops['out_of_time']['rows']} | "
        f"{pops['out_of_time']['bads']} |",
        f"| of which thin files | {pops['out_of_time']['thin_file_rows']} | "
        f"{pops['out_of_time']['thin_file_bads']} |",
        "",
        "## Split and model",
        "",
        f"Observation dates: {', '.join(metrics['observation_dates'])}. The earlier dates are "
        "in time: the model fits all their rows; the number of trees and the calibration come "
        "from cross-validation over household-grouped folds, stratified by outcome (a household "
        "never on both sides of a fold; every fold with its share of the bad cases). The "
        "former design — fit on 80%, early stopping and Platt on a held-out 20% — is fitted "
        "too and reported under calibration for comparison. "
        f"The latest date ({metrics['out_of_time_date']}) is the "
        "out-of-time test; every figure below comes from it.",
        "",
        f"LightGBM (binary, ≤ 300 trees, 15 leaves; {metrics['best_iteration']} trees kept: the "
        f"lowest mean out-of-fold log-loss after at least {stopping.get('min_rounds', '–')} "
        f"trees, with a patience of {stopping.get('patience', '–')} rounds — each fold "
        "has a handful of bad cases, so stopping at the first noisy rise would keep a "
        "near-constant model), monotone constraints where the direction is not in doubt "
        "(see the catalogue), then calibration: "
        + _calibration_text(metrics.get("calibration_method") or {}),
        "",
        f"Minimum data: training stops with a clear error below {_min_bads(metrics, 'in_time')} "
        "bad outcomes in time or "
        f"{_min_bads(metrics, 'out_of_time')} out of time (a generated county needs about 1,500 "
        "households); with fewer, the model learns noise and the AUC means nothing.",
        "",
        "## Performance (out of time)",
        "",
        "| model | rows | bad | AUC | KS | Gini | Brier |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        _figures_row("LightGBM", metrics["model"]),
        _figures_row("WoE logistic scorecard (baseline)", metrics["baseline"]),
        _figures_row("LightGBM, thin files only", metrics.get("model_thin_file")),
        "",
        "The baseline: quantile bins (5 per numeric feature, plus a missing bin), weight of "
        "evidence per bin, scikit-learn logistic regression; fitted on all in-time rows, tested "
        "on the same out-of-time rows. "
        + (
            "LightGBM ranks at least as well as the baseline."
            if metrics["model_beats_baseline"]
            else "**LightGBM ranks worse than the baseline on this split.**"
        ),
        "",
        "### Calibration by decile (out of time)",
        "",
        "| decile | rows | bad | mean predicted | observed |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in metrics["model"]["calibration"]:
        lines.append(
            f"| {row['decile']} | {row['count']} | {row['bads']} | "
            f"{_pct(row['predicted'])} | {_pct(row['observed'])} |"
        )
    summary = metrics.get("calibration_summary") or {}
    holdout = metrics.get("calibration_holdout") or {}
    if summary:
        lines += [
            "",
            f"Expected calibration error over the deciles: **{_pct(summary['ece'])}**; top decile "
            f"(where declines fall): predicted **{_pct(summary['top_decile_predicted'])}**, "
            f"observed **{_pct(summary['top_decile_observed'])}** "
            f"({summary['top_decile_bads']} bad of {summary['top_decile_rows']}).",
        ]
    if holdout:
        lines.append(
            f"The former design (fit on 80%, early stopping and Platt on the held-out 20%): "
            f"AUC {_num(holdout.get('auc'))}, ECE {_pct(holdout.get('ece'))}, top decile "
            f"predicted {_pct(holdout.get('top_decile_predicted'))} against observed "
            f"{_pct(holdout.get('top_decile_observed'))}, Brier {_num(holdout.get('brier'), 4)}."
        )
    thin = metrics.get("thin_file_validation") or {}
    if thin:
        lines += ["", "### Thin files (白户)", ""]
        for key, label in (
            ("out_of_time", "out of time"),
            ("in_time_out_of_fold", "in time, scored out of fold (proxy)"),
        ):
            part = thin.get(key) or {}
            s_ = part.get("summary")
            lines.append(
                f"- {label}: {part.get('rows', 0)} households thin at the observation date with "
                f"their first loan's outcome observed, {part.get('bads', 0)} bad"
                + (f"; AUC {_num(s_['auc'])}, Brier {_num(s_['brier'], 4)}." if s_ else ".")
            )
        if not thin.get("enough"):
            lines.append(
                f"- **Not validated**: fewer than {thin.get('min_bads', '–')} bad outcomes among "
                "thin files; their ranking rests on the features they share with borrowers. "
                "Validation needs the first-loan outcomes of at least that many thin-file "
                "households (more loan-book history, or loans short enough to mature in a window)."
            )
    lines += [
        "",
        "## Stability (PSI)",
        "",
        *_stability_lines(metrics),
        "",
        "## Scoring population and policy",
        "",
        f"{sp['households']} 户籍 households, {sp['filed']} filed, {sp['thin_file']} thin files "
        f"among them. Grades: "
        + ", ".join(f"{g} {n}" for g, n in sp["grades"].items())
        + f". Pre-credited (预授信): {sp['pre_credited']}; 信用户 (credit households): "
        f"{sp['credit_households']}. Policy `{policy.version}` (snapshot in `policy.toml`): "
        "score = offset − factor·ln(odds), grade bands, vetoes (一票否决), limit formula, poverty "
        "product (扶贫小额信贷).",
        "",
        "## Fairness",
        "",
        "Ethnicity (民族), gender (性别) of the household head and poverty status (扶贫状态) "
        "are not model inputs; these tables show the outcomes by group on the scoring population.",
    ]
    for grouping, title in GROUPINGS.items():
        rows = metrics["fairness"].get(grouping, [])
        if not rows:
            continue
        grade_cols = [k for k in rows[0] if k.startswith("grade_")]
        lines += [
            "",
            f"### {title} ({grouping})",
            "",
            "| group | households | mean limit (元) | pre-credit rate | 信用户 rate | "
            + " | ".join(c.removeprefix("grade_") for c in grade_cols)
            + " |",
            "| --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in grade_cols) + " |",
        ]
        for r in rows:
            lines.append(
                f"| {r['group']} | {r['households']} | {r['mean_limit']:,.0f} | "
                f"{_pct(r['pre_credit_rate'])} | {_pct(r['credit_household_rate'])} | "
                + " | ".join(_pct(r[c]) for c in grade_cols)
                + " |"
            )
    lines += _gap_lines(metrics.get("fairness_gaps"))
    lines += [
        "",
        "## Intended use and limits",
        "",
        "- Intended use: ranking filed households of this county for 整村授信 pre-credit lists and "
        "for the loan officer's review. Not for households outside the county, not for "
        "collections or pricing, not as the sole basis of a decision.",
        "- The sample county is synthetic; figures on real exports will differ.",
        "- Few bad loans per window: AUC and calibration carry wide uncertainty (see counts).",
        f"- Retrain when PSI exceeds {PSI_DRIFT_FROM:g} or after a new year's loan book.",
        "",
        "## Human review (PIPL Art. 24)",
        "",
        "Grades and limits are automated decisions with significant effect. Every assessment "
        "stores the model version, policy version, feature values and reasons; a household may "
        "ask for an explanation (`creditfarm explain`) and refuse a purely automated decision: "
        "a loan officer confirms, adjusts or declines each pre-credit line with a recorded reason "
        "(review queue: borderline grades, grade changes, thin files, data conflicts).",
        "",
    ]
    return "\n".join(lines)
