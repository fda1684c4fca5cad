"""Review selling in Japanese, Chinese, Korean, Czech and Swedish (issue 15, h4), and the honest frames that
use the same words. Han and kana are written without spaces between words and Korean glues particles to its
words: a native term there matches inside a run of letters; Latin and Cyrillic terms stay whole words."""

from __future__ import annotations

import json

import pytest

from helpers import scan_listing
from matchers import Scanner
from matchers.normalise import unspaced_letter

FLAGGED = [
    "Googleマップの口コミを書きます。星5の高評価レビューを投稿します",
    "大众点评刷好评 五星好评代写",
    "代寫Google地圖五星評價",
    "네이버 플레이스 리뷰 작성해 드립니다. 별점 5점 후기 30건",
    "Koupit recenze Heureka. Prodej hodnocení na Heureka",
    "Köp Trustpilot recensioner. Positiva omdömen",
    "Google értékeléseket írok a vállalkozásodnak",
    "Γράφω κριτικές στο Google για την επιχείρησή σας",
    "Køb Google anmeldelser. 5 stjerner fra rigtige profiler",
    "Amazonレビュー 相互評価しませんか",
    # r5a: "。" and "！" end sentences: a reply service in one sentence does not explain the selling in the next
    "谷歌地图好评服务. 我们也帮您回复差评。另外提供五星好评，50条起，真实账号发布。",
    "Googleマップ口コミ. 口コミへの返信も承ります。高評価レビューを20件投稿します。",
    "回复客户评论！另有淘宝好评代写. 差评回复模板免费送！好评代写一百条，当天发布！",
]
NOT_FLAGGED = [
    "Googleマップの口コミへの返信を代行します",
    "警惕刷好评：虚假评价违法",
    "고객 리뷰 답글 대행. 네이버 플레이스 리뷰에 정성껏 답변해 드립니다.",
    "Odpovídám na recenze zákazníků na Google",
    "Varför du aldrig ska köpa falska recensioner. Det är olagligt och vilseledande.",
    "Derfor skal du aldrig købe falske anmeldelser. Det er ulovligt.",
    "Απαντώ στις κριτικές των πελατών σας",
    # r5a: a posting verb in one sentence and a rating term in the next are not an offer to post reviews
    "网站设计与发布. 我们为餐厅设计网站并发布上线。顾客在谷歌上的评价，请顾客自己留下。",
]


@pytest.mark.parametrize("text", FLAGGED)
def test_sellers_are_flagged(scanner: Scanner, text: str) -> None:
    verdict = scan_listing(scanner, text)
    assert verdict.grade == "flagged", (verdict.score, [r.rule_id for r in verdict.reasons])


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_honest_frames_are_not_flagged(scanner: Scanner, text: str) -> None:
    verdict = scan_listing(scanner, text)
    assert verdict.grade != "flagged", (verdict.score, [r.rule_id for r in verdict.reasons])


def test_unspaced_scripts() -> None:
    assert all(unspaced_letter(c) for c in "口コミひら리뷰")
    assert not any(unspaced_letter(c) for c in "aЯ5éα")


def test_latin_terms_stay_whole_words(scanner: Scanner) -> None:
    """A CJK run next to a Latin word does not make a Latin term match inside another Latin word."""
    verdict = scanner.scan({"title": "Previewsの翻訳をします"})
    assert verdict.grade == "clear", [r.rule_id for r in verdict.reasons]


def test_own_wordings_hold(scanner: Scanner) -> None:
    """The h4 wordings (tests/data/labels/wordings.jsonl, ids ``h4-``): floors under the figures measured."""
    from conftest import LABELS
    from matchers import evaluate

    with open(LABELS / "wordings.jsonl", encoding="utf-8") as handle:
        rows = [r for r in map(json.loads, handle) if r["id"].startswith("h4-")]
    assert {"ja", "zh", "ko", "cs", "sv"} <= {r["language"] for r in rows if r["label"] == 0}
    result = evaluate(rows, scanner)
    assert result.precision >= 0.97 and result.recall >= 0.95, result.misses


@pytest.mark.parametrize(("text", "platform"), [("Amazonレビュー 5つ星", "Amazon"), ("Googleの口コミ 10件", "Google"),
                                                ("Google评价代写", "Google"), ("Google리뷰 작성", "Google")])
def test_a_latin_word_glued_to_cjk_text_is_a_whole_word(scanner: Scanner, text: str, platform: str) -> None:
    """r5a: where Latin letters meet Han, kana or Hangul a word ends ("Amazonレビュー" names Amazon)."""
    field = scanner.preparer.field("title", text)
    assert field is not None
    assert [h.text for h in field.hits.get("platform", [])] == [platform]


def _quantities(scanner: Scanner, text: str) -> list[str]:
    field = scanner.preparer.field("title", text)
    assert field is not None
    return [h.text for h in scanner.table.hits(field, ("quantity",))]


@pytest.mark.parametrize(("text", "count"), [("好评30条", "30条"), ("口コミ 10件", "10件"), ("好评50个", "50个"),
                                             ("评价20篇", "20篇"), ("리뷰 100개", "100개"), ("후기 30건", "30건"),
                                             ("レビュー5つ", "5つ"), ("好评二十条", "二十条")])
def test_a_count_glued_to_a_cjk_counter_is_a_quantity(scanner: Scanner, text: str, count: str) -> None:
    """r5a: CJK counters follow the number with no space; the key reads "10件" as "10jian", so they are read as
    written."""
    assert _quantities(scanner, text) == [count]


@pytest.mark.parametrize("text", ["五つ星の口コミ", "5つ星レビュー", "三个月的好评", "第二十条 评价", "好评一条"])
def test_stars_months_articles_and_one_are_no_counts(scanner: Scanner, text: str) -> None:
    assert _quantities(scanner, text) == []


@pytest.mark.parametrize("text", ["Amazonレビュー 5つ星", "구글 별점 5점 리뷰"])
def test_cjk_star_counts(scanner: Scanner, text: str) -> None:
    verdict = scanner.scan({"title": text})
    assert verdict.flagged and any(r.rule_id == "star-reviews" for r in verdict.reasons), verdict.reasons


@pytest.mark.parametrize(("text", "grade"), [
    ("只提供评论回复服务. 我们绝不出售虚假好评，只帮您回复客户评论", "clear"),
    ("口コミ返信代行. 私たちは口コミを販売しません。返信代行のみです", "clear"),
    ("리뷰 답글 대행. 리뷰를 판매하지 않습니다. 답글 대행만 합니다", "clear"),
    ("리뷰 구매 금지 정책. 가짜 리뷰는 작성하지 않습니다", "clear"),
    ("不卖好评，只做店铺运营. 淘宝店铺运营，不刷单，不刷好评", "clear"),
    # compounds that hold a negation and negate nothing: "不限" (unlimited), "不仅" (not only), "안전" (safe),
    # "안내" (guide), "삭제 없음" (no deletion)
    ("不限数量 代写好评. 五星好评，无痕发布", "flagged"),
    ("안전하게 리뷰 구매 가능. 네이버 플레이스 리뷰 판매 안내", "flagged"),
    ("出售谷歌好评 不掉评. 不仅五星，还有真实头像", "flagged"),
    ("네이버 리뷰 판매 삭제 없음. 별점 5점", "flagged"),
])
def test_cjk_negations_cancel_the_selling_word(scanner: Scanner, text: str, grade: str) -> None:
    """r5a: a negation glued before (zh) or after (ja, ko) a selling or posting word cancels it, as "never" does;
    a compound that holds a negation word but negates nothing does not."""
    verdict = scan_listing(scanner, text)
    assert verdict.grade == grade, (verdict.score, [r.rule_id for r in verdict.reasons])
