"""Question: a question → a Query, what every later stage works from.

Owns the Query and reading a question into it (query, with the question words, metric and threshold
read by asked), follow-ups against the previous Query (conversation), two questions in one (parts) and
questions with nothing to look for (content).

May import: rag.store (for the index's regions and words), rag.documents, rag.language and the kernel.
"""
