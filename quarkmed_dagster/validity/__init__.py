"""Validity: how far the instrument agrees with experts, beside trivial baselines.

Every figure is computed in one run next to the trivial baselines (answer length,
question-answer token overlap and embedding cosine, and for statement checks the
statement-answer overlap and cosines) and the human ceiling where there is one. Thresholds
of the baselines are fitted on a declared dev split and the figures are reported on the
other split; the instrument itself (the configured judges) is never fitted here.
"""
