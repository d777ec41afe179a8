"""Guards of the real-model path: the context window, per-role completion bounds, reasoning
tags, the JSON mode each server gets, and env-settable profiles (no network, except the
scripted local server of ``tests/llm/conftest.py`` where a test says so)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quarkmed_dagster.llm.config import Deployment, expand_env, load_profile
from quarkmed_dagster.llm.context import estimate_tokens, fit_request
from quarkmed_dagster.llm.structured import (
    InvalidOutput,
    is_refusal,
    json_mode,
    parse_output,
    response_format,
    strip_wrappers,
)
from quarkmed_dagster.llm.types import CallRequest, encode_payload, extract_payload
from quarkmed_dagster.settings import PROJECT_ROOT

MODELS = PROJECT_ROOT / "models.yaml"


def _request(
    passages: int, chars: int = 400, max_tokens: int | None = 100, point_chars: int = 40
) -> CallRequest:
    payload = {
        "point": "NSAIDs raise bleeding risk with warfarin".ljust(point_chars, "."),
        "evidence": [{"passage_id": f"p{i}", "text": "x" * chars} for i in range(passages)],
    }
    return CallRequest(
        role="verifiers",
        model="openai/tiny",
        messages=(
            {"role": "system", "content": "Check the point against the evidence."},
            {"role": "user", "content": f"Data:\n<data>{encode_payload(payload)}</data>"},
        ),
        prompt_version="verify@1",
        params={} if max_tokens is None else {"max_tokens": max_tokens},
    )


def _window(tokens: int) -> Deployment:
    return Deployment(model="openai/tiny", context_window=tokens, chars_per_token=3.0)


def test_a_prompt_that_fits_is_sent_unchanged_with_its_estimate():
    request = _request(passages=3)
    fitted = fit_request(request, _window(4096))
    assert fitted.messages == request.messages and fitted.cache_key == request.cache_key
    assert fitted.prompt_tokens_est == estimate_tokens(request.messages, 3.0)
    assert fitted.evidence_trimmed == 0 and not fitted.context_overflow


def test_evidence_is_trimmed_from_the_least_relevant_end_until_it_fits():
    request = _request(passages=8, chars=1200)  # ~3.3k tokens of evidence
    fitted = fit_request(request, _window(2048))
    kept = extract_payload(fitted.messages[-1]["content"])["evidence"]
    assert [p["passage_id"] for p in kept] == [f"p{i}" for i in range(len(kept))]
    assert 0 < len(kept) < 8 and fitted.evidence_trimmed == 8 - len(kept)
    assert fitted.prompt_tokens_est + 100 <= 2048
    assert not fitted.context_overflow
    # the instructions around the data block survive the rewrite
    assert fitted.messages[-1]["content"].startswith("Data:\n<data>")
    assert fitted.messages[0] == request.messages[0]


def test_a_prompt_that_cannot_fit_even_without_evidence_is_marked_never_sent():
    request = _request(passages=2, max_tokens=3000, point_chars=4000)
    fitted = fit_request(request, _window(4096))
    assert fitted.context_overflow and fitted.evidence_trimmed == 0


def test_no_window_configured_means_no_guard():
    request = _request(passages=50, chars=5000)
    assert fit_request(request, Deployment(model="openai/big")) is request


def test_the_estimate_over_counts_english_and_json():
    # SmolLM2's tokenizer takes ~4 characters per English token; 3.0 leaves a margin
    text = "Ibuprofen can increase the risk of bleeding when taken with warfarin. " * 20
    estimate = estimate_tokens(({"role": "user", "content": text},), 3.0)
    assert estimate >= len(text) / 4 * 1.2


def test_overflowing_request_is_a_null_with_its_reason_and_no_http_call(llm_server, make_gateway):
    gateway = make_gateway(context_window=512, max_tokens={"verifiers": 400})
    [result] = gateway.run([_request(passages=1, max_tokens=None, point_chars=600)])
    assert result.status == "failed" and result.parsed is None
    assert result.error_class == "ContextOverflow" and "context window 512" in result.error_message
    assert llm_server.requests == []


def test_role_max_tokens_is_sent_and_trimmed_evidence_is_sent(llm_server, make_gateway):
    gateway = make_gateway(context_window=1200, max_tokens={"verifiers": 64})
    request = _request(passages=6, chars=900, max_tokens=None)
    [result] = gateway.run([request])
    assert result.status == "ok"
    sent = llm_server.requests[0]
    assert sent["max_tokens"] == 64
    evidence = extract_payload(sent["messages"][-1]["content"])["evidence"]
    assert 0 < len(evidence) < 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<think>the user wants JSON</think>{"a": 1}', '{"a": 1}'),
        ("<think>long reasoning cut at max_tok", ""),
        ('reasoning whose opening tag was in the prompt</think>\n{"a": 1}', '{"a": 1}'),
        ('```json\n{"a": 1}\n```', '{"a": 1}'),
        ('<thinking>x</thinking>\n```\n{"a": 1}\n```', '{"a": 1}'),
    ],
)
def test_reasoning_tags_and_fences_are_stripped_before_parsing(text, expected):
    assert strip_wrappers(text) == expected


def test_an_unclosed_think_block_is_an_empty_reply_not_json():
    with pytest.raises(InvalidOutput, match="empty reply"):
        parse_output('<think>I should answer {"a": 1}', {"type": "object"})


def test_refusals_are_recognised():
    assert is_refusal("I'm sorry, but I can't help with that.", "stop", None)
    assert is_refusal(None, "content_filter", None)
    assert is_refusal("", "stop", "declined by policy")
    assert not is_refusal("Ibuprofen is an NSAID.", "stop", None)


SCHEMA = {"title": "Out", "type": "object", "properties": {"a": {"type": "integer"}}}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("json_schema", {"type": "json_schema", "json_schema": {"name": "Out", "schema": SCHEMA}}),
        ("json_object", {"type": "json_object"}),
        ("none", None),
    ],
)
def test_response_format_follows_the_configured_mode(mode, expected):
    assert response_format(Deployment(model="openai/x", json_mode=mode), SCHEMA) == expected


def test_auto_mode_of_baselines_and_of_unknown_servers():
    assert json_mode(Deployment(model="baseline/semantic-judge")) == "none"
    # litellm cannot know what serves an arbitrary name behind api_base: json_object
    assert json_mode(Deployment(model="openai/some-local-name")) == "json_object"
    assert json_mode(Deployment(model="openai/gpt-4o")) == "json_schema"
    with pytest.raises(ValueError, match="unknown json_mode"):
        json_mode(Deployment(model="openai/x", json_mode="grammar"))


def test_env_references_expand_with_defaults():
    env = {"QUARKMED_A": "1", "QUARKMED_EMPTY": ""}
    text = "a: ${QUARKMED_A:-9}\nb: ${QUARKMED_B:-two}\nc: ${QUARKMED_C}\nd: ${QUARKMED_EMPTY:-x}"
    assert expand_env(text, env) == "a: 1\nb: two\nc: \nd: x"


def test_local_profile_takes_server_model_mode_and_window_from_the_environment():
    env = {
        "QUARKMED_LOCAL_API_BASE": "http://127.0.0.1:18199/v1",
        "QUARKMED_LOCAL_MODEL": "smollm2-135m",
        "QUARKMED_LOCAL_JSON_MODE": "json_schema",
        "QUARKMED_LOCAL_CONTEXT_WINDOW": "4096",
    }
    local = load_profile(MODELS, "local", env)
    tiny = load_profile(MODELS, "tiny-local", env)
    for profile in (local, tiny):
        models = {m.model for role in ("generators", "judges", "candidates", "classifier",
                                       "aggregators", "verifiers", "rubric_writer",
                                       "equivalence") for m in profile.models(role)}  # fmt: skip
        assert models == {"openai/smollm2-135m"}
        deployment = profile.deployment("openai/smollm2-135m")
        assert deployment.api_base == "http://127.0.0.1:18199/v1"
        assert deployment.json_mode == "json_schema" and deployment.context_window == 4096
        assert deployment.no_api_key and deployment.max_tokens["judges"] > 0
    assert tiny.label == "tiny" and local.label is None


def test_local_profile_defaults_stay_the_vllm_server():
    local = load_profile(MODELS, "local", {})
    deployment = local.deployment("openai/Qwen/Qwen2.5-7B-Instruct")
    assert local.models("judges")[0].model == "openai/Qwen/Qwen2.5-7B-Instruct"
    assert deployment.api_base == "http://127.0.0.1:8000/v1"
    assert deployment.json_mode == "json_object" and deployment.context_window == 32768


def test_query_limit_keeps_the_first_valid_queries_and_counts_the_rest(tmp_path: Path):
    from quarkmed_dagster.ingest.pipeline import ingest_file

    source = PROJECT_ROOT / "data" / "sample" / "queries" / "kqa_sample.jsonl"
    lines = source.read_text("utf-8").split("\n")[:5]
    path = tmp_path / "kqa.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = ingest_file(path, "b1", max_queries=2)
    assert result.queries.height == 2 and result.beyond_limit == 3
    assert result.quarantine.height == 0
