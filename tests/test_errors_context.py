"""Errors that name the module they came from, and the graph-leak warning (issue 12)."""
import re
import warnings

import pytest
import torch

import ember
from bench import models
from ember import nn
from ember.vision.models import resnet18


def _raised(fn, kind):
    with pytest.raises(kind) as info:
        fn()
    return info.value


def _torch_message(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  the oracle's message, whatever its type
        return type(e), str(e)
    raise AssertionError("PyTorch did not raise")


# -- module path and repr in errors ---------------------------------------------------------
def test_sequential_index_path_type_and_torch_message():
    model = nn.Sequential(nn.Linear(100, 10), nn.ReLU(), nn.Linear(10, 10))
    model[2] = nn.Linear(5, 5)  # a broken layer among good ones
    kind, torch_text = _torch_message(
        lambda: torch.nn.Linear(5, 5)(torch.randn(64, 10)))
    error = _raised(lambda: model(ember.randn(64, 100)), kind)
    assert type(error) is kind is RuntimeError
    assert torch_text in str(error)  # PyTorch's own words survive, first
    assert str(error).endswith(
        '\nin module "2" (Linear(in_features=5, out_features=5, bias=True))')
    assert str(error).count("in module") == 1


class _Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(3, 3)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(4, 2), "box": nn.Linear(7, 4)})

    def forward(self, x, head):
        for block in self.blocks:
            x = block(x)
        return self.heads[head](x)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = _Encoder()
        self.stack = nn.Sequential(nn.Sequential(nn.Identity(), nn.Linear(2, 3)))

    def forward(self, x, head="cls", skip=True):
        return self.encoder(x, head) if skip else self.stack(x)


def test_named_children_module_list_and_dict_keys():
    net = _Net()
    net.encoder.blocks[1] = nn.Linear(4, 4)
    error = _raised(lambda: net(ember.randn(2, 4), "box"), RuntimeError)
    assert str(error).endswith(
        'in module "encoder.heads.box" (Linear(in_features=7, out_features=4, bias=True))')
    net.encoder.blocks[1] = nn.Linear(3, 3)
    error = _raised(lambda: net(ember.randn(2, 4)), RuntimeError)
    assert 'in module "encoder.blocks.1" (Linear(in_features=3, out_features=3' in str(error)


def test_nested_containers_and_path_relative_to_outermost_call():
    net = _Net()
    error = _raised(lambda: net(ember.randn(2, 4), skip=False), RuntimeError)
    assert 'in module "stack.0.1" (Linear(in_features=2, out_features=3' in str(error)
    # called on a submodule, the path is spelled from there
    error = _raised(lambda: net.stack(ember.randn(2, 4)), RuntimeError)
    assert 'in module "0.1" (Linear' in str(error)
    # the module called directly is named by its repr alone
    error = _raised(lambda: nn.Linear(3, 3)(ember.randn(2, 4)), RuntimeError)
    assert str(error).endswith("\nin module Linear(in_features=3, out_features=3, bias=True)")


def test_error_in_a_containers_own_forward_names_it_by_class():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(4, 4)

        def forward(self, x):
            return self.proj(x) @ ember.ones(3, 3)

    model = nn.Sequential(nn.Identity(), Block())
    error = _raised(lambda: model(ember.randn(2, 4)), RuntimeError)
    assert str(error).endswith('\nin module "1" (Block)')


def test_through_hooks_and_compiled_modules():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(3, 3))
    seen = []
    model[1].register_forward_pre_hook(lambda m, args: seen.append(m))
    model.register_forward_hook(lambda m, args, out: None)
    error = _raised(lambda: model(ember.randn(2, 4)), RuntimeError)
    assert seen and 'in module "1" (Linear(in_features=3' in str(error)
    assert str(error).count("in module") == 1

    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(3, 3))
    model.compile()
    error = _raised(lambda: model(ember.randn(2, 4)), RuntimeError)
    assert "mat1 and mat2 shapes cannot be multiplied" in str(error)
    assert 'in module "1" (Linear(in_features=3' in str(error)


class _Raises(nn.Module):
    def __init__(self, error):
        super().__init__()
        self.error = error

    def forward(self, x):
        raise self.error


def test_errors_with_structured_args_keep_them_and_get_a_note():
    error = _raised(lambda: nn.Sequential(_Raises(KeyError("k")))(1), KeyError)
    assert error.args == ("k",)
    assert error.__notes__ == ['in module "0" (_Raises())']

    class Custom(Exception):
        pass

    error = _raised(lambda: nn.Sequential(_Raises(Custom("mine")))(1), Custom)
    assert error.args == ("mine",) and error.__notes__ == ['in module "0" (_Raises())']


def test_stop_iteration_passes_untouched_and_catching_still_works():
    error = _raised(lambda: nn.Sequential(_Raises(StopIteration(3)))(1), StopIteration)
    assert error.args == (3,) and not hasattr(error, "__notes__")

    model = nn.Sequential(nn.Linear(2, 2))
    try:
        model(ember.randn(1, 3))
    except RuntimeError as e:  # the PyTorch type, as user code catches it
        caught = e
    assert re.search(r"shapes cannot be multiplied \(1x3 and 2x2\)", str(caught))
    assert model(ember.randn(1, 2)).shape == (1, 2)  # the module still works afterwards


# -- the graph-leak warning -----------------------------------------------------------------
def _model():
    ember.manual_seed(0)
    return nn.Linear(3, 1)


def _leaky_loop(model, steps):
    total = 0
    for _ in range(steps):
        loss = model(ember.randn(4, 3)).pow(2).mean()
        loss.backward()
        total += loss  # LEAK-LINE
    return total


def test_leak_warning_category_location_message_and_once_per_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _leaky_loop(_model(), 4)
    leaks = [w for w in caught if issubclass(w.category, ember.autograd.GraphLeakWarning)]
    assert len(leaks) == 1
    assert issubclass(ember.autograd.GraphLeakWarning, UserWarning)
    (w,) = leaks
    assert w.filename == __file__
    with open(__file__) as f:
        assert "# LEAK-LINE" in f.read().splitlines()[w.lineno - 1]
    assert "loss.item()" in str(w.message) and "loss.detach()" in str(w.message)
    assert "set_warn_graph_leak" in str(w.message)


def test_leak_warning_in_place_accumulator_and_switch():
    model = _model()
    running = ember.zeros(())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            loss = model(ember.randn(4, 3)).sum()
            loss.backward()
            running += loss
    assert [w.category for w in caught] == [ember.autograd.GraphLeakWarning]

    ember.autograd.set_warn_graph_leak(False)
    try:
        assert not ember.autograd.is_warn_graph_leak_enabled()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(2):
                loss = model(ember.randn(4, 3)).sum()
                loss.backward()
                running = running + loss  # a fresh line: only the switch keeps it quiet
    finally:
        ember.autograd.set_warn_graph_leak(True)


def _clean_patterns():
    model = _model()
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    total = 0.0
    for _ in range(3):  # ordinary loop
        opt.zero_grad()
        loss = model(ember.randn(4, 3)).pow(2).mean()
        loss.backward()
        opt.step()
        total += loss.item()
        kept = loss.detach()
        _ = kept * 2

    gen, disc = nn.Linear(2, 3), nn.Linear(3, 1)
    opt_g = ember.optim.SGD(gen.parameters(), lr=0.1)
    opt_d = ember.optim.SGD(disc.parameters(), lr=0.1)
    for _ in range(3):  # GAN: the discriminator step sees fake.detach()
        fake = gen(ember.randn(4, 2))
        d_loss = disc(ember.randn(4, 3)).mean() - disc(fake.detach()).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = -disc(fake).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()

    rnn = nn.RNNCell(3, 5)
    h = ember.zeros(2, 5)
    for _ in range(3):  # truncated BPTT
        for _ in range(4):
            h = rnn(ember.randn(2, 3), h)
        h.pow(2).sum().backward()
        h = h.detach()

    x = ember.randn(3, requires_grad=True)
    y = (x * x).sum()
    for _ in range(3):  # retain_graph=True
        y.backward(retain_graph=True)
        z = y * 2
    z.backward()


def test_no_leak_warning_for_clean_patterns():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ember.autograd.GraphLeakWarning)
        _clean_patterns()


# -- ember.utils.summary against torchinfo's conventions, counted by hand -------------------
def _totals(table: str) -> dict:
    found = dict(re.findall(r"^(Total params|Trainable params|Non-trainable params): ([\d,]+)$",
                            table, re.M))
    adds = re.search(r"^Total mult-adds \((\w)\): ([\d.]+)$", table, re.M)
    return {k: int(v.replace(",", "")) for k, v in found.items()} | {"adds": adds.groups()}


def _row(table: str, label: str) -> list:
    line = next(line for line in table.splitlines() if label in line)
    return re.split(r"\s{2,}", line.split(": ", 1)[1].strip())


def test_summary_lenet_counts_by_hand(capsys):
    stats = ember.utils.summary(models.lenet(ember), input_size=(1, 1, 28, 28))
    table = capsys.readouterr().out
    assert table.strip() == str(stats)
    # conv: (k*k*c_in + 1) * c_out parameters, each used once per output pixel
    conv1, conv2 = (5 * 5 * 1 + 1) * 6, (5 * 5 * 6 + 1) * 16
    fcs = [(400 + 1) * 120, (120 + 1) * 84, (84 + 1) * 10]
    assert (conv1, conv2, fcs) == (156, 2416, [48120, 10164, 850])
    assert _totals(table) == {"Total params": conv1 + conv2 + sum(fcs),
                              "Trainable params": 61706, "Non-trainable params": 0,
                              "adds": ("M", "0.42")}
    assert stats.total_mult_adds == conv1 * 28 * 28 + conv2 * 10 * 10 + sum(fcs) == 423038
    assert _row(table, "Conv2d (3)") == ["1-4", "[1, 16, 10, 10]", "2,416", "241,600", "True"]
    assert _row(table, "ReLU (1)") == ["1-2", "[1, 6, 28, 28]", "--", "--", "--"]
    assert "Input size (MB): 0.00" in table and "Params size (MB): 0.25" in table


def test_summary_resnet18_matches_torchinfos_totals():
    model = resnet18()
    model.layer1[0].conv1.weight.requires_grad_(False)
    stats = ember.utils.summary(model, input_size=(1, 3, 224, 224), depth=2, verbose=0)
    table = str(stats)

    def conv(c_in, c_out, k, side):  # weights, mult-adds (bias-free, per output pixel)
        return k * k * c_in * c_out, k * k * c_in * c_out * side * side

    def bn(c):
        return 2 * c, 2 * c

    parts = [conv(3, 64, 7, 112), bn(64)]
    for c_in, c_out, side in [(64, 64, 56), (64, 128, 28), (128, 256, 14), (256, 512, 7)]:
        parts += [conv(c_in, c_out, 3, side), bn(c_out), conv(c_out, c_out, 3, side), bn(c_out)]
        if c_in != c_out:
            parts += [conv(c_in, c_out, 1, side), bn(c_out)]
        parts += [conv(c_out, c_out, 3, side), bn(c_out)] * 2
    parts.append((512 * 1000 + 1000,) * 2)
    params, adds = map(sum, zip(*parts))
    assert params == 11_689_512  # torchinfo's (and torchvision's) ResNet18 count
    assert stats.total_mult_adds == adds
    frozen = 3 * 3 * 64 * 64
    assert _totals(table) == {"Total params": params, "Trainable params": params - frozen,
                              "Non-trainable params": frozen, "adds": ("G", "1.81")}
    # depth 2 folds each BasicBlock's subtree into its row; a partly frozen one says so
    block = conv(64, 64, 3, 56)[0] * 2 + 4 * 64
    assert _row(table, "BasicBlock (layer1.0)")[2:] == [f"{block:,}",
                                                        f"{2 * adds_of_block():,}", "Partial"]
    assert _row(table, "Conv2d (conv1)")[:3] == ["1-1", "[1, 64, 112, 112]", "9,408"]
    assert "layer1.0.conv1" not in table


def adds_of_block():  # one 64-channel BasicBlock at 56x56: two 3x3 convs and two norms, / 2
    return (3 * 3 * 64 * 64 * 56 * 56 * 2 + 2 * 2 * 64) // 2


def test_summary_tiny_gpt_counts_by_hand():
    vocab, width, block, layers, batch, steps = 96, 128, 64, 2, 2, 64
    model = models.gpt(ember, vocab=vocab, width=width, block=block, layers=layers)
    stats = ember.utils.summary(model, input_data=ember.zeros(batch, steps, dtype=ember.long),
                                verbose=0)
    table = str(stats)
    norm = 2 * width
    linears = [width * 3 * width + 3 * width, width * width + width,
               width * 4 * width + 4 * width, 4 * width * width + width]
    params = (vocab + block) * width + layers * (2 * norm + sum(linears)) + norm \
        + width * vocab + vocab
    assert stats.total_params == params == 429_664
    rows = batch * steps  # a Linear works on every position; lookups cost no multiply-adds
    adds = layers * (rows * sum(linears) + 2 * batch * norm) + batch * norm \
        + rows * (width * vocab + vocab)
    assert stats.total_mult_adds == adds
    assert _row(table, "Linear (blocks.0.qkv)") == [
        "3-2", f"[{batch}, {steps}, {3 * width}]", f"{linears[0]:,}", f"{rows * linears[0]:,}",
        "True"]
    assert _row(table, "Embedding (tokens)")[2:] == [f"{vocab * width:,}", "--", "True"]
    assert "blocks.0.mlp.0" not in table  # depth 3 folds the MLP's layers into its row


def test_summary_shape_error_names_the_layer():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(10, 2))
    error = _raised(lambda: ember.utils.summary(model, input_size=(1, 1, 8, 8)), RuntimeError)
    assert "(1x144 and 10x2)" in str(error)
    assert 'in module "2" (Linear(in_features=10, out_features=2, bias=True))' in str(error)
    assert not model[0]._forward_hooks and not model._forward_pre_hooks  # hooks removed


# -- check_finite ---------------------------------------------------------------------------
class _Sqrt(nn.Module):
    def forward(self, x):
        return x.sqrt()


def _finite_model():
    return nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.Identity(), nn.Linear(3, 3)),
                         _Sqrt(), nn.Linear(3, 1))


def test_check_finite_names_the_first_module_with_a_bad_output():
    model = _finite_model()
    with ember.no_grad():
        model[1][1].weight.fill_(-1.0)
    watch = nn.utils.check_finite(model)
    x = ember.ones(2, 3)
    model[0].weight.data.fill_(1.0)
    error = _raised(lambda: model(x), RuntimeError)
    assert str(error) == ("check_finite: the output of this module is not finite "
                          "(6 NaN, 0 Inf of 6 values)\nin module \"2\" (_Sqrt())")
    with ember.no_grad():
        model[1][1].weight.fill_(float("inf"))
    error = _raised(lambda: model(x), RuntimeError)
    assert str(error).endswith('in module "1.1" (Linear(in_features=3, out_features=3, '
                               'bias=True))')
    watch.remove()
    assert not ember.isfinite(model(x)).all()  # unwatched, it runs through


def test_check_finite_names_the_module_whose_backward_is_not_finite():
    model = _finite_model()
    with ember.no_grad():  # sqrt at 0: a finite forward with an infinite derivative
        model[1][1].weight.zero_()
        model[1][1].bias.zero_()
    with nn.utils.check_finite(model):
        out = model(ember.ones(2, 3)).sum()
        error = _raised(out.backward, RuntimeError)
    assert str(error).startswith('check_finite: the gradient that module "2" (_Sqrt()) passes '
                                 "back to its input is not finite (0 NaN, 6 Inf of 6 values)")
    model.zero_grad()
    model(ember.ones(2, 3)).sum().backward()  # the watch is off again
    assert not ember.isfinite(model[1][1].weight.grad).all()


def test_check_finite_parameter_gradients():
    model = nn.Sequential(nn.Linear(2, 2))
    with nn.utils.check_finite(model):
        out = (model(ember.ones(1, 2)) * float("nan")).sum()
        error = _raised(out.backward, RuntimeError)
    assert 'parameter "0.' in str(error) and "(Linear(in_features=2" in str(error)


def test_no_leak_warning_for_outputs_used_after_backward():
    model = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ember.autograd.GraphLeakWarning)
        for _ in range(3):
            out = model(ember.randn(4, 3))
            out.pow(2).mean().backward()
            probs = out.sigmoid()  # a metric from the output: nothing outlives the step
    assert probs.shape == (4, 1)


def test_leak_warning_for_a_loss_history_stacked_later():
    model, losses = _model(), []
    for _ in range(3):
        loss = model(ember.randn(4, 3)).pow(2).mean()
        loss.backward()
        losses.append(loss)
    with pytest.warns(ember.autograd.GraphLeakWarning, match=r"loss\.item\(\)"):
        ember.stack(losses).mean()


def test_a_failing_repr_does_not_mask_the_error():
    class BadRepr(nn.Linear):
        def extra_repr(self):
            raise ValueError("broken repr")

    error = _raised(lambda: nn.Sequential(BadRepr(3, 3))(ember.randn(2, 4)), RuntimeError)
    assert "(2x4 and 3x3)" in str(error)
