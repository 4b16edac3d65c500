"""The pickle machine `ember.load` runs by default: only the steps that rebuild data.

A pickle is a small program: besides building containers it can import any global
(``GLOBAL``), call any callable on the stack (``REDUCE``), create an instance through
``cls.__new__`` (``NEWOBJ``) and hand it a state (``BUILD``, which calls ``__setstate__`` or
sets attributes), or call ``append``/``__setitem__`` on whatever object is on the stack.
This unpickler keeps the standard machine (``pickle._Unpickler``) and replaces each of those
steps with a checked one, the protocol PyTorch's weights-only loader admits:

- a global resolves only through `resolve` (an allow-list; subclasses say which);
- ``REDUCE`` calls only the rebuild functions and plain types of the allow-list and the
  *functions* the user allowed, never a class the user allowed (that would run its
  ``__init__`` on arguments from the file; an Enum class looking up a member is the one
  exception) nor any object built from the file;
- ``NEWOBJ`` creates only allowed classes, through ``cls.__new__`` with no arguments unless
  the class itself asks for some (``__getnewargs__``), never running ``__init__``;
- ``BUILD`` sets the state only of instances of allowed classes, through the *class's*
  ``__setstate__`` (never one planted on the instance), with plain attribute names (no
  dunder such as ``__class__``);
- ``APPEND``/``SETITEM``/``ADDITEMS`` act only on lists, dicts and sets (or allowed classes);
- ``INST`` and ``OBJ`` (protocol 0/1 instantiation with arguments) are refused;
  ``copyreg._reconstructor`` (protocol 0/1 objects) only creates an allowed class bare.
"""
from __future__ import annotations

import _compat_pickle
import collections
import enum
import pickle

_dispatch = dict(pickle._Unpickler.dispatch)


def _refuse(message: str):
    raise pickle.UnpicklingError(f"ember.load refuses to load this file: {message}")


def _plain_name(key) -> bool:
    return isinstance(key, str) and not (key.startswith("__") and key.endswith("__"))


class RestrictedUnpickler(pickle._Unpickler):
    """`pickle._Unpickler` with every code-running step checked (see the module docstring).

    Subclasses implement `resolve` (module, name -> object, raising UnpicklingError for
    anything not allowed), and say which objects are ``callables`` (may be called by
    ``REDUCE``) and ``classes`` (may be created and given a state) through `_admit`.
    """

    dispatch = _dispatch

    def __init__(self, file):
        super().__init__(file)
        self._classes: dict[int, type] = {id(collections.OrderedDict): collections.OrderedDict}
        # one bound method, kept: REDUCE recognizes it by identity
        self._reconstruct = self._reconstructor
        self._callables: dict[int, object] = {id(self._reconstruct): self._reconstruct}

    def _admit(self, obj, callable_: bool) -> None:
        """Allow ``obj`` (just resolved) to be called by REDUCE, or, for a class the user
        allowed, to be created by NEWOBJ and given a state by BUILD."""
        if callable_:
            self._callables[id(obj)] = obj
        elif isinstance(obj, type):
            self._classes[id(obj)] = obj

    def resolve(self, module: str, name: str):
        raise NotImplementedError

    def find_class(self, module: str, name: str):
        if not (isinstance(module, str) and isinstance(name, str)):
            _refuse(f"a global named by {type(module).__name__}/{type(name).__name__}")
        if self.proto < 3 and self.fix_imports:  # Python 2 names (PyTorch writes protocol 2)
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if (module, name) == ("copyreg", "_reconstructor"):
            return self._reconstruct
        if (module, name) == ("builtins", "object"):  # _reconstructor's base, nothing more
            return object
        return self.resolve(module, name)

    def _reconstructor(self, cls, base, state):
        if base is not object or state is not None or id(cls) not in self._classes:
            _refuse(f"copyreg._reconstructor may only create an allowed class bare, got "
                    f"{_describe(cls)} from {_describe(base)}")
        return object.__new__(cls)

    # -- the checked steps -------------------------------------------------------------------
    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if id(func) not in self._callables and not _enum_lookup(func, args, self._classes):
            kind = "allowed class" if id(func) in self._classes else "object"
            _refuse(f"it calls {_describe(func)}, an {kind} that checkpoints may not call "
                    f"(only rebuild functions, plain types and functions you allow)")
        if not isinstance(args, tuple):
            _refuse(f"the arguments of {_describe(func)} are not a tuple")
        self.stack[-1] = func(*args)
    _dispatch[pickle.REDUCE[0]] = load_reduce

    def _new(self, cls, args: tuple, kwargs: dict):
        if id(cls) not in self._classes:
            _refuse(f"it creates {_describe(cls)}, which is not an allowed class")
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            _refuse(f"malformed arguments for {_describe(cls)}")
        asks = hasattr(cls, "__getnewargs_ex__") or hasattr(cls, "__getnewargs__")
        if (args or kwargs) and not asks:
            _refuse(f"it creates {_describe(cls)} with arguments {args!r}, which that class "
                    f"never asks for")
        return cls.__new__(cls, *args, **kwargs)

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, {}))
    _dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, kwargs))
    _dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        cls = type(inst)
        if id(cls) not in self._classes:
            _refuse(f"it sets the state of a {_describe(cls)}, which is not an allowed class")
        slots = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
        for part in (state, slots):
            if part is not None and not (isinstance(part, dict)
                                         and all(_plain_name(k) for k in part)):
                _refuse(f"the state of a {_describe(cls)} must map plain attribute names "
                        f"to values, got {_keys(part)}")
        setstate = getattr(cls, "__setstate__", None)
        if setstate is not None:
            setstate(inst, state if slots is None else (state, slots))
            return
        if state:
            inst.__dict__.update(state)
        for key, value in (slots or {}).items():
            setattr(inst, key, value)
    _dispatch[pickle.BUILD[0]] = load_build

    def _container(self, obj, kind: type, what: str):
        if type(obj) is not kind and not (isinstance(obj, kind) and id(type(obj)) in
                                          self._classes):
            _refuse(f"it {what} a {_describe(type(obj))}")

    def load_append(self):
        value = self.stack.pop()
        target = self.stack[-1]
        self._container(target, list, "appends to")
        target.append(value)
    _dispatch[pickle.APPEND[0]] = load_append

    def load_appends(self):
        items = self.pop_mark()
        target = self.stack[-1]
        self._container(target, list, "appends to")
        target.extend(items)
    _dispatch[pickle.APPENDS[0]] = load_appends

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        target = self.stack[-1]
        self._container(target, dict, "sets items of")
        target[key] = value
    _dispatch[pickle.SETITEM[0]] = load_setitem

    def load_setitems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        self._container(target, dict, "sets items of")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]
    _dispatch[pickle.SETITEMS[0]] = load_setitems

    def load_additems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        self._container(target, set, "adds items to")
        target.update(items)
    _dispatch[pickle.ADDITEMS[0]] = load_additems

    def _refuse_instantiation(self):
        _refuse("it instantiates a class with arguments (pickle protocol 0/1 INST/OBJ)")
    _dispatch[pickle.INST[0]] = _refuse_instantiation
    _dispatch[pickle.OBJ[0]] = _refuse_instantiation


def _enum_lookup(func, args, classes: dict) -> bool:
    """An allowed Enum class called on one value: a lookup of its member, no ``__init__``
    (how enum members pickle)."""
    return (id(func) in classes and issubclass(func, enum.Enum) and isinstance(args, tuple)
            and len(args) == 1)


def _describe(obj) -> str:
    if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__"):
        return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
    return f"a {type(obj).__module__}.{type(obj).__qualname__} object"


def _keys(part) -> str:
    if isinstance(part, dict):
        return repr([k for k in part if not _plain_name(k)])
    return type(part).__name__

