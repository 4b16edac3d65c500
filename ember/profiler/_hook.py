"""The switch the dispatcher reads on every op call.

``ACTIVE`` is empty unless a profiler is recording; then it holds that profiler's recorder.
The op dispatcher (`ember.ops._op`) and the backward engine test it once per call (a list's
truth value: no function call), so an idle profiler costs nothing measurable.
"""
ACTIVE: list = []
