"""The evaluation report: one self-contained HTML file and a Markdown summary.

The HTML has inline CSS and inline SVG charts (no scripts, no external files), so it
can be mailed, attached to a CI run or opened offline. Sections, in order
(:data:`SECTIONS`): the plain-language summary, the leaderboard of augmenters x
classifiers, the paired comparison against no augmentation, the rare-class diagnostics
(training, synthetic and test rows, recall with and without augmentation and its
interval, where the synthetic rows land, what ``auto`` chose), every class's recall by
classifier with and without augmentation, the anomaly detector's
detection and false-positive rates, class counts before and after augmentation (log
scale), real versus synthetic rows of the rare classes in a 2-D PCA projection,
confusion matrices, the association rules that distinguish each class (from
``iotforge rules``), fidelity and privacy (with the share of rules synthetic rows
keep), the validation and audit summaries, and the settings.

The summary says plainly, one sentence per augmenter and arm, whether augmentation
helped or hurt macro-F1 or showed no detectable difference, with the difference, its
95 % interval and what the interval covers (:mod:`iotforge.evaluation.comparisons`). Nothing is
called helped or hurt unless the interval excludes zero.

>>> import pandas as pd
>>> from iotforge.evaluation.evaluate import EvaluationResult
>>> from iotforge.evaluation.summary import COLUMNS
>>> rows = [("none", "none", "rf", s, "macro_f1", "", .8) for s in (0, 1, 2)]
>>> rows += [("noise", "real+synthetic", "rf", s, "macro_f1", "", .8 - s / 100) for s in (0, 1, 2)]
>>> r = build_report(EvaluationResult(results=pd.DataFrame(rows, columns=COLUMNS)))
>>> "noise (real+synthetic): no detectable difference in macro-F1" in r.markdown
True

The sections are built in private modules: ``_build`` (the frame, the leaderboard,
the settings), ``_verdicts`` (summary, paired comparison, rare classes), ``_sections``
(recall, detection, rules), ``_data_sections`` (counts, projection, confusion matrices,
fidelity, validation and audit), ``_html`` and ``_svg`` (tables and charts).
"""

from __future__ import annotations

from ._build import SECTIONS, Report, build_report, write_report

__all__ = ["SECTIONS", "Report", "build_report", "write_report"]
