"""The embedding cache the encoders share: one folder of ``.npz`` files per model.

Each write goes to a temporary file whose name never matches an entry (``*.npz``)
and is then renamed into place, which is atomic: readers never see a partial entry
and concurrent writers never touch each other's files. Entries are validated on read
like fresh output; a damaged one (truncated, not an archive, NaN, keys and vectors
that disagree) is deleted with a warning and its inputs are embedded again.
"""

import contextlib
import hashlib
import os
import uuid
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np


def _item_key(item):
    """A stable digest of one input: sha256 of a string's UTF-8 bytes, else joblib.

    ``surrogatepass`` gives lone surrogates (valid in a Python str, not in UTF-8)
    bytes of their own instead of an encoding error.
    """
    if isinstance(item, str):
        data = item.encode("utf-8", "surrogatepass")
        return hashlib.sha256(data).hexdigest()[:32]
    return joblib.hash(item)[:32]


def _read_entry(file):
    """``(keys, vectors)`` of one entry, or a ValueError saying what is wrong."""
    # Our own handle: np.load leaves its file open when the archive is damaged.
    with open(file, "rb") as handle, np.load(handle, allow_pickle=False) as data:
        keys, vectors = data["keys"], data["vectors"]
    if keys.ndim != 1 or vectors.ndim != 2 or len(keys) != len(vectors):
        raise ValueError(
            f"keys of shape {keys.shape} do not match vectors of shape {vectors.shape}"
        )
    if vectors.dtype.kind != "f" or not np.isfinite(vectors).all():
        raise ValueError("the vectors are not finite floats")
    return keys.astype(str), vectors


class _EmbeddingStore:
    """Embeddings on disk, one folder per namespace (model + options).

    Each write adds one ``.npz`` of (keys, vectors); many small files are merged
    into one now and then. Per-input keys make any overlap between calls a hit.
    Creating the store checks the folder, before any embedding work is done.

    Parameters
    ----------
    directory : str or path
        The cache folder the user passed.
    namespace : str
        Sub-folder of this model's embeddings.
    """

    _MAX_FILES = 32

    def __init__(self, directory, namespace):
        directory = Path(directory)
        self.path = directory / namespace
        for path in (directory, self.path):
            if path.exists() and not path.is_dir():
                raise ValueError(
                    f"cache={str(directory)!r}: {str(path)!r} is a file, not a "
                    "folder; pass a folder for the cache (or None)."
                )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise ValueError(
                f"cache={str(directory)!r} cannot be a folder: {exc}"
            ) from exc
        except OSError:
            # Read-only: hits are served, misses are computed with a warning.
            pass

    def _files(self):
        """The entries; hidden names are temporary files being written."""
        if not self.path.is_dir():
            return []
        return sorted(f for f in self.path.glob("*.npz") if not f.name.startswith("."))

    def load(self):
        """Every valid entry, as a dict key -> vector; damaged entries removed."""
        found = {}
        for file in self._files():
            try:
                keys, vectors = _read_entry(file)
            except FileNotFoundError:
                continue  # merged away by another process
            except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
                warnings.warn(
                    f"Cache entry {str(file)!r} is damaged ({exc!r}); it is removed "
                    "and its inputs are embedded again.",
                    UserWarning,
                    stacklevel=4,
                )
                with contextlib.suppress(OSError):
                    file.unlink(missing_ok=True)
                continue
            found.update(zip(keys, vectors, strict=True))
        return found

    def _write(self, keys, vectors):
        # The folder may have been deleted since: recreate it.
        self.path.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        tmp = self.path / f".{name}.tmp"
        try:
            with open(tmp, "wb") as file:
                np.savez(file, keys=np.asarray(keys, dtype="S32"), vectors=vectors)
            os.replace(tmp, self.path / f"{name}.npz")
        finally:
            tmp.unlink(missing_ok=True)

    def save(self, keys, vectors):
        """Add entries; warn, and keep going, when the folder cannot be written."""
        if len(keys) == 0:
            return
        try:
            self._write(keys, vectors)
            files = self._files()
            if len(files) > self._MAX_FILES:
                width = vectors.shape[1]
                merged = {k: v for k, v in self.load().items() if len(v) == width}
                self._write(list(merged), np.stack(list(merged.values())))
                for file in files:
                    file.unlink(missing_ok=True)
        except OSError as exc:
            warnings.warn(
                f"Could not write to the cache folder {str(self.path)!r} ({exc}); "
                "the embeddings are returned but not cached.",
                UserWarning,
                stacklevel=4,
            )


def _cache_folder(cache):
    """The cache folder of ``cache`` (a path or a joblib.Memory), or None."""
    if isinstance(cache, joblib.Memory):
        return cache.location
    return cache


def _embed_cached(items, embed, *, cache, namespace):
    """Embed ``items`` with ``embed(list) -> (m, D)``, once per distinct input.

    Inputs found in the cache folder are not embedded again; new ones are added.
    Cached and fresh vectors of different lengths mean that the folder holds
    another model's vectors under this name: a ValueError says so.
    """
    keys = [_item_key(item) for item in items]
    folder = _cache_folder(cache)
    store = None if folder is None else _EmbeddingStore(folder, namespace)
    cached = store.load() if store is not None else {}
    found = {key: cached[key] for key in keys if key in cached}
    _check_widths(found, store)
    first = {}
    for key, item in zip(keys, items, strict=True):
        if key not in found and key not in first:
            first[key] = item
    if first:
        vectors = embed(list(first.values()))
        fresh = dict(zip(first, vectors, strict=True))
        _check_widths({**found, **fresh}, store)
        if store is not None:
            store.save(list(first), vectors)
        found.update(fresh)
    return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)


def _check_widths(vectors, store):
    widths = sorted({len(vector) for vector in vectors.values()})
    if len(widths) > 1:
        raise ValueError(
            f"The cache folder {str(store.path)!r} holds vectors of {widths[0]} "
            f"and of {widths[-1]} features for these inputs: another model or "
            "function wrote to it under the same name, or it was altered. Delete "
            "that folder, or give each function its own cache_key."
        )
