"""Chinese-aware splitting: whole sentences, token budgets, headings respected."""

from bot.kb.embeddings import count_tokens
from bot.text import split_sentences
from ingest.loaders import Block
from ingest.splitter import split_blocks


def test_sentences_split_on_chinese_and_english_punctuation():
    text = "基差交易是什麼？它是套利。真的嗎！是的；沒錯。The Fed bought $1.5 trillion. It worked!"
    assert split_sentences(text) == [
        "基差交易是什麼？", "它是套利。", "真的嗎！", "是的；", "沒錯。", "The Fed bought $1.5 trillion.", "It worked!",
    ]


def test_closing_quotes_stay_with_their_sentence():
    assert split_sentences("他說「這是正常的去槓桿。」然後離開。") == ["他說「這是正常的去槓桿。」", "然後離開。"]


def test_decimals_are_not_sentence_ends():
    assert split_sentences("槓桿為 1.5 倍。價格 100.50 元。") == ["槓桿為 1.5 倍。", "價格 100.50 元。"]


def _long_blocks() -> list[Block]:
    sentences = [f"第{i}句話說明基差交易的風險與槓桿的關係，以及附買回融資的成本。" for i in range(40)]
    return [Block("A", "".join(sentences[:20])), Block("A", "".join(sentences[20:])), Block("B", "短段落。")]


def test_chunks_respect_the_token_budget_and_sentences():
    chunks = split_blocks(_long_blocks(), count_tokens, budget=80, overlap=1)
    assert chunks and all(c.text.strip() for c in chunks)
    for chunk, n in zip(chunks, count_tokens([c.text for c in chunks])):
        assert n <= 80 + 4  # joining may add a separator token
        assert chunk.text.endswith(("。", "，", "、")), chunk.text[-10:]
    assert {c.section for c in chunks} == {"A", "B"}
    assert not any("短段落" in c.text and c.section == "A" for c in chunks)


def test_overlap_repeats_the_last_sentence():
    chunks = [c for c in split_blocks(_long_blocks(), count_tokens, budget=80, overlap=1) if c.section == "A"]
    last_of_first = split_sentences(chunks[0].text)[-1]
    assert chunks[1].text.startswith(last_of_first)


def test_an_oversized_sentence_is_cut_at_commas():
    sentence = "，".join(["避險基金在附買回市場融資"] * 60) + "。"
    chunks = split_blocks([Block("", sentence)], count_tokens, budget=50, overlap=0)
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks) == sentence


def test_chunk_sizes_are_counted_by_the_models_own_tokenizer():
    """One tokenizer object serves sizing and embedding (the 128k-piece vocabulary is parsed
    once per process), and the fast counter gives exactly the model's counts: on every
    sentence of the corpus and on random text full of characters the vocabulary lacks."""
    import random

    from bot.kb import embeddings
    from bot.settings import ROOT

    model_tokenizer = embeddings._use(2)._tokenizer
    assert model_tokenizer is embeddings._tokenizer()
    assert isinstance(embeddings._counter(), embeddings._Counter)  # the pinned libraries allow it

    texts = []
    for path in sorted((ROOT / "corpus").glob("*.md")):
        for paragraph in path.read_text(encoding="utf-8").split("\n\n"):
            texts += [paragraph, *split_sentences(paragraph)]
    assert len(texts) > 500
    rng = random.Random(3)
    alphabets = ["abc XYZ 123 ,.", "基差交易附買回槓桿，。", "ｆｕｌｌ①②㍿ﬁ", "😀🦄𠀀𠀁", " \t\n\u3000", "<unk><s>", "é\u0301"]
    for _ in range(3000):
        texts.append("".join(rng.choice(rng.choice(alphabets)) for _ in range(rng.randint(0, 30))))
    assert count_tokens(texts) == [len(ids) for ids in model_tokenizer.encode(texts)]
    assert count_tokens(["基差"]) < count_tokens(["基差交易的風險與槓桿"])


def test_the_counters_normaliser_gives_the_models_bytes():
    """The run-copying normaliser behind the counter is the model's own, output for output:
    spaces (single, repeated, leading, trailing), combining marks after ASCII, NFKC forms."""
    import random

    from bot.kb import embeddings
    from bot.settings import ROOT

    model = embeddings._tokenizer()._normalizer
    fast = embeddings._Normalizer(model)
    texts = [p for path in sorted((ROOT / "corpus").glob("*.md")) for p in path.read_text(encoding="utf-8").split("\n")]
    rng = random.Random(5)
    pool = list("abcAZ09<=>.-,  \t\n\r\u3000。，「」（）基差交易ｆ①㍿ﬁ😀\u0301\u0308\u030a")
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(0, 25))) for _ in range(5000)]
    assert [fast(t) for t in texts] == [model.normalize(t) for t in texts]
