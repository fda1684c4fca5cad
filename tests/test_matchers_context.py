"""Context around the evidence: negation, clause limits, honest context that explains only what it is next to,
and short headlines that offer a platform's reviews however they are dressed up.

The listings here were written for these tests (not taken from dev.jsonl) to check the phenomena, not rows.
"""

from __future__ import annotations

import pytest

from matchers import Scanner, Verdict


def fired(verdict: Verdict) -> set[str]:
    return {r.rule_id for r in verdict.reasons}


def assert_quotes_original(doc: dict, verdict: Verdict) -> None:
    for reason in verdict.reasons:
        assert str(doc.get(reason.field) or "")[reason.start : reason.end] == reason.text


# -- (a) negation ---------------------------------------------------------------------------------------------

NEGATED = [
    "I never post or buy reviews for anyone",
    "We do not sell reviews or ratings",
    "I don't buy reviews, I answer them",
    "I won't post fake reviews under any circumstances",
    "Honest growth without buying reviews",
    "Wir kaufen keine Bewertungen und schreiben keine Bewertungen",
    "Nunca compramos reseñas",
    "Je ne vends pas d'avis",
    "Non compriamo recensioni",
    "Não compramos avaliações",
    "Мы не покупаем отзывы",
]


@pytest.mark.parametrize("text", NEGATED)
def test_negated_selling_words_sell_nothing(scanner: Scanner, text: str) -> None:
    assert not scanner.fired(text) & {"buy-reviews", "offer-reviews", "paid-reviews"}


@pytest.mark.parametrize(
    "text",
    ["We sell reviews or ratings", "I buy reviews", "Not only do we post reviews, we guarantee them",
     "No drop, no ban, buy reviews now", "Don't wait: buy Google reviews today"],
)
def test_selling_words_outside_a_negation_still_count(scanner: Scanner, text: str) -> None:
    assert scanner.fired(text) & {"buy-reviews", "offer-reviews"}


# -- (b) clause limits ----------------------------------------------------------------------------------------


def test_phrase_rules_do_not_reach_across_a_comma(scanner: Scanner) -> None:
    assert "favourable-reviews" not in scanner.fired("Polite replies to every customer review, good or bad")
    assert "favourable-reviews" in scanner.fired("Polite replies to every good customer review")
    assert "star-reviews" not in scanner.fired("Hotel with 5 stars: reviews of the rooms")
    assert "quantity-reviews" not in scanner.fired("@SUM(1) amazon reviews")


def test_a_platform_list_still_reaches_across_commas(scanner: Scanner) -> None:
    assert "platform-rating" in scanner.fired("Amazon, Reviews")


def test_a_field_span_reads_a_title_across_its_parts(scanner: Scanner) -> None:
    """span = "field": a catalogue title's parts ("Salon Reviews | 5 Stars") mark the goods; a sentence rule
    stops at the same break."""
    for title in ["Salon Reviews | 5 Stars | Any City", "Roofing Company Reviews - Google Maps"]:
        assert "catalogue-title-marked" in scanner.fired(title), title
        assert "star-reviews" not in scanner.fired(title)
    assert "catalogue-title-marked" not in scanner.fired("Salon Reviews | my favourite hairdressers in Lisbon")


def test_a_title_span_pairs_a_platform_named_in_another_part_of_a_title(scanner: Scanner) -> None:
    """r9c: title_span = "field": platform-rating pairs "Reviews - Google" in a title, whose parts are one
    headline, and still stops at a sentence's end in a description."""
    for title in ["Reviews - Google", "Roofing Company Reviews - Google Maps", "Trustpilot | Reviews"]:
        assert "platform-rating" in scanner.fired(title), title
    verdict = scanner.scan({"title": "My bakery", "description": "We read every review. Google helps us."})
    assert "platform-rating" not in fired(verdict)


def test_a_platform_acting_on_reviews_is_no_headline_offer(scanner: Scanner) -> None:
    """r9c: a verb between the platform and the reviews ("Google deletes reviews") makes a news headline of
    what the platform does, in every language; "Google reviews fast" stays an offer."""
    for title in ["Google deletes reviews", "Google видаляє відгуки", "Google удаляет отзывы",
                  "Amazon löscht Bewertungen", "Google elimina reseñas", "Yelp hides reviews"]:
        assert "platform-reviews-headline" not in scanner.fired(title), title
        assert not scanner.scan({"title": title}).flagged, title
    assert "platform-reviews-headline" in scanner.fired("Google reviews fast")


# -- (c) honest context explains what is next to it -----------------------------------------------------------

REPLY_DESCRIPTION = (
    "Hi there! I never post or buy reviews; I only answer the ones you already have. Polite, on-brand replies "
    "to every customer review, good or bad. What you get: Up to 50 replies Brand voice guide Negative review "
    "handling Have a look at my reviews from happy clients."
)


@pytest.mark.parametrize(
    "title",
    ["reply to your google reviews professionally for your business",
     "respond to your customer reviews on google and yelp"],
)
def test_review_reply_services_are_not_flagged(scanner: Scanner, title: str) -> None:
    verdict = scanner.scan({"title": title, "description": REPLY_DESCRIPTION})
    assert not verdict.flagged, verdict.reasons
    assert "replying-to-reviews" in fired(verdict)
    assert "buy-reviews" not in fired(verdict)
    # no supplying reason reads "good" across the comma as a favourable review; the honest "good or bad" of a
    # business asking for any opinion may explain it (round 18), and explains nothing toward a flag
    assert not [r for r in verdict.reasons if ", good" in r.text and r.kind != "negative"]


def test_honest_context_does_not_excuse_selling_elsewhere(scanner: Scanner) -> None:
    doc = {"title": "I will set up review request emails for your store",
           "description": "Setup takes a day. We also sell Trustpilot reviews from different accounts."}
    verdict = scanner.scan(doc)
    assert verdict.flagged, verdict.reasons
    assert {"asking-customers", "buy-reviews", "account-sourcing"} <= fired(verdict)
    assert_quotes_original(doc, verdict)


def test_honest_context_discounts_selling_in_its_own_sentence(scanner: Scanner) -> None:
    doc = {"title": "Restaurant marketing",
           "description": "Each customer review on Google gets a reply from me that you can post under the review."}
    verdict = scanner.scan(doc)
    assert not verdict.flagged, verdict.reasons
    discounted = [r for r in verdict.reasons if r.weight > 0]
    assert discounted and all("honest context" in r.explanation for r in discounted)


# -- short headlines offering a platform's reviews -----------------------------------------------------------

HEADLINES = [
    '=HYPERLINK("http://evil.example/x","click") 5 star google reviews',
    "+cmd|' /C calc'!A0 trustpilot reviews fast",
    "@SUM(1) amazon reviews <script>alert(1)</script>",
    "🔥 deliver permanent iOS and Android app ⭐ reviews ✅ fast 🚀",
    "Google Maps reviews 🌟 cheap",
    "-2+3 yelp reviews",
    "Tripadvisor ratings ✨ for restaurants",
    "tRuStPiLoT rEvIeWs",
    "Glassdoor ➡️ reviews",
    "Facebook page recommendations 💯",
]


@pytest.mark.parametrize("title", HEADLINES)
def test_headlines_offering_platform_reviews_are_flagged(scanner: Scanner, title: str) -> None:
    doc = {"title": title, "description": ""}
    verdict = scanner.scan(doc)
    assert verdict.flagged, verdict.reasons
    assert "platform-reviews-headline" in fired(verdict)
    assert_quotes_original(doc, verdict)


def test_emoji_between_platform_and_review_word_is_transparent(scanner: Scanner) -> None:
    verdict = scanner.scan({"title": "Android app 🚀🔥 reviews"})
    reason = next(r for r in verdict.reasons if r.rule_id == "platform-reviews-headline")
    assert reason.text == "Android app 🚀🔥 reviews"


HONEST_HEADLINES = [
    "reply to your google reviews",
    "review request email templates for google reviews",
    "integrate trustpilot reviews widget on your website",
    "amazon product review video",
    "amazon review strategy for new sellers",
    "google review NFC cards for your shop",
    "scrape tripadvisor reviews to csv",
    "yelp reviews sentiment analysis dashboard",
    "remove fake google reviews from your profile",
    "respond to negative yelp reviews",
]


@pytest.mark.parametrize("title", HONEST_HEADLINES)
def test_honest_headlines_naming_platform_reviews_are_not_flagged(scanner: Scanner, title: str) -> None:
    verdict = scanner.scan({"title": title, "description": ""})
    assert not verdict.flagged, verdict.reasons


# -- more honest look-alikes and disguises, as whole listings --------------------------------------------------

HONEST_LISTINGS = [
    ("I will write professional replies to your Tripadvisor reviews",
     "Every review gets a thoughtful answer. I do not post reviews and never buy them. Positive and negative "
     "reviews alike get a reply in your voice."),
    ("I will set up Trustpilot review invitations for your Shopify store",
     "Automatic invitations after every order, so real customers leave reviews. No fake reviews, ever."),
    ("I will design a review card with QR code",
     "Your customers scan it and land on your Google review page. Print-ready PDF, 2 revisions."),
    ("I will create an Amazon product review video",
     "Unboxing, 60 second demo and an honest review video for your listing, 4K, delivered in 3 days."),
    ("I will audit your app store listing",
     "I read your ratings and reviews, group the complaints and give you a report of what to fix first."),
    ("I will translate your Google Business profile",
     "Native German and Spanish. I don't write reviews, only your description, services and posts."),
]


@pytest.mark.parametrize(("title", "description"), HONEST_LISTINGS)
def test_honest_listings_are_not_flagged(scanner: Scanner, title: str, description: str) -> None:
    verdict = scanner.scan({"title": title, "description": description})
    assert not verdict.flagged, verdict.reasons


SELLING_LISTINGS = [
    ("I will reply to your reviews and post 20 Google reviews",
     "Replies are free. The Google reviews come from different accounts, non-drop."),
    ("Review management",
     "We reply to all your reviews. We also sell Yelp reviews: 10 for $50, never filtered."),
    ("G o o g l e   r e v i e w s",
     "5 star, permanent, real local guides."),
    ("Аmazon rеviews ⭐⭐⭐⭐⭐", "Verified purchase, USA accounts."),
    ("trustpilot reveiws", "Not only do we post them, we guarantee they stay up: lifetime refill."),
]


@pytest.mark.parametrize(("title", "description"), SELLING_LISTINGS)
def test_disguised_or_mixed_sellers_are_flagged(scanner: Scanner, title: str, description: str) -> None:
    doc = {"title": title, "description": description}
    verdict = scanner.scan(doc)
    assert verdict.flagged, verdict.reasons
    assert_quotes_original(doc, verdict)


# -- (f) a title sums up its description ----------------------------------------------------------------------

INVITATION_FLOWS = [
    ("Get more Google reviews for your dental practice",
     "After each appointment patients get an SMS with your official review link; nobody is paid or prompted."),
    ("Mehr Google Bewertungen für Ihr Café",
     "Wir gestalten Tischaufsteller mit QR-Code, über die zufriedene Kunden Sie bewerten."),
    ("Più recensioni per il tuo B&B",
     "Una email automatica invita gli ospiti a lasciare una recensione con il link ufficiale."),
    ("Больше отзывов для вашего салона",
     "После визита клиент получает ссылку на отзыв и сам решает, писать ли его."),
]

SUMMED_UP_SELLERS = [
    # the same headline over a description that sells
    ("Get more Google reviews for your dental practice",
     "We post 15 five-star reviews from our own accounts every month, no patients needed."),
    # a negated invitation is no invitation
    ("Mehr Google Bewertungen für Ihr Café",
     "Wir liefern 20 positive Bewertungen von unseren Konten, ohne dass Ihre Kunden etwas tun."),
]


@pytest.mark.parametrize(("title", "description"), INVITATION_FLOWS)
def test_an_invitation_flow_described_below_explains_its_headline(scanner: Scanner, title: str,
                                                                   description: str) -> None:
    verdict = scanner.scan({"title": title, "description": description})
    assert not verdict.flagged, verdict.reasons


@pytest.mark.parametrize(("title", "description"), SUMMED_UP_SELLERS)
def test_a_selling_description_leaves_its_headline_counted(scanner: Scanner, title: str, description: str) -> None:
    verdict = scanner.scan({"title": title, "description": description})
    assert verdict.flagged, verdict.reasons


def test_a_title_that_places_an_order_is_not_explained_by_its_description(scanner: Scanner) -> None:
    order = scanner.scan({"title": "Need 10 reviews on my cookbook",
                          "description": "I will send the ebook free, please leave a review on launch day."})
    headline = scanner.scan({"title": "Need reviews on my cookbook",
                             "description": "I will send the ebook free, please leave a review on launch day."})
    assert order.score > headline.score


# -- (r5d) the trade discussed from outside: a frame of the whole text, unless it offers or asks -----------------

DISCUSSED = [
    ("Amazon sues sellers of fake five-star reviews",
     "The company said the defendants were paid to post 5-star reviews on Amazon, according to the lawsuit."),
    ("Regulator fines agency that sold Google reviews",
     "The authority said the firm wrote fake Google reviews for its clients and must pay a penalty."),
    ("Gekaufte Google-Bewertungen erkennen",
     "Laut Gericht dürfen Unternehmen keine gefälschten Bewertungen kaufen."),
    ("Faux avis Google : amende pour une agence",
     "Selon la DGCCRF, l'entreprise vendait de faux avis Google aux commerçants."),
]
OFFERED_WITH_FAQ = [
    ("Buy Google Reviews", "Is it legal to buy fake Google reviews? We provide real reviews. Order now."),
    ("Need people to post Amazon reviews", "Some sellers say it is illegal, but we pay $5 per review for my product."),
    ("Google Bewertungen kaufen", "Ist es illegal? Wir bieten echte Bewertungen, laut Kunden sicher. Jetzt bestellen."),
]


@pytest.mark.parametrize(("title", "description"), DISCUSSED)
def test_the_trade_told_from_outside_explains_the_whole_text(scanner: Scanner, title: str,
                                                              description: str) -> None:
    doc = {"title": title, "description": description}
    verdict = scanner.scan(doc)
    assert "discussing-the-trade" in fired(verdict)
    assert not verdict.flagged
    assert_quotes_original(doc, verdict)


@pytest.mark.parametrize(("title", "description"), OFFERED_WITH_FAQ)
def test_an_offer_anywhere_keeps_the_frame_away(scanner: Scanner, title: str, description: str) -> None:
    verdict = scanner.scan({"title": title, "description": description})
    assert "discussing-the-trade" not in fired(verdict)
    assert verdict.flagged
