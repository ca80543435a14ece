"""Plain gradient descent, momentum and Nesterov in a narrow valley
(f = x^2 + 50 y^2): momentum carries the steps along the valley floor."""
import fastgd
from fastgd.optim.functions import EllipticQuadratic
from fastgd.plotting import plot_trajectory

from _common import options, plt, save

args = options("momentum_valley", __doc__)
f = EllipticQuadratic(condition=50)
steps = 40 if args.small else 100
results = {}
for method, extra in (("sgd", {}), ("momentum", {"momentum": 0.9}), ("nesterov", {"momentum": 0.9})):
    results[method] = fastgd.minimize(f.value_and_grad, [-4.5, 1.0], jac=True, method=method,
                                      learning_rate=0.009, max_iter=steps, tol=0.0, **extra)
    print(f"{method}: f = {results[method].fun:.3g} after {steps} steps")
fig, ax = plt.subplots(figsize=(8, 4.5))
plot_trajectory(f, results, ax=ax, bounds=((-5, 5), (-1.5, 1.5)))
ax.set_title(f"{steps} steps at rate 0.009 in a valley 50 times steeper across than along")
save(fig, args.out)
