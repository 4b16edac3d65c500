"""Run on 2 ranks by tests/test_distributed.py: rank 1 fails (``raise`` or ``kill``) while
rank 0 waits in a collective; the job must end at once, naming rank 1. With ``hang`` rank 1
never comes, and rank 0's collective gives up at the group's timeout (3 s)."""
import datetime
import os
import signal
import sys
import time

import ember
import ember.distributed as dist

dist.init_process_group(backend="gloo", timeout=datetime.timedelta(seconds=3))
t = ember.ones(4)
dist.all_reduce(t)
if dist.get_rank() == 1:
    time.sleep(0.2)
    if sys.argv[1] == "raise":
        raise ValueError("rank 1 gives up on purpose")
    if sys.argv[1] == "hang":
        time.sleep(600)
    os.kill(os.getpid(), signal.SIGKILL)
dist.all_reduce(t)  # rank 0 waits here for a rank that will never come
print(f"rank {dist.get_rank()} was not stopped", flush=True)
