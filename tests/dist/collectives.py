"""Run on 2 ranks by tests/test_distributed.py: every collective and ReduceOp against a NumPy
reference computed from every rank's input, for float32/float64/int64, contiguous and not,
blocking and async; objects, point-to-point, groups, mismatch errors and the sampler."""
import datetime
import os

import numpy as np

import ember
import ember.distributed as dist
from ember.utils.data.distributed import DistributedSampler

dist.init_process_group(backend="gloo", timeout=datetime.timedelta(seconds=30))
rank, world = dist.get_rank(), dist.get_world_size()
assert world == 2 and dist.get_backend() == "gloo" and dist.is_initialized()
# the launcher's environment, as torchrun sets it
assert [os.environ[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")] == \
    [str(rank), "2", str(rank), "2"]
Op = dist.ReduceOp
DTYPES = ["float32", "float64", "int64"]
checks = 0


def value(r, shape, dtype, salt=0):
    g = np.random.default_rng(1000 * r + salt)
    if dtype == "int64":
        return g.integers(-3, 4, shape).astype(dtype)
    return g.standard_normal(shape).astype(dtype)


def as_tensor(array, strided):
    """``array`` as a tensor, laid out non-contiguously (a transpose) when ``strided``."""
    if not strided:
        return ember.from_numpy(array.copy())
    t = ember.from_numpy(np.ascontiguousarray(array.T)).t()
    assert not t.is_contiguous()
    return t


def same(tensor, expected, what):
    global checks
    got = tensor.numpy()
    if expected.dtype.kind == "f":
        tol = 1e-6 if expected.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=what)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=what)
    assert got.dtype == expected.dtype, what
    checks += 1


def reduced(arrays, op):
    stack = np.stack(arrays)
    if op == Op.SUM:
        return stack.sum(0).astype(stack.dtype)
    if op == Op.AVG:
        total = stack.sum(0)
        return (total / len(arrays)).astype(stack.dtype) if stack.dtype.kind == "f" \
            else np.trunc(total / len(arrays)).astype(stack.dtype)
    if op == Op.PRODUCT:
        return stack.prod(0).astype(stack.dtype)
    if op == Op.MIN:
        return stack.min(0)
    if op == Op.MAX:
        return stack.max(0)
    return {Op.BAND: np.bitwise_and, Op.BOR: np.bitwise_or,
            Op.BXOR: np.bitwise_xor}[op].reduce(stack)


def run(fn, async_op):
    work = fn(async_op)
    if async_op:
        assert work is not None
        work.wait()
        assert work.is_completed()
    else:
        assert work is None


SHAPE = (3, 4)
salt = 0
for dtype in DTYPES:
    ops = [Op.SUM, Op.AVG, Op.PRODUCT, Op.MIN, Op.MAX]
    if dtype == "int64":
        ops += [Op.BAND, Op.BOR, Op.BXOR]
    for strided in (False, True):
        for async_op in (False, True):
            salt += 1
            inputs = [value(r, SHAPE, dtype, salt) for r in range(world)]
            what = f"{dtype} strided={strided} async={async_op}"
            for op in ops:
                t = as_tensor(inputs[rank], strided)
                run(lambda a: dist.all_reduce(t, op=op, async_op=a), async_op)
                same(t, reduced(inputs, op), f"all_reduce {op.name} {what}")
                t = as_tensor(inputs[rank], strided)
                run(lambda a: dist.reduce(t, dst=1, op=op, async_op=a), async_op)
                if rank == 1:
                    same(t, reduced(inputs, op), f"reduce {op.name} {what}")
                out = as_tensor(np.zeros((3, 2), dtype), strided)
                run(lambda a: dist.reduce_scatter(out, [as_tensor(inputs[rank][:, :2] * (q + 1),
                                                                  strided) for q in range(world)],
                                                  op=op, async_op=a), async_op)
                same(out, reduced([x[:, :2] * (rank + 1) for x in inputs], op),
                     f"reduce_scatter {op.name} {what}")
                whole = as_tensor(np.concatenate(inputs[rank:] + inputs[:rank]), False)
                out = as_tensor(np.zeros(SHAPE, dtype), strided)
                run(lambda a: dist.reduce_scatter_tensor(out, whole, op=op, async_op=a), async_op)
                blocks = [np.concatenate(inputs[r:] + inputs[:r]) for r in range(world)]
                same(out, reduced([b[rank * 3:(rank + 1) * 3] for b in blocks], op),
                     f"reduce_scatter_tensor {op.name} {what}")
            for src in range(world):
                t = as_tensor(inputs[rank], strided)
                run(lambda a: dist.broadcast(t, src=src, async_op=a), async_op)
                same(t, inputs[src], f"broadcast src={src} {what}")
            parts = [as_tensor(np.zeros(SHAPE, dtype), strided) for _ in range(world)]
            run(lambda a: dist.all_gather(parts, as_tensor(inputs[rank], strided), async_op=a),
                async_op)
            for r in range(world):
                same(parts[r], inputs[r], f"all_gather {what}")
            out = as_tensor(np.zeros((world * 3, 4), dtype), strided)
            run(lambda a: dist.all_gather_into_tensor(out, as_tensor(inputs[rank], strided),
                                                      async_op=a), async_op)
            same(out, np.concatenate(inputs), f"all_gather_into_tensor {what}")
            stacked = ember.zeros((world,) + SHAPE, dtype=getattr(ember, dtype))
            run(lambda a: dist.all_gather_into_tensor(stacked, as_tensor(inputs[rank], strided),
                                                      async_op=a), async_op)
            same(stacked, np.stack(inputs), f"all_gather_into_tensor stacked {what}")
            parts = [as_tensor(np.zeros(SHAPE, dtype), False) for _ in range(world)]
            run(lambda a: dist.gather(as_tensor(inputs[rank], strided),
                                      parts if rank == 0 else None, dst=0, async_op=a), async_op)
            if rank == 0:
                for r in range(world):
                    same(parts[r], inputs[r], f"gather {what}")
            out = as_tensor(np.zeros(SHAPE, dtype), strided)
            pieces = [as_tensor(inputs[1] + q, strided) for q in range(world)]
            run(lambda a: dist.scatter(out, pieces if rank == 1 else None, src=1, async_op=a),
                async_op)
            same(out, inputs[1] + rank, f"scatter {what}")
            # all_to_all with uneven sizes: rank r sends r + q + 1 elements to rank q
            sends = [as_tensor(value(rank, (rank + q + 1,), dtype, salt + q), False)
                     for q in range(world)]
            outs = [as_tensor(np.zeros(r + rank + 1, dtype), False) for r in range(world)]
            run(lambda a: dist.all_to_all(outs, sends, async_op=a), async_op)
            for r in range(world):
                same(outs[r], value(r, (r + rank + 1,), dtype, salt + rank), f"all_to_all {what}")
            splits = [[1, 2], [3, 1]]  # rank r sends splits[r][q] rows to rank q
            mine = value(rank, (sum(splits[rank]), 4), dtype, salt)
            out = as_tensor(np.zeros((splits[0][rank] + splits[1][rank], 4), dtype), strided)
            run(lambda a: dist.all_to_all_single(
                out, as_tensor(mine, strided), [splits[r][rank] for r in range(world)],
                splits[rank], async_op=a), async_op)
            expected = [value(r, (sum(splits[r]), 4), dtype, salt)[
                sum(splits[r][:rank]):sum(splits[r][:rank + 1])] for r in range(world)]
            same(out, np.concatenate(expected), f"all_to_all_single {what}")
            # point to point, both ways
            for sender in range(world):
                payload = value(sender, SHAPE, dtype, salt + 7)
                if rank == sender:
                    if async_op:
                        dist.isend(as_tensor(payload, strided), dst=1 - sender, tag=3).wait()
                    else:
                        dist.send(as_tensor(payload, strided), dst=1 - sender, tag=3)
                else:
                    box = as_tensor(np.zeros(SHAPE, dtype), strided)
                    if async_op:
                        dist.irecv(box, src=sender, tag=3).wait()
                    else:
                        assert dist.recv(box, tag=3) == sender  # from any source
                    same(box, payload, f"send/recv {what}")

# blocking and async collectives interleaved keep their order on every rank
a, b = ember.ones(5) * (rank + 1), ember.ones(2) * (rank + 1)
w1 = dist.all_reduce(a, async_op=True)
c = ember.ones(3) * (rank + 1)
dist.all_reduce(c)
w2 = dist.all_reduce(b, op=Op.MAX, async_op=True)
w2.wait()
w1.wait()
same(a, np.full(5, 3, np.float32), "async then blocking")
same(c, np.full(3, 3, np.float32), "blocking between async")
same(b, np.full(2, 2, np.float32), "second async")

# objects go through ember's safe serialization
objects = [{"lr": 0.1, "weights": ember.arange(3.)}, "text", (1, 2)] if rank == 0 else [None] * 3
dist.broadcast_object_list(objects, src=0)
assert objects[0]["lr"] == 0.1 and objects[1:] == ["text", (1, 2)]
same(objects[0]["weights"], np.arange(3, dtype=np.float32), "broadcast_object_list")
gathered = [None] * world
dist.all_gather_object(gathered, {"rank": rank, "data": list(range(rank * 50))})
assert gathered == [{"rank": r, "data": list(range(r * 50))} for r in range(world)]
collected = [None] * world if rank == 1 else None
dist.gather_object(("from", rank), collected, dst=1)
assert rank == 0 or collected == [("from", 0), ("from", 1)]
out = [None]
dist.scatter_object_list(out, [{"to": r} for r in range(world)] if rank == 0 else None, src=0)
assert out == [{"to": rank}]


class Hostile:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


try:
    dist.broadcast_object_list([Hostile()] if rank == 0 else [None], src=0)
    assert rank == 0, "a hostile object was unpickled"
except Exception as e:  # the receiver refuses to resolve os.system
    assert rank == 1 and "system" in str(e), e
checks += 1

# groups: a group of rank 1 alone, and the whole world again
solo = dist.new_group([1])
t = ember.ones(2) * 5
if rank == 1:
    dist.all_reduce(t, group=solo)
    assert dist.get_rank(solo) == 0 and dist.get_world_size(solo) == 1
    assert dist.get_global_rank(solo, 0) == 1 and dist.get_group_rank(solo, 1) == 0
else:
    assert dist.all_reduce(t, group=solo) is None and dist.get_rank(solo) == -1
everyone = dist.new_group()
t = ember.tensor([float(rank)])
dist.all_reduce(t, group=everyone)
same(t, np.array([1.0], np.float32), "new_group all")
assert dist.get_group_rank(everyone, rank) == rank == dist.get_global_rank(everyone, rank)
dist.barrier()
dist.monitored_barrier(timeout=datetime.timedelta(seconds=20))
work = dist.barrier(async_op=True)
work.wait()

# mismatched collectives: the same clear error on both ranks, and the group stays usable
for mine, expect in [(lambda: dist.all_reduce(ember.ones(3 + rank)), "float32[3]"),
                     (lambda: dist.all_reduce(ember.ones(2), op=[Op.SUM, Op.MAX][rank]), "MAX"),
                     (lambda: [dist.all_reduce, dist.broadcast][rank](ember.ones(2)), "broadcast"),
                     (lambda: dist.all_reduce(ember.ones(2, dtype=[ember.float32,
                                                                   ember.int64][rank])), "int64")]:
    try:
        mine()
        raise AssertionError("a mismatched collective passed")
    except RuntimeError as e:
        assert "mismatched collectives" in str(e) and expect in str(e), e
        checks += 1
t = ember.ones(2)
dist.all_reduce(t)
same(t, np.full(2, 2, np.float32), "after mismatches")
if rank == 0:
    dist.send(ember.ones(3), dst=1)
else:
    try:
        dist.recv(ember.zeros(4), src=0)
        raise AssertionError("a mismatched recv passed")
    except RuntimeError as e:
        assert "float32[3]" in str(e) and "float32[4]" in str(e), e
        checks += 1
if rank == 0:  # the channel is clean after the error
    dist.send(ember.ones(3) * 4, dst=1)
else:
    box = ember.zeros(3)
    dist.recv(box, src=0)
    same(box, np.full(3, 4, np.float32), "send/recv after a mismatch")

# the sampler: defaults from the group, disjoint shares covering the data, new order per epoch
orders = []
for epoch in range(2):
    sampler = DistributedSampler(range(11), shuffle=True, seed=3)
    sampler.set_epoch(epoch)
    shares = [None] * world
    dist.all_gather_object(shares, list(sampler))
    assert sampler.num_replicas == world and sampler.rank == rank and len(sampler) == 6
    assert set(shares[0] + shares[1]) == set(range(11)) and len(shares[0] + shares[1]) == 12
    assert len(set(shares[0]) & set(shares[1])) <= 1  # one index repeats to pad 11 to 12
    orders.append(shares)
assert orders[0] != orders[1]
checks += 1

print(f"OK rank {rank}: {checks} checks", flush=True)
dist.destroy_process_group()
