"""Watching a fit: the record each epoch reports, and a progress bar.

Every estimator takes ``verbose`` and ``callback``.  After each epoch the fit
loop makes an :class:`EpochRecord`; ``verbose`` prints it as one line (on
standard output, as scikit-learn's estimators do) and ``callback`` is called
with it.  A callback that returns a true value stops the fit after that
epoch: the model keeps what it has learned, ``converged_`` is False and no
:class:`~fastgd.exceptions.ConvergenceWarning` is issued (stopping was
asked for).

>>> import numpy as np
>>> from fastgd import LinearRegression
>>> X = np.arange(20.0).reshape(10, 2); y = X @ [1.0, -1.0]
>>> seen = []
>>> model = LinearRegression(callback=lambda r: seen.append(r.objective) or r.epoch == 3)
>>> model.fit(X, y).n_iter_, len(seen)
(3, 3)

Ctrl-C (``KeyboardInterrupt``) during a fit stops it too: the epoch under
way is undone, the model keeps the last finished one, and a
:class:`~fastgd.exceptions.FitInterruptedWarning` says so; ``fit`` returns
the estimator as usual.
"""
import math
import sys
import time
from dataclasses import dataclass
from typing import Optional

__all__ = ["EpochRecord", "ProgressBar"]


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch of a fit reports to ``verbose`` and ``callback``.

    Attributes
    ----------
    epoch : int
        The epoch's number in this fit, from 1 (``n_iter_`` after it).
    objective : float
        The training objective after the epoch (``loss_history_[-1]``).
    validation_score : float or None
        The held-out score after the epoch (accuracy for classifiers, R^2
        for regressors) with ``early_stopping=True``, else None.
    learning_rate : float
        The learning rate of the epoch's last update (after the schedule).
    seconds : float
        Wall-clock seconds the epoch took, its validation score included.
    """

    epoch: int
    objective: float
    validation_score: Optional[float]
    learning_rate: float
    seconds: float

    def __str__(self):
        """The line ``verbose`` prints."""
        line = f"Epoch {self.epoch}, objective = {self.objective:.6g}"
        if self.validation_score is not None:
            line += f", validation score = {self.validation_score:.6g}"
        return line + f", learning rate = {self.learning_rate:.4g}, time = {self.seconds:.3g} s"


def _clock(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}:" if hours else "") + f"{rest // 60:02d}:{rest % 60:02d}"


class ProgressBar:
    """A callback that draws a one-line text progress bar per epoch.

    The line shows the epochs done out of ``total``, the objective, the
    validation score when there is one, the time spent and an estimate of
    the time left (the mean epoch time so far times the epochs left; a fit
    that stops early on ``tol`` finishes sooner).

    Parameters
    ----------
    total : int
        The most epochs the fit may run (its ``max_epochs``).
    stream : file-like, default sys.stderr
        Where to draw.  On a terminal the line is redrawn in place; on
        anything else (a log file, a pipe) each epoch gets a line of its own.
    width : int, default 30
        Characters of the bar itself.
    every : float, default 0
        Off a terminal, write a line only every ``every * total`` epochs (0:
        every epoch); the last epoch's line is written by :meth:`close`.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from fastgd import LogisticRegression
    >>> out = io.StringIO()
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = [0, 0, 1, 1]
    >>> bar = ProgressBar(total=2, stream=out)
    >>> _ = LogisticRegression(max_epochs=2, tol=None, callback=bar).fit(X, y)
    >>> bar.close()
    >>> out.getvalue().count("epoch ")
    2
    """

    def __init__(self, total, stream=None, width=30, every=0.0):
        if not (isinstance(total, int) and total >= 1):
            raise ValueError(f"total must be a positive int, got {total!r}")
        if not 0.0 <= every <= 1.0:
            raise ValueError(f"every must be a fraction in [0, 1], got {every!r}")
        self.total = total
        self._step = max(1, int(every * total))
        self._pending = None
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.elapsed = 0.0
        self._drawn = False
        isatty = getattr(self.stream, "isatty", None)
        self._in_place = bool(isatty and isatty())

    def __call__(self, record):
        self.elapsed += record.seconds
        done = min(record.epoch, self.total)
        filled = int(self.width * done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        left = self.elapsed / record.epoch * (self.total - done)
        line = f"[{bar}] epoch {done}/{self.total}  objective {record.objective:.6g}"
        if record.validation_score is not None:
            line += f"  validation {record.validation_score:.4f}"
        line += f"  {_clock(self.elapsed)} elapsed, {_clock(left) if math.isfinite(left) else '?'} left"
        if self._in_place:
            self.stream.write("\r" + line + "\x1b[K")
        elif record.epoch == 1 or record.epoch % self._step == 0:
            self.stream.write(line + "\n")
            line = None
        self._pending = None if self._in_place else line
        self.stream.flush()
        self._drawn = True
        return False

    def close(self):
        """End the bar's line (on a terminal); call it when the fit returns."""
        if self._drawn and self._in_place:
            self.stream.write("\n")
        elif self._pending is not None:
            self.stream.write(self._pending + "\n")
        self.stream.flush()
        self._drawn, self._pending = False, None


def now():
    """The clock epochs are timed with."""
    return time.perf_counter()
