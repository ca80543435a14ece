"""Decision boundaries of logistic regression (two classes) and softmax
regression (three) on points in the plane."""
import numpy as np

import fastgd

from _common import options, plt, save

args = options("decision_boundaries", __doc__)
rng = np.random.default_rng(0)
n = 150 if args.small else 600
centers = np.array([[-2.0, 0.0], [2.0, 1.0], [0.0, -2.5]])
y3 = rng.integers(0, 3, n)
X3 = centers[y3] + rng.standard_normal((n, 2))
binary = y3 < 2
X2, y2 = X3[binary], y3[binary]

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
grid_x, grid_y = np.meshgrid(np.linspace(-6, 6, 200), np.linspace(-6, 5, 200))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
for ax, model, X, y, title in (
        (axes[0], fastgd.LogisticRegression(alpha=1e-3), X2, y2, "logistic regression"),
        (axes[1], fastgd.SoftmaxRegression(alpha=1e-3), X3, y3, "softmax regression")):
    model.fit(X, y)
    regions = model.predict(grid).reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, regions, alpha=0.25, levels=np.arange(-0.5, 3), cmap="brg")
    ax.scatter(X[:, 0], X[:, 1], c=y, s=12, cmap="brg", vmin=0, vmax=2)
    ax.set_title(f"{title}: accuracy {model.score(X, y):.3f}")
    print(f"{title}: training accuracy {model.score(X, y):.3f}")
save(fig, args.out)
