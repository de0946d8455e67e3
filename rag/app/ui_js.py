"""The chat page's script (given to `launch(head=…)`): the conversations kept in the browser, the report viewer
dialog, scrolling to a new answer, and Gradio's own labels in Chinese.

- Conversations live in localStorage (`rag.conversations.v1`), never on the server: the server sends the
  current one after each answer (the hidden #conv-saved box → `rag.sync`), the list (#conversations) opens,
  renames and deletes them; opening one sends it back to the server (`rag.request` → the hidden #conv-run).
  Titles are set with textContent: nothing stored is ever parsed as HTML.
- A link to the viewer (`report?doc=…`: a citation [n], a source, a report in the list) opens in a dialog
  over the chat; the dialog links the same address for a new tab.
- After an answer, the chat scrolls to the answer's first line (#conv-answered → `rag.showAnswer`), on a phone
  the page too; 「数字对比」 links scroll to the numbers.
- Gradio's own words (upload box, status) follow its zh-CN locale whatever the browser's language.
"""

from __future__ import annotations

SCRIPT = r"""
(() => {
  if (window.rag) return;
  const KEY = "rag.conversations.v1", CURRENT = "rag.current", MAX = 50;
  const rag = (window.rag = {});
  const $ = (selector) => document.querySelector(selector);

  // ------------------------------------------------------------ Gradio in Chinese
  const chinese = async (tries = 0) => {
    const core = performance.getEntriesByType("resource").map((e) => e.name)
      .find((n) => /\/assets\/core-[\w-]+\.js$/.test(n));
    if (!core) { if (tries < 40) setTimeout(() => chinese(tries + 1), 250); return; }
    try { const m = await import(core); if (m.changeLocale) m.changeLocale("zh-CN"); } catch (e) { /* English stays */ }
  };
  chinese();
  // the chat's icon tooltips that Gradio leaves in English in every language
  const WORDS = { "Copy message": "复制这条消息", "Copied message": "已复制", "Copy": "复制", "Copied": "已复制",
    "Scroll down": "回到底部", "Scroll to bottom": "回到底部", "Clear": "清空", "Download": "下载" };
  let pending = false;
  const translate = () => {
    pending = false;
    document.querySelectorAll("#chat [title], #chat [aria-label], #export [title], #export [aria-label]").forEach((el) => {
      for (const name of ["title", "aria-label"]) {
        const v = el.getAttribute(name);
        if (v && WORDS[v]) el.setAttribute(name, WORDS[v]);
      }
    });
  };
  new MutationObserver(() => { if (!pending) { pending = true; requestAnimationFrame(translate); } })
    .observe(document.documentElement, { subtree: true, childList: true });

  // ------------------------------------------------------------ conversations in localStorage
  rag.all = () => {
    try {
      const v = JSON.parse(localStorage.getItem(KEY) || "{}");
      return v && typeof v.items === "object" && v.items ? v : { items: {} };
    } catch (e) { return { items: {} }; }
  };
  rag.write = (store) => {
    for (;;) {
      try { localStorage.setItem(KEY, JSON.stringify(store)); return true; } catch (e) {
        const ids = Object.keys(store.items).sort((a, b) => (store.items[a].updated || 0) - (store.items[b].updated || 0));
        if (ids.length <= 1) return false;  // full: the oldest conversations go first
        delete store.items[ids[0]];
      }
    }
  };
  rag.currentId = localStorage.getItem(CURRENT);
  rag.setCurrent = (id) => {
    rag.currentId = id || null;
    if (id) localStorage.setItem(CURRENT, id); else localStorage.removeItem(CURRENT);
  };
  rag.sorted = () => Object.values(rag.all().items).sort((a, b) => (b.updated || 0) - (a.updated || 0));
  rag.sync = (text) => {
    let msg;
    try { msg = JSON.parse(text || "{}"); } catch (e) { return; }
    const store = rag.all();
    (msg.forget || []).forEach((id) => { delete store.items[id]; });
    const c = msg.conversation;
    if (c && c.id && Array.isArray(c.turns) && c.turns.length) {
      const old = store.items[c.id];
      if (old && old.renamed) { c.title = old.title; c.renamed = true; }
      store.items[c.id] = c;
      const ids = Object.keys(store.items).sort((a, b) => (store.items[b].updated || 0) - (store.items[a].updated || 0));
      ids.slice(MAX).forEach((id) => { delete store.items[id]; });
    }
    rag.write(store);
    if (msg.current) rag.setCurrent(msg.current);
    rag.render();
  };
  rag.request = (op) => {
    window.ragRequest = JSON.stringify(op);
    const run = $("#conv-run");
    if (run) (run.tagName === "BUTTON" ? run : run.querySelector("button") || run).click();
  };
  const narrow = () => window.innerWidth < 900;  // the list covers the chat: out of the way once used
  rag.open = (id, keepList) => {
    const c = rag.all().items[id];
    if (!c) return;
    rag.setCurrent(id);
    rag.request({ op: "open", conversation: c });
    rag.render();
    if (!keepList && narrow()) rag.showList(false);
  };
  rag.create = () => { rag.setCurrent(null); rag.request({ op: "new" }); rag.render(); if (narrow()) rag.showList(false); };
  rag.rename = (id, title) => {
    const store = rag.all(), c = store.items[id];
    title = (title || "").trim().slice(0, 80);
    if (!c || !title) return;
    c.title = title; c.renamed = true;
    rag.write(store);
    rag.render();
  };
  rag.remove = (id) => {
    const store = rag.all();
    delete store.items[id];
    rag.write(store);
    if (id === rag.currentId) rag.create(); else rag.render();
  };
  const button = (text, cls, onClick) => {
    const b = document.createElement("button");
    b.type = "button"; b.className = cls; b.textContent = text;
    b.addEventListener("click", (ev) => { ev.preventDefault(); onClick(b, ev); });
    return b;
  };
  rag.render = () => {
    const box = $("#conversations .conv-list");
    if (!box) return;
    box.replaceChildren();
    const items = rag.sorted();
    document.querySelectorAll(".conv-count").forEach((el) => { el.textContent = items.length ? `（${items.length}）` : ""; });
    if (!items.length) {
      const empty = document.createElement("div");
      empty.className = "conv-empty";
      empty.textContent = "还没有保存的对话。提问后，对话自动保存在这个浏览器里（不存到服务器）。";
      box.appendChild(empty);
      return;
    }
    for (const c of items) {
      const row = document.createElement("div");
      row.className = "conv-item" + (c.id === rag.currentId ? " current" : "");
      row.dataset.id = c.id;
      const open = button(c.title || "（未命名对话）", "conv-open", () => rag.open(c.id));
      open.title = "打开这个对话";
      const meta = document.createElement("span");
      meta.className = "conv-meta";
      const when = new Date((c.updated || c.created || 0) * 1000);
      meta.textContent = `${(c.turns || []).length} 问 · ${when.getMonth() + 1}月${when.getDate()}日 ${String(when.getHours()).padStart(2, "0")}:${String(when.getMinutes()).padStart(2, "0")}`;
      const rename = button("重命名", "conv-rename", () => {
        const input = document.createElement("input");
        input.className = "conv-name"; input.value = c.title || ""; input.maxLength = 80;
        input.setAttribute("aria-label", "对话名称");
        let done = false;
        const finish = (keep) => { if (done) return; done = true; if (keep) rag.rename(c.id, input.value); else rag.render(); };
        input.addEventListener("keydown", (ev) => {
          if (ev.key === "Enter") { ev.preventDefault(); finish(true); }
          if (ev.key === "Escape") { ev.preventDefault(); finish(false); }
        });
        input.addEventListener("blur", () => finish(true));
        open.replaceWith(input);
        input.focus(); input.select();
      });
      const remove = button("删除", "conv-delete", (b) => {
        if (b.dataset.armed) { rag.remove(c.id); return; }
        b.dataset.armed = "1"; b.textContent = "确认删除";
        setTimeout(() => { if (b.isConnected) { delete b.dataset.armed; b.textContent = "删除"; } }, 4000);
      });
      const tools = document.createElement("span");
      tools.className = "conv-tools";
      tools.append(rename, remove);
      row.append(open, meta, tools);
      box.appendChild(row);
    }
  };
  rag.showList = (open) => {
    const side = $("#sidebar"), toggle = side && side.querySelector(".toggle-button");
    if (toggle && side.classList.contains("open") !== open) toggle.click();
  };
  document.addEventListener("click", (ev) => {
    if (ev.target.closest && ev.target.closest(".open-conversations")) rag.showList(true);
  });
  rag.start = () => {
    const add = $("#conversations .conv-new");
    if (add && !add.dataset.bound) { add.dataset.bound = "1"; add.addEventListener("click", () => rag.create()); }
    rag.render();
    if (rag.currentId && rag.all().items[rag.currentId]) rag.open(rag.currentId, true);
  };

  // ------------------------------------------------------------ the report viewer, in a dialog
  rag.viewer = (href) => {
    let d = document.getElementById("viewer-dialog");
    if (!d) {
      d = document.createElement("dialog");
      d.id = "viewer-dialog";
      const bar = document.createElement("div");
      bar.className = "viewer-bar";
      const title = document.createElement("b"); title.textContent = "报告原文";
      const tab = document.createElement("a"); tab.className = "viewer-tab"; tab.target = "_blank"; tab.rel = "noopener";
      tab.textContent = "新标签页打开";
      const copy = button("复制链接", "viewer-copy", (b) => {
        const url = d.dataset.url;
        const said = () => { b.textContent = "已复制"; };
        if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).then(said, () => window.prompt("链接：", url));
        else window.prompt("链接：", url);
      });
      const close = button("关闭", "viewer-close", () => d.close());
      bar.append(title, tab, copy, close);
      const frame = document.createElement("iframe");
      frame.title = "报告原文";
      d.append(bar, frame);
      d.addEventListener("click", (ev) => { if (ev.target === d) d.close(); });
      document.body.appendChild(d);
    }
    const url = new URL(href, document.baseURI).href;
    d.dataset.url = url;
    d.querySelector(".viewer-tab").href = url;
    d.querySelector(".viewer-copy").textContent = "复制链接";
    d.querySelector("iframe").src = url;
    if (!d.open) d.showModal();
  };
  document.addEventListener("click", (ev) => {
    const a = ev.target.closest ? ev.target.closest("a[href]") : null;
    if (!a || a.closest("#viewer-dialog")) return;
    const href = a.getAttribute("href") || "";
    if (/^(\.\/)?report\?/.test(href)) {
      ev.preventDefault(); ev.stopPropagation();
      rag.viewer(href);
    } else if (href === "#numbers") {
      ev.preventDefault();
      setTimeout(() => { const n = $("#numbers"); if (n) n.scrollIntoView({ block: "start" }); }, 150);
    }
  }, true);

  // ------------------------------------------------------------ the new answer's first line in view
  rag.showAnswer = (marker) => {
    const i = parseInt(String(marker || "").split(":")[0], 10);
    if (isNaN(i)) return;
    rag.shown = marker;
    const attempt = (n) => {
      const messages = document.querySelectorAll('#chat [data-testid="user"], #chat [data-testid="bot"]');
      const m = messages[i];
      if (!m || /正在查找答案|排队中/.test(m.textContent)) { if (n < 40) setTimeout(() => attempt(n + 1), 50); return; }
      let box = m.parentElement;
      while (box && box !== document.body) {
        const s = getComputedStyle(box).overflowY;
        if ((s === "auto" || s === "scroll") && box.scrollHeight > box.clientHeight) break;
        box = box.parentElement;
      }
      if (box && box !== document.body) box.scrollTop += m.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
      const top = m.getBoundingClientRect().top;
      if (top < 0 || top > window.innerHeight - 120) window.scrollBy(0, top - 12);
    };
    requestAnimationFrame(() => attempt(0));
  };
})();
"""
HEAD = f"<script>{SCRIPT}</script>"
