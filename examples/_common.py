"""What the examples share: the command line (--small, --out) and saving."""
import argparse
import os

import matplotlib

matplotlib.use("Agg")            # the examples write PNG files; no display needed
import matplotlib.pyplot as plt  # noqa: E402


def options(name, description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--small", action="store_true", help="a quick run on less data")
    parser.add_argument("--out", default=f"{name}.png", help="the figure's file")
    return parser.parse_args()


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"figure written to {os.path.abspath(path)}")
