"""A learning rate too small, about right, and too large (divergence), on
the elongated bowl f(x, y) = x^2 + 10 y^2 (stable below 2 / 20 = 0.1)."""
import numpy as np

import fastgd
from fastgd.optim.functions import EllipticQuadratic
from fastgd.plotting import plot_trajectory

from _common import options, plt, save

args = options("learning_rates", __doc__)
f = EllipticQuadratic(condition=10)
steps = 20 if args.small else 40
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
for ax, rate, title in zip(axes, (0.005, 0.09, 0.105),
                           ("too small: 0.005", "about right: 0.09", "too large: 0.105")):
    result = fastgd.minimize(f.value_and_grad, [-4.0, 1.5], jac=True, method="sgd",
                             learning_rate=rate, max_iter=steps, tol=0.0)
    plot_trajectory(f, {f"rate {rate}": result}, ax=ax, bounds=((-5, 5), (-3, 3)))
    ax.set_title(f"{title}: f = {result.fun:.3g} after {result.nit} steps")
    print(f"rate {rate}: f = {result.fun:.4g} after {result.nit} steps")
save(fig, args.out)
