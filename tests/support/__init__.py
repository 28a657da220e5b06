"""What tests share and never collect: running the CLI, loopback peers, certificates, venvs.

`helpers` runs chat-doctor (in-process and as a process) and holds the canary key;
`mock_helpers` talks to the mock endpoint at the wire level; `connect_proxy`, `raw_server` and
`tls_certs` are real loopback peers and certificates; `venvs` finds interpreters and builds
cached virtual environments.
"""
