"""helpers.launch: workers start, report, fail and time out cleanly, and none is left behind."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from helpers import launch as ln

TESTS = str(Path(__file__).parent)
ENV = {"PYTHONPATH": TESTS}  # so that the workers import tests/launch_workers.py


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def pids(folder: Path) -> list[int]:
    """The pids the workers recorded (a file still being written is skipped)."""
    texts = [p.read_text().strip() for p in sorted(folder.glob("*.pid"))]
    return [int(text) for text in texts if text]


def wait_until_gone(numbers: list[int], seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in numbers):
        time.sleep(0.1)
    return [p for p in numbers if alive(p)]


def test_workers_get_torchrun_variables_and_output_comes_back_by_rank():
    workers = ln.launch("launch_workers:hello", 3, ["a", 7], env=ENV, progress=False, timeout=60)
    assert [w.rank for w in workers] == [0, 1, 2] and all(w.returncode == 0 for w in workers)
    for w in workers:
        assert f"'RANK': '{w.rank}'" in w.output and f"'LOCAL_RANK': '{w.rank}'" in w.output
        assert "'WORLD_SIZE': '3'" in w.output and "'MASTER_ADDR': '127.0.0.1'" in w.output
        assert "args=['a', '7']" in w.output and "jax_platforms=cpu" in w.output
    ports = {w.output.split("'MASTER_PORT': '")[1].split("'")[0] for w in workers}
    assert len(ports) == 1


def test_standard_error_is_kept_apart_from_standard_output():
    workers = ln.launch("launch_workers:noisy", 2, env=ENV, progress=False, timeout=60)
    for w in workers:
        assert w.lines == [f"rank {w.rank} result"]
        assert w.errors == ["a library's log line", "a native library writing to descriptor 1"]


def test_module_form_and_echo_prefix_each_line_with_its_rank(capsys):
    workers = ln.launch("launch_workers", 2, ["x"], env=ENV, echo=True, progress=False, timeout=60)
    assert workers[1].lines == ["module form, rank 1, args ['x']"]
    printed = capsys.readouterr().out.splitlines()
    assert sorted(printed) == ["[rank 0] module form, rank 0, args ['x']",
                               "[rank 1] module form, rank 1, args ['x']"]


def test_a_worker_that_dies_is_named_with_its_last_lines_and_the_others_are_stopped(tmp_path):
    with pytest.raises(ln.WorkerError) as caught:
        ln.launch("launch_workers:fail_on", 3, [1, tmp_path], env=ENV, progress=False, timeout=60)
    message = str(caught.value)
    assert "rank 1 of 3 exited with code 1" in message
    assert "[rank 1] about to fail" in message and "worker gave up on purpose" in message
    others = pids(tmp_path)
    assert len(others) == 2 and not wait_until_gone(others)


def test_a_timeout_stops_every_worker_and_what_they_started(tmp_path):
    with pytest.raises(ln.WorkerError, match=r"timed out after 10 s with rank\(s\) \[0, 1\]") as caught:
        ln.launch("launch_workers:hang", 2, [tmp_path], env=ENV, progress=False, timeout=10)
    assert "[rank 0] rank 0 waiting" in str(caught.value)
    started = pids(tmp_path)
    assert len(started) == 4 and not wait_until_gone(started)


def test_an_interrupt_stops_every_worker(tmp_path):
    # Ctrl-C as a reader presses it: whatever handler a library or the test
    # runner installed earlier (xdist workers may ignore SIGINT), Python's own.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupt_once_everything_started():
        deadline = time.monotonic() + 60
        while len(pids(tmp_path)) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_everything_started, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            ln.launch("launch_workers:hang", 2, [tmp_path], env=ENV, progress=False, timeout=90)
    finally:
        signal.signal(signal.SIGINT, previous)
    started = pids(tmp_path)
    assert len(started) == 4 and not wait_until_gone(started)


def test_a_port_in_use_is_refused_before_anything_starts():
    with socket.socket() as server:
        server.bind((ln.HOST, 0))
        server.listen()
        port = server.getsockname()[1]
        assert not ln.port_is_free(port)
        with pytest.raises(ValueError, match=f"port {port} on 127.0.0.1 is in use"):
            ln.launch("launch_workers:hello", 1, env=ENV, port=port, progress=False)
    assert ln.port_is_free(ln.free_port())


@pytest.mark.parametrize("processes", [0, -2, 1.5, True, "2"])
def test_bad_process_counts_are_refused(processes):
    with pytest.raises(ValueError, match="processes must be a positive integer"):
        ln.launch("launch_workers:hello", processes, env=ENV)


@pytest.mark.parametrize("target", ["", "a b", "mod:", "mod:1x", ":f"])
def test_bad_targets_are_refused(target):
    with pytest.raises(ValueError, match="target must be"):
        ln.launch(target, 1)


def test_a_missing_module_is_refused():
    with pytest.raises(ValueError, match="no module named 'no_such_module_xyz'"):
        ln.launch("no_such_module_xyz:f", 1)


@pytest.mark.parametrize("kwargs,match", [({"timeout": 0}, "timeout"), ({"port": 0}, "port must be")])
def test_bad_timeouts_and_ports_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ln.launch("launch_workers:hello", 1, env=ENV, **kwargs)


def test_worker_env_outside_a_worker_says_where_it_belongs(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(RuntimeError, match="RANK is not set"):
        ln.worker_env()
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "1234")
    assert ln.worker_env() == (1, 2, "127.0.0.1:1234")
