"""Deep-learning classifiers of the IoT intrusion-detection survey, in torch, CPU-friendly.

Each is a scikit-learn classifier (``fit``/``predict``/``predict_proba``, ``classes_``),
so :data:`iotforge.evaluation.classifiers.CLASSIFIERS` puts it behind the same preprocessing as the
others (imputation, one-hot, signed log, standardization) and the evaluation grid treats
it like any other model:

:class:`DeepMLPClassifier`
    the baseline deep model: ``hidden`` -> ``hidden / 2`` ReLU layers, dropout 0.1;
:class:`CNNClassifier`
    a 1-D CNN over the feature vector, read as a one-channel sequence in column order
    (numeric columns, then each categorical column's one-hot block): two 3-wide
    convolutions of ``hidden / 4`` channels, max-pooled to 8 positions;
:class:`RNNClassifier`
    a GRU over the feature vector cut into steps of ``RNN_STEP`` features (one flow per
    sequence, not a window of consecutive flows: the evaluation scores test rows one by
    one and models never learn from the time and endpoint columns, so a window would
    need exactly what the leakage-safe split withholds);
:class:`DBNClassifier`
    a deep belief network: scikit-learn ``BernoulliRBM`` layers pre-trained greedily
    without labels initialise sigmoid layers, fine-tuned with a softmax layer on top;
:class:`DeepEnsembleClassifier`
    the survey's ensemble of deep networks (EDLN): the mean of the MLP's, CNN's and
    RNN's probabilities, each with its own child seed.

Training: Adam, cross-entropy, mini-batches of ``batch_size``; inputs standardized once
more (so the classes work on raw arrays too). **Early stopping** watches the loss on a
stratified validation slice of the *training* rows (``validation_fraction`` of every
class); training stops after ``patience`` epochs without improvement and keeps the best
epoch's weights. **Fallback**: a class with too few rows to give one row to the slice
and keep one (fewer than ``1 / validation_fraction`` rows, 10 at the default) stays
whole in training; if no class can give a row, the model trains all ``max_epochs`` on
every row (``early_stopping_`` is False). A single training class gives a constant
model. Nothing raises for small classes.

Determinism: a fit runs inside ``torch.random.fork_rng`` seeded with ``random_state``
(the caller's global torch state is restored afterwards) with ``n_threads`` torch threads
(restored too), on ``device`` (``"cpu"`` by default; ``"auto"`` takes CUDA when present,
which is faster but not bit-reproducible).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.r_[rng.normal(0, 1, (60, 4)), rng.normal(3, 1, (60, 4))]
>>> y = np.repeat(["normal", "ddos"], 60)
>>> clf = DeepMLPClassifier(max_epochs=20, random_state=0).fit(X, y)
>>> float((clf.predict(X) == y).mean()) > 0.9
True
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._typing import Device

__all__ = ["PREDICT_BATCH", "RNN_STEP", "CNNClassifier", "DBNClassifier", "DeepEnsembleClassifier",
           "DeepMLPClassifier", "RNNClassifier", "torch_session", "validation_split"]

log = logging.getLogger(__name__)

RNN_STEP = 8
"""Features per GRU time step."""
PREDICT_BATCH = 4096


def validation_split(codes: np.ndarray, fraction: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, validation)``: ``floor(fraction * n_c)`` rows of each class.

    A class that cannot give one row and keep one stays whole in ``train``.

    Examples
    --------
    >>> codes = np.array([0] * 20 + [1] * 5)
    >>> train, val = validation_split(codes, 0.1, np.random.default_rng(0))
    >>> len(train), codes[val].tolist()
    (23, [0, 0])
    """
    train, val = [], []
    for c in np.unique(codes):
        rows = rng.permutation(np.flatnonzero(codes == c))
        k = int(np.floor(fraction * len(rows)))
        k = k if 1 <= k < len(rows) else 0
        val.append(rows[:k])
        train.append(rows[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


@contextlib.contextmanager
def torch_session(seed: int, n_threads: int) -> Iterator[Any]:
    """Seeded torch RNG and thread count for one fit; both restored on exit."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n_threads)))
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            yield torch
    finally:
        torch.set_num_threads(previous)


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def _child_seed(seed: int, i: int) -> int:
    return int(np.random.SeedSequence([int(seed), i]).generate_state(1)[0] & 0x7FFFFFFF)


def _train_network(torch: Any, net: Any, X: np.ndarray, target: np.ndarray, loss_fn: Any, *,
                   val: np.ndarray, max_epochs: int, batch_size: int, learning_rate: float,
                   patience: int, seed: int, device: str) -> tuple[int, int]:
    """Adam on mini-batches; early stopping on rows ``val`` when there are any.

    Returns ``(epochs run, best epoch)``; the best epoch's weights are loaded back.
    """
    train = np.setdiff1d(np.arange(len(X)), val)
    Xt = torch.as_tensor(X, dtype=torch.float32, device=device)
    tt = torch.as_tensor(target, device=device)
    net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=learning_rate)
    gen = torch.Generator().manual_seed(int(seed))
    tr = torch.as_tensor(train)
    va = torch.as_tensor(val)
    best, best_state, best_epoch, wait, epoch = float("inf"), None, 0, 0, 0
    for epoch in range(1, max_epochs + 1):
        net.train()
        for batch in tr[torch.randperm(len(tr), generator=gen)].split(batch_size):
            opt.zero_grad()
            loss_fn(net(Xt[batch]), tt[batch]).backward()
            opt.step()
        if len(va) == 0:
            continue
        net.eval()
        with torch.no_grad():
            loss = float(loss_fn(net(Xt[va]), tt[va]))
        if loss < best - 1e-6:
            best, best_state, best_epoch, wait = loss, copy.deepcopy(net.state_dict()), epoch, 0
        else:
            wait += 1
            if wait >= patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.to("cpu").double().eval()  # predictions in float64: the same for any row order
    return epoch, best_epoch or epoch


class _TorchClassifier(ClassifierMixin, BaseEstimator):
    """Shared fit/predict of the torch classifiers; subclasses build the network.

    Parameters
    ----------
    hidden : int
        Width of the network (see each class for how it is used).
    max_epochs : int
    batch_size : int
    learning_rate : float
    validation_fraction : float
        Share of each class's training rows held out for early stopping.
    patience : int
        Epochs without a lower validation loss before stopping.
    n_threads : int
        Torch threads during fit and predict.
    device : {"cpu", "cuda", "auto"}
    random_state : int
    """

    def __init__(self, *, hidden: int = 64, max_epochs: int = 30, batch_size: int = 256,
                 learning_rate: float = 3e-3, validation_fraction: float = 0.1,
                 patience: int = 4, n_threads: int = 1, device: Device = "cpu",
                 random_state: int = 0) -> None:
        self.hidden = hidden
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state

    def _build(self, torch: Any, n_features: int, n_classes: int) -> Any:
        raise NotImplementedError

    def fit(self, X: Any, y: Any) -> Any:
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.mean_ = X.mean(axis=0)
        self.scale_ = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
        self.early_stopping_ = False
        if len(self.classes_) < 2:
            self.net_ = None
            self.n_epochs_ = self.best_epoch_ = 0
            return self
        rng = np.random.default_rng(self.random_state)
        _, val = validation_split(codes, self.validation_fraction, rng)
        self.early_stopping_ = len(val) > 0
        if not self.early_stopping_:
            log.info("%s: no class can spare a validation row; training %d epochs",
                     type(self).__name__, self.max_epochs)
        Z = (X - self.mean_) / self.scale_
        with torch_session(self.random_state, self.n_threads) as torch:
            self.net_ = self._build(torch, X.shape[1], len(self.classes_))
            self.n_epochs_, self.best_epoch_ = _train_network(
                torch, self.net_, Z, codes, torch.nn.CrossEntropyLoss(), val=val,
                max_epochs=self.max_epochs, batch_size=self.batch_size,
                learning_rate=self.learning_rate, patience=self.patience,
                seed=self.random_state, device=_device(self.device))
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "classes_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if self.net_ is None:
            return np.ones((len(X), 1))
        Z = (X - self.mean_) / self.scale_
        with torch_session(self.random_state, self.n_threads) as torch, torch.no_grad():
            parts = [torch.softmax(self.net_(torch.as_tensor(b, dtype=torch.float64)), dim=1)
                     for b in np.array_split(Z, max(1, -(-len(Z) // PREDICT_BATCH)))]
            return torch.cat(parts).numpy().astype(np.float64)

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return np.asarray(self.classes_[proba.argmax(axis=1)])


class DeepMLPClassifier(_TorchClassifier):
    """Multi-layer perceptron: ``hidden`` -> ``hidden // 2`` ReLU units, dropout 0.1."""

    def _build(self, torch: Any, n_features: int, n_classes: int) -> Any:
        nn = torch.nn
        h = max(2, self.hidden)
        return nn.Sequential(nn.Linear(n_features, h), nn.ReLU(), nn.Dropout(0.1),
                             nn.Linear(h, max(2, h // 2)), nn.ReLU(),
                             nn.Linear(max(2, h // 2), n_classes))


class CNNClassifier(_TorchClassifier):
    """1-D CNN: two 3-wide convolutions of ``hidden // 4`` channels, max-pool to 8."""

    def _build(self, torch: Any, n_features: int, n_classes: int) -> Any:
        nn = torch.nn
        c = max(2, self.hidden // 4)
        width = min(8, n_features)
        return nn.Sequential(nn.Unflatten(1, (1, n_features)),
                             nn.Conv1d(1, c, 3, padding=1), nn.ReLU(),
                             nn.Conv1d(c, c, 3, padding=1), nn.ReLU(),
                             nn.AdaptiveMaxPool1d(width), nn.Flatten(),
                             nn.Linear(c * width, max(2, self.hidden)), nn.ReLU(),
                             nn.Linear(max(2, self.hidden), n_classes))


class RNNClassifier(_TorchClassifier):
    """GRU of ``hidden // 2`` units over steps of :data:`RNN_STEP` features."""

    def _build(self, torch: Any, n_features: int, n_classes: int) -> Any:
        from ._nets import GRUOverFeatures

        return GRUOverFeatures(n_features, RNN_STEP, max(2, self.hidden // 2), n_classes)


class DeepEnsembleClassifier(_TorchClassifier):
    """Mean probabilities of a :class:`DeepMLPClassifier`, :class:`CNNClassifier` and
    :class:`RNNClassifier` with the same settings and child seeds of ``random_state``."""

    MEMBERS = (DeepMLPClassifier, CNNClassifier, RNNClassifier)

    def fit(self, X: Any, y: Any) -> DeepEnsembleClassifier:
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        params = self.get_params()
        self.members_ = [cls(**{**params, "random_state": _child_seed(self.random_state, i)}
                             ).fit(X, y) for i, cls in enumerate(self.MEMBERS)]
        self.early_stopping_ = all(m.early_stopping_ for m in self.members_)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "members_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.mean([m.predict_proba(X) for m in self.members_], axis=0)


class DBNClassifier(_TorchClassifier):
    """DBN: stacked ``BernoulliRBM`` layers, pre-trained greedily without labels, then
    fine-tuned with a softmax layer on top by backpropagation (Hinton et al. 2006).

    Inputs are standardized and squashed into (0, 1) by the logistic function (an RBM's
    visible units are probabilities). RBM *k* trains ``rbm_epochs`` epochs on the hidden
    probabilities of RBM *k - 1*; its weights then initialize sigmoid layer *k* of a
    torch network, which trains like :class:`DeepMLPClassifier` (early stopping).

    Parameters
    ----------
    hidden : int
        Units of the first RBM; each next one has half as many, ``layers`` in all.
    layers : int
        Number of stacked RBMs.
    rbm_epochs : int
    rbm_learning_rate : float
    max_epochs, batch_size, learning_rate, validation_fraction, patience, n_threads,
    device, random_state
        As for :class:`DeepMLPClassifier` (fine-tuning); sigmoid layers learn more
        slowly than ReLU ones, hence the higher learning rate and epoch limit.
    """

    def __init__(self, *, hidden: int = 64, layers: int = 2, rbm_epochs: int = 5,
                 rbm_learning_rate: float = 0.01, max_epochs: int = 60, batch_size: int = 64,
                 learning_rate: float = 1e-2, validation_fraction: float = 0.1,
                 patience: int = 5, n_threads: int = 1, device: Device = "cpu",
                 random_state: int = 0) -> None:
        super().__init__(hidden=hidden, max_epochs=max_epochs, batch_size=batch_size,
                         learning_rate=learning_rate, validation_fraction=validation_fraction,
                         patience=patience, n_threads=n_threads, device=device,
                         random_state=random_state)
        self.layers = layers
        self.rbm_epochs = rbm_epochs
        self.rbm_learning_rate = rbm_learning_rate

    def fit(self, X: Any, y: Any) -> DBNClassifier:
        from sklearn.neural_network import BernoulliRBM

        X = validate_data(self, X, dtype=np.float64)
        mean = X.mean(axis=0)
        scale = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
        H = 1.0 / (1.0 + np.exp(-(X - mean) / scale))
        self.rbms_ = []
        for i in range(max(1, self.layers)):
            rbm = BernoulliRBM(n_components=max(2, self.hidden // 2 ** i),
                               learning_rate=self.rbm_learning_rate, n_iter=self.rbm_epochs,
                               batch_size=64, random_state=_child_seed(self.random_state, i))
            H = rbm.fit_transform(H)
            self.rbms_.append(rbm)
        return super().fit(X, y)

    def _build(self, torch: Any, n_features: int, n_classes: int) -> Any:
        nn = torch.nn
        modules: list[Any] = [nn.Sigmoid()]  # the standardized inputs, squashed like above
        for rbm in self.rbms_:
            layer = nn.Linear(rbm.components_.shape[1], rbm.components_.shape[0])
            with torch.no_grad():
                layer.weight.copy_(torch.as_tensor(rbm.components_, dtype=torch.float32))
                layer.bias.copy_(torch.as_tensor(rbm.intercept_hidden_, dtype=torch.float32))
            modules += [layer, nn.Sigmoid()]
        modules.append(nn.Linear(self.rbms_[-1].components_.shape[0], n_classes))
        return nn.Sequential(*modules)
