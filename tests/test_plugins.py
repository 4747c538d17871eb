"""Plugins: another package adds a capture format and an augmenter through entry points.

Each test installs a real (tiny) distribution: a package and a ``*.dist-info`` folder
with ``METADATA`` and ``entry_points.txt`` on ``sys.path`` (or ``PYTHONPATH`` for the
command line), found by ``importlib.metadata`` as pip-installed packages are; no mocks.
The plugin is the example of docs/plugins.md.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from iotforge.curation.errors import UsageError

ADAPTER_MODULE = '''
"""A semicolon-separated sensor log: sensor;temp;hum;state;label."""
from pathlib import Path

from iotforge.curation.sources import Adapter, Probe, Source, SourceOptions, open_delimited


class SensorAdapter(Adapter):
    name = "sensor_log"
    description = "sensor log (sensor;temp;hum;state;label), semicolon-separated"

    def sniff(self, probe: Probe) -> float:
        return 0.9 if probe.first_data_line.startswith("sensor;") else 0.0

    def open(self, path: Path, options: SourceOptions) -> Source:
        probe = self.text_probe(path)
        header = probe.first_data_line
        return open_delimited(path, name=self.name, raw_names=header.split(";"),
                              delimiter=";", header_lines=probe.lines.index(header) + 1,
                              label_columns=["label"])


ADAPTER = SensorAdapter()
'''

AUGMENTER_MODULE = '''
"""Jitter: copies of a class's rows with Gaussian noise on the numeric columns."""
import numpy as np

from iotforge.augment import BaseAugmenter


class JitterAugmenter(BaseAugmenter):
    method_name = "jitter"

    def _generate_class(self, X, y, target_class, n, random_state):
        rng = np.random.default_rng(random_state)
        rows = X[y == target_class].sample(n, replace=True, random_state=random_state)
        numeric = rows.select_dtypes("number").columns
        noise = rng.normal(0.0, 0.05, (n, len(numeric))) * X[numeric].std().to_numpy()
        rows[numeric] = rows[numeric] + noise
        return rows
'''


def _distribution(root: Path, package: str, modules: dict[str, str],
                  entry_points: str) -> Path:
    """A package ``package`` with ``modules`` and its dist-info under ``root``."""
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    for name, code in modules.items():
        (root / package / f"{name}.py").write_text(code)
    info = root / f"{package}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    return root


@pytest.fixture(scope="module")
def plugin_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _distribution(
        tmp_path_factory.mktemp("site"), "iotforge_example_plugin",
        {"sensor": ADAPTER_MODULE, "jitter": AUGMENTER_MODULE},
        """\
        [iotforge.adapters]
        sensor_log = iotforge_example_plugin.sensor:ADAPTER

        [iotforge.augmenters]
        jitter = iotforge_example_plugin.jitter:JitterAugmenter
        """)


@pytest.fixture()
def installed(plugin_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(plugin_root))
    return plugin_root


def _capture(path: Path, n_per_class: dict[str, int], seed: int = 0) -> int:
    """A sensor log with the given rows per label; returns the number of data rows."""
    rng = np.random.default_rng(seed)
    lines = ["sensor;temp;hum;state;label"]
    for label, n in n_per_class.items():
        shift = 10.0 * len(lines)
        for _ in range(n):
            lines.append(f"s{rng.integers(3)};{shift + rng.normal():.3f};"
                         f"{rng.uniform(20, 80):.2f};{rng.choice(['on', 'off'])};{label}")
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def test_augmenter_plugin_is_found_resolved_and_exact(installed):
    from iotforge.augment import make_augmenter

    from iotforge import augment

    assert "jitter" in augment.method_names()
    cls = augment.get_augmenter("jitter")
    assert cls.__module__ == "iotforge_example_plugin.jitter"
    assert augment.registry()["jitter"] is cls
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=60), "p": rng.choice(["tcp", "udp"], 60)})
    y = np.array(["normal"] * 50 + ["scan"] * 10)
    sampler = make_augmenter("jitter", strategy={"scan": 30}, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert dict(zip(*np.unique(y_res, return_counts=True), strict=True)) == {
        "normal": 50, "scan": 30}
    assert X_res.iloc[:60].equals(X)  # real rows first, unchanged
    # --param names are checked against the plugin's own parameters
    with pytest.raises(UsageError, match=r"jitter: unknown parameters \['epochs'\]"):
        make_augmenter("jitter", strategy="auto", random_state=0, params={"epochs": 3})


def test_adapter_plugin_is_detected(installed, tmp_path):
    from iotforge.curation.sources import adapters, detect, format_help, format_names, get_adapter

    path = tmp_path / "log.txt"
    _capture(path, {"normal": 5})
    assert format_names()[-1] == "sensor_log" and "sensor_log" in format_help()
    assert detect(path) is get_adapter("sensor_log") is adapters()["sensor_log"]


def _cli(root: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "iotforge", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=600)


def test_plugins_through_the_command_line(plugin_root, tmp_path):
    """curate reads the plugin's format, augment runs the plugin's method; both listed
    in --help."""
    import pyarrow.parquet as pq

    capture = tmp_path / "sensors.txt"
    rows = _capture(capture, {"normal": 300, "ddos": 60, "scanning": 12})
    res = _cli(plugin_root, "curate", str(capture), "--out", str(tmp_path / "cur"))
    assert res.returncode == 0, res.stderr
    curated = pq.read_table(tmp_path / "cur" / "curated.parquet").to_pandas()
    assert len(curated) == rows and set(curated["source"]) == {"sensor_log"}
    assert curated["label"].value_counts().to_dict() == {"normal": 300, "ddos": 60,
                                                         "scanning": 12}
    res = _cli(plugin_root, "split", str(tmp_path / "cur" / "curated.parquet"), "--out",
               str(tmp_path / "split"))
    assert res.returncode == 0, res.stderr
    train = pq.read_table(tmp_path / "split" / "train.parquet").to_pandas()
    out = tmp_path / "jitter.parquet"
    res = _cli(plugin_root, "augment", str(tmp_path / "split" / "train.parquet"), "--method",
               "jitter", "--strategy", "power:0.5", "--out", str(out))
    assert res.returncode == 0, res.stderr
    aug = pq.read_table(out).to_pandas()
    synthetic = aug[aug["is_synthetic"]]
    counts = train["label"].value_counts()
    expected = {c: max(n, round(counts.max() * (n / counts.max()) ** 0.5)) - n
                for c, n in counts.items()}
    assert synthetic["label"].value_counts().to_dict() == {c: n for c, n in expected.items()
                                                           if n}
    assert set(synthetic["augmenter"]) == {"jitter"}
    helps = {cmd: " ".join(_cli(plugin_root, cmd, "--help").stdout.split())
             for cmd in ("curate", "validate", "augment", "evaluate")}
    assert "sensor_log" in helps["curate"] and "sensor_log" in helps["validate"]
    assert "jitter" in helps["augment"] and "jitter" in helps["evaluate"]


@pytest.fixture()
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = _distribution(
        tmp_path / "site", "iotforge_broken_plugin", {"named": ADAPTER_MODULE},
        """\
        [iotforge.augmenters]
        missing = iotforge_broken_plugin.nowhere:Nothing
        not_a_sampler = iotforge_broken_plugin.named:SensorAdapter
        smote = iotforge_broken_plugin.nowhere:Smote

        [iotforge.adapters]
        wrong_name = iotforge_broken_plugin.named:ADAPTER
        zeek = iotforge_broken_plugin.named:ADAPTER
        """)
    monkeypatch.syspath_prepend(str(root))
    return root


def test_broken_plugins_are_one_clear_error(broken, caplog):
    from iotforge.curation.sources import get_adapter

    from iotforge import augment

    with pytest.raises(UsageError, match="augmenter plugin 'missing'.*cannot be imported: "
                                         "ModuleNotFoundError") as err:
        augment.get_augmenter("missing")
    assert "\n" not in str(err.value)
    with pytest.raises(UsageError, match="expected an imbalanced-learn sampler class"):
        augment.get_augmenter("not_a_sampler")
    with pytest.raises(UsageError, match="expected the adapter's name to be 'wrong_name', "
                                         "found 'sensor_log'"):
        get_adapter("wrong_name")
    # a plugin cannot take a built-in name: ignored, and the log says so
    with caplog.at_level(logging.WARNING):
        assert augment.get_augmenter("smote").__module__ == "iotforge.augment._smote"
        assert get_adapter("zeek").__module__ == "iotforge.curation.sources.zeek"
    assert "'smote' is a built-in method" in caplog.text
    assert "'zeek' is a built-in format" in caplog.text


def test_broken_plugin_on_the_command_line_is_exit_2(broken, tmp_path):
    res = _cli(broken, "augment", str(tmp_path / "train.parquet"), "--method", "missing",
               "--out", str(tmp_path / "x.parquet"))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    errors = [line for line in res.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "plugin 'missing' " in errors[0], res.stderr
