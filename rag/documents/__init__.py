"""Documents: a report file → its text, metadata, section tree, chunks and figures.

Owns reading files (ingest: txt/md/html/docx/pdf, web litter removed), the metadata read from the text
(title, region, level, year, kind), the heading tree and chunks with their offsets (sections), and the
figures extracted from them (facts, with binding: which clause a figure belongs to).

May import: rag.language and the kernel (rag.types, rag.errors, rag.limits).
"""
