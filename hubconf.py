"""Ember's hub entry points: ``ember.hub.load(<this repository>, name, source='local')``.

``ember.hub.list`` shows the names, ``ember.hub.help`` an entry point's documentation.
"""
dependencies = ["numpy"]

from ember.hub.pretrained import all_minilm_l6_v2, digits_cnn  # noqa: E402,F401
