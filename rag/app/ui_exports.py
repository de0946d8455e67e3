"""The chat's downloads, with links: the conversation as Word (each citation followed by its viewer link) and
the shown turn's table as CSV and Excel, written by rag/app/export.py into a fresh folder per answer."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from rag.app.export import new_folder, write_csv, write_docx, write_xlsx
from rag.app.ui_viewer import viewer_link
from rag.types import Answer

HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def site_base(request) -> str:
    """The chat's own address as the browser reached it (for links that leave the page), "" when unknown."""
    try:
        headers = request.headers
        host = headers.get("x-forwarded-host") or headers.get("host")
        proto = headers.get("x-forwarded-proto") or ("https" if str(getattr(request, "url", "")).startswith("https")
                                                     else "http")  # fmt: skip
    except Exception:  # no request (the API, a test): relative links
        return ""
    return f"{proto}://{host}/" if host else ""


def citation_link(base: str = ""):
    """Citation → its viewer address (absolute with `base`)."""
    return lambda c: viewer_link(c.doc, c.start, c.end, base)


def conversation_files(answers: list[Answer], shown: Answer | None, previous: str | None, base: str = "") -> dict:
    """{folder, docx, csv, xlsx}: the conversation as .docx (None without answers), the shown answer's table as
    .csv and .xlsx (None without a table), in a fresh folder (the previous one removed)."""
    folder = new_folder(previous)
    docx = write_docx(answers, folder) if answers else None
    if docx is not None:
        add_docx_links(docx, answers, citation_link(base))
    table = shown is not None and bool(shown.rows)
    return {"folder": str(folder), "docx": docx, "csv": write_csv(shown, folder) if table else None,
            "xlsx": write_xlsx(shown, folder) if table else None}  # fmt: skip


def add_docx_links(path: Path, answers: list[Answer], link) -> None:
    """After each citation line of the Word file (“[n] 《…》…：“…””), the link to it in the viewer."""
    doc = Document(path)
    wanted = [(f"[{c.n}] {c.memo}", c) for a in answers for c in a.citations]
    at = 0
    for paragraph in doc.paragraphs:
        if at < len(wanted) and paragraph.text == wanted[at][0]:
            _append_link(paragraph, "  查看原文", link(wanted[at][1]))
            at += 1
    doc.save(path)


def _append_link(paragraph, text: str, url: str) -> None:
    rid = paragraph.part.relate_to(url, HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    for tag, value in (("w:color", "1D4ED8"), ("w:u", "single")):
        el = OxmlElement(tag)
        el.set(qn("w:val"), value)
        props.append(el)
    run.append(props)
    words = OxmlElement("w:t")
    words.text = text
    words.set(qn("xml:space"), "preserve")
    run.append(words)
    link.append(run)
    paragraph._p.append(link)

