"""``python -m ember.distributed.run`` (also the ``emberrun`` command): torchrun's role, over
the ``mpiexec`` of the ``mpich`` package.

    python -m ember.distributed.run --nproc-per-node 2 train.py --epochs 3
    python -m ember.distributed.run --nnodes 2 --nproc-per-node 4 --hostfile hosts train.py

Each rank gets RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE (and OMP_NUM_THREADS=1
when several share a machine and it is not set, as torchrun does). When a rank fails (raises,
exits non-zero, or is killed) every rank is stopped, and the launcher names the failed rank
and exits non-zero.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading


def find_mpiexec() -> str:
    """The ``mpiexec`` beside this Python (a virtual environment's ``bin``), else the one the
    ``mpich`` package installed, else the first on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.access(beside, os.X_OK):
        return beside
    try:
        from importlib import metadata
        for f in metadata.distribution("mpich").files or ():
            if f.name == "mpiexec":
                path = str(f.locate())
                if os.access(path, os.X_OK):
                    return path
    except metadata.PackageNotFoundError:
        pass
    found = shutil.which("mpiexec")
    if found:
        return found
    raise FileNotFoundError("ember.distributed.run: no mpiexec found beside "
                            f"{sys.executable}, in the mpich package, or on PATH; "
                            "pip install ember[distributed]")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ember.distributed.run",
        description="Start a training script on several processes (and machines) over MPI.")
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1,
                   help="processes per machine (default 1)")
    p.add_argument("--nnodes", type=int, default=1, help="number of machines (default 1)")
    p.add_argument("--hostfile", help="MPICH hostfile, one 'host[:slots]' per line "
                                      "(needed with --nnodes > 1)")
    p.add_argument("--standalone", action="store_true", help="accepted for torchrun scripts")
    p.add_argument("--mpiexec-args", default="",
                   help="extra arguments for mpiexec, as one string")
    p.add_argument("-m", dest="module", action="store_true",
                   help="run the script argument as a module, as python -m does")
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    return p


def mpiexec_command(options, run_dir: str) -> list:
    """The mpiexec command line that starts every rank."""
    nodes, per_node = options.nnodes, options.nproc_per_node
    if nodes > 1 and not options.hostfile:
        raise SystemExit("ember.distributed.run: --nnodes > 1 needs --hostfile")
    command = [find_mpiexec(), "-n", str(nodes * per_node)]
    if options.hostfile:
        command += ["-f", options.hostfile, "-ppn", str(per_node)]
    else:
        # One machine: hydra forks the ranks itself (no ssh, works as root in containers).
        command += ["-launcher", "fork"]
    command += ["-genv", "EMBER_RUN_DIR", run_dir]
    command += options.mpiexec_args.split()
    target = ["-m", options.script] if options.module else [options.script]
    return command + [sys.executable, "-m", "ember.distributed._rank"] + target + options.args


def _relay(stream, sink) -> None:
    # Pass mpiexec's output through as it comes, so that the verdict is printed after it.
    for chunk in iter(lambda: os.read(stream.fileno(), 65536), b""):
        sink.write(chunk)
        sink.flush()


def failed_ranks(run_dir: str) -> list:
    """Sentences naming the ranks that failed, from the notes they (or their watchers) left,
    the first failure first: a rank whose collective broke because another rank died notes
    its own failure after that rank's note."""
    notes = [os.path.join(run_dir, name) for name in os.listdir(run_dir)
             if name.startswith("failed.")]
    found = []
    for path in sorted(notes, key=lambda p: os.stat(p).st_mtime_ns):
        with open(path) as f:
            found.append(f"rank {path.rsplit('.', 1)[1]} {f.read()}")
    return found


def main(argv=None) -> int:
    options = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="emberrun-") as run_dir:
        command = mpiexec_command(options, run_dir)
        env = dict(os.environ)
        if options.nproc_per_node > 1 and "OMP_NUM_THREADS" not in env:
            # As torchrun does: ranks sharing a machine would each start a thread per core.
            print("ember.distributed.run: setting OMP_NUM_THREADS=1 for each rank (set it "
                  "yourself to choose another count)", file=sys.stderr, flush=True)
            env["OMP_NUM_THREADS"] = "1"
        process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
        relay = threading.Thread(target=_relay, args=(process.stdout, sys.stdout.buffer),
                                 daemon=True)
        relay.start()
        try:
            code = process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            code = process.wait()
        relay.join(timeout=5)
        if code:
            reasons = failed_ranks(run_dir) or [f"mpiexec exited with status {code}"]
            total = options.nnodes * options.nproc_per_node
            print(f"ember.distributed.run: {'; '.join(reasons)}; all {total} ranks were stopped",
                  file=sys.stderr, flush=True)
    return 128 - code if code < 0 else code


def console_main() -> None:
    """Entry point of the ``emberrun`` command."""
    sys.exit(main())


if __name__ == "__main__":
    console_main()
