"""The sets parameters and samples of distributions live in, PyTorch's `constraints`.

A constraint's ``check(value)`` is a bool tensor, one entry per event (``event_dim`` trailing
dims form one event); distributions use it to validate their arguments and samples.
"""
from __future__ import annotations

__all__ = ["Constraint", "boolean", "dependent", "dependent_property", "greater_than",
           "greater_than_eq", "half_open_interval", "independent", "integer_interval",
           "interval", "is_dependent", "less_than", "lower_cholesky", "nonnegative",
           "nonnegative_integer", "one_hot", "open_interval", "positive", "positive_definite",
           "positive_integer", "real", "real_vector", "simplex", "unit_interval"]


class Constraint:
    """A region of the reals: ``check(value)`` says which events of ``value`` lie in it."""

    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """A placeholder for a constraint that depends on other parameters."""

    def __init__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    @property
    def is_discrete(self) -> bool:
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self) -> int:
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        return _Dependent(is_discrete=self._is_discrete if is_discrete is NotImplemented
                          else is_discrete,
                          event_dim=self._event_dim if event_dim is NotImplemented
                          else event_dim)

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    """Whether ``constraint`` is a `dependent` placeholder."""
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A property whose value is a constraint built from the distribution's parameters
    (``support`` of `Uniform`); on the class it acts as a `dependent` placeholder."""

    def __init__(self, fn=None, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


class _Independent(Constraint):
    """``base_constraint`` over events of ``reinterpreted_batch_ndims`` more dims."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims: int):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self) -> bool:
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        if result.dim() < self.reinterpreted_batch_ndims:
            expected = self.base_constraint.event_dim + self.reinterpreted_batch_ndims
            raise ValueError(f"Expected value.dim() >= {expected} but got {value.dim()}")
        n = self.reinterpreted_batch_ndims
        return result.reshape(result.shape[:result.dim() - n] + (-1,)).all(-1)

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class _Multinomial(Constraint):
    """Nonnegative counts summing to at most ``upper_bound``."""
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return (value >= 0).all(-1) & (value.sum(-1) <= self.upper_bound)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (value % 1 == 0) & (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return (f"IntegerInterval(lower_bound={self.lower_bound}, "
                f"upper_bound={self.upper_bound})")


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)

    def __repr__(self) -> str:
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Real(Constraint):
    def check(self, value):
        return value == value  # false only for NaN


class _Bound(Constraint):
    """``lower_bound (<|<=) value (<|<=) upper_bound``; a None bound is no bound."""

    def __init__(self, name, lower_bound=None, upper_bound=None, closed=(False, False)):
        self._name = name
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        self._closed = closed

    def check(self, value):
        ok = value == value
        if self.lower_bound is not None:
            ok = ok & ((value >= self.lower_bound) if self._closed[0]
                       else (value > self.lower_bound))
        if self.upper_bound is not None:
            ok = ok & ((value <= self.upper_bound) if self._closed[1]
                       else (value < self.upper_bound))
        return ok

    def __repr__(self) -> str:
        bounds = [f"{n}={_number(b)}" for n, b in (("lower_bound", self.lower_bound),
                                          ("upper_bound", self.upper_bound)) if b is not None]
        return f"{self._name}({', '.join(bounds)})"


def _number(bound):
    """A bound as PyTorch formats it: a 0-d tensor as its number."""
    return bound.item() if hasattr(bound, "dim") and bound.dim() == 0 else bound


def greater_than(lower_bound) -> Constraint:
    return _Bound("GreaterThan", lower_bound)


def greater_than_eq(lower_bound) -> Constraint:
    return _Bound("GreaterThanEq", lower_bound, closed=(True, False))


def less_than(upper_bound) -> Constraint:
    return _Bound("LessThan", upper_bound=upper_bound)


def interval(lower_bound, upper_bound) -> Constraint:
    return _Bound("Interval", lower_bound, upper_bound, (True, True))


def half_open_interval(lower_bound, upper_bound) -> Constraint:
    return _Bound("HalfOpenInterval", lower_bound, upper_bound, (True, False))


def open_interval(lower_bound, upper_bound) -> Constraint:
    return _Bound("OpenInterval", lower_bound, upper_bound)


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        lower = (value.tril() == value).reshape(value.shape[:-2] + (-1,)).min(-1).values
        positive = (value.diagonal(dim1=-2, dim2=-1) > 0).min(-1).values
        return lower & positive


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        from .. import linalg
        symmetric = (value - value.mT).abs().reshape(value.shape[:-2] + (-1,)).amax(-1) < 1e-6
        return symmetric & (linalg.cholesky_ex(value).info == 0)


dependent = _Dependent()
dependent_property = _DependentProperty
independent = _Independent
boolean = _Boolean()
one_hot = _OneHot()
multinomial = _Multinomial
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _Bound("GreaterThan", 0.0)
nonnegative = _Bound("GreaterThanEq", 0.0, closed=(True, False))
unit_interval = interval(0.0, 1.0)
simplex = _Simplex()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
