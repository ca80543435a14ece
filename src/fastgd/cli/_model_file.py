"""The command line's model files: a header line, a JSON line, a pickle.

::

    FASTGD-MODEL\\n
    {"format": 1, "fastgd": "0.1.0", "model": "logistic", ...}\\n
    <pickle of {"estimator": ..., "center": ..., "scale": ...}>

The first line tells a fastgd model from any other file; ``format`` is the
layout's version, refused when it is newer than this fastgd reads.  A file
is written to a temporary file beside it and renamed over the target, so an
interrupted save never leaves a truncated model.  Loading unpickles: load
only model files you trust.
"""
import json
import os
import pickle
import tempfile

from .. import __version__
from ._data import CommandError

MAGIC = b"FASTGD-MODEL\n"
FORMAT = 1


def save_model(path, payload, metadata):
    metadata = dict(metadata, format=FORMAT, fastgd=__version__)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"--out {path}: the directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".fastgd-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC)
            f.write(json.dumps(metadata, sort_keys=True).encode() + b"\n")
            pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_model(path):
    """(payload, metadata) of a model file, or a CommandError saying why not."""
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file")
    if os.path.isdir(path):
        raise CommandError(f"{path}: is a directory, not a model file")
    with open(path, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise CommandError(f"{path}: not a fastgd model file (make one with "
                               "'fastgd train ... --out MODEL')")
        try:
            metadata = json.loads(f.readline().decode())
            version = int(metadata["format"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise CommandError(f"{path}: a damaged fastgd model file (its description "
                               "line cannot be read)") from None
        if version > FORMAT:
            raise CommandError(f"{path}: written by fastgd {metadata.get('fastgd', '?')} in "
                               f"model format {version}; this fastgd ({__version__}) reads "
                               f"format {FORMAT} and older: upgrade fastgd")
        try:
            payload = pickle.load(f)
        except Exception as error:       # truncated, or a class this fastgd lacks
            raise CommandError(f"{path}: a damaged or incompatible fastgd model file "
                               f"({type(error).__name__}: {error})") from None
    return payload, metadata
