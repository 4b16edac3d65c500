"""The switch the op dispatcher reads for graph capture.

``ACTIVE`` is empty unless `ember.jit`'s tracer is recording; then it holds that tracer. The
dispatcher (`ember.ops._op`), in-place ops, the backward engine and the tensor methods that
leave Ember (``item``, ``tolist``, ``bool(t)``) test the list's truth once per call, so an
idle tracer costs nothing measurable.
"""
ACTIVE: list = []


def note(what: str, tensor=None) -> None:
    """Tell an active tracer that Python just read the data of ``tensor`` (``what`` says
    how)."""
    if ACTIVE:
        ACTIVE[0].data_dependent(what, tensor)
