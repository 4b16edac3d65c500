"""``ember.special``: PyTorch's special functions, by their ``torch.special`` names.

>>> ember.special.gammaln(ember.tensor([4.0]))
tensor([1.7918])
"""
from .ops import TABLE as _TABLE, COMPOSITES as _COMPOSITES
from . import _functions as _f


def _of(name):
    entry = _TABLE.get(name) or _COMPOSITES[name]
    return entry.fn


expit = _f.sigmoid
logit = _f.logit
erf = _f.erf
erfc = _f.erfc
erfinv = _f.erfinv
exp2 = _f.exp2
expm1 = _f.expm1
log1p = _f.log1p
gammaln = _f.lgamma
digamma = psi = _f.digamma
polygamma = _f.polygamma
multigammaln = _f.mvlgamma
i0 = _f.i0
sinc = _f.sinc
round = _f.round
xlogy = _f.xlogy
logsumexp = _f.logsumexp
softmax = _f.softmax
log_softmax = _f.log_softmax
erfcx = _of("special_erfcx")
i0e = _of("special_i0e")
i1 = _of("special_i1")
i1e = _of("special_i1e")
ndtri = _of("special_ndtri")
zeta = _of("special_zeta")
xlog1py = _of("special_xlog1py")
entr = _of("special_entr")
ndtr = _of("special_ndtr")
log_ndtr = _of("special_log_ndtr")
gammainc = _f.igamma
gammaincc = _f.igammac
