"""Failpoints: a named point kills (or stalls) the process that passes it, and nothing else."""

import os
import signal
import subprocess
import sys

import pytest

from backbone import failpoints

PASS_THREE_TIMES = (
    "from backbone.failpoints import failpoint\n"
    "for n in range(1, 4):\n"
    "    print('before', n, flush=True)\n"
    "    failpoint('test.point')\n"
    "    print('after', n, flush=True)\n"
)


def _run(spec: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PASS_THREE_TIMES],
        env={**os.environ, failpoints.ENV: spec, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_kill_dies_with_sigkill_at_the_point():
    result = _run("test.point=kill")
    assert result.returncode == -signal.SIGKILL
    assert result.stdout.split("\n")[:1] == ["before 1"] and "after" not in result.stdout
    assert "failpoint test.point: kill" in result.stderr


def test_kill_after_n_dies_on_the_nth_pass():
    result = _run("other.point=kill,test.point=kill-after:2")
    assert result.returncode == -signal.SIGKILL
    assert result.stdout.split() == ["before", "1", "after", "1", "before", "2"]


def test_an_unnamed_point_does_nothing():
    result = _run("other.point=kill")
    assert result.returncode == 0 and result.stdout.count("after") == 3


def test_with_a_directory_a_point_fires_once_among_processes(tmp_path):
    first = _run("test.point=kill", SP_FAILPOINTS_DIR=str(tmp_path))
    assert first.returncode == -signal.SIGKILL
    assert failpoints.fired(tmp_path, "test.point") is not None
    second = _run("test.point=kill", SP_FAILPOINTS_DIR=str(tmp_path))
    assert second.returncode == 0 and second.stdout.count("after") == 3


def test_sleep_stalls_and_goes_on():
    result = _run("test.point=sleep:0.01")
    assert result.returncode == 0 and result.stderr.count("failpoint test.point: sleep") == 3


@pytest.mark.parametrize("spec", ["test.point=explode", "test.point=kill-after", "=kill", "test.point=kill:3"])
def test_a_malformed_spec_is_refused(spec):
    with pytest.raises(ValueError, match="SP_FAILPOINTS"):
        failpoints.parse(spec)


def test_parse_reads_each_point():
    points = failpoints.parse(" a=kill , b=kill-after:3,c=sleep:0.5 ")
    assert {name: (a.kind, a.argument) for name, a in points.items()} == {
        "a": ("kill", 0),
        "b": ("kill-after", 3),
        "c": ("sleep", 0.5),
    }
