"""ember.hub: hub repositories (local, and GitHub's code path served from a file:// tree),
trust, downloads (cache, hash check, atomicity, offline failure) and the shipped models."""
from __future__ import annotations

import builtins
import hashlib
import json
import os
import sys
import urllib.error
import zipfile

import numpy as np
import pytest

import ember
import ember.hub._download as download
import ember.hub._github as github

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HUBCONF = '''
"""A test hub repository."""
dependencies = ["numpy"]

import ember
from ember import nn

from helpers_in_repo import WIDTH  # the repository's own modules are importable


def tiny_mlp(pretrained=False, width=WIDTH, url=None):
    """A 4-width-2 MLP; pretrained=True loads the weights at url."""
    model = nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Linear(width, 2))
    if pretrained:
        model.load_state_dict(ember.hub.load_state_dict_from_url(url, check_hash=True,
                                                                 progress=False))
    return model


def _not_an_entry_point():
    pass
'''


@pytest.fixture(autouse=True)
def hub_home(tmp_path, monkeypatch):
    """A fresh EMBER_HOME per test; get_dir() follows it. (Modules a hubconf imports stay
    in sys.modules, as with torch.hub: forget the test repository's.)"""
    monkeypatch.delitem(sys.modules, "helpers_in_repo", raising=False)
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(ember.hub, "_hub_dir", None)
    return tmp_path / "home" / "hub"


def make_repo(path, hubconf=HUBCONF):
    path.mkdir(parents=True)
    (path / "hubconf.py").write_text(hubconf)
    (path / "helpers_in_repo.py").write_text("WIDTH = 8\n")
    return path


def published_weights(directory, width=8, fake_hash=None):
    """A state_dict saved as name-<sha256 prefix>.pt (or a wrong prefix); its file:// URL."""
    ember.manual_seed(0)
    state = ember.nn.Sequential(ember.nn.Linear(4, width), ember.nn.ReLU(),
                                ember.nn.Linear(width, 2)).state_dict()
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / "tmp.pt"
    ember.save(state, tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    path = directory / f"mlp-{fake_hash or digest[:10]}.pt"
    tmp.rename(path)
    return state, path.as_uri()


def files_under(directory):
    return sorted(os.path.relpath(os.path.join(d, f), directory)
                  for d, _, fs in os.walk(directory) for f in fs)


# -- local repositories -----------------------------------------------------------------

def test_local_repo_load_list_help_with_pretrained_weights(tmp_path, hub_home):
    repo = make_repo(tmp_path / "repo")
    state, url = published_weights(tmp_path / "srv")
    model = ember.hub.load(str(repo), "tiny_mlp", source="local", pretrained=True, url=url)
    for name, value in model.state_dict().items():
        assert ember.equal(value, state[name]), name
    assert model[0].out_features == 8
    wide = ember.hub.load(str(repo), "tiny_mlp", source="local", width=16)  # kwargs reach it
    assert wide[0].out_features == 16
    assert ember.hub.list(str(repo), source="local") == ["tiny_mlp"]
    assert ember.hub.help(str(repo), "tiny_mlp", source="local") == \
        "A 4-width-2 MLP; pretrained=True loads the weights at url."
    assert files_under(hub_home / "checkpoints") == [url.rsplit("/", 1)[1]]


def test_local_repo_errors(tmp_path):
    repo = make_repo(tmp_path / "repo")
    with pytest.raises(ValueError, match="Unknown source"):
        ember.hub.load(str(repo), "tiny_mlp", source="gitlab")
    with pytest.raises(ValueError, match="source='local'"):  # a path with the default source
        ember.hub.load(str(repo), "tiny_mlp")
    with pytest.raises(RuntimeError, match="Cannot find callable nope"):
        ember.hub.load(str(repo), "nope", source="local")
    with pytest.raises(FileNotFoundError, match="hubconf.py"):
        ember.hub.load(str(tmp_path), "tiny_mlp", source="local")
    needy = make_repo(tmp_path / "needy", 'dependencies = ["numpy", "no_such_package_x"]\n')
    with pytest.raises(RuntimeError, match="Missing dependencies: no_such_package_x"):
        ember.hub.list(str(needy), source="local")


# -- load_state_dict_from_url / download_url_to_file -------------------------------------

def test_second_load_is_a_cache_hit(tmp_path, hub_home, capsys):
    state, url = published_weights(tmp_path / "srv")
    first = ember.hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    assert "Downloading" in capsys.readouterr().err
    os.remove(url.removeprefix("file://"))  # the source is gone: only the cache can answer
    second = ember.hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    assert "Downloading" not in capsys.readouterr().err
    for name in state:
        assert ember.equal(first[name], state[name]) and ember.equal(second[name], state[name])


def test_model_dir_file_name_and_map_location(tmp_path):
    state, url = published_weights(tmp_path / "srv")
    got = ember.hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "models"),
                                             file_name="renamed.pt", map_location="cpu",
                                             progress=False, weights_only=True)
    assert (tmp_path / "models" / "renamed.pt").exists()
    assert all(ember.equal(got[k], state[k]) for k in state)


def test_hash_mismatch_raises_and_leaves_nothing(tmp_path, hub_home):
    _, url = published_weights(tmp_path / "srv", fake_hash="deadbeef")
    with pytest.raises(RuntimeError, match='invalid hash value .*expected sha256 "deadbeef"'):
        ember.hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    assert files_under(hub_home / "checkpoints") == []
    # without check_hash the same file loads
    assert ember.hub.load_state_dict_from_url(url, progress=False)
    with pytest.raises(ValueError, match="check_hash"):
        ember.hub.load_state_dict_from_url(url, file_name="nohash.pt", check_hash=True)


def test_download_is_atomic_when_it_fails_midway(tmp_path, monkeypatch):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(300_000))
    dst = tmp_path / "out" / "big.bin"
    dst.parent.mkdir()
    dst.write_bytes(b"the previous download")
    real_open = download.open_url

    class Dying:
        """A response that breaks after its first chunk, as a dropped connection does."""

        def __init__(self, url, hint=""):
            self.inner, self.reads = real_open(url, hint), 0
            self.headers = self.inner.headers

        def read(self, n):
            self.reads += 1
            if self.reads > 1:
                raise ConnectionResetError("connection dropped")
            return self.inner.read(n)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.inner.close()

    monkeypatch.setattr(download, "open_url", Dying)
    with pytest.raises(ConnectionResetError):
        ember.hub.download_url_to_file(source.as_uri(), dst, progress=False)
    assert dst.read_bytes() == b"the previous download"
    assert files_under(dst.parent) == ["big.bin"]  # no partial file left behind
    monkeypatch.setattr(download, "open_url", real_open)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    ember.hub.download_url_to_file(source.as_uri(), dst, hash_prefix=digest[:12], progress=True)
    assert dst.read_bytes() == source.read_bytes()


def test_offline_http_fails_fast_naming_the_url(tmp_path):
    url = "http://ember-hub-test.invalid/weights-0123abcd.pt"
    with pytest.raises(urllib.error.URLError, match="ember-hub-test.invalid/weights"):
        ember.hub.download_url_to_file(url, tmp_path / "w.pt", progress=False)
    assert files_under(tmp_path) == []
    with pytest.raises(urllib.error.URLError, match="weights-0123abcd.pt yourself"):
        ember.hub.load_state_dict_from_url(url, model_dir=str(tmp_path), progress=False)
    with pytest.raises(urllib.error.URLError, match="missing.pt"):
        ember.hub.download_url_to_file((tmp_path / "missing.pt").as_uri(), tmp_path / "x")


def test_get_dir_follows_ember_home_xdg_and_set_dir(tmp_path, monkeypatch):
    assert ember.hub.get_dir() == str(tmp_path / "home" / "hub")
    monkeypatch.delenv("EMBER_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ember.hub.get_dir() == str(tmp_path / "xdg" / "ember" / "hub")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert ember.hub.get_dir() == os.path.expanduser("~/.cache/ember/hub")
    ember.hub.set_dir(tmp_path / "chosen")
    assert ember.hub.get_dir() == str(tmp_path / "chosen")


# -- GitHub repositories, served from a file:// tree laid out as github.com is ------------

@pytest.fixture
def fake_github(tmp_path, monkeypatch):
    """owner/name at ref 'main' as github.com/owner/name/zipball/main; returns a function
    that (re)publishes the repository with a given entry-point width."""
    site = tmp_path / "github.com"

    def publish(width=8):
        zipball = site / "owner" / "name" / "zipball"
        zipball.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zipball / "main", "w") as z:
            z.writestr("owner-name-1a2b3c/hubconf.py",
                       HUBCONF.replace("width=WIDTH", f"width={width}"))
            z.writestr("owner-name-1a2b3c/helpers_in_repo.py", "WIDTH = 8\n")
    publish()
    monkeypatch.setattr(github, "GITHUB", site.as_uri())
    return publish


def answer(monkeypatch, reply):
    asked = []

    def fake_input(prompt):
        asked.append(prompt)
        if reply is None:
            raise AssertionError("the user was asked, and should not have been")
        return reply
    monkeypatch.setattr(builtins, "input", fake_input)
    return asked


def test_untrusted_repo_prompt_no_refuses_before_downloading(fake_github, monkeypatch,
                                                             hub_home):
    asked = answer(monkeypatch, "n")
    with pytest.raises(Exception, match="Untrusted repository"):
        ember.hub.load("owner/name:main", "tiny_mlp", trust_repo="check", skip_validation=True)
    assert "owner_name does not belong to the list of trusted" in asked[0]
    assert not (hub_home / "owner_name_main").exists()
    answer(monkeypatch, "perhaps")
    with pytest.raises(ValueError, match="Unrecognized response perhaps"):
        ember.hub.load("owner/name:main", "tiny_mlp", trust_repo=False, skip_validation=True)


def test_trusting_once_adds_to_the_trusted_list(fake_github, monkeypatch, hub_home, capsys):
    asked = answer(monkeypatch, "y")
    model = ember.hub.load("owner/name:main", "tiny_mlp", skip_validation=True)
    assert len(asked) == 1 and model[0].out_features == 8
    assert (hub_home / "trusted_list").read_text().split() == ["owner_name"]
    assert files_under(hub_home / "owner_name_main") == ["helpers_in_repo.py", "hubconf.py"]
    answer(monkeypatch, None)  # 'check' does not ask again; the cached copy is used
    assert ember.hub.list("owner/name:main", skip_validation=True) == ["tiny_mlp"]
    assert "Using cache found in" in capsys.readouterr().err
    fake_github(width=16)  # a new version upstream: force_reload fetches it
    model = ember.hub.load("owner/name:main", "tiny_mlp", force_reload=True,
                           skip_validation=True)
    assert model[0].out_features == 16
    assert [f for f in os.listdir(hub_home) if f.endswith(".zip") or f.startswith(".")] == []
    asked = answer(monkeypatch, "yes")  # trust_repo=False asks even when trusted
    ember.hub.load("owner/name:main", "tiny_mlp", trust_repo=False)
    assert len(asked) == 1


def test_trust_repo_true_and_none(fake_github, monkeypatch, hub_home):
    answer(monkeypatch, None)
    with pytest.warns(UserWarning, match="owner/name, which is not on your trusted list"):
        ember.hub.load("owner/name:main", "tiny_mlp", trust_repo=None, skip_validation=True)
    assert not (hub_home / "trusted_list").exists()
    ember.hub.load("owner/name:main", "tiny_mlp", trust_repo=True, force_reload=True,
                   skip_validation=True)
    assert (hub_home / "trusted_list").read_text().split() == ["owner_name"]


def test_default_ref_offline_uses_the_cache(fake_github, monkeypatch, hub_home, tmp_path):
    answer(monkeypatch, None)
    # no connection: with nothing cached, a clear error ...
    monkeypatch.setattr(github, "GITHUB", (tmp_path / "unreachable").as_uri())
    with pytest.raises(RuntimeError, match="no cached copy of owner/name"):
        ember.hub.load("owner/name", "tiny_mlp", trust_repo=True)
    with pytest.raises(ValueError, match="owner/name"):
        ember.hub.load("just-a-name", "tiny_mlp", trust_repo=True)
    # ... and with a cached 'main', that copy
    fake_github()
    monkeypatch.setattr(github, "GITHUB", (tmp_path / "github.com").as_uri())
    ember.hub.load("owner/name:main", "tiny_mlp", trust_repo=True, skip_validation=True)
    monkeypatch.setattr(github, "GITHUB", (tmp_path / "unreachable").as_uri())
    assert ember.hub.load("owner/name", "tiny_mlp", trust_repo=True)[0].out_features == 8


def test_refs_are_validated_against_the_repository(fake_github, monkeypatch, tmp_path):
    """GitHub's API answers, laid out as files: one full page of branches, then a short one
    and a page of tags."""
    api = tmp_path / "api.github.com" / "repos" / "owner" / "name"
    api.mkdir(parents=True)

    def entries(names, sha):
        return json.dumps([{"name": n, "commit": {"sha": f"{sha}{i:04d}"}}
                           for i, n in enumerate(names)])
    (api / "branches?per_page=100&page=1").write_text(
        entries([f"feature-{i}" for i in range(100)], "aaaa"))
    (api / "branches?per_page=100&page=2").write_text(entries(["main"], "bbbb"))
    (api / "tags?per_page=100&page=1").write_text(entries(["v1.0"], "cccc"))
    monkeypatch.setattr(github, "GITHUB_API", (tmp_path / "api.github.com").as_uri())
    for ref in ("main", "feature-7", "v1.0", "cccc0000"):
        github.validate_ref("owner", "name", ref)
    with pytest.raises(ValueError, match="cannot find dddd in .*owner/name"):
        github.validate_ref("owner", "name", "dddd")
    model = ember.hub.load("owner/name:main", "tiny_mlp", trust_repo=True)  # validated
    assert model[0].out_features == 8
    with pytest.raises(ValueError, match="cannot find other"):
        ember.hub.load("owner/name:other", "tiny_mlp", trust_repo=True)


# -- what ships with ember -----------------------------------------------------------------

def test_pretrained_digits_cnn_in_one_line(hub_home):
    from examples.digits import accuracy, digits_datasets
    assert ember.hub.list(ROOT, source="local") == ["all_minilm_l6_v2", "digits_cnn"]
    model = ember.hub.load(ROOT, "digits_cnn", source="local", pretrained=True)
    _, test_set = digits_datasets()
    loader = ember.utils.data.DataLoader(test_set, batch_size=512)
    assert accuracy(model, loader) >= 0.97
    untrained = ember.hub.load(ROOT, "digits_cnn", source="local")
    assert accuracy(untrained, loader) < 0.5
    shipped = [f for f in files_under(os.path.join(ROOT, "ember", "hub", "weights"))]
    assert files_under(hub_home / "checkpoints") == shipped  # through the real download path
    assert "8x8 handwritten digits" in ember.hub.help(ROOT, "digits_cnn", source="local")


def test_minilm_is_a_hub_entry():
    encoder = ember.hub.load(ROOT, "all_minilm_l6_v2", source="local")
    assert isinstance(encoder, ember.text.SentenceEncoder)
    e = encoder.encode(["a dog runs in the park", "a puppy plays outside", "tax law"])
    similarity = (e @ e.T).numpy()
    assert similarity[0, 1] > similarity[0, 2]
    np.testing.assert_allclose(np.diag(similarity), 1.0, atol=1e-5)


def test_the_demo_exports_weights_the_hub_checks(tmp_path):
    from examples.digits import DigitsCNN, export_weights
    ember.manual_seed(3)
    model = DigitsCNN()
    stale = tmp_path / "digits_cnn-00000000.safetensors"
    stale.write_bytes(b"an older export")
    path = export_weights(model, str(tmp_path))
    assert os.listdir(tmp_path) == [os.path.basename(path)]  # the older export is replaced
    state = ember.hub.load_state_dict_from_url(f"file://{path}", check_hash=True,
                                               model_dir=str(tmp_path / "cache"), progress=False)
    assert all(ember.equal(state[k], v) for k, v in model.state_dict().items())
