from bot.core.text import clean_user_text, fold_quote, normalise, tokens


def test_normalise_folds_azerbaijani_letters_and_accents() -> None:
    assert normalise("İlham Əliyev") == "ilham eliyev"
    assert normalise("Şəhbaz Şərif") == "sehbaz serif"
    assert normalise("Türkiye") == normalise("Turkiye") == "turkiye"
    assert normalise("Qarabağ, Laçın") == "qarabag lacin"


def test_normalise_money_spellings_meet() -> None:
    assert normalise("USD 2 billion") == normalise("$2bn") == normalise("2 bn") == "2 billion"
    assert normalise("$100 million") == "100 million"


def test_normalise_drops_invisible_and_bidi_characters() -> None:
    assert normalise("inv\u200best\u202ement") == "investment"
    assert normalise("\u2066LNG\u2069") == "lng"


def test_normalise_keeps_urdu_letters() -> None:
    assert normalise("پاکستان") == "پاکستان"
    assert normalise("آذربائیجان")  # not emptied


def test_fold_quote_forgives_only_typography() -> None:
    assert fold_quote("Pakistan’s  resolve — “strong”") == "Pakistan's resolve - \"strong\""
    assert fold_quote("Pakistans resolve") != fold_quote("Pakistan's resolve")


def test_tokens_drop_stopwords_unless_nothing_is_left() -> None:
    assert tokens("what is the lng deal") == ["lng", "deal"]
    assert tokens("the") == ["the"]


def test_clean_user_text_bounds_and_strips_controls() -> None:
    assert clean_user_text("a\x00b\u200b c", 100) == "a b c"
    assert len(clean_user_text("x" * 10_000, 50)) == 50


def test_normalise_leaves_one_space_between_words_whatever_the_separators() -> None:
    # Underscores, control characters and punctuation runs all separate words by one space, on
    # the ASCII fast path and the Unicode path alike, so "foo _bar" still equals the name "foo bar".
    assert normalise("foo _bar") == "foo bar"
    assert normalise("a\x1f,_-0") == "a 0"
    assert normalise("Şəhbaz _ Şərif") == "sehbaz serif"
    assert normalise("USD 2,500mn, deal") == "2500 million deal"


def test_normalise_ascii_fast_path_agrees_with_the_unicode_path() -> None:
    # A non-ASCII character that folds away (a zero-width space) sends the same text down the
    # Unicode path: both paths must give the same answer.
    samples = ["Pakistan-Azerbaijan JF-17 deal: $1.6bn (2024)", "Green_Corridor, 3,000 km", "us$ 5 billion!"]
    for sample in samples:
        assert normalise(sample) == normalise(sample + "\u200b")
        assert "  " not in normalise(sample)
