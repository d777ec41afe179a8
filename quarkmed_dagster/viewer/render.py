"""Static HTML pages of the per-sample viewer: an index of every (query, model) response,
filterable by model and category, and one page per query (conversation, evidence with
sources, rubric items, each model's response with every judge's verdict per item and the
final score). Self-contained: inline CSS and JS, no network. Every text is escaped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import urlencode

from quarkmed_dagster.viewer.samples import ItemOutcome, Response, RubricItem, Sample

CSS = (
    "body{font-family:sans-serif;max-width:1100px;margin:1.5em auto;color:#222;padding:0 1em}"
    "h2{border-bottom:1px solid #ccc;margin-top:1.6em}table{border-collapse:collapse;"
    "font-size:13px}td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top;"
    "text-align:left}.filters{background:#f4f4f4;padding:.6em;border-radius:4px}"
    ".turn{border-left:4px solid #888;padding:.2em .8em;margin:.5em 0;white-space:pre-wrap}"
    ".turn-user{border-color:#1f77b4}.turn-assistant{border-color:#2ca02c}"
    ".text{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:.6em}"
    ".response{border:1px solid #ccc;border-radius:4px;padding:.4em 1em;margin:1em 0}"
    ".score{font-size:1.2em;font-weight:bold}.missing{color:#888}.tier-Pitfall{color:#b00}"
    ".passage{margin:.6em 0}.meta{color:#555;font-size:12px}[hidden]{display:none!important}"
)
# Filters every element carrying data-model / data-category by the page's selects; the
# initial values come from the URL (?model=...&category=...), so links can pre-filter.
# Sets data-viewer-ready and data-visible (elements shown) on <body> for browser checks.
FILTER_JS = (
    "(function(){var sel=document.querySelectorAll('select[data-filter]');"
    "var items=document.querySelectorAll('.filterable');"
    "function apply(){var want={};sel.forEach(function(s){want[s.dataset.filter]=s.value;});"
    "var shown=0;items.forEach(function(e){var ok=Object.keys(want).every(function(k){"
    "return want[k]===''||e.getAttribute('data-'+k)===want[k];});e.hidden=!ok;if(ok){shown++;}});"
    "document.body.setAttribute('data-visible',String(shown));}"
    "var params=new URLSearchParams(window.location.search);"
    "sel.forEach(function(s){var v=params.get(s.dataset.filter);"
    "if(v!==null&&Array.prototype.some.call(s.options,function(o){return o.value===v;})){"
    "s.value=v;}s.addEventListener('change',apply);});"
    "apply();document.body.setAttribute('data-viewer-ready','1');})();"
)
INDEX = "index.html"


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: float | None, digits: int = 3) -> str:
    return '<span class="missing">missing</span>' if value is None else f"{value:.{digits}f}"


def sample_link(page: str, model: str | None = None) -> str:
    """Relative link to a sample page, pre-filtered to ``model`` when given."""
    return page + (f"?{urlencode({'model': model})}" if model else "")


def _page(title: str, body: Iterable[str]) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>{''.join(body)}"
        f"<script>{FILTER_JS}</script></body></html>"
    )


def _select(name: str, label: str, values: Sequence[tuple[str, str]]) -> str:
    options = "".join(f'<option value="{_e(v)}">{_e(text)}</option>' for v, text in values)
    return (
        f'<label>{_e(label)} <select id="{name}-filter" data-filter="{name}">'
        f'<option value="">all</option>{options}</select></label> '
    )


def _models(responses: Iterable[Response]) -> list[tuple[str, str]]:
    return sorted({(r.model, r.label) for r in responses})


def index_page(samples: Sequence[Sample], report: str | None = None) -> str:
    """Every (query, model) response as a row, filterable by model and category."""
    responses = [r for s in samples for r in s.responses]
    categories = sorted({s.category for s in samples})
    rows = []
    for s in samples:
        question = s.turns[-1]["content"] if s.turns else ""
        for r in s.responses:
            rows.append(
                f'<tr class="filterable sample-row" data-model="{_e(r.model)}" '
                f'data-category="{_e(s.category)}">'
                f'<td><a href="{_e(sample_link(s.page, r.model))}">{_e(s.query_id)}</a></td>'
                f"<td>{_e(s.category)}</td><td>{_e(r.label)}</td><td>{_e(r.status)}</td>"
                f"<td>{_num(r.score)}</td><td>{_e(question[:140])}</td></tr>"
            )
    back = f'<p><a href="{_e(report)}">Back to the report</a></p>' if report else ""
    return _page(
        "QuarkMed samples",
        [
            "<h1>QuarkMed samples</h1>",
            back,
            f"<p>{len(samples)} queries with a current rubric, {len(responses)} responses. "
            "Open a query to see its conversation, evidence, rubric and every judge's "
            "verdict.</p>",
            '<div class="filters">',
            _select("model", "Model", _models(responses)),
            _select("category", "Category", [(c, c) for c in categories]),
            "</div>",
            '<table id="samples"><tr><th>query</th><th>category</th><th>model</th>'
            "<th>status</th><th>score</th><th>question</th></tr>",
            *rows,
            "</table>",
        ],
    )


def _conversation(sample: Sample) -> str:
    turns = "".join(
        f'<div class="turn turn-{_e(t["role"])}"><b>{_e(t["role"])}</b>\n{_e(t["content"])}</div>'
        for t in sample.turns
    )
    return f'<h2>Conversation</h2><div id="conversation">{turns}</div>'


def _evidence(sample: Sample) -> str:
    if not sample.evidence:
        return '<h2>Evidence</h2><p class="missing">No evidence passages.</p>'
    parts = []
    for p in sample.evidence:
        where = " · ".join(_e(v) for v in (p.source, p.license, p.url) if v)
        parts.append(  # collapsed: the titles and sources fit on one screen
            f'<li class="passage" id="passage-{_e(p.passage_id)}"><details><summary><b>'
            f'{_e(p.title or p.passage_id)}</b> <span class="meta">[{_e(p.passage_id)}] {where}'
            f" · retrieval score {_num(p.score)}</span></summary>"
            f'<div class="text">{_e(p.text)}</div></details></li>'
        )
    return f'<h2>Evidence</h2><ol id="evidence">{"".join(parts)}</ol>'


def _rubric(sample: Sample) -> str:
    rows = "".join(
        f'<tr class="rubric-item tier-{_e(i.tier)}"><td>{_e(i.tier)}</td><td>{_e(i.title)}</td>'
        f"<td>{_e(i.description)}</td><td>{_e(i.tag)}</td><td>{i.weight:g}</td>"
        f"<td>{i.support_count} ({i.support_ratio:.2f})</td><td>{_e(i.verification)}</td>"
        f"<td>{_e(', '.join(i.evidence_passage_ids))}</td></tr>"
        for i in sample.items
    )
    return (
        f"<h2>Rubric ({len(sample.items)} items, set {_e(sample.rubric_set_version)})</h2>"
        '<table id="rubric"><tr><th>tier</th><th>item</th><th>description</th><th>tag</th>'
        "<th>weight</th><th>support (generators, ratio)</th><th>verification</th>"
        f"<th>evidence</th></tr>{rows}</table>"
    )


def _level(level: float | None, severity: str | None) -> str:
    return _num(level, 2) + (f" ({_e(severity)})" if severity else "")


def _verdict_rows(item: RubricItem, outcome: ItemOutcome | None) -> str:
    name = f'<span class="tier-{_e(item.tier)}">{_e(item.tier)}</span>: {_e(item.title)}'
    if outcome is None:
        missing = '<td colspan="4" class="missing">not judged</td>'
        return f'<tr class="verdict"><td>{name}</td>{missing}</tr>'
    judges = outcome.judges or [None]
    rows = []
    for n, j in enumerate(judges):
        first = (
            f'<td rowspan="{len(judges)}">{name}</td>'
            f'<td rowspan="{len(judges)}">{_num(outcome.level, 2)} '
            f'<span class="meta">agreement {_num(outcome.agreement, 2)}</span></td>'
            if n == 0
            else ""
        )
        judge = (
            '<td colspan="3" class="missing">no judge verdict stored</td>'
            if j is None
            else f"<td>{_e(j.judge_model)}</td><td>{_level(j.level, j.pitfall_severity)} "
            f'<span class="meta">{_e(j.status)}</span></td>'
            f'<td class="rationale">{_e(j.rationale)}</td>'
        )
        rows.append(f'<tr class="verdict">{first}{judge}</tr>')
    return "".join(rows)


def _response(sample: Sample, r: Response) -> str:
    dims = ", ".join(f"{d}: {_num(v)}" for d, v in r.dimensions.items())
    verdicts = "".join(_verdict_rows(i, r.items.get(i.item_id)) for i in sample.items)
    return (
        f'<section class="filterable response" data-model="{_e(r.model)}" '
        f'id="response-{_e(r.response_id)}"><h3>{_e(r.label)}</h3>'
        f'<p>Final score: <span class="score">{_num(r.score)}</span> '
        f'<span class="meta">coverage {_num(r.coverage, 2)}; {dims}; status {_e(r.status)}'
        f"{'; truncated' if r.truncated else ''}</span></p>"
        f'<div class="text response-text">{_e(r.text) or "<i>(no response text)</i>"}</div>'
        '<table class="verdicts"><tr><th>rubric item</th><th>panel level</th><th>judge</th>'
        f"<th>verdict</th><th>rationale</th></tr>{verdicts}</table></section>"
    )


def sample_page(sample: Sample) -> str:
    """One query: conversation, evidence, rubric, and each model's graded response."""
    return _page(
        f"QuarkMed sample {sample.query_id}",
        [
            f'<p><a href="{INDEX}">All samples</a></p>',
            f"<h1>Query {_e(sample.query_id)}</h1>",
            f'<p class="meta">category {_e(sample.category)} · difficulty '
            f"{_e(sample.difficulty)} · source {_e(sample.source)}</p>",
            _conversation(sample),
            _evidence(sample),
            _rubric(sample),
            f"<h2>Responses ({len(sample.responses)})</h2>",
            '<div class="filters">',
            _select("model", "Model", _models(sample.responses)),
            "</div>",
            *(_response(sample, r) for r in sample.responses),
        ],
    )
