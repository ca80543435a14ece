"""A network's loss curve: the training objective and the held-out
accuracy after each epoch of an MLP learning two interleaved spirals."""
import numpy as np

import fastgd

from _common import options, plt, save

args = options("network_loss_curve", __doc__)
rng = np.random.default_rng(0)
n = 400 if args.small else 2000
t = np.sqrt(rng.random(n)) * 3 * np.pi
label = rng.integers(0, 2, n)
sign = np.where(label == 1, 1.0, -1.0)
X = np.column_stack([sign * t * np.cos(t), sign * t * np.sin(t)]) / 5.0
X += 0.05 * rng.standard_normal(X.shape)
net = fastgd.MLPClassifier((32, 32), activation="tanh", optimizer="adam", learning_rate=0.01,
                           batch_size=32, max_epochs=60 if args.small else 300, tol=None,
                           early_stopping=True, validation_fraction=0.2, random_state=0)
net.fit(X, label)
print(f"{net.n_iter_} epochs: objective {net.loss_history_[-1]:.4f}, "
      f"held-out accuracy {net.validation_scores_[-1]:.3f}")
fig, ax = plt.subplots(figsize=(7, 4.5))
epochs = np.arange(1, net.n_iter_ + 1)
ax.plot(epochs, net.loss_history_, label="training objective")
ax.set(xlabel="epoch", ylabel="objective (log-loss)", yscale="log",
       title="MLPClassifier (32, 32) tanh on two spirals, Adam")
right = ax.twinx()
right.plot(epochs, net.validation_scores_, color="tab:orange", label="held-out accuracy")
right.set_ylabel("held-out accuracy")
ax.legend(loc="center left"), right.legend(loc="center right")
save(fig, args.out)
