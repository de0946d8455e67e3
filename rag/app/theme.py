"""How the chat UI looks: the theme, its CSS and the copy button's script (rag/app/ui.py wires them in).

Local fonts only: the UI works offline, so no Google Fonts request.
"""

from __future__ import annotations

import gradio as gr

THEME = gr.themes.Soft(
    font=["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"],
    font_mono=["Noto Sans Mono CJK SC", "ui-monospace", "monospace"],
)
CSS = """
#sources .empty { color: #6b7280; }
#sources .card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 12px; margin: 0 0 10px; background: #fff; }
#sources .card.related { background: #f9fafb; border-style: dashed; }
#sources .card-title { font-weight: 600; }
#sources .meta, #sources .section { color: #4b5563; font-size: 0.85em; margin-top: 2px; }
#sources .context { margin: 8px 0; line-height: 1.7; white-space: pre-wrap; word-break: break-word; }
#sources mark { background: #fde68a; padding: 0 1px; }
#sources .memo { user-select: all; font-size: 0.85em; background: #f3f4f6; padding: 4px 6px; border-radius: 4px;
  margin-top: 4px; word-break: break-word; }
#sources .copy-memo { font-size: 0.85em; padding: 2px 10px; border: 1px solid #d1d5db; border-radius: 6px;
  background: #fff; cursor: pointer; }
#sources .badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; }
#sources .badge.not-found { background: #fee2e2; color: #991b1b; }
#sources .badge.related-label { background: #e5e7eb; color: #374151; font-size: 0.8em; }
#sources .not-found-block { border-left: 4px solid #ef4444; background: #fef2f2; padding: 8px 12px; margin-bottom: 10px; }
#reading .chip { display: inline-block; margin: 0 6px 6px 0; padding: 2px 10px; border-radius: 999px;
  background: #eef2ff; color: #3730a3; font-size: 0.85em; }
#reading .chip b { margin-right: 4px; font-weight: 600; }
#reading .chip.follow { background: #ecfdf5; color: #065f46; }
#upload-status .failed { color: #b91c1c; }
#index-status .building { color: #92400e; background: #fffbeb; border-left: 4px solid #f59e0b; padding: 6px 10px; }
#index-status .failed { color: #b91c1c; }
#send-reason { color: #92400e; font-size: 0.9em; min-height: 0; }
#copy-all .memo { white-space: pre-wrap; user-select: all; font-size: 0.85em; background: #f3f4f6; padding: 6px 8px;
  border-radius: 4px; word-break: break-word; }
#copy-all summary { font-size: 0.85em; color: #4b5563; cursor: pointer; margin-top: 4px; }
#chart-note { color: #4b5563; font-size: 0.85em; }
/* The comparison and reports tables: every cell wraps (nothing is cut, nothing scrolls sideways), years
   stay whole, and below 600 px each row becomes a card with its headers as labels. */
:is(#rows, #reports) .fit-table { width: 100%; border-collapse: collapse; font-size: 0.9em; margin: 0; border: 0; }
.fit-table caption { text-align: left; font-weight: 600; padding: 4px 0 6px; }
:is(#rows, #reports) .fit-table th, :is(#rows, #reports) .fit-table td { border: 0; border-bottom: 1px solid #e5e7eb; padding: 6px 8px;
  text-align: left; vertical-align: top; overflow-wrap: anywhere; word-break: normal; }
:is(#rows, #reports) .fit-table th { background: #f9fafb; white-space: nowrap; }
:is(#rows, #reports) .fit-table tr { border: 0; }
:is(#rows, #reports) .fit-table td.year, :is(#rows, #reports) .fit-table td.value, :is(#rows, #reports) .fit-table td.region { white-space: nowrap; }
:is(#rows, #reports) .fit-table td.metric { min-width: 5em; }
:is(#rows, #reports) .fit-table td.quote { line-height: 1.6; min-width: 10em; }
.fit-table .tag { display: inline-block; margin-left: 4px; padding: 0 6px; border-radius: 999px; background: #fef3c7;
  color: #92400e; font-size: 0.8em; }
#reports .reports-scroll { max-height: 420px; overflow-y: auto; }
#copy-all .copy-all { width: 100%; font-size: var(--button-small-text-size); padding: var(--button-small-padding);
  border-radius: var(--button-small-radius); background: var(--button-secondary-background-fill);
  border: 1px solid var(--button-secondary-border-color); color: var(--button-secondary-text-color); }
#sources .actions { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-top: 4px; }
a.open-report { font-size: 0.85em; color: #1d4ed8; }
#reports td.title a { color: #1d4ed8; text-decoration: none; } #reports td.title a:hover { text-decoration: underline; }
:is(#rows, #reports) .fit-table td.kind { white-space: nowrap; color: #4b5563; }
#header .title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
#header .open-conversations { font: inherit; font-size: 0.9em; border: 1px solid #c7d2fe; background: #eef2ff;
  color: #3730a3; border-radius: 999px; padding: 2px 12px; cursor: pointer; }
#header h1 { font-size: 1.6em; margin: 0 0 2px; } #header .subtitle { margin: 0; color: #4b5563; }
#starters { gap: 6px; align-items: center; flex-wrap: wrap; }
#starters > * { flex: 0 1 auto !important; min-width: 0 !important; width: auto !important; }
#starters-label { padding: 0; } #starters .starters-label { color: #4b5563; font-size: 0.9em; }
#starters button.starter { white-space: normal; text-align: left; }
#ask-row { align-items: stretch; gap: 6px; }
#turn-label .turn-label { font-size: 0.85em; color: #4b5563; border-left: 3px solid #6366f1; padding: 2px 8px; }
/* the chat's own trash icon cleared the page's copy only (and sat on the first bubble): 清空对话 does it */
#chat .icon-button-wrapper.top-panel { display: none !important; }
#conversations .conv-head { display: flex; justify-content: space-between; align-items: center; margin-bottom: 6px; }
#conversations .conv-new, #conversations .conv-item button { font: inherit; font-size: 0.85em; cursor: pointer;
  border: 1px solid #d1d5db; border-radius: 6px; background: #fff; padding: 2px 8px; }
#conversations .conv-list { display: flex; flex-direction: column; gap: 4px; max-height: 60vh; overflow-y: auto; }
#conversations .conv-item { display: grid; grid-template-columns: 1fr auto; gap: 2px 6px; padding: 6px; border-radius: 6px;
  border: 1px solid transparent; }
#conversations .conv-item.current { background: #eef2ff; border-color: #c7d2fe; }
#conversations .conv-item .conv-open { grid-column: 1 / 3; border: 0; background: none; padding: 0; text-align: left;
  font-weight: 600; overflow-wrap: anywhere; }
#conversations .conv-meta { color: #6b7280; font-size: 0.8em; align-self: center; }
#conversations .conv-tools { display: flex; gap: 4px; }
#conversations .conv-delete[data-armed] { color: #b91c1c; border-color: #fca5a5; }
#conversations .conv-name { grid-column: 1 / 3; font: inherit; padding: 2px 4px; }
#conversations .conv-empty, #conversations .conv-note { color: #6b7280; font-size: 0.85em; }
#viewer-dialog { width: min(980px, 96vw); height: 90vh; max-height: 90vh; padding: 0; border: 0; border-radius: 10px;
  overflow: hidden; box-shadow: 0 20px 50px rgba(0, 0, 0, 0.3); }
#viewer-dialog::backdrop { background: rgba(17, 24, 39, 0.45); }
#viewer-dialog .viewer-bar { display: flex; gap: 10px; align-items: center; padding: 8px 12px; border-bottom: 1px solid #e5e7eb;
  background: #f9fafb; height: 28px; }
#viewer-dialog .viewer-bar b { flex: 1; } #viewer-dialog .viewer-bar a { color: #1d4ed8; font-size: 0.9em; }
#viewer-dialog .viewer-bar button { font: inherit; font-size: 0.9em; border: 1px solid #d1d5db; border-radius: 6px;
  background: #fff; padding: 2px 10px; cursor: pointer; }
#viewer-dialog iframe { width: 100%; height: calc(100% - 45px); border: 0; display: block; }
#manage-note { color: #4b5563; font-size: 0.85em; } #manage-status .manage-result { margin-top: 4px; }
/* Gradio's own progress text ("processing | 1.2s") is English whatever the language: the page says it itself */
.progress-text, .meta-text, .meta-text-center { display: none !important; }
#rows, #reports { container-type: inline-size; }
@container (max-width: 440px) {
  .fit-table thead { display: none; }
  .fit-table, .fit-table caption, .fit-table tbody, .fit-table tr, .fit-table td { display: block; width: 100%; box-sizing: border-box; }
  .fit-table tr { border: 1px solid #e5e7eb; border-radius: 8px; margin: 0 0 10px; padding: 6px 10px; background: #fff; }
  .fit-table td { border: 0 !important; padding: 2px 0 !important; min-width: 0 !important; white-space: normal !important; }
  .fit-table td::before { content: attr(data-label) "："; color: #6b7280; font-size: 0.85em; }
}
@media (max-width: 600px) {
  #viewer-dialog { width: 100vw; height: 100vh; max-height: 100vh; max-width: 100vw; border-radius: 0; }
  :is(#rows, #reports) .fit-table thead { display: none; }
  :is(#rows, #reports) .fit-table, :is(#rows, #reports) .fit-table caption, :is(#rows, #reports) .fit-table tbody, :is(#rows, #reports) .fit-table tr,
  :is(#rows, #reports) .fit-table td { display: block; width: 100%; box-sizing: border-box; }
  :is(#rows, #reports) .fit-table tr { border: 1px solid #e5e7eb; border-radius: 8px; margin: 0 0 10px; padding: 6px 10px; background: #fff; }
  :is(#rows, #reports) .fit-table td { border: 0; padding: 2px 0; min-width: 0; white-space: normal; }
  :is(#rows, #reports) .fit-table td::before { content: attr(data-label) "："; color: #6b7280; font-size: 0.85em; }
}
"""
# Copies a card's memo; the clipboard is unavailable on plain http or in some browsers, so the memo is
# also shown as selectable text and selected on failure.
COPY_JS = """
if (!element.dataset.copyBound) {
  element.dataset.copyBound = "1";
  element.addEventListener("click", (event) => {
    const button = event.target.closest("button.copy-memo");
    if (!button) return;
    const memo = button.dataset.memo;
    const select = () => {
      const box = button.parentElement.querySelector(".memo");
      const folded = box && box.closest("details");
      if (folded) folded.open = true;
      if (box) window.getSelection().selectAllChildren(box);
      button.textContent = "已选中，请按 Ctrl+C";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(memo).then(() => { button.textContent = "已复制"; }, select);
    } else {
      select();
    }
  });
}
"""
