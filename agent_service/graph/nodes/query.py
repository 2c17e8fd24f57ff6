"""query: answers `find_leads`: one lead's details or field, or a list by stage/company/text.

Reads: `queue[0]` (`lead_id` when a lead was named, `field`, `status`, `company`, `text`).
Writes: an outcome line (how many, their total deal value, at most 10 leads listed, with how
many more) and the leads shown into `focus`, so "move her to Won" can follow. `text` "no
phone" / "without email" / "missing company" lists the leads lacking that field. `open_only`
(without a stage) sums the open pipeline: every stage but the closed ones (`closed_stages`),
and says which it counted ("Open pipeline (New … Proposal sent): $42,500 over 4 leads").
Never writes to the store.
"""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import LeadNotFound
from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.change_status import resolve_stage
from agent_service.graph.nodes.common import finish, head, quote_value
from agent_service.graph.nodes.guards import money
from agent_service.graph.state import State
from agent_service.leads.matching import normalize
from agent_service.leads.models import STAGE_SYNONYMS, Lead, Pipeline
from agent_service.settings import DEFAULT_STAGES

SHOWN = 10
FIELD_NAMES = {
    "email": "email",
    "mail": "email",
    "phone": "phone",
    "number": "phone",
    "phone number": "phone",
    "company": "company",
    "status": "status",
    "stage": "status",
    "value": "value",
    "deal value": "value",
    "amount": "value",
    "notes": "notes",
    "note": "notes",
    "name": "name",
}
LABELS = {"status": "stage", "phone": "phone number", "value": "deal value"}


def details(lead: Lead) -> str:
    parts = [f"stage: {lead.status}"]
    for name in ("company", "email", "phone", "value", "notes"):
        value = getattr(lead, name)
        if value not in (None, ""):
            parts.append(f"{LABELS.get(name, name)}: {quote_value(name, value)}")
    return f"{lead.name} — " + "; ".join(parts) + "."


def field_answer(lead: Lead, field: str) -> str:
    name = FIELD_NAMES.get(field.strip().lower())
    if name is None:
        return details(lead)
    value = getattr(lead, name)
    label = LABELS.get(name, name)
    if value in (None, ""):
        return f"Lead '{lead.name}' has no {label} on file."
    return f"The {label} of lead '{lead.name}' is {quote_value(name, value)}."


_MISSING = re.compile(
    r"^(?:with\s+)?(?:no|without|missing|lacking|empty|blank)\s+(?:an?\s+|the\s+)?"
    r"(?P<field>e-?mail(?: address)?|phone(?: number)?|number|company|value|deal value|notes?)$"
    r"|^(?P<field2>e-?mail|phone|company|value|notes?)\s+(?:missing|empty|blank)$",
    re.I,
)


def missing_field(text: str) -> str | None:
    """ "no phone" → "phone": the field a `text` filter asks to be empty, or None."""
    match = _MISSING.match(text.strip())
    if not match:
        return None
    word = (match.group("field") or match.group("field2")).lower().replace("e-mail", "email")
    return FIELD_NAMES.get(word, FIELD_NAMES.get(word.split()[0]))


def total_value(leads: list[Lead]) -> float | None:
    """The sum of the leads' deal values, or None when none has one."""
    values = [lead.value for lead in leads if lead.value is not None]
    return sum(values) if values else None


def listing(leads: list[Lead], title: str) -> str:
    if not leads:
        return f"There are no leads {title}."
    noun = "lead" if len(leads) == 1 else "leads"
    total = total_value(leads)
    worth = f", total value {quote_value('value', total)}" if total is not None else ""
    lines = [f"{len(leads)} {noun} {title}{worth}:"]
    for lead in leads[:SHOWN]:
        company = f", {lead.company}" if lead.company else ""
        lines.append(f"- {lead.name} ({lead.status}{company})")
    if len(leads) > SHOWN:
        lines.append(f"… and {len(leads) - SHOWN} more.")
    return "\n".join(lines)


# The default pipeline's closed stages; a pipeline's own stages are closed when they are these
# or a synonym of them ("Closed won", "Churned").
CLOSED = tuple(Pipeline.key(stage) for stage in DEFAULT_STAGES[-2:])


def closed_stages(pipeline: Pipeline) -> list[str]:
    """The stages where a deal is over (Won, Lost): not part of the open pipeline."""
    closed = []
    for stage in pipeline.stages:
        key = Pipeline.key(stage)
        if key in CLOSED or Pipeline.key(STAGE_SYNONYMS.get(key, "")) in CLOSED:
            closed.append(stage)
    return closed


def _count(n: int) -> str:
    return f"{n} lead" if n == 1 else f"{n} leads"


def open_pipeline(leads: list[Lead], pipeline: Pipeline) -> str:
    """ "Open pipeline (New … Proposal sent): $42,500 over 4 leads (1 without a deal value).
    Not counted: Won $95,000 (2 leads), Lost $30,000 (1 lead); all stages together
    $167,500.", then the open leads."""
    closed = closed_stages(pipeline)
    stages = [stage for stage in pipeline.stages if stage not in closed]
    shown = [lead for lead in leads if lead.status not in closed]
    span = f"{stages[0]} … {stages[-1]}" if len(stages) > 1 else ", ".join(stages)
    total = total_value(shown) or 0
    line = f"Open pipeline ({span}): {money(total)} over {_count(len(shown))}"
    unvalued = sum(1 for lead in shown if lead.value is None)
    if unvalued and shown:
        line += f" ({unvalued} without a deal value)"
    line += "."
    left_out = []
    for stage in closed:
        inside = [lead for lead in leads if lead.status == stage]
        if inside:
            left_out.append(f"{stage} {money(total_value(inside) or 0)} ({_count(len(inside))})")
    if left_out:
        everything = money(total_value(leads) or 0)
        line += f" Not counted: {', '.join(left_out)}; all stages together {everything}."
    lines = [line]
    for lead in shown[:SHOWN]:
        company = f", {lead.company}" if lead.company else ""
        worth = f", {money(lead.value)}" if lead.value is not None else ""
        lines.append(f"- {lead.name} ({lead.status}{company}{worth})")
    if len(shown) > SHOWN:
        lines.append(f"… and {len(shown) - SHOWN} more.")
    return "\n".join(lines)


def query(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Answer `queue[0]`'s question from the store."""
    op = head(state)
    store = get_context(runtime).store
    args = op.get("args") or {}
    if op.get("lead_id"):
        try:
            lead = store.get(op["lead_id"])
        except LeadNotFound:
            return finish(state, op, "That lead no longer exists.")
        line = field_answer(lead, args["field"]) if args.get("field") else details(lead)
        return finish(state, op, line, focus=[lead.id])

    status = None
    titles = []
    if args.get("status"):
        status = resolve_stage(store.pipeline, args["status"])
        if status is None:
            valid = ", ".join(store.pipeline.stages)
            return finish(state, op, f"Unknown stage '{args['status']}'. Valid stages: {valid}.")
        titles.append(f"in '{status}'")
    # Every lead of the stage, not a first page: counts and totals must be whole.
    leads = store.list(status=status, limit=max(store.count(status=status), 1))
    if args.get("open_only") and status is None and not args.get("company"):
        shown = [lead for lead in leads if lead.status not in closed_stages(store.pipeline)]
        line = open_pipeline(leads, store.pipeline)
        return finish(state, op, line, focus=[lead.id for lead in shown[:SHOWN]])
    if args.get("company"):
        wanted = normalize(args["company"])
        leads = [lead for lead in leads if wanted and wanted in normalize(lead.company)]
        titles.append(f"at '{args['company']}'")
    missing = missing_field(args["text"]) if args.get("text") else None
    if missing:
        leads = [lead for lead in leads if getattr(lead, missing) in (None, "")]
        titles.append(f"with no {LABELS.get(missing, missing)}")
    elif args.get("text"):
        matched = {m.lead.id for m in store.search(args["text"], limit=50) if m.score >= 75}
        leads = [lead for lead in leads if lead.id in matched]
        titles.append(f"matching '{args['text']}'")
    title = " ".join(titles) if titles else "in the pipeline"
    return finish(state, op, listing(leads, title), focus=[lead.id for lead in leads[:SHOWN]])
