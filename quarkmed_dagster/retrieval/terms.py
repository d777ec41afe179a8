"""Query terms shared by both backends and by query formulation."""

from __future__ import annotations

import re

_TERM = re.compile(r"\w+", re.UNICODE)
# Function words carry no topic; dropping them from queries (not from the index) keeps
# BM25 from ranking passages by "what", "my" and "do". Same list for both backends.
_STOPWORD_TEXT = """
    a about above after again all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself hi hello thanks thank
    please know tell get got im ive dont"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def query_terms(text: str) -> str:
    """Plain lowercase content terms: user text never reaches the query parser's syntax."""
    terms = _TERM.findall(text.lower())
    content = [t for t in terms if t not in STOPWORDS]
    return " ".join(content or terms)
