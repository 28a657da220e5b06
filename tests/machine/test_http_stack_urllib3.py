"""chat-doctor's own timed HTTP exchange on older urllib3 releases (the `urllib3<2` pin it
recommends must work as its HTTP stack too), in real venvs."""

from __future__ import annotations

import json
import os

import pytest

from doctor.mock.server import MockOptions, MockServer
from tests.support.helpers import REPO

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------------------------
# urllib3 1.26 (the `urllib3<2` pin chat-doctor recommends) must work as our HTTP stack too
# --------------------------------------------------------------------------------------------

_EXCHANGE_SCRIPT = """
import json, sys
from doctor.net.http import exchange, import_urllib3
url, proxy = sys.argv[1], (sys.argv[2] or None)
answer = exchange("GET", url, headers={"Authorization": "Bearer sk-test-126"}, timeout_s=1.0, proxy_url=proxy)
print(json.dumps({"urllib3": import_urllib3().__version__, "status": answer.status,
                  "failure": answer.failure and [answer.failure.phase, answer.failure.kind],
                  "timings": answer.timings_ms, "location": answer.header("location")}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("version", ["1.26.20", "2.0.7"])
def test_the_timed_exchange_on_older_urllib3(version: str) -> None:
    import subprocess

    from tests.support.connect_proxy import ConnectProxy
    from tests.support.venvs import make_venv, pyenv_python, venv_python

    venv = make_venv(pyenv_python("3.11"), [f"urllib3=={version}"])
    repo = str(REPO)

    def run(url: str, proxy: str = "") -> dict:
        proc = subprocess.run([str(venv_python(venv)), "-c", _EXCHANGE_SCRIPT, url, proxy], capture_output=True,
                              text=True, env={"PYTHONPATH": repo, "PATH": os.environ.get("PATH", "")}, timeout=60,
                              check=False)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    with MockServer(MockOptions()) as server, ConnectProxy() as proxy:
        ok = run(server.base_url + "/models")
        via_proxy = run(server.base_url + "/models", proxy.url())
        with MockServer(MockOptions(scenario="slow", slow_delay_ms=3000)) as slow:
            timeout = run(slow.base_url + "/models")
        with MockServer(MockOptions(scenario="redirect")) as redirect:
            moved = run(redirect.base_url + "/models")
    assert ok["urllib3"] == version and ok["status"] == 200 and ok["failure"] is None
    assert set(ok["timings"]) >= {"dns", "connect", "wait", "first_byte", "total"}
    assert via_proxy["status"] == 200
    assert timeout["status"] is None and timeout["failure"] == ["response", "timeout"]
    assert moved["status"] == 302 and moved["location"]


# --------------------------------------------------------------------------------------------
# the head start's early write (doctor.net.presend) is what each urllib3 writes itself
# --------------------------------------------------------------------------------------------

_PRESEND_SCRIPT = """
import json, sys
from doctor.net.http import exchange, import_urllib3
headers = {"Accept": "application/json", "User-Agent": "chat-doctor/test", "Authorization": "Bearer sk-test-126"}
out = {"urllib3": import_urllib3().__version__}
for early in (True, False):
    answer = exchange("GET", sys.argv[1], headers=headers, timeout_s=5.0, early=early)
    out[str(early)] = [answer.status, answer.presend, answer.failure and answer.failure.kind]
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.parametrize("version", ["1.26.20", "2.0.7"])
def test_the_early_write_is_byte_for_byte_what_older_urllib3_writes(version: str) -> None:
    import socket
    import subprocess

    from tests.support.raw_server import RawServer, http_answer
    from tests.support.venvs import make_venv, pyenv_python, venv_python

    venv = make_venv(pyenv_python("3.11"), [f"urllib3=={version}"])
    heads = []

    def record(_server: RawServer, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            piece = conn.recv(65536)
            if not piece:
                return
            data += piece
        heads.append(data)
        conn.sendall(http_answer(b'{"object": "list", "data": []}'))

    with RawServer(record, read_first=False) as server:
        proc = subprocess.run([str(venv_python(venv)), "-c", _PRESEND_SCRIPT, server.url + "/v1/models"],
                              capture_output=True, text=True, timeout=60, check=False,
                              env={"PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "")})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out == {"urllib3": version, "True": [200, "matched", None], "False": [200, None, None]}
    assert len(heads) == 2 and heads[0] == heads[1], heads
