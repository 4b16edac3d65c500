"""ember.vision.models against torchvision 0.28: the same state_dict keys and shapes, and
the same outputs (and training gradients) given the same weights."""
import hashlib
import urllib.error

import numpy as np
import pytest
import torch

import ember
from ember.vision import models
from tests._torchvision import one_torch_thread, torchvision  # noqa: F401
from tests.helpers import assert_close

TVM = torchvision.models


@pytest.fixture
def rng(rng):
    torch.manual_seed(int(rng.integers(2 ** 31)))  # torchvision's initialization draws from it
    return rng


def _close_to_scale(actual, expected, rel, what="output", scale=None):
    """Equal up to ``rel`` times the largest magnitude (of ``expected``, or ``scale``): deep
    nets sum large terms that cancel, so small entries carry the rounding error of the large
    ones (and gradients that are zero in exact arithmetic come out as that rounding)."""
    scale = float(expected.abs().max()) if scale is None else scale
    assert_close(actual, expected, atol=rel * scale, rtol=0, what=what)


def _close_gradients(ours, theirs, rel):
    scale = max(float(p.grad.abs().max()) for p in theirs.parameters())
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        _close_to_scale(ours_params[name].grad, p.grad, rel, what=name, scale=scale)


def _keys_and_shapes(state):
    return [(k, tuple(v.shape)) for k, v in state.items()]


@pytest.mark.parametrize("name", ["resnet34", "resnet50", "vgg11", "vgg16"])
def test_state_dict_keys_and_shapes_match(name):
    with torch.device("meta"):
        theirs = getattr(TVM, name)(num_classes=7)
    ours = getattr(models, name)(num_classes=7, **({"init_weights": False}
                                                   if name.startswith("vgg") else {}))
    assert _keys_and_shapes(ours.state_dict()) == _keys_and_shapes(theirs.state_dict())


def _randomized(model, rng):
    """Random norm affine terms and heads, and running statistics measured on a random batch,
    so that eval mode is neither the identity nor blind to its input."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in norms:
            m.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, m.num_features)))
            m.bias.copy_(torch.tensor(rng.standard_normal(m.num_features) * 0.1))
            m.momentum = None  # a cumulative average: after one batch, that batch's statistics
        for m in model.modules():
            if isinstance(m, torch.nn.Linear):
                m.weight.copy_(torch.tensor(rng.standard_normal(m.weight.shape) * 0.2))
        model.train()(torch.tensor(rng.standard_normal((4, 3, 32, 32)), dtype=torch.float32))
    for m in norms:
        m.momentum = 0.1
    return model


def _load_into(ours, theirs):
    state = {k: ember.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    return ours


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_eval_outputs_match_with_the_same_weights(rng, name):
    theirs = _randomized(getattr(TVM, name)(num_classes=10), rng).eval()
    ours = getattr(models, name)(num_classes=10)
    assert _keys_and_shapes(ours.state_dict()) == _keys_and_shapes(theirs.state_dict())
    _load_into(ours, theirs).eval()
    x = rng.standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.tensor(x))
    # float32 through 20 to 50 layers (logits of tens): rounding grows to ~1e-4 of the scale
    _close_to_scale(ours(ember.tensor(x)), expected, 1e-3)
    assert float((expected[0] - expected[1]).abs().max()) > 0.1  # the inputs matter
    x = x[:, :, :32, :32].astype(np.float64)
    with torch.no_grad():
        expected = theirs.double()(torch.tensor(x))
    _close_to_scale(ours.double()(ember.tensor(x)), expected, 1e-10)


def test_train_mode_gradients_match(rng):
    theirs = _randomized(TVM.mobilenet_v2(num_classes=5, width_mult=0.5), rng).double().train()
    ours = _load_into(models.mobilenet_v2(num_classes=5, width_mult=0.5).double(),
                      theirs).train()
    theirs.classifier[0].p = ours.classifier[0].p = 0.0  # dropout draws differ between RNGs
    x = rng.standard_normal((3, 3, 32, 32))
    target = rng.integers(0, 5, 3)
    t_loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(target))
    e_loss = ember.nn.functional.cross_entropy(ours(ember.tensor(x)), ember.tensor(target))
    assert_close(e_loss, t_loss)
    t_loss.backward()
    e_loss.backward()
    # at 32x32 the last stages are 1x1: batch norm over 3 numbers is ill-conditioned, and
    # float64 gradients of ~1e5 agree to ~1e-8 of their scale
    _close_gradients(ours, theirs, 1e-7)
    ours_state = ours.state_dict()
    for name, value in theirs.state_dict().items():  # running statistics moved alike
        assert_close(ours_state[name], value, atol=1e-10, what=name)


def test_resnet18_trains_like_torchvision(rng):
    theirs = _randomized(TVM.resnet18(num_classes=3), rng).double().train()
    ours = _load_into(models.resnet18(num_classes=3).double(), theirs).train()
    x = rng.standard_normal((2, 3, 32, 32))
    grad_out = rng.standard_normal((2, 3))
    theirs(torch.tensor(x)).backward(torch.tensor(grad_out))
    ours(ember.tensor(x)).backward(ember.tensor(grad_out))
    _close_gradients(ours, theirs, 1e-7)  # the last stage is 1x1: see the test above


ENUMS = [("ResNet18_Weights", "resnet18"), ("ResNet34_Weights", "resnet34"),
         ("ResNet50_Weights", "resnet50"), ("MobileNet_V2_Weights", "mobilenet_v2"),
         ("VGG11_Weights", "vgg11"), ("VGG16_Weights", "vgg16")]


@pytest.mark.parametrize("enum_name,builder", ENUMS)
def test_weights_enums_match_torchvision(enum_name, builder):
    ours, theirs = getattr(models, enum_name), getattr(TVM, enum_name)
    # every checkpoint listed here is torchvision's (VGG16's feature-only one is left out)
    assert set(ours.__members__) <= set(theirs.__members__)
    for name in ours.__members__:
        a, b = ours[name], theirs[name]
        assert a.url == b.url
        assert a.meta["num_params"] == b.meta["num_params"]
        assert a.meta["_metrics"] == b.meta["_metrics"]
        assert list(a.meta["categories"]) == b.meta["categories"]
        ta, tb = a.transforms(), b.transforms()
        assert (ta.crop_size, ta.resize_size, ta.mean, ta.std) == \
            (tb.crop_size, tb.resize_size, tb.mean, tb.std)
    assert ours.DEFAULT.name == theirs.DEFAULT.name
    assert models.get_model_weights(builder) is ours
    assert models.get_weight(f"{enum_name}.DEFAULT") is ours.DEFAULT


def test_num_params_in_meta_count_the_model():
    for weights, builder in [(models.ResNet18_Weights, models.resnet18),
                             (models.MobileNet_V2_Weights, models.mobilenet_v2)]:
        model = builder()
        assert sum(p.numel() for p in model.parameters()) == weights.DEFAULT.meta["num_params"]


def test_pretrained_weights_load_from_the_cache(rng, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path))
    theirs = _randomized(TVM.resnet18(), rng).eval()
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(theirs.state_dict(), cache / "resnet18-f37072fd.pth")
    ours = models.resnet18(weights=models.ResNet18_Weights.DEFAULT).eval()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.tensor(x))
    _close_to_scale(ours(ember.tensor(x)), expected, 1e-4)
    assert models.get_model("resnet18", weights="DEFAULT").fc.out_features == 1000
    with pytest.raises(ValueError, match="num_classes"):
        models.resnet18(weights="IMAGENET1K_V1", num_classes=10)
    with pytest.raises(ValueError):
        models.resnet18(weights="IMAGENET1K_V9")


def test_pretrained_weights_offline_fail_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(urllib.error.URLError) as err:
        models.mobilenet_v2(weights=models.MobileNet_V2_Weights.DEFAULT)
    assert "https://download.pytorch.org/models/mobilenet_v2-7ebf99e0.pth" in str(err.value)
    assert "hub/checkpoints/mobilenet_v2-7ebf99e0.pth" in str(err.value)


def test_weights_enum_downloads_through_the_hub_cache(tmp_path, monkeypatch):
    """A weights member's URL is fetched once into ``$EMBER_HOME/hub/checkpoints``,
    hash-checked against the prefix in its file name, and loaded into the model."""
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    reference = torchvision.models.resnet18(num_classes=10)
    source = tmp_path / "source.pth"
    torch.save(reference.state_dict(), source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    published = tmp_path / f"resnet18-{digest[:8]}.pth"
    published.write_bytes(source.read_bytes())
    weights = models.ResNet18_Weights.IMAGENET1K_V1
    monkeypatch.setattr(type(weights), "url", property(lambda self: published.as_uri()))
    monkeypatch.setitem(weights.meta, "categories", [str(i) for i in range(10)])
    model = models.resnet18(weights=weights, progress=False).eval()
    assert (tmp_path / "home" / "hub" / "checkpoints" / published.name).is_file()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = reference.eval()(x)
    with ember.no_grad():
        actual = model(ember.from_numpy(x.numpy()))
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4)


def test_lenet5_is_the_classic_network(rng):
    model = models.lenet5()
    assert sum(p.numel() for p in model.parameters()) == 61706
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.Tanh(), torch.nn.AvgPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.Tanh(), torch.nn.Linear(120, 84), torch.nn.Tanh(),
        torch.nn.Linear(84, 10))
    with torch.no_grad():
        for p, q in zip(twin.parameters(), model.parameters()):
            p.copy_(torch.tensor(q.detach().numpy()))
    x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = twin(torch.tensor(x))
    assert_close(model(ember.tensor(x)), expected)
    with pytest.raises(ValueError):
        models.lenet5(weights="DEFAULT")
    assert "lenet5" in models.list_models()
