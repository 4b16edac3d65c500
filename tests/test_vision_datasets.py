"""ember.vision.datasets on files the tests write in the standard formats (and torchvision
0.28 reading the same files, where it can)."""
import gzip
import hashlib
import os
import pickle
import struct
import urllib.error

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import datasets, transforms
from tests._torchvision import one_torch_thread, torchvision  # noqa: F401


def _write_idx(path, array, compress):
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    header = struct.pack(">BBBB", 0, 0, codes[array.dtype.type], array.ndim)
    header += struct.pack(f">{array.ndim}i", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    if compress:
        payload = gzip.compress(payload)
        path = str(path) + ".gz"
    with open(path, "wb") as f:
        f.write(payload)
    return path


def _mnist_files(folder, rng, n_train=7, n_test=5, compress=False):
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        written[f"{prefix}-images-idx3-ubyte"] = _write_idx(
            folder / f"{prefix}-images-idx3-ubyte", images, compress)
        written[f"{prefix}-labels-idx1-ubyte"] = _write_idx(
            folder / f"{prefix}-labels-idx1-ubyte", labels, compress)
        written[prefix] = (images, labels)
    return written


@pytest.mark.parametrize("cls", ["MNIST", "FashionMNIST"])
def test_mnist_matches_torchvision_on_the_same_files(tmp_path, rng, cls):
    _mnist_files(tmp_path / cls / "raw", rng)
    for train in (True, False):
        ours = getattr(datasets, cls)(tmp_path, train=train)
        theirs = getattr(torchvision.datasets, cls)(tmp_path, train=train)
        np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
        np.testing.assert_array_equal(ours.targets.numpy(), theirs.targets.numpy())
        assert ours.classes == theirs.classes and len(ours) == len(theirs)
        image, label = ours[2]
        expected_image, expected_label = theirs[2]
        assert label == expected_label and image.mode == expected_image.mode == "L"
        np.testing.assert_array_equal(np.asarray(image), np.asarray(expected_image))
    assert getattr(datasets, cls).resources == [tuple(r) for r in
                                                getattr(torchvision.datasets, cls).resources]
    assert getattr(datasets, cls).mirrors == getattr(torchvision.datasets, cls).mirrors


def test_mnist_reads_gzipped_files_and_applies_transforms(tmp_path, rng):
    written = _mnist_files(tmp_path / "MNIST" / "raw", rng, compress=True)
    data = datasets.MNIST(tmp_path, train=False, transform=transforms.ToTensor(),
                          target_transform=lambda y: y + 100)
    images, labels = written["t10k"]
    x, y = data[3]
    assert x.shape == (1, 28, 28) and x.dtype == ember.float32
    np.testing.assert_allclose(x.numpy()[0], images[3] / 255, rtol=1e-6)
    assert y == labels[3] + 100
    assert "Split: Test" in repr(data)


def test_mnist_missing_or_malformed_files(tmp_path, rng):
    with pytest.raises(RuntimeError, match="download=True"):
        datasets.MNIST(tmp_path)
    folder = tmp_path / "MNIST" / "raw"
    _mnist_files(folder, rng)
    (folder / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x09ab")
    with pytest.raises(RuntimeError, match="promises shape"):
        datasets.MNIST(tmp_path)


def test_mnist_download_from_a_mirror_checks_md5(tmp_path, rng, monkeypatch):
    mirror = tmp_path / "mirror"
    written = _mnist_files(mirror, rng, compress=True)
    md5 = {os.path.basename(p): hashlib.md5(open(p, "rb").read()).hexdigest()
           for k, p in written.items() if isinstance(p, str)}
    monkeypatch.setattr(datasets.MNIST, "mirrors",
                        ["http://127.0.0.1:9/", mirror.as_uri() + "/"])
    monkeypatch.setattr(datasets.MNIST, "resources", sorted(md5.items()))
    data = datasets.MNIST(tmp_path / "root", train=True, download=True)
    np.testing.assert_array_equal(data.data.numpy(), written["train"][0])
    # a corrupted mirror: the md5 check fails and no partial file is left behind
    monkeypatch.setattr(datasets.MNIST, "mirrors", [mirror.as_uri() + "/"])
    monkeypatch.setattr(datasets.MNIST, "resources", [(n, "0" * 32) for n in md5])
    with pytest.raises(RuntimeError, match="invalid hash"):
        datasets.MNIST(tmp_path / "other", download=True)
    assert os.listdir(tmp_path / "other" / "MNIST" / "raw") == []


def test_download_offline_names_the_url(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(RuntimeError) as err:
        datasets.MNIST(tmp_path, download=True)
    message = str(err.value)
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in message
    assert "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz" in message
    with pytest.raises(urllib.error.URLError, match="cifar-10-python.tar.gz"):
        datasets.CIFAR10(tmp_path, download=True)


def _cifar_files(root, rng, cls, protocol):
    folder = root / cls.base_folder
    folder.mkdir(parents=True)
    classes = 100 if cls is datasets.CIFAR100 else 10
    written = {}
    for name, _ in cls.train_list + cls.test_list:
        n = 4
        batch = {"batch_label": f"batch {name}",
                 "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 cls.label_key: [int(v) for v in rng.integers(0, classes, n)],
                 "filenames": [f"img{i}.png" for i in range(n)]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=protocol))
        written[name] = batch
    names = [f"class{i}" for i in range(classes)]
    (folder / cls.meta["filename"]).write_bytes(
        pickle.dumps({cls.meta["key"]: names}, protocol=protocol))
    return written, names


@pytest.mark.parametrize("cls", [datasets.CIFAR10, datasets.CIFAR100])
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_cifar_reads_pickled_batches(tmp_path, rng, cls, protocol):
    written, names = _cifar_files(tmp_path, rng, cls, protocol)
    train = cls(tmp_path, train=True)
    batches = [written[name] for name, _ in cls.train_list]
    assert len(train) == 4 * len(batches) and train.classes == names
    assert train.targets == [t for b in batches for t in b[cls.label_key]]
    image, label = train[4 * (len(batches) - 1) + 1]
    flat = batches[-1]["data"][1]
    np.testing.assert_array_equal(np.asarray(image), flat.reshape(3, 32, 32).transpose(1, 2, 0))
    assert image.mode == "RGB" and label == batches[-1][cls.label_key][1]
    test = cls(tmp_path, train=False, transform=transforms.PILToTensor())
    x, _ = test[0]
    np.testing.assert_array_equal(x.numpy().reshape(-1), written[cls.test_list[0][0]]["data"][0])
    theirs = getattr(torchvision.datasets, cls.__name__)
    for attr in ("base_folder", "url", "filename", "tgz_md5", "train_list", "test_list",
                 "meta"):
        assert getattr(cls, attr) == getattr(theirs, attr), attr


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_cifar_batches_never_run_code(tmp_path, rng, monkeypatch):
    _cifar_files(tmp_path, rng, datasets.CIFAR10, 2)
    monkeypatch.chdir(tmp_path)
    hostile = {"data": np.zeros((1, 3072), np.uint8), "labels": [_RunsCode()]}
    path = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(pickle.dumps(hostile, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        datasets.CIFAR10(tmp_path)
    path.write_bytes(pickle.dumps({"data": np.array([None, 1]), "labels": []}))
    with pytest.raises(pickle.UnpicklingError, match="Python objects"):
        datasets.CIFAR10(tmp_path)
    assert not (tmp_path / "pwned").exists()


def test_cifar_download_extracts_the_archive(tmp_path, rng, monkeypatch):
    import tarfile
    source = tmp_path / "source"
    _cifar_files(source, rng, datasets.CIFAR10, 2)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setattr(datasets.CIFAR10, "url", archive.as_uri())
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5",
                        hashlib.md5(archive.read_bytes()).hexdigest())
    data = datasets.CIFAR10(tmp_path / "root", train=False, download=True)
    assert len(data) == 4


def _image_tree(root, rng):
    for cls, count in (("dog", 3), ("cat", 2), ("bird", 1)):
        (root / cls / "nested").mkdir(parents=True)
        for i in range(count):
            array = rng.integers(0, 256, (6 + i, 5, 3), dtype=np.uint8)
            sub = root / cls / ("nested" if i == 1 else "")
            Image.fromarray(array).save(sub / f"img{i}.png")
        (root / cls / "notes.txt").write_text("not an image")


def test_image_folder_matches_torchvision(tmp_path, rng):
    _image_tree(tmp_path, rng)
    ours = datasets.ImageFolder(tmp_path, transform=transforms.ToTensor())
    theirs = torchvision.datasets.ImageFolder(tmp_path, transform=torchvision.transforms.ToTensor())
    assert ours.classes == theirs.classes == ["bird", "cat", "dog"]
    assert ours.class_to_idx == theirs.class_to_idx
    assert ours.samples == theirs.samples and ours.targets == theirs.targets
    for i in range(len(ours)):
        x, y = ours[i]
        tx, ty = theirs[i]
        assert y == ty
        np.testing.assert_array_equal(x.numpy(), tx.numpy())


def test_dataset_folder_custom_loader_and_empty_classes(tmp_path, rng):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
    np.save(tmp_path / "a" / "x.npy", np.arange(3))
    with pytest.raises(FileNotFoundError, match="b"):
        datasets.DatasetFolder(tmp_path, loader=np.load, extensions=(".npy",))
    data = datasets.DatasetFolder(tmp_path, loader=np.load, extensions=(".npy",),
                                  allow_empty=True)
    assert len(data) == 1 and data.classes == ["a", "b"]
    np.testing.assert_array_equal(data[0][0], np.arange(3))
    with pytest.raises(ValueError):
        datasets.DatasetFolder(tmp_path, loader=np.load)


def test_fake_data_is_reproducible_per_index():
    state = ember.get_rng_state()
    data = datasets.FakeData(size=6, image_size=(3, 10, 12), num_classes=4,
                             transform=transforms.PILToTensor())
    x0, y0 = data[2]
    assert bool((ember.get_rng_state() == state).all())  # the global stream is untouched
    x1, y1 = data[2]
    assert x0.shape == (3, 10, 12) and x0.dtype == ember.uint8 and 0 <= y0 < 4
    assert bool((x0 == x1).all()) and y0 == y1
    assert not bool((data[3][0] == x0).all())
    labels = {datasets.FakeData(size=200, num_classes=4, image_size=(1, 2, 2))[i][1]
              for i in range(200)}
    assert labels == {0, 1, 2, 3}
    with pytest.raises(IndexError):
        data[6]


def test_digits_split_matches_the_example():
    from sklearn.datasets import load_digits
    train = datasets.Digits(train=True, transform=transforms.ToTensor())
    test = datasets.Digits(train=False)
    digits = load_digits()
    assert len(train) + len(test) == len(digits.target) == 1797
    order = np.random.default_rng(0).permutation(1797)
    x, y = train[0]
    assert x.shape == (1, 8, 8) and y == digits.target[order[0]]
    np.testing.assert_allclose(x.numpy()[0], digits.images[order[0]] / 16, atol=1 / 255)
    image, label = test[0]
    assert image.size == (8, 8) and label == digits.target[order[len(train)]]


def test_dataloader_batches_a_vision_dataset(tmp_path, rng):
    from ember.utils.data import DataLoader
    _mnist_files(tmp_path / "MNIST" / "raw", rng)
    data = datasets.MNIST(tmp_path, transform=transforms.ToTensor())
    x, y = next(iter(DataLoader(data, batch_size=4)))
    assert x.shape == (4, 1, 28, 28) and y.shape == (4,) and y.dtype == ember.int64


def test_import_ember_loads_neither_pillow_nor_vision():
    import subprocess
    import sys
    code = ("import sys, ember; assert 'PIL' not in sys.modules, 'PIL'; "
            "assert 'ember.vision' not in sys.modules; "
            "ember.vision.transforms.ToTensor; assert 'ember.vision' in sys.modules; "
            "import ember.vision.models")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, env=dict(os.environ, PYTHONPATH=root), timeout=120)
    assert out.returncode == 0, out.stderr
    with pytest.raises(AttributeError):
        ember.no_such_namespace
