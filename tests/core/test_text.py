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
