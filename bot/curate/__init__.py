"""The curator's tools: check everything in one pass, add a document to the corpus, draft its brief.

No Discord here; the command line (``python -m bot check | add-document | draft``) is a thin adapter.
"""
