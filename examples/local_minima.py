"""Local minima reached from different starts: Himmelblau's function has
four minima, and the start decides which one gradient descent finds."""
import numpy as np

import fastgd
from fastgd.optim.functions import Himmelblau
from fastgd.plotting import plot_trajectory

from _common import options, plt, save

args = options("local_minima", __doc__)
f = Himmelblau()
starts = [(0.0, 0.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -2.0), (-4.5, 0.5), (0.5, 4.5)]
if args.small:
    starts = starts[:4]
results = {}
for start in starts:
    result = fastgd.minimize(f.value_and_grad, start, jac=True, method="sgd",
                             learning_rate=0.01, max_iter=500)
    results[f"from {start}"] = result
    print(f"from {start}: minimum near ({result.x[0]:.3f}, {result.x[1]:.3f})")
fig, ax = plt.subplots(figsize=(6, 5.5))
plot_trajectory(f, results, ax=ax, bounds=((-5, 5), (-5, 5)))
ax.set_title("Himmelblau's function: one start, one minimum")
save(fig, args.out)
