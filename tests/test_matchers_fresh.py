"""A generalisation check: listings written for this test, never used to tune the rules (see the report).

They imitate what real sellers, buyers and honest freelancers write; the rules were built on dev.jsonl and the
issue's own examples. A drop here while dev.jsonl stays fine means the rules fit the dev rows, not the problem.
"""

from __future__ import annotations

from matchers import Scanner

FRESH_POSITIVES = [
    "I will write and post 10 genuine reviews on your Google My Business page",
    "Get 25 five star ratings for your Android app, real devices, no drop",
    "Trustpilot reviews service - 100% safe, aged UK accounts, drip fed over 2 weeks",
    "I will boost your Yelp rating with elite reviewers, reviews stick",
    "Selling Amazon product reviews from USA buyers, verified purchase, $15 each",
    "Need 30 people to leave Google reviews for my restaurant, $3 per review via PayPal",
    "Looking for reviewers: buy our product on Amazon, leave a 5-star review and we refund you in full plus $10",
    "Positive Facebook page recommendations from real profiles, 50 for $40",
    "Tripadvisor reviews for hotels and restaurants, written by locals, never filtered",
    "I will give your iOS app 20 ratings and reviews from different Apple IDs",
    "Glassdoor reviews for employers - improve your company rating with positive employee reviews",
    "G00gle Maps r3views - permanent, local guides, fast delivery",
    "Buy Etsy reviews and grow your shop sales",
    "Ich schreibe 10 positive Google Bewertungen für Ihr Unternehmen",
    "Reseñas positivas en Google Maps para tu negocio, 100% reales",
    "Avis clients Google 5 étoiles pour votre entreprise, livraison rapide",
    "Recensioni positive su TripAdvisor per il tuo ristorante",
    "Avaliações 5 estrelas no Google para sua empresa",
    "Отзывы на Яндекс Картах и 2ГИС от реальных аккаунтов",
    "I will post kindle book reviews from real readers accounts",
    "We are hiring remote workers to write app store reviews, paid per review",
    "Play store 5* ratings package: 100 ratings $60, lifetime refill",
    "I will provide you Trustpilot testimonials with custom text you send",
    "Boost your Google rating to 4.9 stars in 7 days, bad reviews buried",
    "Looking for someone with multiple Yelp accounts to post reviews for our salon",
]
FRESH_NEGATIVES = [
    "I will review your resume and give you feedback within 24 hours",
    "I will do a detailed code review of your React app",
    "I will proofread and edit your novel manuscript",
    "I will be your beta reader and give honest chapter by chapter feedback",
    "I will write SEO optimized Amazon product listing and bullet points",
    "I will design premium Amazon A+ content and EBC",
    "I will set up automated review request emails for your Shopify store",
    "I will reply to all your Google reviews professionally",
    "I will create a monthly online reputation report for your brand",
    "I will scrape Google Maps reviews into Excel",
    "I will write product review articles for your affiliate website",
    "I will create a testimonial video for your business",
    "I will make an unboxing and review video of your product for YouTube",
    "I will test your mobile app on real iOS and Android devices and report bugs",
    "I will optimize your Google Business Profile for local SEO",
    "I will translate your app store description into Spanish and German",
    "I have 700+ five star reviews from happy clients, order with confidence",
    "Check my reviews: 5 star rating on 300 completed orders",
    "I will manage your Amazon seller central account and handle customer feedback",
    "I will design a QR code review card so customers can leave Google reviews",
    "I will write a review of your website UX and suggest improvements",
    "I will create a Trustpilot widget for your website",
    "I will give feedback on your logo design",
    "I will write a book review for your blog",
    "Fast delivery and unlimited revisions, see my portfolio",
    "Respond to negative Yelp reviews with empathy: a guide for restaurant owners",
    "I will build a review website with WordPress",
    "I will do Amazon PPC campaign management",
    "I will help you get more Google reviews from your real customers with an automated SMS system",
    "I will analyse your app store ratings and reviews and write a report",
]


def test_fresh_listings_generalise(scanner: Scanner) -> None:
    tp = sum(scanner.scan({"title": t}).flagged for t in FRESH_POSITIVES)
    fp = sum(scanner.scan({"title": t}).flagged for t in FRESH_NEGATIVES)
    recall, precision = tp / len(FRESH_POSITIVES), tp / (tp + fp)
    assert recall >= 0.9, recall
    assert precision >= 0.95, precision
