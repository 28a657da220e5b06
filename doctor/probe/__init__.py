"""Facts about interpreters: choosing the target and probing it in a subprocess."""
