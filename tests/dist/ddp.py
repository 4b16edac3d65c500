"""Run on 2 ranks by tests/test_distributed.py: DistributedDataParallel trains exactly as one
process does on the concatenated batch. Written as PyTorch code for the gloo backend."""
import numpy as np

import ember as torch
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group(backend="gloo")
rank, world = dist.get_rank(), dist.get_world_size()
STEPS, BATCH = 20, 8


class Net(nn.Module):
    def __init__(self, unused=False, bn=False):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.norm = nn.BatchNorm1d(16) if bn else nn.Identity()
        self.fc2 = nn.Linear(16, 16)
        self.head = nn.Linear(16, 3)
        self.spare = nn.Linear(16, 3) if unused else None

    def forward(self, x):
        h = torch.tanh(self.norm(self.fc1(x)))
        return self.head(torch.relu(self.fc2(h)))


def data(step, micro=0):
    g = np.random.default_rng(1000 * step + micro)
    x = g.standard_normal((BATCH * world, 6)).astype(np.float32)
    y = g.integers(0, 3, BATCH * world)
    return torch.from_numpy(x), torch.from_numpy(y)


def train(model, params, shard, accumulate=1):
    torch.manual_seed(0)
    opt = torch.optim.SGD(params(model), lr=0.1, momentum=0.9)
    for step in range(STEPS):
        opt.zero_grad()
        for micro in range(accumulate):
            x, y = data(step, micro)
            if shard:
                x, y = x[rank * BATCH:(rank + 1) * BATCH], y[rank * BATCH:(rank + 1) * BATCH]
            last = micro == accumulate - 1
            ctx = model.no_sync() if shard and not last else _nothing()
            with ctx:
                loss = nn.functional.cross_entropy(model(x), y) / accumulate
                loss.backward()
        opt.step()
    return model


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def check(name, accumulate=1, unused=False, bn=False, **ddp_args):
    torch.manual_seed(rank)  # replicas start different: DDP must broadcast rank 0's state
    replica = Net(unused, bn)
    if bn:
        replica = nn.SyncBatchNorm.convert_sync_batchnorm(replica)
    ddp = DDP(replica, bucket_cap_mb=0.0005, **ddp_args)
    torch.manual_seed(0)
    single = Net(unused, bn)
    single.load_state_dict({k[len("module."):]: v.clone() for k, v in ddp.state_dict().items()})
    train(ddp, lambda m: m.parameters(), True, accumulate)
    train(single, lambda m: m.parameters(), False, accumulate)
    ours, ref = ddp.module.state_dict(), single.state_dict()
    worst = max(float((ours[k].double() - ref[k].double()).abs().max()) for k in ref)
    # every rank must hold the same parameters, bit for bit
    mine = torch.cat([p.detach().reshape(-1) for p in ddp.parameters()])
    other = mine.clone()
    dist.broadcast(other, src=0)
    assert torch.equal(mine, other), f"{name}: replicas diverged"
    assert worst < 2e-5, f"{name}: max difference from single-process training {worst}"
    print(f"ddp {name}: max |ddp - single| = {worst:.2e}", flush=True)


check("plain")
check("no_sync accumulation", accumulate=3)
check("gradient_as_bucket_view", gradient_as_bucket_view=True)
check("find_unused_parameters", unused=True, find_unused_parameters=True)
check("static_graph", unused=True, static_graph=True)
check("SyncBatchNorm", bn=True)
print(f"OK rank {rank}", flush=True)
dist.destroy_process_group()
