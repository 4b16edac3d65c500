"""ember.distributed, DistributedDataParallel and the launcher, on 2 real MPI ranks.

Each launch runs a script of tests/dist/ that checks many things and prints ``OK rank r``;
a few launches keep the suite's time modest. Unit tests that need no ranks come last.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import pytest
import torch

import ember
from ember.distributed import run as launcher

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "tests", "dist")


def launch(script: str, *args: str, direct: bool = False, hostfile: str | None = None,
           timeout: float = 120):
    """Run ``script`` on 2 ranks through the launcher (or plain mpiexec with ``direct``, or
    as 2 "machines" of one rank each listed in ``hostfile``); returns (exit code, output,
    seconds)."""
    path = os.path.join(SCRIPTS, script)
    if direct:
        command = [launcher.find_mpiexec(), "-n", "2", "-launcher", "fork", sys.executable,
                   path, *args]
    elif hostfile:
        command = [sys.executable, "-m", "ember.distributed.run", "--nnodes", "2",
                   "--nproc-per-node", "1", "--hostfile", hostfile, path, *args]
    else:
        command = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2",
                   path, *args]
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start


def assert_ranks_ok(code: int, output: str) -> None:
    assert code == 0, output[-4000:]
    assert sorted(re.findall(r"OK rank (\d)", output)) == ["0", "1"], output[-4000:]


def test_every_collective_and_reduce_op_matches_numpy_on_two_ranks():
    code, output, _ = launch("collectives.py")
    assert_ranks_ok(code, output)
    # each rank ran hundreds of comparisons (rank 1 more: it is reduce's destination)
    counts = [int(n) for n in re.findall(r"OK rank \d: (\d+) checks", output)]
    assert len(counts) == 2 and min(counts) > 300, output[-2000:]


def test_ddp_trains_like_one_process_on_the_concatenated_batch():
    code, output, _ = launch("ddp.py")
    assert_ranks_ok(code, output)
    for case in ("plain", "no_sync accumulation", "gradient_as_bucket_view",
                 "find_unused_parameters", "static_graph", "SyncBatchNorm"):
        assert output.count(f"ddp {case}:") == 2, output[-4000:]


@pytest.mark.parametrize("how,direct", [("raise", False), ("kill", False), ("raise", True)],
                         ids=["raise-launcher", "sigkill-launcher", "raise-mpiexec"])
def test_a_failed_rank_stops_every_rank_and_is_named(how, direct):
    code, output, seconds = launch("failure.py", how, direct=direct, timeout=60)
    assert code != 0 and seconds < 60, output[-4000:]
    assert "was not stopped" not in output, output[-4000:]
    if how == "raise":
        assert "rank 1 failed (ValueError: rank 1 gives up on purpose)" in output, output
    if not direct:  # the launcher's verdict names the rank
        verdict = output.strip().splitlines()[-1]
        assert verdict.startswith("ember.distributed.run: rank 1 "), output[-4000:]
        assert ("Killed (signal 9)" if how == "kill" else "ValueError") in verdict, verdict


def test_a_rank_that_never_comes_ends_the_job_at_the_timeout():
    code, output, seconds = launch("failure.py", "hang", timeout=60)
    assert code != 0 and seconds < 60, output[-4000:]
    assert "rank 0 failed (DistTimeout: ember.distributed: all_reduce (call #" in output, output
    assert "did not complete within the process group's timeout" in output


def test_import_ember_does_not_load_mpi4py():
    code = ("import sys, ember, ember.distributed, ember.nn.parallel; "
            "assert 'mpi4py' not in sys.modules; "
            "assert ember.distributed.is_available(); assert 'mpi4py' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env=dict(os.environ, PYTHONPATH=ROOT))


def test_the_launcher_finds_the_mpiexec_of_this_environment():
    path = launcher.find_mpiexec()
    assert os.access(path, os.X_OK) and os.path.basename(path) == "mpiexec"
    assert subprocess.run([path, "--version"], capture_output=True).returncode == 0


def test_asking_before_init_raises_like_torch():
    for fn in ("get_rank", "get_world_size"):
        with pytest.raises(ValueError) as ours:
            getattr(ember.distributed, fn)()
        with pytest.raises(ValueError) as theirs:
            getattr(torch.distributed, fn)()
        assert str(ours.value) == str(theirs.value)
    assert not ember.distributed.is_initialized()
    with pytest.raises(RuntimeError, match="backend 'nccl' is not available"):
        ember.distributed.init_process_group("nccl")


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (11, 2, False),
                                                  (2, 5, False), (7, 4, True)])
def test_shuffled_distributed_sampler_matches_torch_given_the_same_permutation(
        n, replicas, drop_last, monkeypatch):
    # The generators differ (ember's is NumPy's), so both samplers get torch's permutation.
    from ember.utils.data import distributed as module
    for epoch in range(3):
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(7 + epoch)).tolist()
        monkeypatch.setattr(module.ember, "randperm",
                            lambda _n, generator=None, p=perm: ember.tensor(p))
        for rank in range(replicas):
            ours = module.DistributedSampler(range(n), replicas, rank, seed=7,
                                             drop_last=drop_last)
            theirs = torch.utils.data.DistributedSampler(range(n), replicas, rank, seed=7,
                                                         drop_last=drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_reduce_op_names_match_torch():
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        assert getattr(ember.distributed.ReduceOp, name).name == name
        assert hasattr(torch.distributed.ReduceOp, name)


def test_ddp_digits_example_learns_on_two_ranks_started_from_a_hostfile(tmp_path):
    # Both "machines" are this one, under two names: the several-machine command line.
    hosts = tmp_path / "hosts"
    hosts.write_text(f"localhost:1\n{socket.gethostname()}:1\n")
    code, output, _ = launch(os.path.join(ROOT, "examples", "ddp_digits.py"), "--epochs", "2",
                             hostfile=str(hosts))
    assert code == 0, output[-4000:]
    found = re.search(r"test accuracy on 2 ranks: ([\d.]+)%", output)
    assert found and float(found.group(1)) > 60, output[-2000:]
