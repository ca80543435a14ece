"""Batch, stochastic and mini-batch gradient descent on the same logistic
regression: the objective after each epoch."""
import fastgd
from fastgd.datasets import make_problem

from _common import options, plt, save

args = options("batch_sizes", __doc__)
X, y = make_problem("binary", 2000 if args.small else 20000, 20, random_state=0)
epochs = 15 if args.small else 40
runs = {"batch (solver='gd')": dict(solver="gd", learning_rate=0.5),
        "stochastic (solver='sgd')": dict(solver="sgd", learning_rate=0.01),
        "mini-batch of 32": dict(solver="minibatch", batch_size=32, learning_rate=0.1)}
fig, ax = plt.subplots(figsize=(7, 4.5))
for label, params in runs.items():
    model = fastgd.LogisticRegression(optimizer="sgd", max_epochs=epochs, tol=None,
                                      random_state=0, **params).fit(X, y)
    ax.plot(range(1, epochs + 1), model.loss_history_, marker=".", label=label)
    print(f"{label}: objective {model.loss_history_[-1]:.4f} after {epochs} epochs")
ax.set(xlabel="epoch", ylabel="objective (mean log-loss)", yscale="log",
       title="One epoch: one step (batch), n steps (stochastic), n / 32 (mini-batch)")
ax.legend()
save(fig, args.out)
