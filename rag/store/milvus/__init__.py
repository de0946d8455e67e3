"""The Milvus store: an index kept in Milvus, embedded (Milvus Lite, `milvus:./file.db`) or on a server
(`milvus://host:19530`), behind the same Store interface as a folder (rag/store/backend.py).

Owns where a Milvus index is (location: parsed without importing pymilvus), its collections and their rows
(collections: the schemas, the writers' lock; rows: a loaded Index's segment to rows and back) and the store
itself (store: load, check, write). Loading builds the same in-memory Index a folder loads, BM25 from the
same jieba tokens by the same arithmetic (rag/store/lexical.py), so answers are the same.

Needs the optional extra `pip install 'rag-reports[milvus]'` (pymilvus, milvus-lite); nothing else in rag
imports this package except `open_store`, when asked for a Milvus location.
May import: the rest of rag.store, rag.embedding, rag.documents, rag.language and the kernel.
"""
