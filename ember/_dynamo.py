"""``torch._dynamo``'s most used helpers, which programs call directly: the same functions as
`ember.compiler`'s."""
from .compiler import config, disable, explain, is_compiling, reset  # noqa: F401
