"""Candidate answers: ask every (query, model), read each reply, re-ask once when unusable.

Candidates are asked for ``{"answer": str}`` but free text is accepted as the answer (a
model under evaluation may ignore the format; what it said is what is graded). A reply is
read after removing reasoning blocks (``<think>...</think>``) and one surrounding Markdown
code fence (``llm.structured.strip_wrappers``); JSON fenced inside prose counts too. Then:

- a JSON object with a non-empty string ``answer`` -> that string (status ``ok``);
- a JSON string -> that string; text that is not JSON -> the text itself (``ok``);
- ``{"answer": null}`` -> the model declined (the offline demo candidates do so when the
  query has no reference answer): NULL text, status ``no_answer``, not re-asked;
- an empty reply, JSON without an ``answer`` string, or broken JSON -> unusable: re-asked
  once (the judges' re-ask message, ``llm.structured.REASK``); still unusable ->
  NULL text, status ``unparseable``.

A call that fails (after the gateway's retries, or over the run's budget), the re-ask
included, is NULL text with status ``failed``. A NULL response is a missing value: never
judged, never scored as "not met".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from quarkmed_dagster.llm.structured import reask_messages, strip_wrappers
from quarkmed_dagster.llm.types import CallRequest, CallResult, Gateway
from quarkmed_dagster.responses.requests import candidate_request, response_id

_FENCED = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Reading:
    """What a reply says: the answer, or the problem that makes it unusable (re-ask)."""

    answer: str | None = None
    problem: str | None = None
    declined: bool = False


def read_answer(text: str | None) -> Reading:
    cleaned = strip_wrappers(text or "")
    if not cleaned:
        return Reading(problem="empty reply")
    try:
        value: Any = json.loads(cleaned)
    except ValueError:
        fenced = _fenced_json(cleaned)
        if fenced is not None:
            return _from_json(fenced)
        if cleaned[0] in "{[":
            return Reading(problem='not valid JSON; expected {"answer": str}')
        return Reading(answer=cleaned)  # free text is the answer
    return _from_json(value)


def _fenced_json(text: str) -> Any | None:
    """The JSON object of the one fenced block in prose ("Here is my answer: ```json...```")."""
    blocks = _FENCED.findall(text)
    if len(blocks) != 1:
        return None
    try:
        value = json.loads(blocks[0])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _from_json(value: Any) -> Reading:
    if isinstance(value, str):
        return Reading(answer=value.strip()) if value.strip() else Reading(problem="empty answer")
    if not isinstance(value, dict) or "answer" not in value:
        return Reading(problem='JSON without an "answer" string; expected {"answer": str}')
    answer = value["answer"]
    if answer is None:
        return Reading(declined=True)
    if isinstance(answer, str) and answer.strip():
        return Reading(answer=answer.strip())
    return Reading(problem='"answer" is not a non-empty string')


@dataclass(frozen=True)
class Answered:
    """One candidate's outcome: the text (None = missing), its status, the call it came from
    and whether it took a re-ask."""

    text: str | None
    status: str
    call_key: str
    reasked: bool = False


def _outcome(request: CallRequest, result: CallResult, reasked: bool) -> tuple[Answered, Reading]:
    if result.status not in ("ok", "cached"):
        return Answered(None, "failed", request.cache_key, reasked), Reading()
    reading = read_answer(result.text)
    if reading.answer is not None:
        return Answered(reading.answer, "ok", request.cache_key, reasked), reading
    status = "no_answer" if reading.declined else "unparseable"
    return Answered(None, status, request.cache_key, reasked), reading


def ask_candidates(gateway: Gateway, requests: list[CallRequest]) -> list[Answered]:
    """One ``Answered`` per request, in order; an unusable reply is re-asked once."""
    results = gateway.run(requests) if requests else []
    outcomes = [_outcome(q, r, False) for q, r in zip(requests, results, strict=True)]
    again = [i for i, (_, reading) in enumerate(outcomes) if reading.problem is not None]
    reasks = [
        replace(
            requests[i],
            messages=reask_messages(
                requests[i].messages, results[i].text, str(outcomes[i][1].problem)
            ),
            reask=True,
        )
        for i in again
    ]
    answered = [outcome for outcome, _ in outcomes]
    for i, request, result in zip(again, reasks, gateway.run(reasks) if reasks else [],
                                  strict=True):  # fmt: skip
        answered[i] = _outcome(request, result, True)[0]
    return answered


def candidate_rows(
    gateway: Gateway,
    queries: list[tuple[str, Any]],
    models: list[str],
    reference_by_query: dict[str, str],
) -> list[dict[str, Any]]:
    """candidate_responses rows: every (query_id, turns) of ``queries`` x every model."""
    plan = [(q, t, m) for q, t in queries for m in models]
    requests = [candidate_request(m, t, reference_by_query.get(q)) for q, t, m in plan]
    return [
        {
            "response_id": response_id(q, m),
            "query_id": q,
            "candidate_model": m,
            "is_baseline": m.startswith("baseline/"),
            "response_text": answered.text,
            # never "cached": a result row must not depend on where the answer came from
            "status": answered.status,
            "call_key": answered.call_key,
        }
        for (q, _, m), answered in zip(plan, ask_candidates(gateway, requests), strict=True)
    ]
