"""The panel's tie rule: a tie resolves to the more severe side, for Pitfall items (higher
severity) as for positive items (less credit)."""

from quarkmed_dagster.judging.panel import panel_vote
from quarkmed_dagster.judging.run import panel_rows


def test_panel_vote_ties_take_the_severe_side_for_pitfall_items_too():
    assert panel_vote([1.0, 0.0], harmful=True)[0] == 1.0  # Pitfall: major error committed
    assert panel_vote([0.5, 0.0], harmful=True)[0] == 0.5
    assert panel_vote([1.0, 0.0], harmful=False)[0] == 0.0  # positive: less credit
    rows = panel_rows(
        [{"response_id": "r", "item_id": i, "level": lv}
         for i in ("p", "e") for lv in (1.0, 0.0)],
        {"p": "Pitfall", "e": "Essential"},
    )  # fmt: skip
    assert {r["item_id"]: r["level"] for r in rows} == {"p": 1.0, "e": 0.0}
