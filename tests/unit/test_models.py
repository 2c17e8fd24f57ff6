"""The lead model's validation and the pipeline (no database)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from agent_service.errors import UnknownStage
from agent_service.leads.models import Lead, LeadCreate, LeadUpdate, Pipeline

STAGES = ["New", "Contacted", "Meeting booked", "Proposal sent", "Won", "Lost"]


def errors_of(call) -> list[tuple[str, ...]]:  # noqa: ANN001 - a zero-argument callable
    with pytest.raises(ValidationError) as info:
        call()
    return [tuple(str(p) for p in err["loc"]) for err in info.value.errors()]


def test_a_valid_lead_is_stripped_and_blank_optional_fields_become_none() -> None:
    lead = LeadCreate(
        name="  Ann Lee  ", company=" ", email="ANN@Acme.com", phone="+1 (555) 010-0100", value=10
    )
    assert lead.name == "Ann Lee"
    assert lead.company is None
    assert lead.email is not None and lead.email.endswith("@acme.com")
    assert lead.value == 10.0
    assert lead.status is None  # the store puts the first stage


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({}, "name"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "email": "a@b"}, "email"),
        ({"name": "A", "value": "lots"}, "value"),
        ({"name": "A", "value": -1}, "value"),
        ({"name": "A", "value": math.nan}, "value"),
        ({"name": "A", "value": math.inf}, "value"),
        ({"name": "A", "value": 1e13}, "value"),
        ({"name": "A", "value": True}, "value"),
        ({"name": "A", "value": False}, "value"),
        ({"name": "A", "phone": "call me maybe"}, "phone"),
        ({"name": "A", "notes": "x" * 5001}, "notes"),
        ({"name": "A", "company": "x" * 201}, "company"),
        ({"name": "A", "owner": "me"}, "owner"),
    ],
)
def test_bad_fields_name_the_field(fields: dict, field: str) -> None:
    assert (field,) in errors_of(lambda: LeadCreate.model_validate(fields))


def test_a_name_of_exactly_200_characters_is_fine() -> None:
    assert len(LeadCreate(name="x" * 200).name) == 200


def test_numeric_strings_are_numbers() -> None:
    assert LeadCreate(name="A", value="1200.50").value == 1200.5


def test_update_keeps_explicit_nulls_but_never_for_the_name() -> None:
    update = LeadUpdate.model_validate({"phone": None, "value": 5, "version": 3})
    assert update.changes() == {"phone": None, "value": 5.0}
    assert update.version == 3
    assert ("name",) in errors_of(lambda: LeadUpdate.model_validate({"name": None}))
    assert ("version",) in errors_of(lambda: LeadUpdate.model_validate({"version": 0}))
    assert LeadUpdate().changes() == {}


def test_lead_label_and_fields() -> None:
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    lead = Lead(
        id="a", name="John Smith", company="Acme", status="New", created_at=stamp, updated_at=stamp
    )
    assert lead.label == "John Smith (Acme)"
    assert lead.model_copy(update={"company": None}).label == "John Smith"
    assert lead.fields()["company"] == "Acme"
    assert set(lead.fields()) == {"name", "company", "email", "phone", "status", "value", "notes"}
    with pytest.raises(ValidationError):
        lead.name = "changed"  # type: ignore[misc]  # frozen


def test_pipeline_matches_stages_ignoring_case_spacing_and_separators() -> None:
    pipeline = Pipeline(STAGES)
    assert pipeline.first == "New"
    assert pipeline.canonical("meeting booked") == "Meeting booked"
    assert pipeline.canonical("  MEETING   booked ") == "Meeting booked"
    assert pipeline.canonical("proposal_sent") == "Proposal sent"
    assert pipeline.canonical("proposal-sent") == "Proposal sent"
    assert "won" in pipeline
    assert "Maybe" not in pipeline
    assert 3 not in pipeline
    assert pipeline.find("maybe") is None


def test_an_unknown_stage_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownStage) as info:
        Pipeline(STAGES).canonical("Negotiation")
    assert info.value.stages == STAGES
    assert "Negotiation" in info.value.detail
    assert "Meeting booked" in info.value.detail
    assert info.value.status_code == 422


def test_a_custom_pipeline_keeps_its_order() -> None:
    pipeline = Pipeline(["Lead", "Qualified", "Closed"])
    assert pipeline.stages == ("Lead", "Qualified", "Closed")
    assert pipeline.canonical("qualified") == "Qualified"
    with pytest.raises(UnknownStage):
        pipeline.canonical("New")
