"""Local tests: chat-doctor against real peers on this machine's loopback, nothing beyond it.

A local test may start servers on 127.0.0.0/8 or ::1 (the mock endpoint, tests/support's raw
servers, CONNECT proxy and TLS certificates), run the CLI in-process (CliRunner) or as the
installed `chat-doctor` script, and run small shell scripts or chat-doctor's own interpreter as
a probe target. It never needs another interpreter, a venv, pip or the network: only the test
venv. Marked `local` automatically.
"""
