"""Language: words, places, periods and vocabulary, with no knowledge of any index.

Owns jieba segmentation (segmentation), the thesaurus of metric, field, section and unit names, China's
divisions and the places a text or question names (divisions, places), years and periods (periods), and
English → Chinese (crosslingual). The vocabulary files they read are in rag/data/*.tsv.

May import: the kernel (rag.types, rag.errors, rag.limits) only.
"""
