"""`DistributedDataParallel`: one model replica per rank, gradients averaged across ranks.

Every rank runs the forward and backward of its own batch; the gradients are then averaged
with all-reduces so every replica takes the same optimizer step. To hide that
communication, the parameters are grouped into *buckets* in reverse order of their
registration (roughly the order backward produces their gradients); a post-accumulate-grad
hook on each parameter copies its gradient into its bucket's flat buffer, and the moment a
bucket is complete its non-blocking all-reduce starts, while backward goes on computing the
gradients of earlier layers. A callback queued on the autograd engine waits for the
all-reduces at the end of backward and puts the averages into ``.grad``.

Checkpoints: save ``ddp_model.module.state_dict()`` (or the wrapper's, whose keys start with
``module.``) on rank 0 only, then load on every rank with ``map_location``::

    if dist.get_rank() == 0:
        ember.save(ddp_model.state_dict(), "ckpt.pt")
    dist.barrier()
    ddp_model.load_state_dict(ember.load("ckpt.pt", map_location="cpu"))
"""
from __future__ import annotations

import contextlib

import numpy as np

from ..._tensor import Tensor, wrap
from ...autograd import engine
from ...autograd.graph import AccumulateGrad
from ...autograd.grad_mode import STATE
from ...profiler import record_function
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """Consecutive parameters of one dtype whose gradients are all-reduced together."""

    def __init__(self, index: int, params: list, dtype):
        self.index = index
        self.params = params
        sizes = [p.numel() for p in params]
        self.offsets = np.cumsum([0] + sizes).tolist()
        self.flat = np.zeros(self.offsets[-1], dtype=dtype)
        self.views = [self.flat[a:b].reshape(p.shape)
                      for p, a, b in zip(params, self.offsets, self.offsets[1:])]
        self.pending = len(params)
        self.work = None


class _Reducer:
    """Per-iteration bookkeeping: which gradients are in, which buckets are in flight."""

    def __init__(self, params: list, names: list, group, bucket_bytes: int, as_view: bool):
        self.group = group
        self.as_view = as_view
        self.names = names
        self.buckets = _make_buckets(params, bucket_bytes)
        index = {id(p): i for i, p in enumerate(params)}
        self.slot = {}  # id(param) -> (bucket, position in the bucket, param index)
        for bucket in self.buckets:
            for position, p in enumerate(bucket.params):
                self.slot[id(p)] = (bucket, position, index[id(p)])
        self.params = params
        self.enabled = True
        self.marked = [False] * len(params)
        self.unused = ()
        self.callback_queued = False
        self.next_launch = 0
        self.handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in params]

    def new_iteration(self, unused) -> None:
        self.unused = unused
        self.marked = [False] * len(self.params)
        for bucket in self.buckets:
            bucket.pending = len(bucket.params)
            bucket.work = None
        self.next_launch = 0
        self.callback_queued = False

    # -- during backward -------------------------------------------------------------------
    def _grad_ready(self, param: Tensor) -> None:
        if not self.enabled:
            return
        if not self.callback_queued:
            self.callback_queued = True
            engine.queue_callback(self._finish)
            for i in self.unused:  # they get no gradient this iteration: zeros go in
                self._mark(self.params[i], None)
        self._mark(param, param.grad)
        if self.group._queue:
            self.group.progress()
        for bucket in self.buckets[:self.next_launch]:
            if not bucket.work.is_completed():
                break

    def _mark(self, param: Tensor, grad) -> None:
        bucket, position, i = self.slot[id(param)]
        if self.marked[i]:
            raise RuntimeError(
                f"Expected to mark a variable ready only once. Parameter "
                f"{self.names[i]} received its gradient twice in one iteration; a parameter "
                f"used in a reentrant backward or shared between modules needs "
                f"static_graph=True or find_unused_parameters=True")
        self.marked[i] = True
        view = bucket.views[position]
        if grad is None:
            view[...] = 0
        elif grad._data is not view:
            view[...] = grad._data
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready()

    def _launch_ready(self) -> None:
        # Every rank must start the all-reduces in the same order: bucket by bucket.
        from ... import distributed as dist
        while self.next_launch < len(self.buckets):
            bucket = self.buckets[self.next_launch]
            if bucket.pending:
                return
            with record_function(f"DDP: all_reduce bucket {bucket.index} start"):
                bucket.work = dist.all_reduce(wrap(bucket.flat), dist.ReduceOp.AVG,
                                              self.group, async_op=True)
            self.next_launch += 1

    def _finish(self) -> None:
        from ... import distributed as dist
        missing = [self.names[i] for i, m in enumerate(self.marked) if not m]
        if missing:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. Pass find_unused_parameters=True to "
                "DistributedDataParallel, and make sure every rank's forward outputs take "
                f"part in the loss. Parameters that did not receive grad: {', '.join(missing)}")
        with record_function("DDP: wait for all_reduce"):
            for bucket in self.buckets:
                bucket.work.wait()
        used = None
        if self.unused:
            used = np.ones(len(self.params), dtype=np.int32)
            used[list(self.unused)] = 0
            dist.all_reduce(wrap(used), dist.ReduceOp.MAX, self.group)
        for bucket in self.buckets:
            for p, view in zip(bucket.params, bucket.views):
                i = self.slot[id(p)][2]
                if used is not None and not used[i]:
                    continue  # unused on every rank: .grad stays as it was, as in PyTorch
                if self.as_view:
                    if p._grad is None or p._grad._data is not view:
                        p._grad = wrap(view)
                elif p._grad is None:
                    p._grad = wrap(view.copy())
                else:
                    p._grad._data[...] = view


_FIRST_BUCKET_BYTES = 2 ** 20


def _make_buckets(params: list, bucket_bytes: int) -> list:
    # The first bucket (the last layers' gradients, ready first) is kept small, as in
    # PyTorch, so that communication starts early in backward.
    buckets, current, size = [], [], 0
    for p in reversed(params):
        nbytes = p.numel() * p.element_size()
        cap = min(bucket_bytes, _FIRST_BUCKET_BYTES) if not buckets else bucket_bytes
        if current and (size + nbytes > cap or p.dtype != current[0].dtype):
            buckets.append(current)
            current, size = [], 0
        current.append(p)
        size += nbytes
    if current:
        buckets.append(current)
    return [_Bucket(i, b, b[0]._data.dtype) for i, b in enumerate(buckets)]


class DistributedDataParallel(Module):
    """Data-parallel training over the ranks of a process group: wrap the model after
    `ember.distributed.init_process_group`, then train as usual; after ``backward`` every
    rank holds the gradients averaged over all ranks' batches.

    >>> model = ember.nn.parallel.DistributedDataParallel(Net())
    >>> loss_fn(model(x), y).backward()     # .grad: the average over the ranks
    >>> with model.no_sync():                # accumulate locally, all-reduce on the next one
    ...     loss_fn(model(x2), y2).backward()
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None):
        super().__init__()
        from ...distributed.group import resolve
        group = resolve(process_group)
        if group is None:
            raise ValueError("DistributedDataParallel: this rank is not a member of "
                             "process_group")
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self.module = module
        self.process_group = group
        self.device_ids = None if not device_ids else list(device_ids)
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2 ** 20)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._static_unused = None
        if init_sync:
            self._broadcast([p.detach() for p in module.parameters()] + list(module.buffers()))
        self._reducer = _Reducer([p for _, p in named], [n for n, _ in named], group,
                                 self.bucket_bytes_cap, gradient_as_bucket_view)

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.require_forward_param_sync:
            buffers = list(self.module.buffers())
            if buffers:
                self._broadcast(buffers)
        output = self.module(*inputs, **kwargs)
        syncing = STATE.grad_enabled and self.require_backward_grad_sync
        self._reducer.enabled = syncing
        if syncing:
            self._reducer.new_iteration(self._unused(output))
        return output

    def _unused(self, output) -> tuple:
        if not (self.find_unused_parameters or self.static_graph):
            return ()
        if self.static_graph and self._static_unused is not None:
            return self._static_unused
        reached = _leaves_reached(output)
        unused = tuple(i for i, p in enumerate(self._reducer.params) if id(p) not in reached)
        if self.static_graph:
            self._static_unused = unused
        return unused

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward only accumulates local gradients; the next backward outside
        all-reduces the accumulated sum.

        >>> with ddp.no_sync():
        ...     loss(ddp(x1)).backward()
        >>> loss(ddp(x2)).backward()   # averages the gradients of x1 and x2 over the ranks
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _broadcast(self, tensors: list) -> None:
        # One broadcast per dtype of all the tensors laid end to end, from rank 0.
        from ... import distributed as dist
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        for dtype, group in by_dtype.items():
            flat = np.concatenate([t._data.reshape(-1) for t in group])
            dist.broadcast(wrap(flat), src=self.process_group.ranks[0],
                           group=self.process_group)
            offset = 0
            for t in group:
                t._data[...] = flat[offset:offset + t.numel()].reshape(t._data.shape)
                offset += t.numel()

    def _set_static_graph(self) -> None:
        self.static_graph = True


def _leaves_reached(output) -> set:
    """The ids of the leaf tensors whose gradients backward from ``output`` would reach."""
    stack, seen, leaves = [], set(), set()
    _collect_nodes(output, stack)
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            leaf = node.variable
            if leaf is not None:
                leaves.add(id(leaf))
            continue
        stack.extend(n for n, _ in node.next_functions)
    return leaves


def _collect_nodes(obj, stack: list) -> None:
    if isinstance(obj, Tensor):
        if obj._grad_fn is not None:
            stack.append(obj._grad_fn)
        elif obj._requires_grad:
            stack.append(obj._grad_acc or AccumulateGrad(obj))
    elif isinstance(obj, dict):
        for v in obj.values():
            _collect_nodes(v, stack)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _collect_nodes(v, stack)
