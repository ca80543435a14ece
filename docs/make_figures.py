"""Make the README's figure: ``python docs/make_figures.py`` (needs matplotlib).

The textbook's lesson in two pictures: the paths of plain gradient descent,
momentum, Nesterov and Adam across the Rosenbrock valley, and their objective
per iteration.  Rates are the largest round ones that keep plain GD stable.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fastgd import minimize  # noqa: E402
from fastgd.optim.functions import Rosenbrock  # noqa: E402
from fastgd.plotting import plot_loss_history, plot_trajectory  # noqa: E402

HERE = Path(__file__).parent


def main():
    f = Rosenbrock()
    start = [-1.5, 2.0]
    runs = {
        "gd (lr 1e-3)": minimize(f.value_and_grad, start, jac=True, method="sgd",
                                 learning_rate=1e-3, max_iter=3000),
        "momentum 0.9": minimize(f.value_and_grad, start, jac=True, method="momentum",
                                 learning_rate=1e-3, max_iter=3000),
        "nesterov 0.9": minimize(f.value_and_grad, start, jac=True, method="nesterov",
                                 learning_rate=1e-3, max_iter=3000),
        "adam (lr 2e-2)": minimize(f.value_and_grad, start, jac=True, method="adam",
                                   learning_rate=2e-2, max_iter=3000),
    }
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    plot_trajectory(f, runs, ax=left)
    left.set_title("Rosenbrock valley: 3000 steps from (-1.5, 2)")
    plot_loss_history({name: r for name, r in runs.items()}, ax=right)
    right.set_title("objective per iteration")
    fig.tight_layout()
    fig.savefig(HERE / "trajectory.png", dpi=90)
    for name, r in runs.items():
        print(f"{name:16s} f = {r.fun:.3e} at {r.x}")


if __name__ == "__main__":
    main()
