"""App: what people use — the `rag` command (cli, its commands, batch), the Gradio chat (ui and its ui_* parts,
render, charts, theme, uploads), the memo and table exports (export) and the evaluation (evaluate).

May import: everything below it (rag.answer, rag.retrieval, rag.question, rag.store, …); nothing imports it.
"""
