"""`ember.distributions`: PyTorch's probability distributions, their KL divergences and
constraints. Sampling draws from Ember's generator (``ember.manual_seed``); ``rsample`` is
differentiable in the parameters (reparameterization).

    >>> d = ember.distributions.Normal(ember.tensor(0.0), ember.tensor(1.0))
    >>> d.log_prob(ember.tensor(0.5))
    tensor(-1.0439)
"""
from . import constraints
from .bernoulli import Bernoulli, Binomial, Geometric
from .categorical import Categorical, OneHotCategorical
from .cauchy import Cauchy
from .continuous_bernoulli import ContinuousBernoulli
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Beta, Chi2, Dirichlet, Gamma, Poisson, StudentT
from .gumbel import Gumbel
from .independent import Independent
from .kl import kl_divergence, register_kl
from .kumaraswamy import Kumaraswamy
from .laplace import Laplace
from . import transforms
from .transformed_distribution import TransformedDistribution
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import HalfNormal, LogNormal, Normal
from .uniform import Uniform
from .von_mises import VonMises
from .weibull import Pareto, Weibull

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
           "ContinuousBernoulli", "Dirichlet", "Distribution", "Exponential", "Gamma",
           "Geometric", "Gumbel", "HalfNormal", "Independent", "Kumaraswamy", "Laplace",
           "LogNormal", "LowRankMultivariateNormal", "MixtureSameFamily", "Multinomial",
           "MultivariateNormal", "Normal", "OneHotCategorical", "Pareto", "Poisson",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT", "TransformedDistribution",
           "Uniform", "Weibull", "constraints", "kl_divergence", "register_kl", "transforms"]
