"""Question: a question → a Query, what every later stage works from.

Owns the Query itself (query), reading a question into it (parse, with the question words, thresholds and
metric read by asked), follow-ups merged with the previous Query (conversation), two questions in one
(parts) and questions with nothing to look for (content). What it needs of an index is a small protocol,
catalog.Catalog (a loaded Index is one), so it never imports the store.

May import: rag.documents, rag.language and the kernel (rag.types, rag.errors, rag.limits).
"""
