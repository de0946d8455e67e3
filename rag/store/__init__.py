"""Store: the index on disk and in memory; its public operations are in rag.store.store.

Owns loading, adding, removing, restoring and correcting reports (store), the FORMAT 2 files
(layout: version folders of segments; segments: how they are made and merged; writer), the loaded Index
(index: chunks and facts as columns in tables, BM25 from postings in lexical, vectors in dense, the metric
vectors), which report a file is (identity), one writer at a time (lock), checks against the manifest
(integrity), version switching (versions), the kept source files (sources), the audit log (audit),
folders that cannot be written (writable), a server following the folder (live) and reports.csv
(corrections).

May import: rag.embedding, rag.documents, rag.language and the kernel.
"""
