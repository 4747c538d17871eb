"""Generator core shared by the ctgan-based augmenters: conditioning, decoding, seeding.

ctgan 0.12.1 gets two things wrong when asked for rows of one class, and this module is
the one place that fixes them:

* ``CTGAN.sample(n, condition_column=c, condition_value=v)`` builds its conditional vector
  from ``DataSampler._discrete_column_matrix_st``, an array that is allocated but never
  filled, so the one-hot lands at ``value_id`` of the *first* discrete column's span, not
  of ``c``'s. :func:`condition_offset` reads the offsets the sampler does fill
  (``_discrete_column_cond_st``).
* ``CTGAN.sample`` runs the generator in training mode, so its BatchNorm layers normalise
  with the statistics of a batch in which every row carries the same condition, which the
  generator never saw in training. :func:`generate` samples in eval mode (running
  statistics) and restores the previous mode.

The decoder here reproduces ctgan's ``DataTransformer.inverse_transform`` from a JSON
*spec* (component means/standard deviations, category lists), so a fitted generator can be
saved as a torch ``state_dict`` plus JSON and loaded without unpickling anything.
Randomness at sampling time comes from a local :class:`torch.Generator`, never from the
global RNG.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import torch

Device = Literal["auto", "cpu", "cuda"]
"""Where generators train and sample: ``'auto'`` is CUDA when available, else CPU."""

_STD_MULTIPLIER = 4  # rdt ClusterBasedNormalizer scales by 4 standard deviations


def resolve_device(device: str) -> torch.device:
    """Return the torch device for ``'auto'``, ``'cpu'`` or ``'cuda'``."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("expected a CUDA device for device='cuda', found none; use 'auto'")
    return torch.device(device)


@contextmanager
def scoped_global_seed(seed: int, device: torch.device) -> Iterator[None]:
    """Seed numpy's and torch's global RNGs for the block, then restore them.

    ctgan and SDV train with ``np.random`` and torch's default generator and take no
    generator argument. Rather than seeding the process (which would change every other
    library's random stream), the states are forked here and put back afterwards. Not
    thread-safe: two fits in threads of one process share the global state.
    ``joblib`` is forced sequential inside the block because ctgan's ``DataTransformer``
    transforms >= 500 rows in worker processes whose RNGs this seed does not reach.
    """
    import joblib
    import torch

    np_state = np.random.get_state()
    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices), joblib.parallel_config(
        backend="sequential"
    ):
        torch.random.default_generator.manual_seed(seed)
        if cuda_devices:
            torch.cuda.manual_seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            np.random.set_state(np_state)


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def spec_from_transformer(transformer: Any) -> list[dict[str, Any]]:
    """Extract a JSON-serialisable decoding spec from a fitted ctgan ``DataTransformer``."""
    spec: list[dict[str, Any]] = []
    for info in transformer._column_transform_info_list:
        if info.column_type == "continuous":
            normalizer = info.transform
            valid = np.asarray(normalizer.valid_component_indicator, dtype=bool)
            bgm = normalizer._bgm_transformer
            means = np.asarray(bgm.means_).reshape(-1)[valid]
            stds = np.sqrt(np.asarray(bgm.covariances_)).reshape(-1)[valid]
            spec.append(
                {
                    "name": str(info.column_name),
                    "kind": "continuous",
                    "means": [float(v) for v in means],
                    "stds": [float(v) for v in stds],
                }
            )
        else:
            categories = [_json_value(v) for v in info.transform.dummies]
            spec.append(
                {"name": str(info.column_name), "kind": "discrete", "categories": categories}
            )
    return spec


def data_dim(spec: Sequence[dict[str, Any]]) -> int:
    """Width of the generator output for ``spec``."""
    return sum(
        1 + len(col["means"]) if col["kind"] == "continuous" else len(col["categories"])
        for col in spec
    )


def condition_offset(spec: Sequence[dict[str, Any]], column: str, value: Any) -> int:
    """Index of ``column == value`` in ctgan's conditional vector.

    The conditional vector concatenates the one-hot spans of the discrete columns in
    column order, which is what ``DataSampler._discrete_column_cond_st`` records.
    """
    offset = 0
    for col in spec:
        if col["kind"] != "discrete":
            continue
        if col["name"] == column:
            matches = [i for i, cat in enumerate(col["categories"]) if cat == _json_value(value)]
            if not matches:
                raise ValueError(
                    f"expected a value of column {column!r} seen in training "
                    f"({col['categories']}), found {value!r}"
                )
            return offset + matches[0]
        offset += len(col["categories"])
    raise ValueError(f"expected a discrete column named {column!r} in the generator spec")


def cond_dim(spec: Sequence[dict[str, Any]]) -> int:
    """Width of ctgan's conditional vector for ``spec``."""
    return sum(len(col["categories"]) for col in spec if col["kind"] == "discrete")


def _categorical_draw(logits: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Index drawn from softmax(logits) by the Gumbel-max trick.

    This is the distribution of ``argmax(gumbel_softmax(logits, tau=0.2))`` that ctgan's
    decoder applies, but with noise from the local generator.
    """
    import torch

    uniform = torch.rand(logits.shape, generator=gen, device=logits.device)
    gumbel = -torch.log(-torch.log(uniform.clamp(1e-10, 1.0 - 1e-7)))
    return torch.argmax(logits + gumbel, dim=1)


def decode(
    raw: torch.Tensor,
    spec: Sequence[dict[str, Any]],
    gen: torch.Generator,
    *,
    style: Literal["ctgan", "tvae"],
    sigmas: torch.Tensor | None = None,
) -> pd.DataFrame:
    """Turn generator output into a frame in the training columns' value space.

    ``style='ctgan'``: tanh for the normalised values, a categorical draw for every
    softmax span (ctgan's Gumbel-softmax). ``style='tvae'``: tanh plus Gaussian noise
    of the learned ``sigmas`` for normalised values, argmax for spans (TVAE's decoder).
    """
    import torch

    columns: dict[str, Any] = {}
    st = 0
    for col in spec:
        if col["kind"] == "continuous":
            k = len(col["means"])
            value = torch.tanh(raw[:, st])
            if style == "tvae" and sigmas is not None:
                noise = torch.randn(value.shape, generator=gen, device=raw.device)
                value = value + noise * sigmas[st]
            span = raw[:, st + 1 : st + 1 + k]
            comp = _categorical_draw(span, gen) if style == "ctgan" else span.argmax(dim=1)
            value_np = np.clip(value.cpu().numpy().astype(float), -1.0, 1.0)
            comp_np = comp.cpu().numpy()
            means = np.asarray(col["means"], dtype=float)
            stds = np.asarray(col["stds"], dtype=float)
            columns[col["name"]] = value_np * _STD_MULTIPLIER * stds[comp_np] + means[comp_np]
            st += 1 + k
        else:
            k = len(col["categories"])
            span = raw[:, st : st + k]
            idx = _categorical_draw(span, gen) if style == "ctgan" else span.argmax(dim=1)
            cats = np.empty(k, dtype=object)
            cats[:] = col["categories"]
            columns[col["name"]] = cats[idx.cpu().numpy()]
            st += k
    return pd.DataFrame(columns)


def generate(
    generator: torch.nn.Module,
    spec: Sequence[dict[str, Any]],
    n: int,
    *,
    embedding_dim: int,
    condition: tuple[str, Any] | None,
    seed: int,
    device: torch.device,
    batch_size: int = 4096,
) -> pd.DataFrame:
    """Sample ``n`` decoded rows from a ctgan generator, conditioned on ``condition``.

    ``condition=(column, value)`` sets that one-hot in every row's conditional vector.
    Without a condition, categories are drawn from the training frequencies recorded in
    the spec (``"freq"``), like ctgan's ``sample_original_condvec``.
    """
    import torch

    gen = torch.Generator(device=device).manual_seed(seed)
    width = cond_dim(spec)
    offset = condition_offset(spec, *condition) if condition is not None else None
    was_training = generator.training
    generator.eval()
    parts = []
    try:
        with torch.no_grad():
            for start in range(0, n, batch_size):
                m = min(batch_size, n - start)
                z = torch.randn((m, embedding_dim), generator=gen, device=device)
                if width:
                    cond = torch.zeros((m, width), device=device)
                    if offset is not None:
                        cond[:, offset] = 1.0
                    else:
                        freq = torch.tensor(_cond_frequencies(spec), device=device)
                        pick = torch.multinomial(freq, m, replacement=True, generator=gen)
                        cond[torch.arange(m, device=device), pick] = 1.0
                    z = torch.cat([z, cond], dim=1)
                parts.append(decode(generator(z), spec, gen, style="ctgan"))
    finally:
        generator.train(was_training)
    if not parts:
        return pd.DataFrame({col["name"]: [] for col in spec})
    return pd.concat(parts, ignore_index=True)


def _cond_frequencies(spec: Sequence[dict[str, Any]]) -> list[float]:
    freqs: list[float] = []
    for col in spec:
        if col["kind"] == "discrete":
            freqs.extend(col.get("freq") or [1.0] * len(col["categories"]))
    return freqs


def generate_tvae(
    decoder: torch.nn.Module,
    spec: Sequence[dict[str, Any]],
    n: int,
    *,
    embedding_dim: int,
    seed: int,
    device: torch.device,
    batch_size: int = 4096,
) -> pd.DataFrame:
    """Sample ``n`` decoded rows from a TVAE decoder (eval mode, local generator)."""
    import torch

    gen = torch.Generator(device=device).manual_seed(seed)
    was_training = decoder.training
    decoder.eval()
    parts = []
    try:
        with torch.no_grad():
            for start in range(0, n, batch_size):
                m = min(batch_size, n - start)
                z = torch.randn((m, embedding_dim), generator=gen, device=device)
                out, sigmas = decoder(z)
                parts.append(decode(out, spec, gen, style="tvae", sigmas=sigmas))
    finally:
        decoder.train(was_training)
    if not parts:
        return pd.DataFrame({col["name"]: [] for col in spec})
    return pd.concat(parts, ignore_index=True)


def sample_ctgan_conditional(
    model: Any,
    n: int,
    column: str,
    value: Any,
    *,
    random_state: int = 0,
) -> pd.DataFrame:
    """Sample ``n`` rows of a fitted ``ctgan.CTGAN`` conditioned on ``column == value``.

    The corrected replacement for ``model.sample(n, condition_column=column,
    condition_value=value)``: right conditional-vector offset, generator in eval mode.

    Parameters
    ----------
    model : ctgan.CTGAN
        A fitted model (``ctgan.CTGAN`` or the ``_model`` of an SDV CTGAN/CopulaGAN).
    n : int
        Rows to sample.
    column, value
        The discrete column and its category to condition on.
    random_state : int
        Seed of the local generator; the global RNGs are not touched.

    Returns
    -------
    pandas.DataFrame
        Rows in the model's (transformed) column space; rows whose generated ``column``
        differs from ``value`` are kept, so the caller can measure the hit rate.

    Examples
    --------
    >>> from ctgan import CTGAN  # doctest: +SKIP
    >>> model = CTGAN(epochs=5)  # doctest: +SKIP
    >>> model.fit(frame, discrete_columns=["label"])  # doctest: +SKIP
    >>> rows = sample_ctgan_conditional(model, 100, "label", "scan")  # doctest: +SKIP
    """
    spec = spec_from_transformer(model._transformer)
    return generate(
        model._generator,
        spec,
        n,
        embedding_dim=model._embedding_dim,
        condition=(column, value),
        seed=random_state,
        device=model._device,
    )
