"""Off-platform contacts in a seller's text, normalised so one contact written two ways is one value.

An operation running several accounts gives buyers one way to reach it off the marketplace: an e-mail, a phone
or WhatsApp number, a Telegram, Skype or Discord name, a website or shop. Each is written differently on each
account (``wa.me/447700900123``, ``WhatsApp +44 7700 900123``; ``t.me/name``, ``@Name``), so values are
normalised: phone numbers to E.164 with ``phonenumbers``, domains to the registered domain with ``tldextract``
(its bundled suffix list, never fetched), handles lower-cased.

The marketplaces' own addresses and the platforms reviews are sold for (fiverr.com, amazon.com, google.com, ...)
are not contacts: every seller links them. A shop *on* a platform (``etsy.com/shop/name``) is a contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import tldextract
from ahocorasick_rs import AhoCorasick

STRONG_KINDS = ("email", "phone", "telegram", "skype", "discord")
# Domains every seller may name: the marketplaces, the platforms reviews are sold for, link shorteners, hosts.
COMMON_DOMAINS = frozenset({
    "fiverr.com", "freelancer.com", "seoclerks.com", "legiit.com", "peopleperhour.com", "upwork.com",
    "amazon.com", "amazon.co.uk", "amazon.de", "google.com", "goo.gl", "trustpilot.com", "yelp.com",
    "tripadvisor.com", "facebook.com", "instagram.com", "youtube.com", "tiktok.com", "twitter.com", "x.com",
    "linkedin.com", "etsy.com", "ebay.com", "apple.com", "wa.me", "whatsapp.com", "t.me", "telegram.me",
    "skype.com", "discord.gg", "discord.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com",
    "bit.ly", "wixsite.com", "behance.net", "dribbble.com", "github.com", "cloudinary.com", "fiverr-res.cloudinary.com",
})  # fmt: skip
# Platform shops: the path names the shop, so the shop (not the platform) is the contact.
SHOP_PATHS = {"etsy.com": ("shop",), "amazon.com": ("shops", "stores"), "ebay.com": ("str", "usr")}

_EMAIL = re.compile(r"\b[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,4}\b", re.IGNORECASE)
_WA_LINK = re.compile(r"\bwa\.me/\+?(\d{7,15})", re.IGNORECASE)
_PHONE = re.compile(
    r"\b(whats\s?app|phone|call|tel|viber|mobile|sms|contact)\b[^0-9+\n]{0,24}(\+?\(?\+?\d[\d\s().-]{6,20}\d)",
    re.IGNORECASE,
)
_TELEGRAM = re.compile(
    r"(?:\bt(?:elegram)?\.me/|\b(?:telegram|tg)\b[:\s-]{0,4}@?)([a-z][a-z0-9_]{4,31})", re.IGNORECASE
)
_SKYPE = re.compile(r"\bskype\b(?:\s*(?:id|name))?[:\s-]{0,4}(live:[a-z0-9._-]{3,40}|[a-z][a-z0-9._,-]{5,31})",
                    re.IGNORECASE)  # fmt: skip
_DISCORD = re.compile(r"\bdiscord\b(?:\s*(?:id|name))?[:\s-]{0,4}@?([a-z0-9_.]{2,32}(?:#\d{4})?)", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()]{3,200}", re.IGNORECASE)
# Every contact pattern needs one of these: texts without any (most) are passed over after one Aho-Corasick scan.
_CUES = AhoCorasick(["@", "://", "www.", "wa.me", "whats", "phone", "call", "tel", "viber", "mobile", "sms",
                     "contact", "t.me", "telegram", "tg", "skype", "discord"])  # fmt: skip

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # the bundled snapshot: offline


@dataclass(frozen=True, slots=True)
class Contact:
    kind: str  # email | phone | telegram | skype | discord | website | shop
    value: str  # normalised: what two accounts must share
    text: str  # as written

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


def _phone(raw: str) -> str | None:
    digits = re.sub(r"[^\d+]", "", raw)
    if not digits.startswith("+"):
        digits = "+" + digits  # numbers given to foreign buyers carry their country code
    try:
        number = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65536)
def _site(url: str) -> Contact | None:
    """A website or a shop on a platform; None for the common domains everybody links."""
    parts = _EXTRACT(url.lower())
    domain = parts.top_domain_under_public_suffix if hasattr(parts, "top_domain_under_public_suffix") else (
        parts.registered_domain)  # fmt: skip
    if not domain:
        return None
    path = re.sub(r"^(?:https?://)?[^/?#]+", "", url.lower()).split("?")[0].split("#")[0].strip("/").split("/")
    shop_roots = SHOP_PATHS.get(domain)
    if shop_roots and len(path) >= 2 and path[0] in shop_roots and path[1]:
        return Contact("shop", f"{domain}/{path[0]}/{path[1]}", url)
    if domain in COMMON_DOMAINS or parts.subdomain.endswith("fiverr"):
        return None
    return Contact("website", domain, url)


def contacts(text: str | None) -> list[Contact]:
    """Every contact in ``text`` (duplicates kept once), in no particular order."""
    if not text:
        return []
    if not _CUES.find_matches_as_indexes(text.lower()):
        return []
    found: dict[str, Contact] = {}
    for match in _EMAIL.finditer(text):
        email = match.group().lower()
        domain = email.rsplit("@", 1)[1]
        if domain not in COMMON_DOMAINS - {"gmail.com", "yahoo.com", "outlook.com", "hotmail.com"}:
            found.setdefault(f"email:{email}", Contact("email", email, match.group()))
    for raw in [m.group(1) for m in _WA_LINK.finditer(text)] + [m.group(2) for m in _PHONE.finditer(text)]:
        number = _phone(raw)
        if number:
            found.setdefault(f"phone:{number}", Contact("phone", number, raw))
    for kind, pattern in (("telegram", _TELEGRAM), ("skype", _SKYPE), ("discord", _DISCORD)):
        for match in pattern.finditer(text):
            handle = match.group(1).lower().rstrip(".,")
            found.setdefault(f"{kind}:{handle}", Contact(kind, handle, match.group()))
    for match in _URL.finditer(text):
        site = _site(match.group().rstrip(".,;:!?"))
        if site is not None:
            found.setdefault(site.key, site)
    return list(found.values())
