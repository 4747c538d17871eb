"""What the SDV-backed augmenters share: SDV metadata for a feature frame, seeded
sampling, and persistence (SDV's cloudpickle files next to iotforge's JSON).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._ctgan_core import scoped_global_seed
from ._gen_base import _GenerativeAugmenter, read_meta, write_atomic

_TABLE = "table"


def _metadata(X: pd.DataFrame, categorical: list[str]) -> Any:
    from sdv.metadata import Metadata

    columns = {
        c: {"sdtype": "categorical" if c in categorical else "numerical"} for c in X.columns
    }
    return Metadata.load_from_dict({"tables": {_TABLE: {"columns": columns}}})


def _sdv_sample(synth: Any, n: int, seed: int, device: Any) -> pd.DataFrame:
    with scoped_global_seed(seed, device):
        synth._set_random_state(seed)
        out = synth.sample(n)
    return out[_TABLE] if isinstance(out, dict) else out


class _SDVPersistence(_GenerativeAugmenter):
    """save/load of SDV synthesizers: SDV's cloudpickle files plus iotforge JSON."""

    def _synthesizers(self) -> dict[str, Any]:
        raise NotImplementedError

    def _set_synthesizers(self, synths: dict[str, Any], meta: dict[str, Any]) -> None:
        raise NotImplementedError

    def save(self, path: str | Path) -> None:
        """Save to directory ``path``: ``meta.json``, ``train_keys.npy``, ``sdv_*.pkl``.

        The ``sdv_*.pkl`` files are SDV synthesizers written with cloudpickle (SDV has no
        other format). Unpickling runs code: load only directories you wrote yourself.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = self._common_meta()
        names = {}
        for i, (key, synth) in enumerate(self._synthesizers().items()):
            tmp = path / f"sdv_{i}.pkl.tmp"
            synth.save(str(tmp))
            tmp.replace(path / f"sdv_{i}.pkl")
            names[key] = f"sdv_{i}.pkl"
        meta["sdv_files"] = names
        self._extra_meta(meta)
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(self.train_keys_, dtype=np.uint64), allow_pickle=False)
        write_atomic(path / "train_keys.npy", buffer.getvalue())
        write_atomic(path / "meta.json", json.dumps(meta, indent=1).encode("utf-8"))

    def _extra_meta(self, meta: dict[str, Any]) -> None:
        """Add subclass fields to ``meta`` (default: none)."""

    @classmethod
    def load(cls, path: str | Path, *, allow_pickle: bool = False) -> Any:
        """Load an augmenter saved by :meth:`save`; ready for :meth:`sample`.

        Parameters
        ----------
        path : str or Path
            The directory :meth:`save` wrote.
        allow_pickle : bool, default=False
            Must be True: the SDV synthesizers are cloudpickle files, and unpickling
            executes code. Pass True only for a directory you (or your pipeline) wrote.
        """
        if not allow_pickle:
            raise ValueError(
                f"{cls.__name__}.load: expected allow_pickle=True, found False; the SDV "
                "models are pickle files and loading runs code: pass allow_pickle=True "
                "only for a directory you wrote yourself"
            )
        from sdv.utils import load_synthesizer

        path = Path(path)
        meta = read_meta(path)
        self = cls(**meta["params"])
        keys = np.load(path / "train_keys.npy", allow_pickle=False)
        self._restore_common(meta, keys)
        synths = {
            key: load_synthesizer(str(path / name))
            for key, name in meta["sdv_files"].items()
        }
        self._set_synthesizers(synths, meta)
        return self


def _key(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
