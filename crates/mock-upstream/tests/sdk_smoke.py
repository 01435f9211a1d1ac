"""Smoke test: the official openai and anthropic SDKs parse the mock upstream.

Usage: python sdk_smoke.py [BASE_URL [API_KEY]]
  BASE_URL  http://127.0.0.1:PORT (or env MOCK_UPSTREAM_URL)
  API_KEY   key the mock was started with (or env MOCK_UPSTREAM_KEY; default sk-mock)

Exits non-zero with a message on the first mismatch; prints "sdk smoke ok" last.
"""

import os
import sys

import anthropic
import openai

BENIGN = "The capital of France is Paris. It is known for the Eiffel Tower, the Louvre and its cafés."
PII_MARK = "jane.doe@example.com"
USER = [{"role": "user", "content": "What is the capital of France?"}]


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok  {what}")


def openai_checks(oa):
    r = oa.chat.completions.create(model="mock-gpt", messages=USER)
    check(r.choices[0].message.content == BENIGN, "chat non-stream content")
    check(r.choices[0].finish_reason == "stop" and r.usage.total_tokens > 0, "chat non-stream finish/usage")

    parts, usage = [], None
    stream = oa.chat.completions.create(
        model="mock-gpt", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        if chunk.usage:
            usage = chunk.usage
    check("".join(parts) == BENIGN, "chat stream deltas join to the reply")
    check(usage is not None and usage.completion_tokens > 0, "chat stream include_usage chunk")

    with oa.chat.completions.stream(model="mock-gpt", messages=USER) as s:
        final = s.get_final_completion()
    check(final.choices[0].message.content == BENIGN, "chat .stream() helper accumulates")

    msgs = [{"role": "user", "content": "weather? [[mock:reply=tool_call]]"}]
    r = oa.chat.completions.create(model="mock-gpt", messages=msgs)
    call = r.choices[0].message.tool_calls[0]
    check(
        call.function.name == "get_weather" and call.function.arguments == '{"city":"Paris"}',
        "chat tool_call non-stream",
    )
    with oa.chat.completions.stream(model="mock-gpt", messages=msgs) as s:
        final = s.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    check(call.function.arguments == '{"city":"Paris"}', "chat tool_call stream accumulates")

    r = oa.completions.create(model="mock-gpt", prompt="Say hi [[mock:reply=pii]]")
    check(PII_MARK in r.choices[0].text, "legacy completion")

    r = oa.responses.create(model="mock-gpt", input="What is the capital of France?")
    check(r.output_text == BENIGN and r.status == "completed", "responses non-stream output_text")
    check(r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens, "responses usage")

    deltas, kinds = [], []
    for ev in oa.responses.create(model="mock-gpt", input=USER, stream=True):
        kinds.append(ev.type)
        if ev.type == "response.output_text.delta":
            deltas.append(ev.delta)
    check("".join(deltas) == BENIGN, "responses stream deltas join to the reply")
    check(kinds[0] == "response.created" and kinds[-1] == "response.completed", "responses stream event order")

    with oa.responses.stream(model="mock-gpt", input="hi") as s:
        text = "".join(ev.delta for ev in s if ev.type == "response.output_text.delta")
        final = s.get_final_response()
    check(text == BENIGN and final.output_text == BENIGN, "responses .stream() helper accumulates")

    r = oa.responses.create(model="mock-gpt", input="[[mock:reply=tool_call]]")
    check(r.output[0].type == "function_call" and r.output[0].name == "get_weather", "responses function_call")

    e = oa.embeddings.create(model="mock-embedding", input=["alpha", "beta"])
    check(len(e.data) == 2 and all(len(d.embedding) == 8 for d in e.data), "embeddings (SDK base64 default)")
    e2 = oa.embeddings.create(model="mock-embedding", input="alpha", encoding_format="float")
    check(all(abs(a - b) < 1e-6 for a, b in zip(e.data[0].embedding, e2.data[0].embedding)), "embeddings float == base64")

    ids = [m.id for m in oa.models.list()]
    check(ids == ["mock-gpt", "mock-claude"], "models list")

    try:
        oa.chat.completions.create(model="mock-gpt", messages=[{"role": "user", "content": "[[mock:status=429]]"}])
        check(False, "status=429 raises")
    except openai.RateLimitError as err:
        check(err.status_code == 429, "status=429 raises RateLimitError")


def anthropic_checks(an):
    m = an.messages.create(model="mock-claude", max_tokens=64, messages=USER)
    check(m.content[0].type == "text" and m.content[0].text == BENIGN, "anthropic non-stream text")
    check(m.stop_reason == "end_turn" and m.usage.output_tokens > 0, "anthropic stop_reason/usage")

    with an.messages.stream(model="mock-claude", max_tokens=64, messages=USER) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    check(text == BENIGN, "anthropic messages.stream text_stream")
    check(final.content[0].text == BENIGN and final.stop_reason == "end_turn", "anthropic final message")

    events = [ev.type for ev in an.messages.create(model="mock-claude", max_tokens=64, messages=USER, stream=True)]
    check(events[0] == "message_start" and events[-1] == "message_stop", "anthropic raw stream events")

    msgs = [{"role": "user", "content": "weather? [[mock:reply=tool_call]]"}]
    m = an.messages.create(model="mock-claude", max_tokens=64, messages=msgs)
    check(m.content[0].type == "tool_use" and m.content[0].input == {"city": "Paris"}, "anthropic tool_use")
    with an.messages.stream(model="mock-claude", max_tokens=64, messages=msgs) as s:
        final = s.get_final_message()
    check(final.content[0].input == {"city": "Paris"}, "anthropic tool_use stream accumulates")

    try:
        an.messages.create(
            model="mock-claude", max_tokens=64, messages=[{"role": "user", "content": "[[mock:status=429]]"}]
        )
        check(False, "anthropic status=429 raises")
    except anthropic.RateLimitError as err:
        check(err.status_code == 429, "anthropic status=429 raises RateLimitError")


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MOCK_UPSTREAM_URL")
    if not base:
        sys.exit("usage: sdk_smoke.py BASE_URL [API_KEY]  (or set MOCK_UPSTREAM_URL)")
    base = base.rstrip("/")
    key = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MOCK_UPSTREAM_KEY", "sk-mock")
    print(f"openai {openai.__version__}, anthropic {anthropic.__version__}, mock at {base}")
    openai_checks(openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0, timeout=20))
    anthropic_checks(anthropic.Anthropic(base_url=base, api_key=key, max_retries=0, timeout=20))
    print("sdk smoke ok")


if __name__ == "__main__":
    main()
