"""The phenomenon, not the rows: who gives what to whom, in each class of issue 15, on wordings written here
(not copied from any labeled set), and the look-alikes that use the same words honestly."""

from __future__ import annotations

import json

import pytest

from conftest import LABELS
from matchers import Scanner, evaluate

FLAGGED = {
    "offer without a platform or 'buy'": [
        "I'll post a warm write-up about your barber shop on every site you pick",
        "You get 60 five-star ratings on a single product, drip-fed over a month",
        "Ratings delivered gradually, one per day, for your listing",
    ],
    "buyer recruiting writers": [
        "We need 12 people to post a positive review of our pizzeria, paid per review",
        "Rate our app five stars and vote the critical reviews unhelpful, $1 per vote",
        "Full refund once your review is live: order the blender, review it, get every cent back",
        "Anyone up for a review swap between our two Etsy shops?",
    ],
    "catalogue title": [
        "Premium Tripadvisor Reviews!",
        "Dentist Review Writing Service",
        "Cheap Google Maps Reviews",
    ],
    "app promotion": ["ASO campaign for your Android app: installs plus higher ratings and better feedback"],
    "other languages": [
        "Te escribo reseñas de cinco estrellas cada semana para tu clínica",
        "Bewertungen werden gestaffelt geliefert, 2 pro Tag, für Ihr Hotel",
        "Je rédige des avis cinq étoiles pour votre restaurant, livraison progressive",
        "Recensioni a cinque stelle per il tuo B&B, pacchetto da 20 recensioni",
        "Escrevo 30 avaliações positivas para o seu restaurante",
        "Ik schrijf positieve recensies voor jouw kapsalon, betaald per review",
        "Napiszę 20 pozytywnych opinii dla Twojego salonu",
        "Напишу 20 положительных отзывов о вашем салоне",
        "Kuaförünüz için 20 olumlu yorum yazarım",
        "Saya akan menulis 20 ulasan positif untuk salon Anda",
    ],
    "disemvowelled": ["Buy Google rvws, non drop"],
    "stars after the noun": [
        "Reseñas de cinco estrellas para tu peluquería",
        "Avaliações 5 estrelas para o seu hotel",
        "Recensioni 5 stelle per il tuo negozio",
    ],
    "a seller's reassurance is no warning": [
        "Google Bewertungen kaufen ohne Abmahnung, 30 positive Bewertungen",
    ],
    "buyer's instruction, paid": [
        "Laissez trois avis cinq étoiles sur notre boutique, paiement après publication",
    ],
}

NOT_FLAGGED = {
    "reviews as data": [
        "I will scrape Yelp reviews and star ratings into a CSV",
        "Review analytics API: sentiment of your Amazon product reviews",
        "AI tool that summarises your Google reviews every week",
    ],
    "reviews as a feature": [
        "Show your best Google reviews on your landing page with a carousel widget",
        "Import product reviews from AliExpress into your Shopify store",
        "Automatic Trustpilot review invitations after every order",
    ],
    "honest service": [
        "I will review your resume and give feedback",
        "I will reply to your customers' Google reviews",
        "I will test your app and give usability feedback",
    ],
    "warning": [
        "Why buying fake Amazon reviews gets your seller account suspended",
        "The FTC now fines companies for fake reviews: what sellers must know",
    ],
    "removal service refund terms": [
        "Negative review removal: full refund if the review is not removed",
        "Negative review removal. You pay a fixed price per review removed; if Google keeps it, your money back.",
    ],
    "other languages": [
        "Exportamos las reseñas de Google a Excel para su análisis",
        "Zeigen Sie Ihre Google-Bewertungen mit einem Widget auf Ihrer Website",
        "Invitez vos vrais clients à laisser un avis après leur achat",
        "Mostre as avaliações do Google no seu site",
    ],
    "replying to reviews, in other languages": [
        "Balas ulasan bintang satu untuk bisnis Anda dengan sopan",
        "Wir beantworten Ihre Google-Bewertungen, auch die mit einem Stern",
        "Respondemos a las reseñas de Google de tu restaurante",
    ],
    "warnings in other languages": [
        "Reseñas compradas en Google: cuidado con las multas",
        "Waarschuwing: gekochte Google reviews leveren een boete op",
        "Купленные отзывы на Яндекс Картах: штрафы и как распознать",
    ],
    "a shop asking its own customers": [
        "Laissez-nous un avis sur Google si le repas vous a plu",
        "Déjanos tu opinión en Google, nos ayuda a mejorar",
    ],
}


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, texts in FLAGGED.items() for t in texts])
def test_each_class_of_seller_and_buyer_is_flagged(scanner: Scanner, kind: str, text: str) -> None:
    verdict = scanner.scan({"title": text})
    assert verdict.grade == "flagged", (kind, verdict.score, [r.rule_id for r in verdict.reasons])


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, texts in NOT_FLAGGED.items() for t in texts])
def test_look_alikes_are_not_flagged(scanner: Scanner, kind: str, text: str) -> None:
    verdict = scanner.scan({"title": text})
    assert verdict.grade != "flagged", (kind, verdict.score, [r.rule_id for r in verdict.reasons])


def _rows(name: str) -> list[dict]:
    with open(LABELS / name, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_own_wordings_in_eleven_languages(scanner: Scanner) -> None:
    """The wordings written while tuning (tests/data/labels/wordings.jsonl): each language is there. Batches
    were added before the rules they prompted, so the floors sit under the figures measured last."""
    rows = _rows("wordings.jsonl")
    assert {r["lang"] for r in rows} >= {"en", "es", "de", "fr", "it", "pt", "nl", "pl", "ru", "tr", "id"}
    result = evaluate(rows, scanner)
    assert result.precision >= 0.95 and result.recall >= 0.88, result.misses
    assert result.wide.recall >= 0.93
    data_like = [r for r in rows if r["category"] in ("review-as-data", "import-reviews", "testimonial-widget")]
    assert data_like and not any(scanner.scan(r).flagged for r in data_like)


@pytest.mark.parametrize(("name", "floors"), [
    ("blind-challenge.jsonl", (0.95, 0.89, 0.94)),
    ("blind-holdout-2.jsonl", (0.97, 0.91, 0.96)),
    ("blind-holdout-3.jsonl", (0.94, 0.87, 0.92)),
    ("blind-holdout-4.jsonl", (0.93, 0.94, 0.97)),
    ("blind-holdout-5.jsonl", (0.94, 0.93, 0.95)),
    ("blind-holdout-6.jsonl", (0.95, 0.91, 0.95)),
    ("blind-holdout-7.jsonl", (0.88, 0.85, 0.92)),
    ("blind-holdout-8.jsonl", (0.93, 0.92, 0.94)),
    ("blind-holdout-9.jsonl", (0.92, 0.85, 0.91)),
    ("blind-holdout-10.jsonl", (0.90, 0.82, 0.88)),
    ("blind-holdout-11.jsonl", (0.95, 0.85, 0.89)),
    ("blind-holdout-12.jsonl", (0.94, 0.76, 0.86)),
    ("blind-holdout-13.jsonl", (0.95, 0.76, 0.85)),
    ("blind-holdout-14.jsonl", (0.90, 0.80, 0.87)),
    ("blind-holdout-15.jsonl", (0.90, 0.77, 0.83)),
    ("blind-holdout-16.jsonl", (0.91, 0.69, 0.76)),
    ("blind-holdout-17.jsonl", (0.91, 0.75, 0.83)),
    ("blind-holdout-18.jsonl", (0.89, 0.80, 0.86)),
])
def test_blind_sets_do_not_regress(scanner: Scanner, name: str, floors: tuple[float, float, float]) -> None:
    """The blind sets, each written by a helper who never saw the rules (tests/data/labels/README.md). Sets 1-9 were
    held out in their own rounds and became tuning data in the next, 10 and 11 validation in round 12, 12 in round 13,
    13 in round 14, 14 in round 15, 15 in round 16, 16 in round 17, 17 in round 18; set 18 is held out (written, as sets
    10 to 17 were, to weigh what a filter misses: understated offers, euphemisms, buyers phrased innocently, short forum
    questions on both sides; set 14 also vendors' price pages, cold messages and texts disguised to pass filters; set 15
    spread over the whole review economy and 69 languages, a quarter of it forum threads; set 16 task sites, classifieds
    and verticals earlier sets had little of, offers that avoid the obvious noun; set 17 marketplace listings with
    packages and buyers' job posts, the issue's classes and their look-alikes; set 18 social posts, chat channels,
    vendor sites, cold messages and buyers' posts, where sellers word things freely). Floors a little under the figures
    last measured (flagged precision, flagged recall, flagged+suspect recall), so a rule change that loses ground on
    them fails here. Set 7's negatives are harder (help pages, forum questions, invitation tools): its suspect
    negatives are 10.4% of them, the others' under 5%."""
    rows = _rows(name)
    assert len(rows) >= 300 and len({r.get("lang") or r.get("language") for r in rows}) >= 8
    result = evaluate(rows, scanner)
    precision, recall, wide_recall = floors
    assert result.precision >= precision and result.recall >= recall, (result.precision, result.recall)
    assert result.wide.recall >= wide_recall
    assert result.suspect_negative_share < (0.12 if name == "blind-holdout-7.jsonl" else 0.08)


@pytest.mark.parametrize(("name", "floors"), [
    ("real-holdout-5.jsonl", (0.50, 0.80, 0.83)),
    ("real-holdout-5b.jsonl", (0.55, 0.72, 0.72)),
    ("real-holdout-6m.jsonl", (0.78, 0.62, 0.67)),
    ("real-holdout-6w.jsonl", (0.40, 0.52, 0.69)),
    ("real-holdout-7w.jsonl", (0.52, 0.42, 0.63)),
    ("real-holdout-8w.jsonl", (0.19, 0.24, 0.36)),
    ("real-holdout-9w.jsonl", (0.27, 0.45, 0.45)),
    ("real-holdout-10w.jsonl", (0.47, 0.65, 0.77)),
])
def test_real_holdouts_do_not_regress(scanner: Scanner, name: str, floors: tuple[float, float, float]) -> None:
    """Real texts harvested from public pages and repositories by helpers who never saw the rules, from sources
    no other set uses (tests/data/labels/README.md): marketplace data (6m) and web pages, many of which talk about
    review selling, where flagged precision is still low. Sets 5 and 5b became tuning data in round 6, 6m and 6w
    in round 7, 7w in round 8, 8w in round 9, 9w in round 10 (161 of its 250 rows are articles, mostly not in
    English; real review sellers were scarce in new sources: 12 positives), 10w in round 11 (91 of its 212 rows
    are articles, 40 positives).
    Floors a little under the figures last measured."""
    rows = _rows(name)
    assert len(rows) >= 150 and sum(r["label"] for r in rows) >= 10
    result = evaluate(rows, scanner)
    precision, recall, wide_recall = floors
    assert result.precision >= precision and result.recall >= recall, (result.precision, result.recall)
    assert result.wide.recall >= wide_recall


def test_real_honest_neighbours_of_round_11_are_rarely_held(scanner: Scanner) -> None:
    """real-holdout-11w, held out in round 11: 137 real texts from 134 new sources, 133 of them honest (90 articles,
    22 help pages): the harvesters found almost no new review sellers whose sources no earlier set used. What it
    measures is how often real talk about the trade is flagged (24 of 133 before and after round 11) or queued
    (15 before, 8 after). Floors a little over those figures."""
    rows = _rows("real-holdout-11w.jsonl")
    assert len(rows) >= 130 and sum(1 for r in rows if r["label"] == 0) >= 130
    result = evaluate(rows, scanner)
    assert result.fp / result.negatives <= 0.18, result.fp
    assert result.suspect_negative_share <= 0.06, result.suspect_negatives


def test_real_texts_of_round_12_outside_english(scanner: Scanner) -> None:
    """real-holdout-12w, held out in round 12: 28 real texts from 25 new sources in ru, vi, tr, fr, es and de (15
    articles), 4 positives from one seller's review-for-a-free-product funnel. Too small for rates: at most 2 of its
    24 honest texts flagged (1 measured) and, since round 13, three of its positives found at flagged or suspect
    (3 of 4; 2 in round 12)."""
    rows = _rows("real-holdout-12w.jsonl")
    assert len(rows) >= 28 and sum(r["label"] for r in rows) == 4
    result = evaluate(rows, scanner)
    assert result.fp <= 2, result.fp
    assert result.wide.recall >= 0.75


@pytest.mark.parametrize(("name", "hard_negatives"), [("real-holdout-7m.jsonl", 100), ("real-holdout-8m.jsonl", 20)])
def test_real_marketplace_posts_that_use_review_words_honestly_are_rarely_flagged(
        scanner: Scanner, name: str, hard_negatives: int) -> None:
    """Real marketplace sets (real-holdout-7m: 179 negatives, Upwork and Freelancer.com job posts, Fiverr gigs and
    profiles; real-holdout-8m, held out in round 8: 73 negatives, MTurk and SproutGigs tasks, Fiverr gigs, Upwork
    jobs), most using review words honestly, and a few positives: what a crawl meets most. At most 3% of the
    negatives may be flagged (1.7% and 1.4% measured) and none of the positives cleared."""
    rows = _rows(name)
    assert len(rows) >= 70 and sum(1 for r in rows if r.get("hard_negative")) >= hard_negatives
    result = evaluate(rows, scanner)
    assert result.fp / result.negatives <= 0.03, result.fp
    assert result.wide.recall == 1.0


@pytest.mark.parametrize("text", [
    "I will post 10 Google reviews from real customers",
    "Get Trustpilot reviews delivered by our automated system",
])
def test_sellers_words_real_customers_and_system_explain_nothing(scanner: Scanner, text: str) -> None:
    """'Real customers' and 'our system' are what sellers claim too: they do not make an offer a request flow."""
    assert scanner.scan({"title": text}).grade == "flagged"


@pytest.mark.parametrize("text", [
    "I will post 20 Google reviews, safe and legal, no risk of ban, not fake",
    "AI written unique reviews for your Amazon product, 30 reviews",
    "Online reputation management: 25 positive Google reviews for your business",
    "I will post 15 Trustpilot reviews and send a daily report with the links",
])
def test_seller_reassurances_are_no_honest_frame(scanner: Scanner, text: str) -> None:
    """What sellers say to reassure (safe, legal, no ban, not fake), their tools (AI) and their reports are no
    warning, no software work and no reputation management that would explain the offer away."""
    verdict = scanner.scan({"title": text})
    assert verdict.grade == "flagged", [(r.rule_id, r.weight) for r in verdict.reasons]


@pytest.mark.parametrize(("text", "grade"), [
    ("I will post 10 verified Amazon reviews for your novel", "flagged"),
    ("I will leave Google reviews for your legal practice", "flagged"),
    ("I will write a book review of your novel for my reading blog", "clear"),
    ("I will do a code review of your Python project", "clear"),
])
def test_an_honest_object_explains_one_review_not_reviews_as_goods(scanner: Scanner, text: str, grade: str) -> None:
    """'A review of your novel' is a service; 'Amazon reviews for your novel' are goods, whatever they are for."""
    assert scanner.scan({"title": text}).grade == grade


def test_a_sellers_fast_response_is_no_reply_to_reviews(scanner: Scanner) -> None:
    assert scanner.scan({"title": "I will post 20 Google reviews for your business, fast response"}).flagged
    assert not scanner.scan({"title": "I will reply to your Google reviews, fast response"}).flagged
