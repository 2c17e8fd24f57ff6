"""Fuzzy matching shared by every backend: normalize, score, rank (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent_service.leads.matching import normalize, rank, score, search_keys
from agent_service.leads.models import Lead

STAMP = datetime(2025, 1, 1, tzinfo=UTC)


def lead(name: str, company: str | None = None, email: str | None = None, id: str = "") -> Lead:
    return Lead(
        id=id or name,
        name=name,
        company=company,
        email=email,
        status="New",
        created_at=STAMP,
        updated_at=STAMP,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("François Dupré-Ştefan", "francois dupre stefan"),
        ("  JOHN   Smith ", "john smith"),
        ("Anna Müller", "anna muller"),
        ("Zoë", "zoe"),
        ("O'Brien", "o brien"),
        ("sarah.lee@TechCorp.io", "sarah.lee@techcorp.io"),
        ("Smith, J.", "smith j"),
        ("Acme, Inc.", "acme inc"),
        ("Łukasz Øster", "lukasz oster"),
        ("", ""),
        (None, ""),
        ("  ,.  ", ""),
    ],
)
def test_normalize(text: str | None, expected: str) -> None:
    assert normalize(text) == expected


def test_search_keys_are_normalized() -> None:
    assert search_keys("Zoë K", None, "Zoe@X.io") == {
        "name": "zoe k",
        "company": "",
        "email": "zoe@x.io",
    }


def test_score_names_the_field_that_matched() -> None:
    smith = lead("John Smith", "Acme Inc", "jsmith@globex.com")
    assert score("john smith", smith) == (100.0, "name")
    assert score("john", smith)[1] == "name"
    assert score("acme", smith)[1] == "company"
    assert score("jsmith", smith)[1] == "email"
    assert score("jsmith@globex.com", smith) == (100.0, "email")
    assert score("", smith) == (0.0, "")


def test_score_prefers_the_closer_spelling() -> None:
    michael, michelle = lead("Michael Smith"), lead("Michelle Obrien")
    assert score("micheal", michael)[0] > score("micheal", michelle)[0]
    john, johnny = lead("John Smith"), lead("Johnny Walker")
    assert score("john", john)[0] > score("john", johnny)[0]


def test_a_first_name_prefix_scores_high() -> None:
    assert score("chris", lead("Christopher Lee"))[0] >= 90


def test_company_suffixes_do_not_matter() -> None:
    assert score("acme", lead("X", "Acme Inc"))[0] >= 95
    assert score("acme", lead("X", "Acme GmbH"))[0] >= 95


def test_rank_orders_by_score_then_name_and_drops_weak_matches() -> None:
    leads = [
        lead("Michael Smith", id="1"),
        lead("John Smith", id="2"),
        lead("Zed Quux", id="3"),
        lead("Jon Smithers", id="4"),
    ]
    matches = rank("Smith", leads, limit=5)
    assert [m.lead.id for m in matches[:2]] == ["2", "1"]  # equal scores: by name
    assert matches[0].score == matches[1].score
    assert "3" not in {m.lead.id for m in matches}
    assert all(m.score >= 50 for m in matches)
    assert len(rank("Smith", leads, limit=1)) == 1
    assert rank("", leads, limit=5) == []


def test_rank_finds_accented_names_from_plain_text() -> None:
    leads = [lead("François Dupré-Ştefan"), lead("Frank Dupont")]
    assert rank("Francois Dupre", leads, 5)[0].lead.name == "François Dupré-Ştefan"
    assert rank("stefan", leads, 5)[0].lead.name == "François Dupré-Ştefan"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("J. Smith", "j smith"), ("Acme Inc.", "acme inc"), ("j.smith@acme.com", "j.smith@acme.com")],
)
def test_a_dot_is_kept_only_inside_a_word(text: str, expected: str) -> None:
    assert normalize(text) == expected
