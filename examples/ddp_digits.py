"""The digits CNN of `examples/digits.py`, trained data-parallel on several processes.

    python -m ember.distributed.run --nproc-per-node 2 examples/ddp_digits.py

Each rank trains on its own share of every epoch (DistributedSampler), DistributedDataParallel
averages the gradients, and the global batch is the demo's 64 however many ranks run. Rank 0
saves the checkpoint; every rank then loads it with ``map_location`` and checks it reproduces
the trained model. The code is PyTorch's (``backend="gloo"``), with ``import ember as torch``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember as torch  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember import nn  # noqa: E402
from ember.nn.parallel import DistributedDataParallel as DDP  # noqa: E402
from ember.utils.data import DataLoader  # noqa: E402
from ember.utils.data.distributed import DistributedSampler  # noqa: E402
from examples.digits import TARGET_ACCURACY, DigitsCNN, accuracy, digits_datasets  # noqa: E402


def train(epochs: int = 30, global_batch: int = 64, seed: int = 0):
    """Train on every rank of the default group; returns (model, test accuracy, loader)."""
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(seed)
    train_set, test_set = digits_datasets(seed=seed)
    sampler = DistributedSampler(train_set, shuffle=True, seed=seed)
    train_loader = DataLoader(train_set, batch_size=global_batch // world, sampler=sampler)
    test_loader = DataLoader(test_set, batch_size=256)
    model = DDP(DigitsCNN())
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        model.train()
        total = torch.zeros(2)
        for images, labels in train_loader:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += torch.tensor([loss.item() * len(labels), len(labels)])
        scheduler.step()
        dist.all_reduce(total)
        test_accuracy = accuracy(model.module, test_loader)
        if rank == 0:
            print(f"epoch {epoch + 1:2d}: train loss {total[0] / total[1]:.4f}, "
                  f"test accuracy {test_accuracy:.2%}", flush=True)
    return model, test_accuracy, test_loader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    dist.init_process_group(backend="gloo")
    model, acc, test_loader = train(args.epochs)
    rank = dist.get_rank()

    # save on rank 0 only, then load on every rank
    directory = [tempfile.mkdtemp() if rank == 0 else None]
    dist.broadcast_object_list(directory, src=0)
    path = os.path.join(directory[0], "ddp_digits.pt")
    if rank == 0:
        torch.save(model.module.state_dict(), path)
    dist.barrier()
    restored = DigitsCNN()
    restored.load_state_dict(torch.load(path, map_location="cpu"))
    reloaded = accuracy(restored, test_loader)
    if reloaded != acc:
        raise SystemExit(f"rank {rank}: the reloaded checkpoint gives {reloaded:.2%}, "
                         f"not {acc:.2%}")
    if rank == 0:
        print(f"test accuracy on {dist.get_world_size()} ranks: {acc:.2%} "
              f"(checkpoint reloaded on every rank)")
    dist.destroy_process_group()
    if acc < TARGET_ACCURACY and args.epochs >= 30:
        raise SystemExit(f"test accuracy {acc:.2%} is below the demo's {TARGET_ACCURACY:.0%}")


if __name__ == "__main__":
    main()
