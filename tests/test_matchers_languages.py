"""Review selling and buying in languages other than English, and the honest frames that use the same words
(issue 15): verbs and constructions, inflected deliverables, native scripts. The wordings here are short
variants of the kinds in tests/data/labels/wordings.jsonl (rows ``g2-*``), one per construction."""

from __future__ import annotations

import json

import pytest

from helpers import scan_listing
from matchers import Scanner

FLAGGED = {
    # a seller's first person or "we", with the deliverable inflected as the language inflects it
    "es": ["Te dejo reseñas de cinco estrellas cada semana", "Vendo reseñas de Google Maps"],
    "de": ["Bewertungen werden gestaffelt geliefert", "Ich verfasse 10 positive Rezensionen für Ihr Buch auf Amazon"],
    "fr": ["Je rédige 20 avis positifs pour votre restaurant sur TripAdvisor"],
    "it": ["Recensioni a cinque stelle su misura", "Ti scrivo recensioni su Google"],
    "pt": ["Escrevo avaliações no Google para o seu negócio"],
    "pl": ["Napiszę 20 pozytywnych recenzji Twojej książki na Lubimyczytać"],
    "ru": ["Отзывы на Авито под ключ", "Пишу отзывы на заказ"],
    "tr": ["Ürününüze 20 adet 5 yıldızlı yorum bırakırım"],
    "id": ["Saya akan menulis 20 ulasan bintang 5 untuk produk Tokopedia Anda"],
    "vi": ["Tôi sẽ viết 20 đánh giá 5 sao cho cửa hàng của bạn trên Google Maps"],
    "ro": ["Scriu 15 recenzii de 5 stele pentru afacerea ta pe Google"],
    "uk": ["Напишу 20 відгуків про ваш магазин на Rozetka"],
    "ar": ["سأكتب 20 تقييم خمس نجوم لمتجرك على جوجل"],
    "hi": ["Aapke business ke liye 50 Google reviews dalunga"],
}
#: A seller's refill promise names removal too: only "pay only if removed" is a removal service's frame.
REFILLS = [
    "Compra reseñas de Google con garantía: si alguna se elimina, la reponemos gratis",
    "Google-Bewertungen kaufen: falls eine Bewertung entfernt wurde, ersetzen wir sie kostenlos",
    "Koop Google reviews: worden ze verwijderd, dan plaatsen we nieuwe",
    "Melden Sie sich für 50 Google-Bewertungen mit 5 Sternen",
]
BUYERS = [
    "Potrzebujemy 10 osób do wystawienia opinii w Google. Płacimy 10 zł za każdą opublikowaną opinię.",
    "Нужны 15 человек, чтобы оставить отзыв о клинике. Оплата 200 рублей за каждый опубликованный отзыв.",
    "Cần 20 người viết đánh giá cho nhà hàng. Trả 30.000đ cho mỗi đánh giá.",
    "Căutăm 10 persoane să lase o recenzie clinicii noastre. Plătim 20 lei pentru fiecare recenzie publicată.",
    "مطلوب 10 أشخاص لكتابة تقييمات لمطعمنا. ندفع 5 دولارات عن كل تقييم.",
    "Reviews likhne ke liye log chahiye, har review ke 20 rupaye",
]
NOT_FLAGGED = [
    # how-to guides, warnings, removal, replies, data, widgets, official invitations, critiques
    "Cómo conseguir más reseñas en Google sin comprarlas. Pide la opinión a tus clientes satisfechos.",
    "Wie bekomme ich mehr Google-Bewertungen? 5 legale Tipps",
    "Как получить больше отзывов без накрутки. Попросите довольных клиентов оставить отзыв по прямой ссылке.",
    "Quitar reseñas falsas de Google: guía paso a paso",
    "Löschen von negativen Google-Rezensionen. Sie zahlen nur, wenn die Bewertung entfernt wurde.",
    "Onterechte Google review laten verwijderen. Alleen betalen als de review verwijderd is.",
    "Zeigen Sie Ihre Google-Bewertungen auf Ihrer Website",
    "Toon je Google reviews op je website",
    "Відповідаю на відгуки ваших клієнтів",
    "Xuất đánh giá Google Maps ra Excel",
    "كيف تحصل على المزيد من التقييمات دون شرائها",
    "Bina kharide zyada Google reviews kaise paaye",
    "Aapke resume ka review karunga. Detailed feedback ke saath.",
    "Recenziile false: amenzi de la ANPC. Cum recunoști recenziile cumpărate.",
    # the selling word negated, in languages the negation list did not have
    "Nie kupujemy opinii. Zbieramy tylko prawdziwe opinie klientów.",
    "Kami tidak menjual ulasan. Kami membantu mengumpulkan ulasan asli dari pelanggan.",
]


@pytest.mark.parametrize(("lang", "text"), [(k, t) for k, texts in FLAGGED.items() for t in texts])
def test_sellers_in_each_language_are_flagged(scanner: Scanner, lang: str, text: str) -> None:
    verdict = scanner.scan({"title": text})
    assert verdict.grade == "flagged", (lang, verdict.score, [r.rule_id for r in verdict.reasons])


@pytest.mark.parametrize("text", REFILLS)
def test_a_sellers_refill_promise_is_no_removal_service(scanner: Scanner, text: str) -> None:
    verdict = scanner.scan({"title": text})
    assert verdict.grade == "flagged", (verdict.score, [r.rule_id for r in verdict.reasons])


@pytest.mark.parametrize("text", BUYERS)
def test_buyers_paying_per_review_are_flagged(scanner: Scanner, text: str) -> None:
    verdict = scan_listing(scanner, text)
    assert verdict.grade == "flagged", (verdict.score, [r.rule_id for r in verdict.reasons])


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_honest_frames_in_each_language_are_not_flagged(scanner: Scanner, text: str) -> None:
    verdict = scan_listing(scanner, text)
    assert verdict.grade != "flagged", (verdict.score, [r.rule_id for r in verdict.reasons])


def test_own_wordings_cover_fifteen_languages_and_hold(scanner: Scanner) -> None:
    """The g2 wordings (tests/data/labels/wordings.jsonl, ids ``g2-``): positives and look-alikes in each of
    fifteen languages; floors under the figures measured when they were last tuned around."""
    from conftest import LABELS
    from matchers import evaluate

    with open(LABELS / "wordings.jsonl", encoding="utf-8") as handle:
        rows = [r for r in map(json.loads, handle) if r["id"].startswith("g2-")]
    languages = {"es", "de", "fr", "it", "pt", "nl", "pl", "ru", "tr", "id", "vi", "ro", "uk", "ar", "hi"}
    for label in (0, 1):
        assert {r["language"] for r in rows if r["label"] == label} == languages
    result = evaluate(rows, scanner)
    assert result.precision >= 0.98 and result.recall >= 0.9, result.misses
    data_like = [r for r in rows if r["category"] in ("review-as-data", "testimonial-widget")]
    assert data_like and not any(scanner.scan(r).flagged for r in data_like)


def _hits(scanner: Scanner, text: str) -> set[tuple[str, str]]:
    field = scanner.preparer.field("title", text + " reviews")
    assert field is not None
    scanner.preparer.add_context(field)
    return {(cls, h.text) for cls, hits in field.hits.items() for h in hits}


@pytest.mark.parametrize(("text", "cls", "written"), [
    ("đánh giá từ khách hàng", "beneficiary", "từ"),  # vi "from", not es "tu" (your)
    ("दोनों Google", "offer", "दो"),  # hi "both", not en "do"
    ("Amazonレビュー 5つ星", "honest_object", "つ星"),  # ja "tsu" + "xing" read as "ux"
    ("y tú me dejas otra", "beneficiary", "tú"),  # es "you", not "tu" (your)
])
def test_a_short_latin_term_does_not_match_another_scripts_word_or_a_word_with_diacritics(
        scanner: Scanner, text: str, cls: str, written: str) -> None:
    """r5a: the ascii key reads "từ" as "tu" and "दो" as "do"; a term of three letters or fewer only matches a
    word written as plain Latin letters (or disguised by look-alikes), or as the ruleset writes it."""
    assert (cls, written) not in _hits(scanner, text)


@pytest.mark.parametrize(("text", "cls", "written"), [
    ("Köp Google", "buy", "Köp"), ("yüz adet", "quantity", "yüz"), ("más", "growth", "más"),
    ("m\u200bás", "growth", "m\u200bás"), ("bυy Google", "buy", "bυy"), ("ｂｕｙ Google", "buy", "ｂｕｙ"),
    ("buy Google", "buy", "buy"),
])
def test_spellings_the_ruleset_writes_and_disguised_latin_still_match(
        scanner: Scanner, text: str, cls: str, written: str) -> None:
    assert (cls, written) in _hits(scanner, text)


def test_vietnamese_and_hindi_sellers_still_flagged_and_look_alikes_not(scanner: Scanner) -> None:
    for text in ["Bán đánh giá Google Maps 5 sao. từ tài khoản thật, bảo hành",
                 "Google पर 5 स्टार रिव्यू लिखकर दूंगा. असली अकाउंट से"]:
        assert scan_listing(scanner, text).flagged, text
    for text in ["Hướng dẫn trả lời đánh giá từ khách hàng trên Google",
                 "दोनों शाखाओं के Google reviews का जवाब. हम आपकी ओर से जवाब लिखते हैं"]:
        assert not scan_listing(scanner, text).flagged, text
