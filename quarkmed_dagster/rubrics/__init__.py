"""Rubric generation by multi-model consensus (MISSION.md stage 3), free of Dagster.

Flow: ``rounds`` (candidate answers -> knowledge points -> ``consensus`` clusters ->
``verification``) -> ``pipeline`` (closed loop, writing, repair, review) -> ``frames`` /
``store`` (warehouse rows). ``incremental`` plans what a run redoes; ``reverify`` re-checks
a current rubric against changed evidence (the ``reverify`` refresh policy).
``stage.run_rubric_stage`` ties them to the warehouse; ``coverage`` measures agreement with
physician-written criteria.
"""
