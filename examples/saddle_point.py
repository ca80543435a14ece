"""Adam and plain gradient descent at a saddle point (f = x^2 - y^2),
started almost on its stable axis: plain steps linger near the saddle,
Adam's per-coordinate scaling leaves it at once."""
import fastgd
from fastgd.optim.functions import Saddle
from fastgd.plotting import plot_trajectory

from _common import options, plt, save

args = options("saddle_point", __doc__)
f = Saddle()
steps = 30 if args.small else 60
start = [-2.0, 1e-3]
results = {"plain gradient descent": fastgd.minimize(f.value_and_grad, start, jac=True,
                                                     method="sgd", learning_rate=0.05,
                                                     max_iter=steps, tol=0.0),
           "Adam": fastgd.minimize(f.value_and_grad, start, jac=True, method="adam",
                                   learning_rate=0.05, max_iter=steps, tol=0.0)}
for label, result in results.items():
    print(f"{label}: distance from the saddle's axis |y| = {abs(result.x[1]):.3g}")
fig, ax = plt.subplots(figsize=(6, 5))
plot_trajectory(f, results, ax=ax, bounds=((-2.5, 2.5), (-2.5, 2.5)))
ax.set_title(f"{steps} steps from (-2, 0.001)")
save(fig, args.out)
