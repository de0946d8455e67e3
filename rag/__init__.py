"""报告问答 — ask questions over Chinese government reports, answered with verbatim cited quotes."""

from rag.errors import RagError
from rag.types import Answer, Chunk, Citation, Fact, Hit, Report, Row

__all__ = ["Answer", "Chunk", "Citation", "Fact", "Hit", "RagError", "Report", "Row"]
