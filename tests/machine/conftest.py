"""Machine tests: what only this machine's interpreters can show.

A machine test runs real Pythons other than chat-doctor's own (pyenv's 2.7-3.13, found through
`$PYENV_ROOT`, `pyenv root` or `pythonX.Y` on PATH by tests/support/venvs.py), builds real venvs
or runs pip, or runs real third-party libraries in their own interpreter to compare with
chat-doctor's emulation. A missing interpreter skips the test with the reason, never fails it.
Tests that build venvs or install packages are also marked `slow` (downloads are cached under
`$CHAT_DOCTOR_TEST_CACHE`). Marked `machine` automatically.
"""
