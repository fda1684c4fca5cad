"""Username search at the investigator's desk: ban-evasion variants, match kinds, name lists, hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import Store
from db.search import differences, lookalike_key, search_many, search_sellers, squashed_key
from db.testing import capture, listing_record, seller_record, verdict
from gigscan.cli import app
from gigscan.commands.store import read_names

SELLERS = [
    ("fiverr", "john_doe"),
    ("fiverr", "johndoe"),
    ("freelancer", "john.doe"),
    ("fiverr", "bess98"),
    ("fiverr", "bess99"),
    ("legiit", "bess_98"),
    ("fiverr", "b3ss"),
    ("fiverr", "j0hnd0e"),
    ("fiverr", "johnndoe"),
    ("fiverr", "jon_doe"),
    ("fiverr", "unrelated_person"),
    ("fiverr", "Robert'); DROP TABLE sellers;--"),
]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        records = [seller_record(marketplace=m, username=u, profile_url=f"https://{m}.example/{u}") for m, u in SELLERS]
        records.append(
            listing_record(
                external_id="5", seller="bess98", url="https://fiverr.example/bess98/gig", verdict=verdict(score=0.8),
                capture=capture(fetched_at="2024-03-01T00:00:00Z"),
            )
        )  # fmt: skip
        records.append(listing_record(external_id="6", seller="bess98", verdict=verdict(flagged=False, score=0.0)))
        opened.record_batch(run, records)
        opened.conn.execute("UPDATE listings SET status = 'removed', removed_at = '2024-04-01' WHERE external_id = '6'")
        opened.conn.commit()
        yield opened


def found(hits) -> dict[str, tuple[str, list[str]]]:
    return {hit.seller["username"]: (hit.match, hit.how) for hit in hits}


def test_exact_search_finds_only_the_name_across_marketplaces(store):
    assert found(search_sellers(store, "JOHN.DOE")) == {"john.doe": ("case", [])}
    assert found(search_sellers(store, "bess98")) == {"bess98": ("exact", [])}


def test_separators_added_or_dropped_are_variants(store):
    hits = found(search_sellers(store, "johndoe", fuzzy=True))
    assert hits["johndoe"] == ("exact", [])
    assert hits["john_doe"] == ("variant", ["separators"])
    assert hits["john.doe"] == ("variant", ["separators"])


def test_digits_appended_or_changed_are_variants(store):
    hits = found(search_sellers(store, "bess98", fuzzy=True))
    assert hits["bess99"] == ("variant", ["digits"])
    assert hits["bess_98"] == ("variant", ["separators"])
    assert hits["b3ss"] == ("variant", ["digits", "digit-for-letter"])


def test_digit_for_letter_and_doubled_letters(store):
    hits = found(search_sellers(store, "john_doe", fuzzy=True))
    assert hits["j0hnd0e"] == ("variant", ["separators", "digit-for-letter"])
    assert hits["johnndoe"] == ("fuzzy", ["separators", "doubled letters"])
    assert hits["jon_doe"][0] == "fuzzy"  # a similar spelling rapidfuzz finds
    assert "unrelated_person" not in hits


def test_ranking_by_kind_then_score_and_limit(store):
    hits = search_sellers(store, "john_doe", fuzzy=True)
    kinds = [hit.match for hit in hits]
    assert kinds == sorted(kinds, key=["exact", "case", "variant", "fuzzy"].index)
    assert kinds[0] == "exact" and hits[0].score == 100.0
    for a, b in zip(hits, hits[1:], strict=False):
        if a.match == b.match:
            assert a.score >= b.score
    assert [hit.seller["username"] for hit in search_sellers(store, "john_doe", fuzzy=True, limit=2)] == [
        hit.seller["username"] for hit in hits[:2]
    ]


def test_marketplace_filter_applies_to_every_kind(store):
    hits = search_sellers(store, "bess98", fuzzy=True, marketplace="legiit")
    assert found(hits) == {"bess_98": ("variant", ["separators"])}


def test_hit_shows_listings_flagged_state_seen_and_removed(store):
    (hit,) = search_sellers(store, "bess98")
    assert (hit.flagged_listings, hit.live_listings, len(hit.listings)) == (1, 1, 2)
    removed = next(row for row in hit.listings if row["external_id"] == "6")
    assert (removed["status"], removed["removed_at"]) == ("removed", "2024-04-01")
    data = hit.to_dict()
    assert data["flagged_listings"] == 1 and data["live_listings"] == 1
    assert data["seller"]["first_seen"] and data["seller"]["last_seen"]


def test_search_many_matches_one_by_one_search(store):
    names = ["john_doe", "bess98", "nobody", "", "JOHNDOE"]
    batch = search_many(store, names, fuzzy=True)
    assert [name for name, _ in batch] == names
    for name, hits in batch:
        single = search_sellers(store, name, fuzzy=True)
        assert [(h.seller["id"], h.match, h.score, h.how) for h in hits] == [
            (h.seller["id"], h.match, h.score, h.how) for h in single
        ]


def test_search_input_is_bound_not_interpreted(store):
    assert found(search_sellers(store, "Robert'); DROP TABLE sellers;--")) == {
        "Robert'); DROP TABLE sellers;--": ("exact", [])
    }
    assert search_sellers(store, "' OR '1'='1") == []
    assert search_sellers(store, "%") == [] and search_sellers(store, "_ohndoe") == []
    assert store.conn.execute("SELECT count(*) FROM sellers").fetchone()[0] == len(SELLERS)


@pytest.mark.parametrize(
    ("a", "b", "how"),
    [
        ("john_doe", "johndoe", ["separators"]),
        ("bess98", "bess_99", ["separators", "digits"]),
        ("bess", "b3ss", ["digit-for-letter"]),
        ("vpross", "vprosss", ["doubled letters"]),
        ("bess", "b33ss", ["digit-for-letter", "doubled letters"]),
        ("alice", "ALICE", []),
    ],
)
def test_differences_say_what_changed(a, b, how):
    assert differences(a, b) == how


def test_rename_keys():
    assert lookalike_key("B3ss_98") == lookalike_key("bess") == "bess"
    assert squashed_key("vprosss") == squashed_key("vpross") == "vpros"
    assert lookalike_key("j0hn.d0e") == lookalike_key("JohnDoe")


def test_read_names_plain_numbered_and_exhibit_csv(tmp_path):
    plain = tmp_path / "names.txt"
    plain.write_text("# exhibit list\nalice\n\n  2. bob_77 (fiverr)  https://x\n3) carol\nname with space\n")
    assert read_names(str(plain)) == ["alice", "bob_77", "carol", "name with space"]
    exhibit = tmp_path / "exhibit.csv"
    exhibit.write_text("number,username,marketplace\n1,alice,fiverr\n2,'=cmd,fiverr\n")
    assert read_names(str(exhibit)) == ["alice", "'=cmd"]


def test_cli_from_file_reports_each_name(store, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("bess98\nnobody_at_all\njohn_doe\n")
    runner = CliRunner()
    result = runner.invoke(app, ["search", "--from-file", str(names), "--fuzzy", "--json", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [entry["query"] for entry in payload] == ["bess98", "nobody_at_all", "john_doe"]
    assert payload[1]["hits"] == []
    first = payload[0]["hits"][0]
    assert (first["match"], first["seller"]["username"], first["flagged_listings"]) == ("exact", "bess98", 1)
    text = runner.invoke(app, ["search", "--from-file", str(names), "--db", str(store.path)])
    assert text.exit_code == 0 and "2 of 3 name(s) matched" in text.stdout
    none = runner.invoke(app, ["search", "nobody_at_all", "--db", str(store.path)])
    assert none.exit_code == 1
    both = runner.invoke(app, ["search", "x", "--from-file", str(names), "--db", str(store.path)])
    assert both.exit_code == 2
