"""Cleaning the raw seed dump: the article body stays, site chrome and teasers go."""

from bot.settings import ROOT
from scripts.clean_seed import FRONT_MATTER, clean_seed

RAW = ROOT.parent / "shared" / "seed" / "basis-trade-article.zh-Hant.raw.txt"
CORPUS_ARTICLE = ROOT / "corpus" / "basis-trade-article.zh-Hant.md"
UNRELATED = ("Aspiration", "Bankman", "SBF", "Gary Stevenson", "Thumbnail", "moneyback", "降息的幅度", "交易遊戲", "無限風暴", "Google News", "avatar", "留言", "延伸閱讀")


def _raw() -> str:
    if RAW.exists():
        return RAW.read_text(encoding="utf-8")
    # CI copies shared/ beside the clone; fall back to the committed article's text.
    return CORPUS_ARTICLE.read_text(encoding="utf-8").split("---", 2)[2]


def test_body_kept_and_chrome_removed():
    title, body = clean_seed(_raw())
    assert "基差交易" in title
    assert "三個前提" in body and "道德風險" in body and "Scott Bessent" in body
    for word in UNRELATED:
        assert word not in body, word
    assert "raw-image" not in body and "閱讀時間" not in body


def test_sections_become_headings():
    _, body = clean_seed(_raw())
    assert "## 一、基差交易是什麼?從套利工具變成系統性風險源頭" in body
    assert body.count("\n## ") == 4


def test_committed_article_is_the_cleaned_dump():
    text = CORPUS_ARTICLE.read_text(encoding="utf-8")
    assert text.startswith(FRONT_MATTER)
    if RAW.exists():
        assert text == FRONT_MATTER + "\n" + clean_seed(_raw())[1]


def test_no_chunk_of_the_index_carries_unrelated_text(retriever):
    for text in retriever.index.texts:
        for word in UNRELATED:
            assert word not in text, (word, text[:80])
