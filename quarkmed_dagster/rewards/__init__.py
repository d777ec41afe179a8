"""Alignment rewards (MISSION stage 10): pure library, no Dagster.

- ``matrix`` — the alignment matrix (four categories -> dimensions -> sources);
- ``format_checks`` — verifiable programmatic format checks;
- ``vector`` — raw per-response reward vectors with attribution;
- ``normalization`` — Reference-Frozen Normalization and its frozen artifact store;
- ``weighting`` — Tri-Factor Adaptive Dynamic Weighting, aggregation, safety gates;
- ``scorer`` — RewardScorer tying them together; ``adapters`` — TRL / verl / OpenRLHF;
- ``service`` — the HTTP reward service; ``wiring`` — warehouse rubrics + gateway judges;
- ``diagnosis``, ``simulation``, ``plots`` — diagnosis marts, checkpoint simulation, plots.

Definitions: docs/rewards.md.
"""
