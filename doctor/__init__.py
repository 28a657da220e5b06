"""chat-doctor: checks that a Python environment can talk to an OpenAI-compatible chat API."""

__version__ = "0.1.0"
