"""Timed network primitives for the `net.*` and `api.*` checks.

Each module does one kind of I/O and reports how long it took, as plain frozen data:

- `resolve`: DNS with a hard time bound (getaddrinfo itself has none).
- `connect`: TCP connect across the resolved addresses within one overall budget.
- `tunnel`: an HTTP CONNECT through a proxy (the way the SDK reaches HTTPS through one).
- `trust`: the CA configuration a given openai SDK / interpreter would use, rebuilt here.
- `tls`: a verifying handshake and the certificate it saw, failures classified.
- `http`: one HTTP exchange over urllib3 with every phase timestamped.
- `timing`: the phase breakdown shared by all of them.

Nothing here decides what a result *means*; the checks do that with pure rules.
"""
