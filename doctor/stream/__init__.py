"""The streamed chat smoke test: run a completion through the installed openai SDK, time it,
and judge the stream.

- `trace`: the plain, frozen record of one streamed request (`StreamTrace`) and its parts.
- `sdk`: the impure side: builds an SDK client (openai 1.x, 2.x or 3.x; OpenAI or AzureOpenAI),
  runs one streamed request and records when each piece came off the wire.
- `analysis`: pure functions from traces to metrics, diagnoses and the `smoke` summary.
- `stats`: percentiles.

Only `sdk` imports openai, and only inside functions: importing this package stays cheap.
"""
