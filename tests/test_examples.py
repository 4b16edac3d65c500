"""The examples train: short runs of each through their importable ``train`` functions."""
import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import ember
from examples import char_gpt, digits, word_lstm


def quiet(*_):
    pass


def check_digits_tensorboard_log(log_dir, model, epochs: int, steps_per_epoch: int) -> None:
    """The demo's events read back with TensorBoard's own reader."""
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0,
                                                           "images": 0})
    events.Reload()
    tags = events.Tags()
    assert set(tags["scalars"]) == {"loss/train", "learning_rate", "accuracy/test"}
    assert [e.step for e in events.Scalars("loss/train")] == \
        list(range(1, epochs * steps_per_epoch + 1))
    for tag in ("learning_rate", "accuracy/test"):
        assert [e.step for e in events.Scalars(tag)] == list(range(1, epochs + 1))
    learning_rates = [e.value for e in events.Scalars("learning_rate")]
    assert learning_rates[0] == np.float32(3e-3) and learning_rates[1] < learning_rates[0]
    assert all(0.0 <= e.value <= 1.0 for e in events.Scalars("accuracy/test"))

    names = [name for name, _ in model.named_parameters()]
    assert sorted(tags["histograms"]) == sorted(names)
    last = events.Histograms("classifier.3.weight")[-1]
    weights = model.classifier[3].weight.detach().numpy()
    assert last.step == epochs and last.histogram_value.num == weights.size
    assert np.isclose(last.histogram_value.sum, weights.sum(), rtol=1e-4, atol=1e-4)

    assert tags["images"] == ["test/predictions"]
    grid = events.Images("test/predictions")
    assert [e.step for e in grid] == list(range(1, epochs + 1))
    assert (grid[-1].width, grid[-1].height) == (8 * 34, 2 * 48)  # 16 digits, 8 to a row

    assert tags["graph"]
    ops = {node.op for node in events.Graph().node}
    assert {"conv", "max_pool", "addmm", "relu"} <= ops, ops


def test_digits_learns_logs_to_tensorboard_and_its_checkpoint_round_trips(tmp_path):
    model, acc, test_loader, optimizer = digits.train(epochs=2, workers=0, show_progress=False,
                                                      log_dir=tmp_path / "runs")
    assert acc > 0.6, f"test accuracy {acc:.2%} after 2 epochs (chance is 10%)"
    train_set, _ = digits.digits_datasets()
    check_digits_tensorboard_log(tmp_path / "runs", model, 2, -(-len(train_set) // 64))

    path = tmp_path / "digits.pt"
    ember.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    checkpoint = ember.load(path)
    restored = digits.DigitsCNN()
    restored.load_state_dict(checkpoint["model"])
    assert digits.accuracy(restored, test_loader) == acc
    images, _ = next(iter(test_loader))
    model.eval()
    restored.eval()
    with ember.no_grad():
        assert ember.equal(model(images), restored(images))

    # The reloaded optimizer continues exactly where the saved one left off.
    restored_optimizer = ember.optim.Adam(restored.parameters(), lr=1.0)
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    assert restored_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    for net, opt in ((model, optimizer), (restored, restored_optimizer)):
        net.train()
        opt.zero_grad()
        net(images).square().mean().backward()
        opt.step()
    for p, q in zip(model.parameters(), restored.parameters()):
        assert ember.equal(p, q)


def test_char_gpt_loss_falls_and_it_samples():
    model, codec, history = char_gpt.train(steps=40, block=16, batch=8, report_every=40,
                                           log=quiet)
    (_, first_train, first_val), (_, last_train, last_val) = history[0], history[-1]
    assert last_train < first_train - 0.5, history
    assert last_val < first_val - 0.3, history

    model.eval()
    prompt = codec.encode("The ").unsqueeze(0)
    sample = model.generate(prompt, length=20)
    assert sample.shape == (1, 24) and ember.equal(sample[:, :4], prompt)
    assert len(codec.decode(sample[0].tolist())) == 24


def test_word_lstm_perplexity_falls():
    _, history = word_lstm.train(epochs=3, log=quiet)
    train_perplexities = [p for _, p, _ in history]
    assert train_perplexities == sorted(train_perplexities, reverse=True), history
    assert history[-1][2] < history[0][2], history
