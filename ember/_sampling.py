"""Sampling: `ember.rand`, `randn`, `randint`, `normal`, ... and `Tensor.uniform_` and friends.

Every function draws from a `Generator` (``generator=`` or the device's default). float32
samples come straight from float32 samplers (no float64 detour); half types are drawn in
float32 and rounded. Samples carry no gradient: they are constants to autograd.
"""
from __future__ import annotations

import math

import numpy as np

from . import _dtype as dt
from ._creation import _leaf, _size, supports_out
from ._tensor import Tensor, wrap
from .autograd.grad_mode import STATE
from .random import generator_for

def _float_dtype(dtype, name: str) -> dt.dtype:
    d = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    if d.category < dt._FLOAT:
        raise NotImplementedError(f'"{name}" not implemented for \'{dt.scalar_type_name(d)}\'')
    return d


def _draw(rng, method: str, shape: tuple, d: dt.dtype):
    """``rng.<method>`` samples (uniform, normal, exponential) of dtype ``d``."""
    work = np.float64 if d.to_real() is dt.float64 else np.float32
    if d.category == dt._COMPLEX:
        pairs = getattr(rng, method)(shape + (2,), dtype=work)
        z = pairs.view(d.np).reshape(shape)
        if method == "standard_normal":  # real and imaginary parts each carry half the variance
            z *= math.sqrt(0.5)
        return z
    a = getattr(rng, method)(shape, dtype=work)
    return a if a.dtype == d.np else a.astype(d.np)


def _make(method, size, generator, dtype, device, requires_grad, name):
    d = _float_dtype(dtype, name)
    rng = generator_for(device, generator).rng
    return _leaf(_draw(rng, method, _size(size), d), requires_grad)


@supports_out
def rand(*size, generator=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform samples on [0, 1).

    >>> ember.rand(2, 3).shape
    ember.Size([2, 3])
    """
    return _make("random", size, generator, dtype, device, requires_grad, "check_uniform_bounds")


@supports_out
def randn(*size, generator=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal samples (complex dtypes: each part has variance 1/2)."""
    return _make("standard_normal", size, generator, dtype, device, requires_grad,
                 "normal_kernel_cpu")


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    """Uniform samples on [0, 1) in a tensor with ``input``'s shape, dtype and device (a
    floating dtype: integer ones raise NotImplementedError). ``dtype``, ``device`` and
    ``requires_grad`` (default False) override; the result is contiguous. Ember's random
    streams differ from PyTorch's for the same seed.

    >>> x = ember.rand_like(ember.zeros(2, 3, dtype=ember.float64))
    >>> x.dtype, bool(((0 <= x) & (x < 1)).all())
    (ember.float64, True)
    """
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None,
               requires_grad: bool = False, memory_format=None) -> Tensor:
    """Standard normal samples in a tensor with ``input``'s shape, dtype and device (as
    `rand_like`, whose arguments it takes).

    >>> ember.randn_like(ember.zeros(2, 3)).shape
    ember.Size([2, 3])
    """
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def _integers(rng, low: int, high: int, shape: tuple, d: dt.dtype):
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    return rng.integers(low, high, shape, dtype=np.int64).astype(d.np, copy=False)


@supports_out
def randint(*args, generator=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False, pin_memory: bool = False, **kwargs) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``.

    >>> ember.randint(3, 10, (2, 2)).dtype
    ember.int64
    """
    low, high, size = _randint_args(args, kwargs, "randint")
    d = dt.int64 if dtype is None else dt.as_dtype(dtype)
    rng = generator_for(device, generator).rng
    return _leaf(_integers(rng, int(low), int(high), _size((size,)), d), requires_grad)


def randint_like(input: Tensor, *args, dtype=None, layout=None, device=None,
                 requires_grad: bool = False, memory_format=None, **kwargs) -> Tensor:
    """Integers drawn uniformly from [``low``, ``high``) in a tensor with ``input``'s shape,
    dtype and device: ``randint_like(input, high)`` or ``randint_like(input, low, high)``
    (``low`` defaults to 0). ``dtype``, ``device`` and ``requires_grad`` override.

    >>> x = ember.randint_like(ember.zeros(2, 3), 3, 5)
    >>> x.dtype, bool(((3 <= x) & (x < 5)).all())
    (ember.float32, True)
    """
    low, high, _ = _randint_args(args + (input.shape,), kwargs, "randint_like")
    return randint(low, high, input.shape, dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


def _randint_args(args, kwargs, name):
    low = kwargs.pop("low", None)
    high = kwargs.pop("high", None)
    size = kwargs.pop("size", None)
    if kwargs:
        raise TypeError(f"{name}() got unexpected keyword arguments {sorted(kwargs)}")
    args = list(args)
    if size is None and args:
        size = args.pop()
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        (low, high) = (args[0], high) if high is not None else (low or 0, args[0])
    if high is None or size is None:
        raise TypeError(f"{name}() missing required arguments: expected (high, size) or "
                        "(low, high, size)")
    return (0 if low is None else low), high, size


@supports_out
def randperm(n: int, *, generator=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    if n < 0:
        raise RuntimeError(f"randperm(): n must be non-negative, got {n}")
    d = dt.int64 if dtype is None else dt.as_dtype(dtype)
    rng = generator_for(device, generator).rng
    return _leaf(rng.permutation(int(n)).astype(d.np, copy=False), requires_grad)


@supports_out
def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, layout=None,
           device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Normal samples; ``mean`` and ``std`` are numbers (give ``size``) or tensors (broadcast).

    >>> ember.normal(ember.zeros(3), 2.0).shape
    ember.Size([3])
    """
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal() with a number mean and std needs a size")
        _check_std(std)
        d = _float_dtype(dtype, "normal_kernel_cpu")
        rng = generator_for(device, generator).rng
        z = _draw(rng, "standard_normal", _size((size,)), d)
        return _leaf(z * d.np.type(std) + d.np.type(mean), requires_grad)
    d = dt.result_dtype([mean, std])
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    if isinstance(std, Tensor):
        if (std._data < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        _check_std(std)
    host = tensors[0].device
    z = _draw(generator_for(host, generator).rng, "standard_normal", shape, _float_dtype(d, "normal"))
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    return wrap((z * s + m).astype(z.dtype, copy=False))


def _check_std(std) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")


@supports_out
def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """1 with probability ``p`` (default: the values of ``input``), else 0; dtype of input."""
    if p is None:
        p = input._data
        if p.size and not ((p >= 0) & (p <= 1)).all():
            raise RuntimeError("bernoulli(): expected all probabilities to be in [0, 1]")
    rng = generator_for(input.device, generator).rng
    return wrap(_bernoulli(rng, p, input.shape, input.dtype))


def _bernoulli(rng, p, shape, d: dt.dtype):
    if not isinstance(p, (np.ndarray, np.generic)) and hasattr(p, "_data"):
        p = p._data
    if isinstance(p, (int, float)) and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    u = rng.random(tuple(shape), dtype=np.float64 if d is dt.float64 else np.float32)
    return (u < p).astype(d.np)


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson counts with rates ``input`` (same dtype)."""
    rng = generator_for(input.device, generator).rng
    if (input._data < 0).any():
        raise RuntimeError("poisson(): invalid Poisson rate, expected rate to be non-negative")
    return wrap(rng.poisson(input._data).astype(input._data.dtype))


@supports_out
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Indices drawn from each row of (unnormalized) probabilities ``input``.

    >>> ember.multinomial(ember.tensor([0., 1., 0.]), 2, replacement=True)
    tensor([1, 1])
    """
    p = input._data
    if p.ndim not in (1, 2):
        raise RuntimeError(f"multinomial(): prob_dist must be 1 or 2 dim, got {p.ndim}")
    if input.dtype.category != dt._FLOAT:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{dt.scalar_type_name(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("multinomial(): cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError("multinomial(): cannot sample n_sample > prob_dist.size(-1) samples "
                           "without replacement")
    rows = p.reshape(-1, p.shape[-1]).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial(): probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if (rows.sum(-1) <= 0).any():
        raise RuntimeError("multinomial(): invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    rng = generator_for(input.device, generator).rng
    if replacement:
        cdf = np.cumsum(rows, axis=-1)
        u = rng.random((rows.shape[0], num_samples)) * cdf[:, -1:]
        picks = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        picks = np.minimum(picks, rows.shape[-1] - 1)
    else:
        # Exponential race: category k finishes at E_k / p_k; the first finishers are a
        # sample without replacement weighted by p (zero weights finish last).
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows
        picks = np.argsort(keys, axis=-1, kind="stable")[:, :num_samples]
    return wrap(picks.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64))


# ----------------------------------------------------------------------------- in place


def _fill(self: Tensor, sample, name: str) -> Tensor:
    if STATE.grad_enabled and self._requires_grad and self._grad_fn is None:
        raise RuntimeError(f"{name}(): a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    self._data[...] = sample
    self._vc[0] += 1
    return self


def _rng(self: Tensor, generator):
    return generator_for(self.device, generator).rng


def _continuous_(self, method, generator, name):
    d = _float_dtype(self.dtype, name)
    return _draw(_rng(self, generator), method, tuple(self.shape), d)


def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None, **kwargs) -> Tensor:
    """Fill with uniform samples on [a, b) (also spelled ``from``/``to``)."""
    a, b = kwargs.pop("from", a), kwargs.pop("to", b)
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={a} > to={b}")
    u = _continuous_(self, "random", generator, "check_uniform_bounds")
    return _fill(self, u * (b - a) + a, "uniform_")


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples of the normal distribution of ``mean`` (default 0) and standard
    deviation ``std`` (default 1, must be >= 0); floating dtypes only. Returns the tensor.

    >>> x = ember.empty(10000).normal_(5.0, 0.1)
    >>> bool((x.mean() - 5).abs() < 0.01)
    True
    """
    _check_std(std)
    z = _continuous_(self, "standard_normal", generator, "normal_kernel_cpu")
    return _fill(self, z * std + mean, "normal_")


def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with ``exp(z)``, ``z`` normal with ``mean`` (default 1) and standard deviation
    ``std`` (default 2): the parameters are those of the logarithm. Returns the tensor.

    >>> bool((ember.empty(100).log_normal_() > 0).all())
    True
    """
    _check_std(std)
    z = _continuous_(self, "standard_normal", generator, "log_normal_cpu")
    return _fill(self, self._xp.exp(z * std + mean), "log_normal_")


def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples of the exponential distribution of rate ``lambd`` (default 1, must
    be > 0; the mean is ``1 / lambd``). Returns the tensor.

    >>> x = ember.empty(10000).exponential_(4.0)
    >>> bool((x >= 0).all()), bool((x.mean() - 0.25).abs() < 0.02)
    (True, True)
    """
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    e = _continuous_(self, "standard_exponential", generator, "exponential_cpu")
    return _fill(self, e / lambd, "exponential_")


def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples of the Cauchy distribution centred on ``median`` (default 0) with
    scale ``sigma`` (default 1). It has no mean: half the samples lie within ``sigma`` of the
    median. Returns the tensor.

    >>> x = ember.empty(10000).cauchy_(median=3.0)
    >>> bool((x.median() - 3).abs() < 0.1)
    True
    """
    u = _continuous_(self, "random", generator, "cauchy_cpu")
    return _fill(self, median + sigma * self._xp.tan(math.pi * (u - 0.5)), "cauchy_")


def geometric_(self, p: float, *, generator=None) -> Tensor:
    """Fill with samples of the geometric distribution: the number of trials, each a success
    with probability ``p`` in (0, 1), up to and including the first success (1, 2, 3...).
    Returns the tensor, in its own dtype.

    >>> x = ember.empty(1000).geometric_(0.5)
    >>> bool((x >= 1).all()), bool((x == x.round()).all())
    (True, True)
    """
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _fill(self, _rng(self, generator).geometric(p, tuple(self.shape)), "geometric_")


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """Fill with 1 with probability ``p`` (default 0.5) and 0 otherwise; ``p`` is a number
    or a tensor of probabilities that broadcasts to this one. Any dtype. Returns the tensor.

    >>> ember.zeros(4, dtype=ember.int64).bernoulli_(ember.tensor([0., 1., 1., 0.]))
    tensor([0, 1, 1, 0])
    """
    sample = _bernoulli(_rng(self, generator), p, self.shape, self.dtype)
    return _fill(self, sample, "bernoulli_")


def random_(self, *bounds: int, generator=None, **kwargs) -> Tensor:
    """Fill with integers from [from, to): ``random_(to)``, ``random_(from, to)``; with no
    bounds, every integer the dtype holds exactly."""
    low, high = kwargs.pop("from", 0), kwargs.pop("to", None)
    if len(bounds) == 1:
        high = bounds[0]
    elif len(bounds) == 2:
        low, high = bounds
    if high is None:
        high = _random_upper(self.dtype)
    return _fill(self, _integers(_rng(self, generator), low, high, tuple(self.shape),
                                 self.dtype), "random_")


def _random_upper(d: dt.dtype) -> int:
    if d.category >= dt._FLOAT:
        digits = {"float16": 11, "bfloat16": 8, "float32": 24}.get(d.to_real().name, 53)
        return 2 ** digits + 1
    if d is dt.bool_:
        return 2
    return int(np.iinfo(d.np).max) + 1


def tensor_bernoulli(self, p=None, *, generator=None) -> Tensor:
    """`Tensor.bernoulli`: samples with this tensor's values (or ``p``) as probabilities."""
    if p is None:
        return bernoulli(self, generator=generator)
    return wrap(_bernoulli(_rng(self, generator), p, self.shape, self.dtype))


for _method in (uniform_, normal_, log_normal_, exponential_, cauchy_, geometric_,
                bernoulli_, random_):
    setattr(Tensor, _method.__name__, _method)
Tensor.bernoulli = tensor_bernoulli
Tensor.multinomial = multinomial
