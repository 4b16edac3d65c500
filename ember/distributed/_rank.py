"""What each rank runs under the launcher: set torchrun's environment variables from MPI's,
then run the user's script (or ``-m module``) as ``__main__`` in a child process watched by
this one; a failure stops the whole job.

Started by `ember.distributed.run` as ``python -m ember.distributed._rank script.py ARGS``.
"""
from __future__ import annotations

import os
import runpy
import sys

from ._failure import abort_job, die_with_parent, watch


def _set_environment() -> None:
    env = os.environ
    env.setdefault("RANK", env.get("PMI_RANK", "0"))
    env.setdefault("WORLD_SIZE", env.get("PMI_SIZE", "1"))
    env.setdefault("LOCAL_RANK", env.get("MPI_LOCALRANKID", "0"))
    env.setdefault("LOCAL_WORLD_SIZE", env.get("MPI_LOCALNRANKS", "1"))
    # Nothing in Ember reads these (MPI connects the ranks), but scripts written for
    # torchrun sometimes print or check them.
    env.setdefault("MASTER_ADDR", "localhost")
    env.setdefault("MASTER_PORT", "29500")


def main(argv: list) -> None:
    _set_environment()
    parent, child = os.getpid(), os.fork()
    if child:
        watch(child)
    die_with_parent()
    if os.getppid() != parent:  # the watcher died before the line above took effect
        os._exit(1)
    if argv and argv[0] == "-m":
        target, run = argv[1], lambda: runpy.run_module(argv[1], run_name="__main__",
                                                        alter_sys=True)
        sys.argv = [target] + argv[2:]
    else:
        target, run = argv[0], lambda: runpy.run_path(argv[0], run_name="__main__")
        sys.argv = argv
        sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
    try:
        run()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code:
            if not isinstance(e.code, int):
                print(e.code, file=sys.stderr)
            abort_job(None, None, None, code)
        raise
    except BaseException:
        abort_job(*sys.exc_info())


if __name__ == "__main__":
    main(sys.argv[1:])
