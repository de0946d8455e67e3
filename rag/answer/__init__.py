"""Answer: a Query and its hits → an Answer with verbatim quotes and citations.

Owns the lookup, summary, index and not-found answers (answer), comparisons and series over every
report's facts (compare), a fact's metric against the asked one (match), whether a lookup is answered at
all (support), and the pieces they are composed of: citations, sources, figures as written (compose).

May import: rag.retrieval, rag.question, rag.store, rag.embedding, rag.documents, rag.language and the kernel.
"""
