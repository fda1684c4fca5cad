"""The buyer's side of the trade and its incentives (issue 15), on wordings written here: recruiting writers,
money back for a review, reviews traded between shops, paid helpful votes, people posing as customers; and the
honest look-alikes that use the same words: warnings, a shop's policy of never paying, invitations to its own
customers, building review features."""

from __future__ import annotations

import pytest

from matchers import Scanner

FLAGGED = {
    "recruiting writers": [
        ("Reviewers wanted", "We pay $6 for every Google review you post on our clients' pages, weekly payout."),
        ("Cerchiamo persone",
         "Cerchiamo persone che lascino una recensione positiva al nostro hotel, pagamento via PayPal."),
    ],
    "money back for a review": [
        ("Free blender", "Order it on Amazon, rate it five stars, and we send your money back the same day."),
        ("Cashback offer", "100% cashback on the lamp once you leave a positive review with a photo."),
    ],
    "reviews traded": [
        ("Shop owners", "I review yours on Google, you review mine. Drop your link below."),
        ("Bewertungstausch", "Ich bewerte euren Shop mit 5 Sternen, ihr bewertet meinen."),
    ],
    "posing as a customer": [
        ("Actors for testimonials",
         "Record a short video testimonial as a happy customer of our clinic. Script provided."),
        ("Quick task",
         "Post on Trustpilot: you don't need to have used our service, we will send you the text. £4 each."),
    ],
}

NOT_FLAGGED = {
    "warning told from outside": [
        ("Why review swaps are against the rules", "Marketplaces remove the reviews of authors who trade reviews."),
        ("Is it a scam?",
         "Shoppers who are offered a refund for a five-star review should report it to the platform."),
        ("Review rings", "Researchers found sellers who paid for helpful votes on their own reviews."),
    ],
    "a policy of never paying": [
        ("Our review policy",
         "We never offer refunds or gifts in exchange for ratings; every review is from a customer."),
    ],
    "invitations to one's own customers": [
        ("Thanks for staying with us", "If you enjoyed your stay, you can leave a review on Tripadvisor."),
    ],
    "building review features": [
        ("Reviews module",
         "Need a Laravel developer to add 5-star ratings, written reviews and helpful votes to products."),
        ("Rating dialog crash", "Our app crashes when users tap the 5 stars rating dialog."),
    ],
    "reviews handled, not produced": [
        ("Translate reviews", "Translate our 300 Trustpilot reviews into Spanish for the website."),
    ],
}


@pytest.mark.parametrize(("kind", "title", "description"),
                         [(k, t, d) for k, rows in FLAGGED.items() for t, d in rows])
def test_buyers_and_incentives_are_flagged(scanner: Scanner, kind: str, title: str, description: str) -> None:
    verdict = scanner.scan({"title": title, "description": description})
    assert verdict.grade == "flagged", (kind, verdict.score, [r.rule_id for r in verdict.reasons])


@pytest.mark.parametrize(("kind", "title", "description"),
                         [(k, t, d) for k, rows in NOT_FLAGGED.items() for t, d in rows])
def test_their_look_alikes_are_not_flagged(scanner: Scanner, kind: str, title: str, description: str) -> None:
    verdict = scanner.scan({"title": title, "description": description})
    assert verdict.grade != "flagged", (kind, verdict.score, [r.rule_id for r in verdict.reasons])


def test_in_exchange_for_is_an_incentive_not_a_swap(scanner: Scanner) -> None:
    fired = scanner.fired("a free sample in exchange for reviews")
    assert "incentive-reviews" in fired and "review-swap" not in fired


@pytest.mark.parametrize(("title", "description"), [
    ("Buy Trustpilot reviews", "We never buy accounts, our reviewers are real people"),
    ("Buy Yelp reviews", "Your existing reviews stay, we add 20 new 5 star reviews"),
    ("Get 50 Amazon reviews", "No incentives needed, real buyers leave 5 star reviews"),
])
def test_sellers_reassurances_are_no_policy_or_import(scanner: Scanner, title: str, description: str) -> None:
    """A seller's 'we never buy accounts' or 'your existing reviews stay' is no honest frame."""
    assert scanner.scan({"title": title, "description": description}).grade == "flagged"
