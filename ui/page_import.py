"""数据导入 — upload files or name a folder, import with a progress bar, the import report, and
the quarantine (masked) to browse and download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from creditfarm.access import Permission
from creditfarm.display.exports import csv_text
from creditfarm.display.formatting import fmt_count
from creditfarm.ingest.contract import SOURCES
from creditfarm.ingest.uploads import (
    UploadRefused,
    import_root,
    resolve_import_folder,
    save_uploads,
)
from ui.common import audit, data_stamp, local_time, page_principal, workspace

ws = workspace()
principal = page_principal(Permission.import_data)
stamp = data_stamp(ws)

REPORT_LABELS = {
    "source": "数据来源",
    "files": "文件数",
    "rows_read": "读取行数",
    "rows_accepted": "接收行数",
    "rows_quarantined": "隔离行数",
    "duplicates_merged": "合并重复",
    "rows_linked": "关联到户籍",
    "linked_share": "关联率",
    "quarantined_by_reason": "隔离原因",
    "warnings": "提示（已接收）",
    "failed_files": "失败文件",
    "file": "文件",
    "status": "状态",
    "message": "说明",
    "run_id": "批次",
    "imported_at": "导入时间",
}
STATUS_ZH = {"done": "完成", "failed": "失败", "unchanged": "未变化", "running": "进行中"}
QUARANTINE_LABELS = {
    "source": "数据来源",
    "file": "文件",
    "line": "行",
    "column": "列",
    "reason": "原因",
    "detail": "说明",
}


@st.cache_data(show_spinner=False, max_entries=4)
def _report(stamp: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    from creditfarm.ingest.report import import_report, run_table

    return import_report(workspace()), run_table(workspace())


@st.cache_data(show_spinner=False, max_entries=4)
def _quarantine(stamp: tuple) -> pd.DataFrame:
    from creditfarm.ingest.report import quarantine_frame

    return quarantine_frame(workspace(), detail=True)


def _source_zh(name: str) -> str:
    return SOURCES[name].title if name in SOURCES else name


def _reason_zh(code: str) -> str:
    from creditfarm.ingest import REASONS

    return REASONS.get(code, code)


def _reasons_text(reasons: dict[str, Any]) -> str:
    return "；".join(f"{_reason_zh(k)} {v}行" for k, v in reasons.items()) if reasons else ""


def _warnings_text(warnings: dict[str, Any]) -> str:
    from creditfarm.ingest import WARNINGS

    return "；".join(f"{WARNINGS.get(k, k)} {v}行" for k, v in warnings.items()) if warnings else ""


def _run_import(folder: Path) -> None:
    from creditfarm.ingest import IngestError
    from pipelines.pipeline import run_import

    bar = st.progress(0.0, text="准备导入……")

    def progress(done: int, total: int, label: str) -> None:
        share = done / total if total else 1.0
        bar.progress(
            min(share, 1.0), text=f"正在导入 {label}（{done}/{total}）" if label else "导入完成"
        )

    try:
        runs = run_import(ws, folder, progress=progress)
    except IngestError as exc:
        st.error(f"导入失败：{exc}")
        return
    audit(
        "import",
        target=str(folder),
        detail="；".join(f"{r.file_name}: {r.status}" for r in runs)[:2000],
    )
    failed = [r for r in runs if r.status == "failed"]
    if not runs:
        st.warning("目录中没有可导入的文件。")
    elif len(failed) == len(runs):
        st.error(f"导入失败：{len(runs)} 个文件全部未能导入，数据库未改变。")
    elif failed:
        st.warning(f"部分导入：{len(runs)} 个文件中 {len(failed)} 个失败（其余已导入）。")
    else:
        st.success(f"导入完成：{len(runs)} 个文件全部导入。")
    for run in failed:
        st.error(run.message or run.file_name)


st.title("数据导入")
upload_tab, folder_tab = st.tabs(["上传文件", "选择目录"])
with upload_tab:
    files = st.file_uploader(
        "选择导出文件（CSV 或 Excel，可多选；文件名含来源名称，如“户籍.csv”）",
        type=["csv", "xlsx", "txt"],
        accept_multiple_files=True,
        key="uploads",
    )
    if st.button("导入上传的文件", key="import-uploads", disabled=not files):
        try:
            saved = save_uploads(ws, [(f.name, f.getvalue()) for f in files or []])
        except UploadRefused as exc:
            st.error(f"上传被拒绝：{exc}")
        else:
            _run_import(saved)
with folder_tab:
    path = st.text_input(
        f"县域导出文件所在目录（导入目录 {import_root(ws)} 之下的相对路径）", key="folder"
    )
    if st.button("导入该目录", key="import-folder", disabled=not path):
        try:
            chosen = resolve_import_folder(ws, path)
        except UploadRefused as exc:
            st.error(f"不能导入：{exc}")
        else:
            _run_import(chosen)

stamp = data_stamp(ws)  # an import above changes what the report shows
report, runs = _report(stamp)
st.markdown("### 导入报告")
if report.empty:
    st.info("尚未导入任何文件。")
else:
    shown = report.assign(
        source=report["source"].map(_source_zh),
        # a number (61.4, shown 61.4%), so the column sorts by value
        linked_share=pd.to_numeric(report["linked_share"], errors="coerce") * 100,
        quarantined_by_reason=report["quarantined_by_reason"].map(_reasons_text),
        warnings=report["warnings"].map(_warnings_text),
    )
    st.dataframe(
        shown.rename(columns=REPORT_LABELS),
        column_config={"关联率": st.column_config.NumberColumn("关联率", format="%.1f%%")},
        hide_index=True,
        width="stretch",
    )
    with st.expander("按文件查看（同一文件的每次新导出各占一行，较早导出的隔离行保留）"):
        per_file = runs.assign(
            source=runs["source"].map(_source_zh),
            status=runs["status"].map(STATUS_ZH),
            quarantined_by_reason=runs["quarantined_by_reason"].map(_reasons_text),
            warnings=runs["warnings"].map(_warnings_text),
            imported_at=runs["imported_at"].map(local_time),
        )
        st.dataframe(per_file.rename(columns=REPORT_LABELS), hide_index=True, width="stretch")

st.markdown("### 隔离区（身份证号、电话、卡号已脱敏）")
quarantine = _quarantine(stamp)
st.caption(f"共 {fmt_count(len(quarantine), '行')}")
if not quarantine.empty:
    sources = ["", *sorted(quarantine["source"].unique())]
    pick = st.selectbox(
        "数据来源", sources, key="q_source", format_func=lambda s: _source_zh(s) if s else "全部"
    )
    view = quarantine[quarantine["source"] == pick] if pick else quarantine
    view = view.assign(source=view["source"].map(_source_zh), reason=view["reason"].map(_reason_zh))
    st.dataframe(
        view.head(1000).dropna(axis=1, how="all").rename(columns=QUARANTINE_LABELS),
        hide_index=True,
        width="stretch",
        height=320,
    )
    st.download_button(
        "下载隔离区（CSV）",
        csv_text(view.rename(columns=QUARANTINE_LABELS)).encode("utf-8-sig"),
        file_name="隔离区.csv",
        mime="text/csv",
        key="download-quarantine",
    )
