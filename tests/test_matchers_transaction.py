"""Where is the deal? A page that talks about the trade, with no supplier's or buyer's voice, price or call to
order anywhere, is held at suspect; offers and short listings are not touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchers import Scanner, load_ruleset
from matchers.ruleset import RulesetError
from matchers.transaction import answers, words
from matchers.transaction import asks as asked

# Texts about the trade: a reporter's, a judge's or an adviser's voice, no deal in them.
TALK = [
    {"title": "Why Google reviews matter for your business",
     "description": "Your Google reviews are one of the first things a potential customer sees. They affect your "
                    "ranking in local search, and consumers read them before they visit. Businesses with many "
                    "positive Google reviews get more calls than their competitors."},
    {"title": "Buying iOS app reviews",
     "description": "Buying iOS app reviews is a controversial practice that many developers consider to boost "
                    "their app's visibility. However, it is important to understand the consequences: Apple "
                    "removes them and developers lose their accounts, according to reports."},
    # r9b: short news items in languages whose reporters' words the ruleset reads too (ja, zh, ko, tr)
    {"title": "Google口コミを売る業者の実態",
     "description": "消費者庁によると、Googleの口コミを有料で投稿する業者が増えている。専門家は景品表示法の違反にあたる"
                    "と指摘し、ステマ規制の対象になると解説した。"},
    {"title": "商家刷Google五星好評",
     "description": "記者調查發現，不少業者以優惠換取Google五星好評，網友指出評論的真實性已大打折扣，"
                    "平台表示將處罰違規商家。"},
    {"title": "구글 리뷰 조작 논란",
     "description": "소비자원에 따르면 일부 업체가 돈을 주고 구글 리뷰 별점을 조작한 것으로 드러났다. "
                    "기자가 확인한 결과 "
                    "리뷰 작성 대가로 할인 쿠폰을 제공한 사례도 있었다고 공정위는 밝혔다. 위반 시 처벌 대상이다."},
    {"title": "Google yorumları mercek altında",
     "description": "Uzmanlara göre bazı işletmeler sahte Google yorumları ile puanlarını yükseltiyor. Ticaret "
                    "Bakanlığı açıkladı: tüketicinin güvenini kötüye kullanan işletmelere ceza verilecek, "
                    "şikayet sayısı her yıl artıyor ve denetimler sıklaşıyor."},
]

# Offers and requests in a page's length: the deal is somewhere in them.
DEALS = [
    {"title": "Buy Google Reviews",
     "description": "Many businesses buy Google reviews to look better, and consumers trust them. Their "
                    "competitors do it too, according to a study of companies. Permanent reviews from real "
                    "local accounts, fast delivery, 30 day replacement guarantee."},
    {"title": "Google reviews for your business",
     "description": "Many companies struggle, according to a study: consumers trust their competitors. We "
                    "post 5 star reviews on your Google profile from local accounts, 10 reviews for $50. "
                    "Contact us on WhatsApp."},
    # r9b: a buyer's rules for the helpers and a vendor's marketing figures are no news
    {"title": "Google Maps reviews wanted",
     "description": "Consumers read reviews, research shows, and most companies rely on them. Write 5 star reviews "
                    "on Google Maps for restaurants: reviews that disappear within a week are not paid, copied "
                    "text is not paid either. Payment via PayPal every Friday."},
    {"title": "Need 20 Google reviews for our clinic",
     "description": "Our competitors have hundreds of reviews and consumers compare them, the report says. "
                    "Looking for people with Google accounts to leave 5 star reviews, we pay $5 per review "
                    "after you send a screenshot."},
]


@pytest.mark.parametrize("doc", TALK)
def test_a_page_that_talks_about_the_trade_is_held_at_suspect(scanner: Scanner, doc: dict) -> None:
    # r14a: at suspect, or cleared when a reporter's words run all through it ([transaction] told_points)
    verdict = scanner.scan(doc)
    assert verdict.grade in ("suspect", "clear"), verdict.reasons
    held = [r for r in verdict.reasons if r.rule_id == "no-transaction"]
    assert held and held[0].weight < 0


@pytest.mark.parametrize("doc", DEALS)
def test_an_offer_or_a_request_in_a_page_stays_flagged(scanner: Scanner, doc: dict) -> None:
    verdict = scanner.scan(doc)
    assert verdict.flagged, verdict.reasons
    assert not any(r.rule_id == "no-transaction" for r in verdict.reasons)


def test_a_short_listing_is_the_offer_itself(scanner: Scanner) -> None:
    # a catalogue title has no voice at all, but it is listed for sale: too short to be a page about the trade
    verdict = scanner.scan({"title": "Buying fake Google reviews: risks for businesses, fines by regulators"})
    assert not any(r.rule_id == "no-transaction" for r in verdict.reasons)


def test_words_counts_unspaced_scripts_by_letters() -> None:
    assert words("Buy Google reviews now") == 4
    assert words("one two three four five", enough=3) == 3
    assert words("口コミ投稿代行します") >= 5


RULESET = """
version = "t1"
threshold = 0.6
suspect_threshold = 0.3
[transaction]
classes = ["deal"]
when_any = ["talk"]
talk_terms = 2
min_words = 5
cap = 0.4
explain = "No deal"
[classes.rating]
anchor = true
label = "rating"
terms = ["reviews"]
[classes.buy]
label = "buy"
terms = ["buy", "buying"]
[classes.deal]
label = "deal"
terms = ["we sell", "order now"]
[classes.talk]
label = "talk"
terms = ["fake", "fined", "companies"]
[[rules]]
id = "buy-reviews"
kind = "proximity"
classes = ["buy", "rating"]
window = 3
weight = 0.8
explain = "Buying reviews"
"""


def test_the_transaction_table_of_a_small_ruleset(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULESET, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    news = scanner.scan({"title": "Companies buying fake reviews were fined last year by the agency"})
    assert news.grade == "suspect" and news.score == 0.4
    one_word = scanner.scan({"title": "Companies buying reviews: what the agency said last year about it"})
    assert one_word.flagged  # one term of the talk classes is not enough
    offer = scanner.scan({"title": "Companies buying fake reviews were fined, we sell real ones, order now"})
    assert offer.flagged
    short = scanner.scan({"title": "buying fake reviews companies"})
    assert short.flagged


def test_a_reporters_words_count_more_than_words_a_vendor_shares(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    strong = RULESET.replace("talk_terms = 2", 'talk_terms = 3\ntalk_strong = ["news"]\nstrong_points = 2.0')
    strong += """
[classes.news]
label = "news"
terms = ["said", "according"]
"""
    path.write_text(strong.replace('when_any = ["talk"]', 'when_any = ["talk", "news"]'), encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    two_common = scanner.scan({"title": "Companies buying fake reviews: what happens next year to all of them"})
    assert two_common.flagged  # two words a vendor uses too: 2 points of 3
    news = scanner.scan({"title": "Companies buying reviews were caught, the agency said last year about it"})
    assert news.grade == "suspect"  # "companies" (1) and "said" (2)
    bad = RULESET.replace("talk_terms = 2", 'talk_terms = 2\ntalk_strong = ["nothing"]')
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(RulesetError, match="unknown class 'nothing'"):
        load_ruleset(path)


@pytest.mark.parametrize(("change", "message"), [
    ('cap = 0.4', "'cap' must be in [0, threshold)"),
    ('classes = ["deal"]', "unknown class 'nothing'"),
])
def test_the_transaction_table_is_checked(tmp_path: Path, change: str, message: str) -> None:
    bad = {"cap = 0.4": RULESET.replace("cap = 0.4", "cap = 0.7"),
           'classes = ["deal"]': RULESET.replace('classes = ["deal"]', 'classes = ["nothing"]')}[change]
    path = tmp_path / "rules.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(path)
    assert message in str(caught.value)


# r10d: a page held for want of a deal whose title says what it is about (an honest frame there: asking one's own
# customers, a warning) is held below suspect, in any language
FRAMED = [
    ("Google review NFC stands - tap to leave a review",
     "Wooden NFC and QR stands for your front desk. Guests tap their phone and your Google review page opens. "
     "Any phone, nothing to install."),
]


@pytest.mark.parametrize(("title", "description"), FRAMED)
def test_a_page_whose_title_frames_it_is_held_below_suspect(scanner: Scanner, title: str, description: str) -> None:
    verdict = scanner.scan({"title": title, "description": description})
    held = [r for r in verdict.reasons if r.rule_id == "no-transaction"]
    assert held and verdict.grade == "clear", verdict.reasons


def test_a_page_about_the_trade_short_of_flagging_is_not_for_review(tmp_path: Path) -> None:
    """r10a: what holds a would-be flagged page at suspect clears one whose evidence only reaches suspect (a
    warning, a news item): the review queue is for offers and requests, not for pages about them."""
    path = tmp_path / "rules.toml"
    path.write_text(RULESET.replace("weight = 0.8", "weight = 0.45"), encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    news = scanner.scan({"title": "Companies buying fake reviews were fined last year by the agency"})
    assert news.grade == "clear" and news.score == 0.0
    assert news.reasons[-1].rule_id == "no-transaction" and news.reasons[-1].weight == -0.45
    assert "buy-reviews" in {r.rule_id for r in news.reasons}
    offer = scanner.scan({"title": "Companies buying fake reviews were fined, we sell real ones, order now"})
    assert offer.grade == "suspect"
    one_word = scanner.scan({"title": "Companies buying reviews: what the agency said last year about it"})
    assert one_word.grade == "suspect"  # one term of the talk classes is not enough
    short = scanner.scan({"title": "buying fake reviews companies"})
    assert short.grade == "suspect"


# r12b: a reporter's frame. A price, a chat app or the terms of a deal told in a reporting sentence (reported speech,
# a finding, a fine, a third party's or a victim's past deal) is no deal: the page is held; an offer in the first or
# second person that quotes a price stays flagged, reporting words next to it or not
TOLD = [
    {"title": "I was offered money for Google reviews",
     "description": "Last month a stranger added me on WhatsApp and offered me $5 per review to post 5 star reviews "
                    "on Google Maps for hotels. They said I would be paid after each review. It was a task scam: the "
                    "police told me that victims lose thousands, and they asked me to report the number."},
    {"title": "Reseñas falsas en Google: cómo funciona el negocio",
     "description": "Según la investigación, los vendedores cobraban 5 euros por reseña en Google Maps y se "
                    "organizaban por Telegram. La empresa fue multada con 2 millones de euros, explicó la autoridad "
                    "de consumo. Los consumidores confían cada vez menos en las reseñas."},
    {"title": "商家说好评返现5元，该收吗？",
     "description": "上周在网上买了手机壳，商家说给五星好评返现5元红包。据平台规则，以返现诱导好评属于违规，"
                    "消费者可以向平台投诉，平台表示将处罚违规商家。"},
    # a polite ending ("します", "드립니다") is no offer by itself: a help page
    {"title": "Googleの口コミについて",
     "description": "Googleの口コミは店舗の評価に影響します。口コミの投稿方法を解説します。"
                    "星5の口コミを集める方法として、お客様に口コミを依頼することが大切です。"
                    "消費者の多くが口コミを参考にしています。口コミの返信方法も紹介します。"},
]

OFFERED = [
    {"title": "Google reviews for your business",
     "description": "Studies say consumers trust reviews. We offer 50 five star Google reviews for $300, delivered "
                    "within a week from local accounts. DM us on Telegram to order."},
    {"title": "Paying for Google reviews",
     "description": "Our competitor was fined for fake reviews, they said, but we still need 30 five star Google "
                    "reviews for our restaurant. I will pay $5 per review, send a screenshot on WhatsApp."},
    {"title": "Googleマップ口コミ投稿代行します",
     "description": "星5の口コミを1件500円で投稿します。実アカウントから投稿いたします。LINEでご連絡ください。"},
]


@pytest.mark.parametrize("doc", TOLD)
def test_a_deal_told_in_a_reporters_sentence_is_no_deal(scanner: Scanner, doc: dict) -> None:
    assert not scanner.scan(doc).flagged


@pytest.mark.parametrize("doc", OFFERED)
def test_an_offer_quoting_a_price_stays_flagged_next_to_reporting_words(scanner: Scanner, doc: dict) -> None:
    verdict = scanner.scan(doc)
    assert verdict.flagged, verdict.reasons


def test_the_told_frame_of_a_small_ruleset(tmp_path: Path) -> None:
    """A ``told_over`` term in a sentence with a ``told`` term is no deal, nor an offer a rule's ``absent`` rules
    out; in another sentence it is both."""
    told_keys = 'classes = ["deal", "price"]\ntold = ["told"]\ntold_over = ["price"]'
    framed = RULESET.replace('classes = ["deal"]', told_keys)
    framed += """
[classes.price]
label = "price"
patterns = ['\\$\\d+']
[classes.told]
label = "told"
terms = ["they charged", "said"]
[[rules]]
id = "news"
kind = "negative"
scope = "document"
classes = ["talk"]
absent = ["price"]
weight = 0.2
explain = "News"
"""
    path = tmp_path / "rules.toml"
    path.write_text(framed, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    told = scanner.scan({"title": "Companies buying fake reviews were fined: they charged $5 each, the agency said"})
    assert not told.flagged and "news" in {r.rule_id for r in told.reasons}  # the frame explains it all
    offered = scanner.scan({"title": "Companies buying fake reviews were fined. Reviews cost $5 each with us"})
    assert offered.flagged and "news" not in {r.rule_id for r in offered.reasons}
    path.write_text(framed.replace('told = ["told"]\n', ""), encoding="utf-8")
    with pytest.raises(RulesetError, match="'told_over' needs 'told'"):
        load_ruleset(path)
    path.write_text(framed.replace('told = ["told"]\n', 'told = ["told"]\nparticles = ["か", ""]\n'), encoding="utf-8")
    with pytest.raises(RulesetError, match="'particles' must not hold an empty string"):
        load_ruleset(path)


# r14a: who speaks in a short text. An onlooker's or a reporter's voice, no deal: held (cleared when it asks an
# onlooker's question); an offer or a buyer's ask put as a question stays flagged.
ONLOOKERS = [
    {"title": "Is it safe to buy Google reviews?", "description": "A guy on Fiverr offered me 50 for $20."},
    {"title": "anyone tried these $5 review sellers?"},
    {"title": "口コミ代行は大丈夫?", "description": "Googleの口コミを1件3000円で投稿する業者から営業が来ました。"},
    {"title": "Comprar avaliações no Google é golpe?", "description": "Me ofereceram 30 avaliações por R$ 200."},
    {"title": "Czy warto kupić opinie na Google?", "description": "Agencja proponuje mi 25 opinii za 200 zł."},
    {"title": "Finger weg von Bewertungsagenturen",
     "description": "Ich habe 300 € für 40 Google-Bewertungen bezahlt, die Hälfte wurde gelöscht. "
                    "Kauft keine Bewertungen."},
]
ASKING_DEALS = [
    {"title": "Need Google reviews? DM me"},
    {"title": "Who can post 20 reviews for my shop?", "description": "Paying $4 each via PayPal."},
    {"title": "Anyone selling Yelp reviews?", "description": "I need 15 for my restaurant, will pay well."},
    {"title": "Is it safe to buy Google reviews?",
     "description": "Yes. Our reviews come from aged local accounts, drip-fed over 30 days. Order your package today."},
    {"title": "Ist es sicher, Amazon-Rezensionen zu kaufen?",
     "description": "Ja, wir liefern echte Rezensionen von verifizierten Käufern. Jetzt bestellen."},
]


@pytest.mark.parametrize("doc", ONLOOKERS)
def test_an_onlookers_short_text_is_not_flagged(scanner: Scanner, doc: dict) -> None:
    verdict = scanner.scan(doc)
    assert not verdict.flagged, verdict.reasons


@pytest.mark.parametrize("doc", ASKING_DEALS)
def test_an_offer_or_a_buyers_ask_put_as_a_question_stays_flagged(scanner: Scanner, doc: dict) -> None:
    verdict = scanner.scan(doc)
    assert verdict.flagged, verdict.reasons
    assert not any(r.rule_id == "no-transaction" for r in verdict.reasons)


def test_asks_reads_the_question_mark_and_the_writers_answer() -> None:
    from matchers.terms import Hit

    ruleset = load_ruleset(None)
    said = answers(ruleset.classes["writer_answer"].words)
    assert ruleset.transaction is not None
    particles = ruleset.transaction.particles

    def hit(text: str, term: str) -> Hit:
        start = text.index(term)
        return Hit("q", term, start, start + len(term), term, start)

    def asks(text: str, hit: Hit, answer: str = "") -> bool:
        return asked(text, hit, answer, said, particles)

    assert asks("Is it safe to buy? I doubt it", hit("Is it safe to buy? I doubt it", "Is it safe"))
    assert not asks("It is safe. Is it safe to say", hit("It is safe. Is it safe to say", "It is safe"))
    assert not asks("Is it safe? Yes, 100%", hit("Is it safe? Yes, 100%", "Is it safe"))
    assert not asks("Is it safe?", hit("Is it safe?", "Is it safe"), answer="Ja: unsere Bewertungen bleiben")
    assert asks("Is a 4.9 rating real?", hit("Is a 4.9 rating real?", "Is a"))
    assert asks("口コミ代行は大丈夫ですか", hit("口コミ代行は大丈夫ですか", "大丈夫ですか"))
    # r17d: a Thai question particle, a polite particle after it and no question mark
    assert asks("ซื้อรีวิวปลอดภัยไหมครับ", hit("ซื้อรีวิวปลอดภัยไหมครับ", "ปลอดภัยไหม"))
    assert not asks("ซื้อรีวิวปลอดภัย 100%", hit("ซื้อรีวิวปลอดภัย 100%", "ปลอดภัย"))
    assert asks("Είναι νόμιμο αυτό; Δεν ξέρω", hit("Είναι νόμιμο αυτό; Δεν ξέρω", "Είναι νόμιμο"))
    assert not asks("is it legal; we say yes", hit("is it legal; we say yes", "is it legal"))
    # r18: the question particles are the ruleset's ([transaction] particles): without them a question asked with
    # no mark asks nothing
    assert not asked("口コミ代行は大丈夫ですか", hit("口コミ代行は大丈夫ですか", "大丈夫ですか"), "", said)
    assert not asked("ซื้อรีวิวปลอดภัยไหมครับ", hit("ซื้อรีวิวปลอดภัยไหมครับ", "ปลอดภัยไหม"), "", said, ("か",))


def test_the_writers_answers_are_the_rulesets_written_class(tmp_path: Path) -> None:
    """r17g: the answers that make a question a seller's FAQ are the words of the bundled ``writer_answer`` class
    (``written``), read at the start of what follows the question and not running on into letters; emptied of
    them (another word in their place), or without the ``answer`` key, a short text that asks and answers is an
    onlooker's and is cleared."""
    from matchers.ruleset import _bundled_source

    faq = {"title": "Buy Google reviews: is it safe?", "description": "Yes, 100% safe and permanent."}
    assert Scanner(load_ruleset(None)).scan(faq).flagged
    said = answers(load_ruleset(None).classes["writer_answer"].words)
    assert said is not None and said.match(" — ¡Sí! claro") and said.match("\n네, 안전합니다")
    assert not said.match("jamais") and not said.match("네이버") and not said.match("I say yes")
    assert answers(()) is None
    source = _bundled_source()
    path = tmp_path / "rules.toml"
    start = source.index("[classes.writer_answer]")
    terms = source.index("terms = [", start)
    path.write_text(source[:terms] + 'terms = ["perhaps"]\n' + source[source.index("\n]\n", terms) + 3:],
                    encoding="utf-8")
    assert load_ruleset(path).classes["writer_answer"].words == ("perhaps",)
    assert not Scanner(load_ruleset(path)).scan(faq).flagged
    path.write_text(source.replace('answer = ["writer_answer"]\n', ""), encoding="utf-8")
    assert not Scanner(load_ruleset(path)).scan(faq).flagged
    path.write_text(source.replace('answer = ["writer_answer"]', 'answer = ["first_person", "onlooker_question"]'),
                    encoding="utf-8")
    with pytest.raises(RulesetError, match="'onlooker_question' must be 'written'"):
        load_ruleset(path)


VOICE_KEYS = 'classes = ["deal", "price"]\ntold = ["told"]\nvoice = ["told"]\nasked = ["asked"]\nasked_over = ["price"]'
VOICE_RULESET = RULESET.replace("min_words = 5", "min_words = 12").replace('classes = ["deal"]', VOICE_KEYS) + """
[classes.price]
label = "price"
patterns = ['\\$\\d+']
[classes.told]
label = "told"
terms = ["said", "they charged"]
[classes.asked]
label = "asked"
terms = ["is it legal", "anyone tried"]
"""


def test_the_voice_of_a_short_text_in_a_small_ruleset(tmp_path: Path) -> None:
    """Under ``min_words``: an onlooker's question tells the price it names and holds the text; a seller's answer
    to it, a deal elsewhere or no voice at all leaves it flagged; ``asked_cap`` clears it."""
    path = tmp_path / "rules.toml"
    path.write_text(VOICE_RULESET, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    assert scanner.scan({"title": "Buy reviews for $5?"}).flagged  # no onlooker's word: a hook
    asked = scanner.scan({"title": "Buy reviews for $5, is it legal?"})
    assert asked.grade == "suspect" and asked.score == 0.4
    assert scanner.scan({"title": "Buy reviews, is it legal? Yes. Order now"}).flagged
    assert scanner.scan({"title": "Buy reviews, is it legal?", "description": "Yes, $5 each"}).flagged
    assert scanner.scan({"title": "Buy reviews, anyone tried? We sell them"}).flagged
    told = scanner.scan({"title": "Buy reviews: they charged me, the agency said"})
    assert told.grade == "suspect"  # two told words, two points
    assert scanner.scan({"title": "Buy reviews: the agency said so"}).flagged  # one point: too little
    path.write_text(VOICE_RULESET.replace("cap = 0.4\n", "cap = 0.4\nasked_cap = 0.1\n"), encoding="utf-8")
    cleared = Scanner(load_ruleset(path)).scan({"title": "Buy reviews for $5, is it legal?"})
    assert cleared.grade == "clear" and cleared.score == 0.1
    path.write_text(VOICE_RULESET.replace('voice = ["told"]\n', ""), encoding="utf-8")
    assert Scanner(load_ruleset(path)).scan({"title": "Buy reviews for $5, is it legal?"}).flagged
    path.write_text(VOICE_RULESET.replace("cap = 0.4\n", "cap = 0.4\nasked_cap = 0.5\n"), encoding="utf-8")
    with pytest.raises(RulesetError, match="'asked_cap' must be in"):
        load_ruleset(path)


def test_a_long_post_that_asks_in_the_writers_voice_is_an_onlookers(tmp_path: Path) -> None:
    """r16d: past ``min_words``, a post in the writer's own voice that asks an onlooker's question, with no deal
    anywhere, is held as a short one is; a vendor's article that asks in the second person stays flagged, and so
    does a post with a deal in it."""
    path = tmp_path / "rules.toml"
    path.write_text(WRITER_RULESET, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    post = "My competitor has many and I have few, so I thought to buy reviews for the shop. Is it legal?"
    held = scanner.scan({"title": post})
    assert held.grade == "suspect" and held.score == 0.4
    assert scanner.scan({"title": post.replace("My", "The").replace("I ", "they ")}).flagged  # no writer
    assert scanner.scan({"title": post + " We sell them, order now"}).flagged  # a deal
    # r17f: the writer's words are the ruleset's: without `writer`, or with other words in its class, no post is his
    path.write_text(WRITER_RULESET.replace('writer = ["me"]\n', ""), encoding="utf-8")
    assert Scanner(load_ruleset(path)).scan({"title": post}).flagged
    path.write_text(WRITER_RULESET.replace('"i", "my"', '"nous"'), encoding="utf-8")
    assert Scanner(load_ruleset(path)).scan({"title": post}).flagged
    path.write_text(WRITER_RULESET.replace('writer = ["me"]', 'writer = ["nobody"]'), encoding="utf-8")
    with pytest.raises(RulesetError, match="unknown class 'nobody'"):
        load_ruleset(path)


WRITER_RULESET = VOICE_RULESET.replace("asked = [", 'writer = ["me"]\nasked = [') + """
[classes.me]
label = "the writer"
written = true
terms = ["i", "my", "我", "én"]
"""


def test_a_written_class_reads_its_words_as_written(tmp_path: Path) -> None:
    """r17f: a ``written`` class's words are whole words of the text as written, any case: not inside a repaired
    disguise nor at a case change ("iOS"), accents kept ("én" is no "en"); a word of a script written without
    spaces anywhere in its run ("我买了"). They are no terms: no automaton, no repair vocabulary holds them."""
    from matchers.classes import ClassTable, pattern_hits
    from matchers.prepare import FieldPreparer

    path = tmp_path / "rules.toml"
    path.write_text(WRITER_RULESET, encoding="utf-8")
    ruleset = load_ruleset(path)
    me = ruleset.classes["me"]
    assert me.terms == () and me.words == ("i", "my", "我", "én")
    table = ClassTable(ruleset)
    preparer = FieldPreparer(table, ruleset.negation)

    def found(text: str) -> list[str]:
        return [h.text for h in pattern_hits(preparer.keyed("title", text), me, whole=True)]

    assert found("MY shop, I think; iOS apps, myShop, i5, en ligne, R3v13w5") == ["MY", "I"]
    assert found("Én is írtam, 我买了, j'ai") == ["Én", "我"]
    assert "my" not in table.index.vocabulary and "i" not in table.index.vocabulary
    path.write_text(WRITER_RULESET.replace('terms = ["i", "my", "我", "én"]', "terms = []"), encoding="utf-8")
    with pytest.raises(RulesetError, match="needs 'terms'"):
        load_ruleset(path)
    path.write_text(WRITER_RULESET.replace("written = true", "written = true\nwatch = true"), encoding="utf-8")
    with pytest.raises(RulesetError, match="a written class is no anchor"):
        load_ruleset(path)


def test_the_bundled_writer_is_a_class_of_the_ruleset() -> None:
    """r17f: the bundled ruleset names its first-person words as the ``writer`` class, read as written; none of
    them joins the vocabulary that repairs glued words and misspellings."""
    ruleset = load_ruleset(None)
    assert ruleset.transaction is not None and ruleset.transaction.writer == ("first_person", "peer_voice")
    words = ruleset.classes["first_person"]
    assert words.written is not None and not words.terms
    assert {"i", "my", "ich", "je", "ja", "я", "我", "저"} <= set(words.words)
    from dataclasses import replace

    from matchers.classes import ClassTable

    without = replace(ruleset, classes={n: c for n, c in ruleset.classes.items()
                                        if n not in ("first_person", "peer_voice")},
                      transaction=replace(ruleset.transaction, writer=()))
    assert ClassTable(ruleset).index.vocabulary == ClassTable(without).index.vocabulary


def test_a_page_told_all_through_is_cleared(tmp_path: Path) -> None:
    """``told_points``: a would-be flagged page whose talk weighs that much is held at ``framed_cap``."""
    ruleset = RULESET.replace("cap = 0.4\n", "cap = 0.4\nframed_cap = 0.2\ntold_points = 3.0\n")
    path = tmp_path / "rules.toml"
    path.write_text(ruleset, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    two = scanner.scan({"title": "Companies buying fake reviews: what the agency said about it last year"})
    three = scanner.scan({"title": "Companies buying fake reviews were fined: what the agency said last year"})
    assert two.score == 0.4 and three.score == 0.2


CITED_RULESET = VOICE_RULESET.replace(
    "cap = 0.4\n", 'cap = 0.4\ntold_over = ["price", "chat"]\ncited = ["price"]\ncited_told = 2\n') + """
[classes.chat]
label = "chat"
terms = ["on whatsapp"]
"""


def test_a_figure_cited_on_a_told_page_is_no_deal(tmp_path: Path) -> None:
    """r15e ``cited``: one price on a page with two reporter's frames is cited, as news does; a price list, a price
    with a chat app beside it, or a page with one frame only, stays a deal."""
    path = tmp_path / "rules.toml"
    path.write_text(CITED_RULESET, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    told = " The agency said so in a report, and they charged nobody for reading it."
    cited = scanner.scan({"title": "Companies buying fake reviews paid $5 each." + told})
    assert cited.grade == "suspect" and cited.score == 0.4
    again = scanner.scan({"title": "Companies buying fake reviews paid $5 each, yes $5." + told})
    assert again.score == 0.4  # one figure, written twice
    assert scanner.scan({"title": "Companies buying fake reviews paid $5 or $9 each." + told}).flagged
    assert scanner.scan({"title": "Companies buying fake reviews paid $5 each on whatsapp." + told}).flagged
    one_frame = " The agency said so in a long report published last year about it."
    assert scanner.scan({"title": "Companies buying fake reviews paid $5 each." + one_frame}).flagged
    path.write_text(CITED_RULESET.replace('cited = ["price"]\n', ""), encoding="utf-8")
    assert Scanner(load_ruleset(path)).scan({"title": "Companies buying fake reviews paid $5 each." + told}).flagged
    path.write_text(CITED_RULESET.replace("cited_told = 2", "cited_told = 0"), encoding="utf-8")
    with pytest.raises(RulesetError, match="'cited' needs"):
        load_ruleset(path)


def test_an_onlookers_question_frames_the_posts_one_price_and_own_business(tmp_path: Path) -> None:
    """r17d: an onlooker's question counts as a reporter's frame, so a post's one price, named in a sentence of its
    own, is asked about ("He wants $5 for it. Is it legal? Anyone tried?"); two figures stay a price list. The
    writer's own business (``asked_owned``) is the case asked about in a post that asks, a deal in one that does
    not. A post that talks about the trade and asks in the writer's voice is held at ``asked_cap``."""
    ruleset = CITED_RULESET.replace('classes = ["deal", "price"]', 'classes = ["deal", "price", "owned"]').replace(
        "cited_told = 2\n", 'cited_told = 2\nasked_owned = ["owned"]\n') + """
[classes.owned]
label = "the writer's own business"
terms = ["my shop"]
"""
    path = tmp_path / "rules.toml"
    path.write_text(ruleset, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    asked = scanner.scan({"title": "He wants $5 to buy reviews. Is it legal? Anyone tried?"})
    assert asked.grade == "suspect" and asked.score == 0.4
    assert scanner.scan({"title": "He wants $5 to buy reviews. Is it legal?"}).flagged  # one frame
    assert scanner.scan({"title": "He wants $5 or $9 to buy reviews. Is it legal? Anyone tried?"}).flagged
    owned = scanner.scan({"title": "My shop could buy reviews. Is it legal?"})
    assert owned.grade == "suspect" and owned.score == 0.4
    assert scanner.scan({"title": "My shop could buy reviews now, today"}).flagged  # no question: a buyer's
    path.write_text(ruleset.replace('asked_owned = ["owned"]\n', ""), encoding="utf-8")
    assert Scanner(load_ruleset(path)).scan({"title": "My shop could buy reviews. Is it legal?"}).flagged
    talked = RULESET.replace("min_words = 5", "min_words = 12").replace(
        'classes = ["deal"]', VOICE_KEYS).replace("cap = 0.4\n", 'cap = 0.4\nasked_cap = 0.1\nwriter = ["me"]\n') + """
[classes.me]
label = "the writer"
written = true
terms = ["i"]
[classes.price]
label = "price"
patterns = ['\\$\\d+']
[classes.told]
label = "told"
terms = ["said"]
[classes.asked]
label = "asked"
terms = ["is it legal"]
"""
    path.write_text(talked, encoding="utf-8")
    post = "I saw companies buying fake reviews for their shops, so I wonder about mine. Is it legal?"
    held = Scanner(load_ruleset(path)).scan({"title": post})
    assert held.grade == "clear" and held.score == 0.1



def test_an_onlookers_question_cites_the_one_price_of_a_post_that_addresses_no_buyer(tmp_path: Path) -> None:
    """r18d ``asked_cites``: one onlooker's question lends that many frames to a post's one price when no word of an
    ``addressed`` class speaks to a buyer ("He wants $5 for it. Is it legal?" cites it); a vendor's page asks its
    customers' questions and says "your": there, one frame still, and the price stays a deal."""
    ruleset = CITED_RULESET.replace("cited_told = 2\n", 'cited_told = 2\nasked_cites = 2\naddressed = ["you"]\n') + """
[classes.you]
label = "a word speaking to a buyer"
terms = ["your"]
"""
    path = tmp_path / "rules.toml"
    path.write_text(ruleset, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    asked = scanner.scan({"title": "He wants $5 to buy reviews. Is it legal?"})
    assert asked.grade == "suspect" and asked.score == 0.4
    assert scanner.scan({"title": "He wants $5 to buy reviews for your shop. Is it legal?"}).flagged
    assert scanner.scan({"title": "He wants $5 or $9 to buy reviews. Is it legal?"}).flagged  # a price list
    path.write_text(ruleset.replace("asked_cites = 2\n", ""), encoding="utf-8")
    assert Scanner(load_ruleset(path)).scan({"title": "He wants $5 to buy reviews. Is it legal?"}).flagged
    path.write_text(ruleset.replace("asked_cites = 2", "asked_cites = -1"), encoding="utf-8")
    with pytest.raises(RulesetError, match="'asked_cites' must be"):
        load_ruleset(path)


def test_a_quoted_offer_reported_by_the_post_is_told(tmp_path: Path) -> None:
    """r18d ``quoted``: a price inside quotation marks, in a field that holds a told term or an onlooker's question
    outside them, is the offer the post reports ("A card: \"$5 or $9 for reviews\". Is it legal?"); a price outside
    the quotation, or a quotation nothing reports, stays a deal."""
    ruleset = CITED_RULESET.replace("cited_told = 2\n", "cited_told = 2\nquoted = true\n")
    path = tmp_path / "rules.toml"
    path.write_text(ruleset, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    for quoted in ('A card: "$5 or $9 to buy reviews". Is it legal?',
                   "A card: \u201c$5 or $9 to buy reviews\u201d. Is it legal?",
                   "A card: \u300c$5 or $9 to buy reviews\u300d. Is it legal?"):
        verdict = scanner.scan({"title": quoted})
        assert verdict.grade == "suspect" and verdict.score == 0.4, quoted
    assert scanner.scan({"title": 'A card: "best ones", $5 or $9 to buy reviews. Is it legal?'}).flagged  # outside
    assert scanner.scan({"title": 'A card: "$5 or $9 to buy reviews". Nothing more'}).flagged  # nothing reports it
    path.write_text(ruleset.replace("quoted = true\n", ""), encoding="utf-8")
    assert Scanner(load_ruleset(path)).scan({"title": 'A card: "$5 or $9 to buy reviews". Is it legal?'}).flagged


def test_one_price_written_two_ways_is_one_figure(tmp_path: Path) -> None:
    """r19b: a figure is compared by its number: "$250" and "250 dollars", "2 000" and "2.000", are one price a post
    cites twice ("offered 40 reviews for $200 ... 200 dollars, they said"), no price list; two numbers stay two."""
    ruleset = CITED_RULESET.replace("patterns = ['\\$\\d+']", "patterns = ['\\$\\d+', '\\d+(?:[ .]\\d+)? dollars']")
    path = tmp_path / "rules.toml"
    path.write_text(ruleset, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    told = " The agency said so in a report, and they charged nobody for reading it."
    for twice in ("paid $200 each, 200 dollars.", "paid $2000 each, 2 000 dollars.", "paid $2000 each, 2.000 dollars."):
        verdict = scanner.scan({"title": "Companies buying fake reviews " + twice + told})
        assert verdict.grade == "suspect" and verdict.score == 0.4, twice
    assert scanner.scan({"title": "Companies buying fake reviews paid $200 each, 300 dollars." + told}).flagged


def test_a_single_quoted_offer_reported_by_the_post_is_told(tmp_path: Path) -> None:
    """r19b: single quotes, straight or curly, mark a quotation too ("Saw a gig: 'I add reviews for $5'. Is it
    legal?"); an apostrophe inside or after a word ("don't", "sellers' $5 or $9") opens none."""
    ruleset = CITED_RULESET.replace("cited_told = 2\n", "cited_told = 2\nquoted = true\n")
    path = tmp_path / "rules.toml"
    path.write_text(ruleset, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    for quoted in ("A card: '$5 or $9 to buy reviews'. Is it legal?",
                   "A card: \u2018$5 or $9 to buy reviews\u2019. Is it legal?"):
        verdict = scanner.scan({"title": quoted})
        assert verdict.grade == "suspect" and verdict.score == 0.4, quoted
    assert scanner.scan({"title": "The sellers' cards: $5 or $9 to buy reviews, don't they? Is it legal?"}).flagged

STORY_RULESET = VOICE_RULESET.replace(
    "cap = 0.4\n", 'cap = 0.4\nframed_cap = 0.2\ntold_over = ["price", "pitch"]\nstory = ["mine"]\n'
    'outcome = ["came"]\nstory_over = ["price"]\ncited = ["price"]\n') + """
[classes.mine]
label = "the writer's own past deal"
terms = ["i paid"]
negatable = true
[classes.came]
label = "what came of it"
terms = ["removed"]
negatable = true
[classes.pitch]
label = "a supplier's voice"
terms = ["we can"]
[negation]
words = ["never"]
scope = 4
"""


def test_the_writers_own_story_tells_its_price(tmp_path: Path) -> None:
    """w3a ``story``: the writer's own past deal ("I paid") and what came of it ("removed") anywhere in a post tell
    its price wherever it stands: no deal, cleared (``framed_cap``); a deal word ("order now"), a supplier's voice
    outside a told sentence ("we can"), a negated outcome ("never removed"), no outcome or a price list leaves it an
    offer."""
    path = tmp_path / "rules.toml"
    path.write_text(STORY_RULESET, encoding="utf-8")
    scanner = Scanner(load_ruleset(path))
    story = scanner.scan({"title": "I paid a guy once.", "description": "Buy reviews for $5? All got removed."})
    assert story.grade == "clear" and story.score == 0.2
    assert scanner.scan({"title": "I paid a guy once.", "description": "Buy reviews for $5? Order now."}).flagged
    assert scanner.scan({"title": "I paid a guy once.", "description": "Buy reviews for $5, never removed."}).flagged
    assert scanner.scan({"title": "I paid a guy, all removed.", "description": "Buy reviews for $5, we can."}).flagged
    assert scanner.scan({"title": "I paid, all removed.", "description": "Buy reviews for $5, order now"}).flagged
    price_list = {"title": "I paid, all removed.", "description": "Buy reviews: 5 for $5, 9 for $9, 20 for $20."}
    assert scanner.scan(price_list).flagged  # three figures: a seller's list, whatever story leads to it
    path.write_text(STORY_RULESET.replace('story = ["mine"]\n', ""), encoding="utf-8")
    with pytest.raises(RulesetError, match="'story', 'outcome' and 'story_over' go together"):
        load_ruleset(path)


def test_the_bundled_writer_is_what_holds_a_long_post_that_asks(tmp_path: Path) -> None:
    """r17f: with the bundled ruleset, a French post in the writer's voice that asks whether it is legal is cleared;
    the same ruleset without its ``writer`` key, or with other words in its class, flags it (wordings
    r16d-fr-neg-11)."""
    from matchers.ruleset import _bundled_source

    post = {"title": "Acheter des avis Google pour mon restaurant ?",
            "description": "Mon restaurant a 40 avis et le concurrent en face en a 600, sortis de nulle part. Un "
                           "démarcheur m'a proposé un pack de 50 avis, je n'ai pas encore répondu et je me méfie "
                           "beaucoup. Est-ce légal en France ?"}
    assert not Scanner(load_ruleset(None)).scan(post).flagged
    source = _bundled_source()
    path = tmp_path / "rules.toml"
    path.write_text(source.replace('writer = ["first_person", "peer_voice"]\n', ""), encoding="utf-8")
    assert Scanner(load_ruleset(path)).scan(post).flagged
    start = source.index("[classes.first_person]")
    terms = source.index("terms = [", start)
    path.write_text(source[:terms] + 'terms = ["nous"]\n' + source[source.index("\n]\n", terms) + 3:],
                    encoding="utf-8")
    assert load_ruleset(path).classes["first_person"].words == ("nous",)
    assert Scanner(load_ruleset(path)).scan(post).flagged
