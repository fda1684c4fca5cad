"""How the simulated review sellers word their gigs: plainly, disguised, or in another language.

Real sellers of fake reviews dodge keyword filters with leetspeak, spaced or starred letters, Cyrillic look-alike
letters, zero-width characters, emoji and euphemisms, and many write in German, Spanish, French, Italian,
Portuguese or Russian. Their *tags* stay plain words (tags drive the marketplace's own search), so every review gig
is still found by a plain review query. One hostile seller carries markup and spreadsheet-formula text to test
escaping downstream.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.dice import Dice
from testbed.vocabulary import ECOMMERCE, LOCAL_SEO, MOBILE, SOCIAL, Subcategory

ZWSP = "\u200b"


@dataclass(frozen=True, slots=True)
class Platform:
    key: str
    name: str
    homoglyph: str  # the name with one or more Cyrillic look-alike letters
    thing: str  # what the buyer owns that gets reviewed
    sub: Subcategory
    tags: tuple[str, ...]


PLATFORMS: tuple[Platform, ...] = (
    Platform("amazon", "Amazon", "\u0410mazon", "product", ECOMMERCE,
             ("amazon reviews", "amazon product reviews", "verified reviews", "amazon")),
    Platform("google", "Google Maps", "G\u043e\u043egle Maps", "business", LOCAL_SEO,
             ("google reviews", "google maps reviews", "google business reviews", "5 star reviews")),
    Platform("trustpilot", "Trustpilot", "\u0422rustpilot", "company", SOCIAL,
             ("trustpilot reviews", "trustpilot", "company reviews")),
    Platform("yelp", "Yelp", "Y\u0435lp", "restaurant", LOCAL_SEO,
             ("yelp reviews", "yelp", "restaurant reviews")),
    Platform("app", "iOS and Android app", "i\u041eS and Android app", "app", MOBILE,
             ("app reviews", "app store reviews", "play store reviews", "app ratings")),
    Platform("tripadvisor", "TripAdvisor", "Trip\u0410dvisor", "hotel", LOCAL_SEO,
             ("tripadvisor reviews", "tripadvisor", "hotel reviews")),
    Platform("facebook", "Facebook page", "F\u0430cebook page", "page", SOCIAL,
             ("facebook reviews", "facebook ratings", "page reviews")),
)

REVIEW_SELLER_ONE_LINERS = ("Digital marketing expert", "Online reputation growth", "Local SEO specialist")
REVIEW_SELLER_ABOUT = (
    "I help businesses grow their online reputation on every platform.",
    "Genuine reviews for Google, Amazon, Trustpilot and more. Real accounts, different IPs.",
    "Marketing agency with a big team of real users worldwide.",
)
TRUST_SIGNALS = (
    "verified purchase", "non-drop", "different IPs", "real USA accounts", "lifetime refill", "drip feed delivery",
    "100% safe", "permanent",
)

ENGLISH_TITLES = (
    "give {n} {platform} {reviews} to boost your {thing}",
    "provide 5 star {platform} {reviews} for your {thing}",
    "post real {platform} {reviews} from real usa accounts",
    "deliver {quality} {platform} {reviews} fast",
    "add {n} {platform} {reviews} with {signal}",
    "boost your {thing} with 5 star {platform} {reviews}",
)
_TITLE_QUALITIES = ("non-drop", "permanent", "100% safe", "verified", "genuine")
_TITLE_SIGNALS = ("lifetime refill", "verified purchase", "different IPs", "drip feed delivery")

# Disguise styles for English gigs, then the foreign languages. Review gigs cycle through all of them in order,
# so even a small catalogue shows every style.
DISGUISES = ("plain", "leet", "spaced", "asterisk", "homoglyph", "zero_width", "emoji", "euphemism")
FOREIGN = ("de", "es", "fr", "it", "pt", "ru")
STYLES = DISGUISES[:1] + FOREIGN[:1] + DISGUISES[1:4] + FOREIGN[1:3] + DISGUISES[4:] + FOREIGN[3:]

_REVIEW_WORDS = {
    "plain": ("reviews",),
    "leet": ("rev1ews", "r3views", "r3vi3ws", "revi3ws"),
    "spaced": ("r e v i e w s",),
    "asterisk": ("r**views", "rev**ws", "re*iews"),
    "homoglyph": ("reviews", "r\u0435views"),
    "zero_width": (f"re{ZWSP}views", f"rev{ZWSP}iews"),
    "emoji": ("\u2b50\u2b50\u2b50\u2b50\u2b50 ratings", "\u2b50 reviews \u2705"),
    "euphemism": ("feedback", "ratings", "testimonials", "customer feedback"),
}

# language -> (title templates, description body, plain tag in that language)
_FOREIGN_TEXT = {
    "de": (("{n} echte {platform} Bewertungen für Ihr Unternehmen schreiben",
            "5 Sterne {platform} Bewertungen mit verifiziertem Kauf liefern"),
           "Echte 5-Sterne-Bewertungen von echten Konten mit unterschiedlichen IPs. "
           "Dauerhaft, kein Drop, lebenslanger Nachfüllservice.", "google bewertungen"),
    "es": (("conseguir {n} reseñas de 5 estrellas en {platform} para tu negocio",
            "publicar reseñas positivas en {platform} desde cuentas reales"),
           "Reseñas reales de 5 estrellas desde cuentas reales con IPs diferentes. "
           "Sin caídas, reposición de por vida.", "reseñas google"),
    "fr": (("publier des avis clients 5 étoiles sur {platform}",
            "ajouter {n} avis vérifiés sur {platform} pour votre entreprise"),
           "Des avis clients 5 étoiles publiés depuis de vrais comptes, IP différentes, garantie à vie.",
           "avis clients"),
    "it": (("scrivere {n} recensioni positive su {platform} per la tua attività",
            "pubblicare recensioni 5 stelle su {platform}"),
           "Recensioni 5 stelle da account reali con IP diversi. Permanenti, nessun calo.", "recensioni"),
    "pt": (("enviar {n} avaliações 5 estrelas no {platform} para sua empresa",
            "publicar avaliações positivas no {platform} de contas reais"),
           "Avaliações 5 estrelas de contas reais com IPs diferentes. Sem queda, reposição vitalícia.",
           "avaliações"),
    "ru": (("разместить {n} отзывов на {platform} с реальных аккаунтов",
            "написать положительные отзывы {platform} 5 звёзд"),
           "Настоящие отзывы 5 звёзд с разных IP, без списаний, вечная гарантия.", "отзывы"),
}


@dataclass(frozen=True, slots=True)
class ReviewText:
    title: str
    description: str
    tags: tuple[str, ...]
    package_unit: str  # "reviews", "Bewertungen", ... used in package titles


def review_text(rng: Dice, platform: Platform, style: str) -> ReviewText:
    """Title, HTML description and tags of one review gig in the given style."""
    n = rng.pick((5, 10, 20, 25, 50, 100))
    if style in FOREIGN:
        titles, body, foreign_tag = _FOREIGN_TEXT[style]
        title = rng.pick(titles).format(n=n, platform=platform.name)
        description = f"<p>{title.capitalize()}.</p><p>{body}</p>"
        tags = (platform.tags[0], foreign_tag, *platform.tags[1:3])
        return ReviewText(title, description, tags, foreign_tag.split()[-1])
    word = rng.pick(_REVIEW_WORDS[style])
    name = platform.homoglyph if style == "homoglyph" else platform.name
    title = rng.pick(ENGLISH_TITLES).format(
        n=n, platform=name, reviews=word, thing=platform.thing, quality=rng.pick(_TITLE_QUALITIES),
        signal=rng.pick(_TITLE_SIGNALS),
    )
    if style == "emoji":
        title = f"\U0001f525 {title} \U0001f680"
    signals = rng.sample(TRUST_SIGNALS, 4)
    bullets = "".join(f"<li>{s.capitalize()}</li>" for s in signals)
    description = (
        f"<p>{rng.pick(('Hello!', 'Welcome!', 'Hi dear buyer,'))}</p>"
        f"<p>Do you want more {word} on {name}? I will give your {platform.thing} genuine looking "
        f"5 star {word} posted by real people.</p><ul>{bullets}</ul>"
        f"<p>Order now and watch your rating grow. Bulk orders welcome.</p>"
    )
    return ReviewText(title, description, platform.tags, word)


@dataclass(frozen=True, slots=True)
class HostileGig:
    title: str
    description: str
    platform: Platform


HOSTILE_USERNAME_STEM = "star_review_king"
HOSTILE_DISPLAY_NAME = "Review King <script>alert('name')</script> \"&'"
HOSTILE_ONE_LINER = "</script><script>alert(1)</script> 5 star reviews <!--"
HOSTILE_GIGS: tuple[HostileGig, ...] = (
    HostileGig(
        '=HYPERLINK("http://evil.example/x","click") 5 star google reviews',
        '<p>Real google reviews <script>alert(1)</script></p><img src=x onerror=alert(document.cookie)>'
        '<p></script><script>alert("breakout")</script></p>',
        PLATFORMS[1],
    ),
    HostileGig(
        "+cmd|' /C calc'!A0 trustpilot reviews fast",
        "<p><!--<script>alert('comment')</script>--> trustpilot reviews with non-drop guarantee</p>"
        "<p>]]> {{7*7}} ${7*7} ' OR 1=1 -- \u2028line separator\u2029</p>",
        PLATFORMS[2],
    ),
    HostileGig(
        "@SUM(1) amazon reviews <script>alert(1)</script>",
        '<p>-2+3 verified purchase amazon reviews</p><img src="x" onerror="alert(1)">'
        '<a href="javascript:alert(1)">click</a><svg onload=alert(1)></svg>',
        PLATFORMS[0],
    ),
)
