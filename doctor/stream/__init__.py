"""The streamed chat smoke test: run a completion through the installed openai SDK, time it,
and judge the stream.

- `trace`: the plain, frozen record of one streamed request (`StreamTrace`) and its parts.
- `sdk`: the impure side: runs one streamed request under its budget (`budget`, enforced by
  `guard`) and records when each piece came off the wire; `client` builds the SDK client
  (openai 1.x, 2.x or 3.x; OpenAI or AzureOpenAI), `classify` turns the SDK's exceptions and
  `chunks` its chunk objects into plain data, `live` shows the reply as it streams.
- `figures`: pure functions from traces to metrics and the `smoke` summary; `problems`: what
  went wrong in one run; `stats`: percentiles.

Only `sdk` imports openai, and only inside functions: importing this package stays cheap.
"""
