"""The local OpenAI-compatible endpoint behind `chat-doctor mock-server` (stdlib only).

Import from the submodules: `doctor.mock.server` (MockServer, MockOptions) and
`doctor.mock.scenarios` (SCENARIOS, DEFAULT_MODELS). This package imports nothing itself so that
`import doctor.mock.scenarios` stays cheap.
"""
