"""`Distribution`: the interface every distribution implements, and its argument checks."""
from __future__ import annotations

import functools

from .._tensor import Size, Tensor
from ..autograd.grad_mode import no_grad
from . import constraints
from .constraints import _number

lazy_property = functools.cached_property


class Distribution:
    """A batch of probability distributions over events of ``event_shape``.

    >>> d = ember.distributions.Normal(ember.zeros(3), 1.0)
    >>> d.batch_shape, d.sample((2,)).shape
    (ember.Size([3]), ember.Size([2, 3]))
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    arg_constraints: dict = {}
    support = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Whether distributions check their arguments and samples by default."""
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        for param, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None),
                                                         lazy_property):
                continue  # a parameter computed from another one, which is checked
            value = getattr(self, param)
            if not constraint.check(value).all():
                raise ValueError(f"Expected parameter {param} ({type(value).__name__} of shape "
                                 f"{tuple(value.shape)}) of distribution {self!r} to satisfy "
                                 f"the constraint {constraint!r}, but found invalid values:\n"
                                 f"{value}")

    @property
    def batch_shape(self) -> Size:
        """The shape of the batch of independent distributions this object holds (the
        parameters' broadcast shape, less the event dimensions).

        >>> ember.distributions.Normal(ember.zeros(2, 3), 1.0).batch_shape
        ember.Size([2, 3])
        """
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        """The shape of one draw of one distribution: ``()`` for scalar distributions, ``(k,)``
        for a k-dimensional one such as `MultivariateNormal` or `Dirichlet`.

        >>> ember.distributions.Dirichlet(ember.ones(4)).event_shape
        ember.Size([4])
        """
        return self._event_shape

    def expand(self, batch_shape, _instance=None) -> "Distribution":
        """The same distribution repeated over a larger ``batch_shape`` (parameters are
        expanded views)."""
        raise NotImplementedError

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {type(self).__name__} of {cls.__name__} that "
                                      "defines a custom __init__ method must also define a "
                                      "custom .expand() method.")
        return type(self).__new__(type(self)) if _instance is None else _instance

    def _expanded(self, batch_shape, _instance, cls, **params):
        """The common `expand`: a new ``cls`` with the given (already expanded) params."""
        new = self._get_checked_instance(cls, _instance)
        new.__dict__.update(params)
        Distribution.__init__(new, Size(batch_shape), self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """The expected value, of shape ``batch_shape + event_shape`` (NaN or inf where it
        doesn't exist, as for `Cauchy`).

        >>> ember.distributions.Exponential(ember.tensor([2.0])).mean
        tensor([0.5000])
        """
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        """The most likely value (the density's maximum), of shape
        ``batch_shape + event_shape``.

        >>> ember.distributions.Beta(ember.tensor([3.0]), ember.tensor([2.0])).mode
        tensor([0.6667])
        """
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self) -> Tensor:
        """The variance of each coordinate, of shape ``batch_shape + event_shape``.

        >>> ember.distributions.Uniform(0.0, ember.tensor([6.0])).variance
        tensor([3.])
        """
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        """The standard deviation, the square root of `variance`.

        >>> ember.distributions.Normal(0.0, ember.tensor([2.0])).stddev
        tensor([2.])
        """
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()) -> Tensor:
        """A sample (no gradient) of shape ``sample_shape + batch_shape + event_shape``."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()) -> Tensor:
        """A reparameterized sample: differentiable with respect to the parameters."""
        raise NotImplementedError

    def sample_n(self, n: int) -> Tensor:
        """``sample((n,))``, with the UserWarning PyTorch gives (it is deprecated there)."""
        import warnings
        warnings.warn("sample_n will be deprecated. Use .sample((n,)) instead", UserWarning)
        return self.sample(Size((n,)))

    def log_prob(self, value: Tensor) -> Tensor:
        """The log of the density (or of the probability mass) at ``value``, which
        broadcasts against the batch: one number per event, of shape ``value``'s batch.
        Differentiable with respect to the parameters; with argument validation on (the
        default), a value outside `support` raises ValueError.

        >>> ember.distributions.Normal(0.0, 1.0).log_prob(ember.tensor([0.0]))
        tensor([-0.9189])
        """
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        """The cumulative distribution function: the probability of a draw <= ``value``.

        >>> ember.distributions.Exponential(1.0).cdf(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.6321])
        """
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        """The inverse of `cdf`: the value below which a draw falls with probability
        ``value`` (the quantile).

        >>> ember.distributions.Normal(0.0, 1.0).icdf(ember.tensor([0.5, 0.975]))
        tensor([0.0000, 1.9600])
        """
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete distribution's finite support, along a new first
        dimension; with ``expand=True`` (the default) repeated over the batch, else of size 1
        in the batch dimensions. Only where ``has_enumerate_support`` is True.

        >>> ember.distributions.Bernoulli(ember.tensor([0.3, 0.9])).enumerate_support()
        tensor([[0., 0.],
                [1., 1.]])
        """
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """The (differential) entropy in nats, one number per distribution of the batch.

        >>> ember.distributions.Bernoulli(ember.tensor([0.5])).entropy()
        tensor([0.6931])
        """
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        """``exp(entropy())``: the number of equally likely outcomes with the same entropy.

        >>> ember.distributions.Categorical(ember.ones(4)).perplexity()
        tensor(4.)
        """
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=Size()) -> Size:
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = tuple(value.shape)
        event = tuple(self._event_shape)
        if shape[len(shape) - len(event):] != event:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.size()} vs {self._event_shape}.")
        expected = tuple(self._batch_shape) + event
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{value.size()} vs {Size(expected)}.")
        support = self.support
        if not support.check(value).all():
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{shape}) to be within the support ({support!r}) of the "
                             f"distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self) -> str:
        params = [(k, self.__dict__[k]) for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{k}: {_number(v) if v.numel() == 1 else v.size()}" for k, v in params)
        return f"{type(self).__name__}({args})"
