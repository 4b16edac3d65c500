"""Recurrent layers (`RNN`, `LSTM`, `GRU`) and their single-step cells.

Parameter names, shapes, gate order and initialization are PyTorch's, so state dicts
interchange: ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``
(``weight_hr_l{k}`` for an LSTM with proj_size), with ``_reverse`` for the backward
direction; LSTM gates are stacked i, f, g, o and GRU gates r, z, n.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ... import _creation
from ..._tensor import Tensor
from ...ops import TABLE
from .. import init
from ..functional import rnn as R
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

_stack_states = TABLE["stack"].fn

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _check_sizes(input_size, hidden_size) -> None:
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")


def _dropout(p: float):
    from .. import functional as F  # dropout comes from its own family module
    return lambda x: F.dropout(x, p, True)


class RNNBase(Module):
    """What `RNN`, `LSTM` and `GRU` share: the stacked, maybe bidirectional parameters and
    the forward over padded or packed sequences."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if mode not in R.RECURRENCES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        _check_sizes(input_size, hidden_size)
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = self._recurrence.gates * hidden_size
        out_size = proj_size or hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for suffix in ("", "_reverse")[:self.num_directions]:
                layer_input = input_size if layer == 0 else out_size * self.num_directions
                shapes = {"weight_ih": (gate_size, layer_input),
                          "weight_hh": (gate_size, out_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(_creation.empty(shape, dtype=dtype,
                                                                  device=device)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _recurrence(self) -> R.Recurrence:
        # looked up, not stored: a pickled layer names only public classes
        return R.RECURRENCES[self.mode]

    @property
    def num_directions(self) -> int:
        """2 for a bidirectional network, else 1."""
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """Re-draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """A no-op: the weights are always used as they are (cuDNN's packing is not needed)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters per layer and direction, as lists of tensors in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _weights(self) -> list:
        kinds = ("w_ih", "w_hh") + (("b_ih", "b_hh") if self.bias else ()) + \
            (("w_hr",) if self.proj_size else ())
        return [R.Weights(**{k: getattr(self, n) for k, n in zip(kinds, names)})
                for names in self._all_weights]

    def _check_input(self, input: Tensor, batch_sizes) -> None:
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or "
                             f"convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _state_sizes(self) -> tuple:
        """The size of the last dim of each part of the state: h (and c)."""
        return (self.proj_size or self.hidden_size,)

    def forward(self, input, hx=None):
        """Run the layers over ``input`` (padded, or a `PackedSequence`); returns the output
        (same layout as the input) and the final state ``h_n`` (``(h_n, c_n)`` for LSTM)."""
        packed = isinstance(input, PackedSequence)
        name = type(self).__name__
        if packed:
            input, batch_sizes, sorted_indices, unsorted_indices = input
            batch_sizes = [int(b) for b in batch_sizes._host()]
            batch, unbatched = batch_sizes[0], False
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got "
                                 f"{input.dim()}D instead")
            unbatched = input.dim() == 2
            if unbatched:
                input = input.unsqueeze(1)
            elif self.batch_first:
                input = input.transpose(0, 1)
            batch = input.shape[1]
            if input.shape[0] == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        self._check_input(input, batch_sizes)
        states = self._initial_states(hx, input, batch, unbatched, sorted_indices)
        dropout = _dropout(self.dropout) if self.dropout and self.training else None
        output, finals = R.run_layers(self._recurrence, input, batch_sizes, states,
                                      self._weights(), self.num_directions, dropout)
        h_n = tuple(_stack_states([f[k] for f in finals], 0) for k in range(len(finals[0])))
        if packed:
            if unsorted_indices is not None:
                h_n = tuple(h.index_select(1, unsorted_indices) for h in h_n)
            output = PackedSequence(output, _creation.tensor(batch_sizes), sorted_indices,
                                    unsorted_indices)
        elif unbatched:
            output, h_n = output.squeeze(1), tuple(h.squeeze(1) for h in h_n)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (h_n if len(h_n) > 1 else h_n[0])

    def _initial_states(self, hx, input, batch: int, unbatched: bool, sorted_indices) -> list:
        """Per layer and direction, the initial state tuple, checked against PyTorch's rules."""
        sizes = self._state_sizes()
        layers = self.num_layers * self.num_directions
        if hx is None:
            zeros = [input.new_zeros((layers, batch, size)) for size in sizes]
        else:
            parts = (hx,) if len(sizes) == 1 else _state_pair(hx, type(self).__name__,
                                                              IndexError)
            zeros = []
            for k, (h, size) in enumerate(zip(parts, sizes)):
                if h.dim() != (2 if unbatched else 3):
                    kind = "unbatched 2-D" if unbatched else "batched 3-D"
                    raise RuntimeError(f"For {kind} input, hx should also be "
                                       f"{3 - unbatched}-D but got {h.dim()}-D tensor")
                h = h.unsqueeze(1) if unbatched else h
                if tuple(h.shape) != (layers, batch, size):
                    what = "hidden size" if len(sizes) == 1 else f"hidden[{k}] size"
                    raise RuntimeError(f"Expected {what} {(layers, batch, size)}, got "
                                       f"{list(h.shape)}")
                zeros.append(h)
            if sorted_indices is not None:
                zeros = [h.index_select(1, sorted_indices) for h in zeros]
        return [tuple(z[k] for z in zeros) for k in range(layers)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _split_args(args: tuple, kwargs: dict, keyword: str, default):
    """PyTorch's ``RNN(input_size, hidden_size, num_layers, nonlinearity, ...)`` positional
    order puts an extra argument at index 3; take it out of either place."""
    if len(args) > 3:
        return args[3], args[:3] + args[4:], kwargs
    return kwargs.pop(keyword, default), args, kwargs


def _state_pair(hx, name: str, error: type) -> tuple:
    """An LSTM state ``(h, c)``; PyTorch raises IndexError (layers) or TypeError (cells)."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise error(f"{name}: expected hx to be a tuple (h_0, c_0) of two Tensors, got "
                    f"{type(hx).__name__}" + (f" of length {len(hx)}"
                                               if isinstance(hx, (tuple, list)) else ""))
    return tuple(hx)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    >>> out, h_n = ember.nn.RNN(4, 8, num_layers=2)(ember.randn(5, 3, 4))
    >>> out.shape, h_n.shape
    (ember.Size([5, 3, 8]), ember.Size([2, 3, 8]))
    """

    def __init__(self, *args, **kwargs):
        nonlinearity, args, kwargs = _split_args(args, kwargs, "nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        if kwargs.get("proj_size"):
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory; the state is ``(h, c)``, and ``proj_size`` projects ``h``.

    >>> out, (h_n, c_n) = ember.nn.LSTM(4, 8, batch_first=True)(ember.randn(3, 5, 4))
    >>> out.shape, c_n.shape
    (ember.Size([3, 5, 8]), ember.Size([1, 3, 8]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def _state_sizes(self) -> tuple:
        return (self.proj_size or self.hidden_size, self.hidden_size)


class GRU(RNNBase):
    """Gated recurrent unit (PyTorch's formulation: the reset gate scales ``W_hn h + b_hn``).

    >>> out, h_n = ember.nn.GRU(4, 8, bidirectional=True)(ember.randn(5, 4))
    >>> out.shape, h_n.shape
    (ember.Size([5, 16]), ember.Size([2, 8]))
    """

    def __init__(self, *args, **kwargs):
        if kwargs.get("proj_size"):
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """What the cells share: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        _check_sizes(input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = num_chunks * hidden_size
        factory = dict(dtype=dtype, device=device)
        self.weight_ih = Parameter(_creation.empty((rows, input_size), **factory))
        self.weight_hh = Parameter(_creation.empty((rows, hidden_size), **factory))
        if bias:
            self.bias_ih = Parameter(_creation.empty(rows, **factory))
            self.bias_hh = Parameter(_creation.empty(rows, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, input: Tensor, hx: tuple) -> tuple:
        """One step from state ``hx`` (a tuple, None for zeros), unbatched input allowed."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             f"instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{input.shape[-1]} expected {self.input_size}")
        unbatched = input.dim() == 1
        if unbatched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = input.new_zeros((input.shape[0], self.hidden_size))
            hx = (zeros,) * (2 if self._mode == "LSTM" else 1)
        else:
            for k, h in enumerate(hx):
                if h.dim() != (1 if unbatched else 2):
                    what = "hidden" if len(hx) == 1 else f"hx[{k}]"
                    raise (ValueError if h.dim() not in (1, 2) else RuntimeError)(
                        f"{name}: Expected {what} to be {'1D' if unbatched else '2D'}, got "
                        f"{h.dim()}D instead")
                if tuple(h.shape)[-1] != self.hidden_size or \
                        (not unbatched and h.shape[0] != input.shape[0]):
                    raise RuntimeError(f"{name}: hidden state of shape {list(h.shape)} does "
                                       f"not match input batch {input.shape[0]} and "
                                       f"hidden_size {self.hidden_size}")
            hx = tuple(h.unsqueeze(0) for h in hx) if unbatched else tuple(hx)
        weights = R.Weights(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        state = R.cell(R.RECURRENCES[self._mode], input, hx, weights)
        return tuple(s.squeeze(0) for s in state) if unbatched else state


class RNNCell(RNNCellBase):
    """One step of `RNN`: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    >>> ember.nn.RNNCell(4, 8)(ember.randn(3, 4)).shape
    ember.Size([3, 8])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    @property
    def _mode(self) -> str:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, None if hx is None else (hx,))[0]


class LSTMCell(RNNCellBase):
    """One step of `LSTM`; returns ``(h', c')``.

    >>> h, c = ember.nn.LSTMCell(4, 8)(ember.randn(3, 4))
    >>> c.shape
    ember.Size([3, 8])
    """

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        return self._step(input, None if hx is None else _state_pair(hx, "LSTMCell", TypeError))


class GRUCell(RNNCellBase):
    """One step of `GRU`.

    >>> ember.nn.GRUCell(4, 8)(ember.randn(4)).shape
    ember.Size([8])
    """

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, None if hx is None else (hx,))[0]
