"""Ember's dtypes and PyTorch's type-promotion rules.

A dtype is a small immutable object naming an element type. NumPy holds the bits, so each
dtype knows its NumPy counterpart; bfloat16 has none in NumPy itself and comes from the
`ml_dtypes` package (the `ember[bfloat16]` extra), loaded only when first used.
"""
from __future__ import annotations

import numpy as np

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """An element type, such as ``ember.float32``.

    >>> ember.float32.itemsize, ember.float32.is_floating_point
    (4, True)
    """

    __slots__ = ("name", "itemsize", "category", "is_signed", "_np")

    def __init__(self, name: str, itemsize: int, category: int, is_signed: bool, np_dtype):
        self.name = name
        self.itemsize = itemsize
        self.category = category
        self.is_signed = is_signed
        self._np = np_dtype

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self.category == _COMPLEX

    @property
    def np(self) -> np.dtype:
        """The NumPy dtype that stores this type's elements."""
        if self._np is None:  # bfloat16: its NumPy type lives in ml_dtypes
            self._np = np.dtype(_load_ml_dtypes().bfloat16)
            _BY_NUMPY[self._np] = self
        return self._np

    def to_real(self) -> "dtype":
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> "dtype":
        return {float64: complex128, complex128: complex128}.get(self, complex64)

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


# PyTorch's names of the element types in its messages ("not implemented for 'Float'") and
# in its legacy tensor types ("FloatTensor").
_SCALAR_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                      "bfloat16": "BFloat16", "int64": "Long", "int32": "Int", "int16": "Short",
                      "int8": "Char", "uint8": "Byte", "bool": "Bool",
                      "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def scalar_type_name(d) -> str:
    """PyTorch's name of the element type ``d`` (an Ember or NumPy dtype) in its messages:
    ``'Float'``, ``'Long'``."""
    return _SCALAR_TYPE_NAMES.get(d.name, d.name)


def _load_ml_dtypes():
    try:
        import ml_dtypes
    except ImportError as e:
        raise ImportError(
            "bfloat16 tensors need the 'ml_dtypes' package: pip install 'ember[bfloat16]'"
        ) from e
    return ml_dtypes


bool_ = dtype("bool", 1, _BOOL, False, np.dtype(np.bool_))
uint8 = dtype("uint8", 1, _INT, False, np.dtype(np.uint8))
int8 = dtype("int8", 1, _INT, True, np.dtype(np.int8))
int16 = dtype("int16", 2, _INT, True, np.dtype(np.int16))
int32 = dtype("int32", 4, _INT, True, np.dtype(np.int32))
int64 = dtype("int64", 8, _INT, True, np.dtype(np.int64))
float16 = dtype("float16", 2, _FLOAT, True, np.dtype(np.float16))
bfloat16 = dtype("bfloat16", 2, _FLOAT, True, None)
float32 = dtype("float32", 4, _FLOAT, True, np.dtype(np.float32))
float64 = dtype("float64", 8, _FLOAT, True, np.dtype(np.float64))
complex64 = dtype("complex64", 8, _COMPLEX, True, np.dtype(np.complex64))
complex128 = dtype("complex128", 16, _COMPLEX, True, np.dtype(np.complex128))

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
       complex64, complex128)
_BY_NAME = {d.name: d for d in ALL}
_BY_NUMPY = {d._np: d for d in ALL if d._np is not None}
# PyTorch spells some dtypes twice; ember.half etc. are the same objects.
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16,
           "int": int32, "long": int64, "cfloat": complex64, "cdouble": complex128}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype.name == "bfloat16":
        return bfloat16 if bfloat16.np == np_dtype else _unsupported(np_dtype)
    found = _BY_NUMPY.get(np_dtype)
    return found if found is not None else _unsupported(np_dtype)


def _unsupported(np_dtype):
    raise TypeError(
        f"can't convert NumPy array of type {np_dtype}; the supported types are: "
        + ", ".join(d.name for d in ALL))


def as_dtype(d) -> dtype:
    """Accept an ember dtype, a NumPy dtype, a Python type or a name; return an ember dtype."""
    if type(d) is dtype:
        return d
    if d is float:  # Python's float is a double whatever the default dtype, as in PyTorch
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex128
    if isinstance(d, str):
        name = d.removeprefix("torch.").removeprefix("ember.")
        found = _BY_NAME.get(name) or ALIASES.get(name)
        if found is None:
            raise TypeError(f"unknown dtype {d!r}")
        return found
    return from_numpy_dtype(d)


# ----------------------------------------------------------------------------- defaults

_default = [float32]


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (``float32`` unless changed)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the floating dtype that Python floats become; only float types are allowed.

    >>> ember.set_default_dtype(ember.float64); ember.tensor(1.0).dtype
    ember.float64
    >>> ember.set_default_dtype(ember.float32)
    """
    d = as_dtype(d)
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


# ----------------------------------------------------------------------------- promotion


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to without losing their category.

    >>> ember.promote_types(ember.uint8, ember.int8)
    ember.int16
    """
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == _COMPLEX and lo is float64:
            return complex128
        return hi
    if a.category == _INT and a.is_signed != b.is_signed:
        # uint8 mixes with a signed type: int16 holds both ranges
        signed = a if a.is_signed else b
        return int16 if signed.itemsize == 1 else signed
    if {a, b} == {float16, bfloat16}:
        return float32
    return a if a.itemsize >= b.itemsize else b


def _combine_tiers(higher, lower):
    # One tier (dimensioned tensors, 0-dim tensors, Python scalars) only moves the result of
    # the tier above it when it brings a higher category: float32 + 0-dim float64 is float32.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _COMPLEX:
        return higher
    if lower.category == _COMPLEX:
        return higher.to_complex() if higher.category == _FLOAT else lower
    if higher.category == _FLOAT:
        return higher
    if higher is bool_ or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x) -> dtype:
    """The dtype a Python number takes as an operand (a 'weak' type in promotion)."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int64
    if isinstance(x, complex):
        return _default[0].to_complex()
    return _default[0]


def result_dtype(operands) -> dtype:
    """PyTorch's `result_type` over tensors and Python numbers."""
    dim = zero = wrapped = None
    for x in operands:
        data = getattr(x, "_data", None)
        if data is None:
            d = scalar_dtype(x) if not isinstance(x, np.generic) else from_numpy_dtype(x.dtype)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
            continue
        d = from_numpy_dtype(data.dtype)
        if data.ndim:
            dim = d if dim is None else promote_types(dim, d)
        else:
            zero = d if zero is None else promote_types(zero, d)
    return _combine_tiers(dim, _combine_tiers(zero, wrapped))


def result_type(tensor1, tensor2) -> dtype:
    """The dtype an op on ``tensor1`` and ``tensor2`` (tensors or numbers) produces.

    >>> ember.result_type(ember.tensor([1, 2]), 1.0)
    ember.float32
    """
    return result_dtype((tensor1, tensor2))


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether an op may write a ``from_`` result into a ``to`` tensor (no category drop).

    >>> ember.can_cast(ember.float64, ember.int32)
    False
    """
    from_, to = as_dtype(from_), as_dtype(to)
    if from_.category > to.category:
        return False
    return not (to is bool_ and from_ is not bool_)


# ----------------------------------------------------------------------------- limits


class finfo:
    """Machine limits of a floating dtype (the default dtype when none is given).

    >>> ember.finfo(ember.float32).eps
    1.1920928955078125e-07
    """

    def __init__(self, type: dtype | None = None):
        d = get_default_dtype() if type is None else as_dtype(type)
        if d.category < _FLOAT:
            raise TypeError(f"finfo() requires a floating point input type, got {d}")
        d = d.to_real()
        info = _load_ml_dtypes().finfo(d.np) if d is bfloat16 else np.finfo(d.np)
        self.dtype = d.name
        self.bits = d.itemsize * 8
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = float(10.0 ** -info.precision)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype.

    >>> ember.iinfo(ember.uint8).max
    255
    """

    def __init__(self, type: dtype):
        d = as_dtype(type)
        if d.category != _INT:
            raise TypeError(f"{d} is not supported by ember.iinfo")
        info = np.iinfo(d.np)
        self.dtype = d.name
        self.bits = d.itemsize * 8
        self.max = int(info.max)
        self.min = int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
