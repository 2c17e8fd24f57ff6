"""Checks the write nodes make before they write, on either model's calls.

- `invalid_value`: a deal value must be a finite number ≥ 0; anything else is refused with a
  reason and never altered (a "-5000" is not stored as 5000).
- `find_duplicate`: a new lead with the email of an existing lead, or the same person at the
  same company ("Sarah" at TechCorp when Sarah Lee at TechCorp exists) is asked about first.
- `append_note`: notes grow by a dated line; replacing them is an explicit request.
- `describe_lead`: "'Aisha Bello' (Meridian Solar, $45,000)", for confirmation questions.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from agent_service.leads.matching import normalize
from agent_service.leads.models import Lead
from agent_service.leads.store import LeadStore

NEGATIVE_VALUE = "the deal value can't be negative"


def invalid_value(fields: dict[str, Any]) -> str | None:
    """Why `fields["value"]` cannot be stored, or None when it can (or is not given)."""
    value = fields.get("value")
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"'{value}' is not an amount"
    if not math.isfinite(number):
        return "the deal value must be a number"
    if number < 0:
        return f"{NEGATIVE_VALUE} ({number:,.0f})"
    return None


def _same_person(new: str, old: str) -> bool:
    """ "Sarah" and "Sarah Lee", "sarah lee" and "Sarah Lee": one name is the other's start."""
    a, b = normalize(new).split(), normalize(old).split()
    if not a or not b:
        return False
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return long[: len(short)] == short


def find_duplicate(store: LeadStore, fields: dict[str, Any]) -> Lead | None:
    """An existing lead the new one would duplicate: same email, same person at the same
    company, or, for a new lead given no company, the same full name."""
    email = normalize(fields.get("email"))
    if email:
        for lead in store.list(q=email, limit=50):
            if normalize(lead.email) == email:
                return lead
    name, company = str(fields.get("name") or ""), normalize(fields.get("company"))
    if not normalize(name):
        return None
    for lead in store.list(q=name.split()[0], limit=200):
        if company and normalize(lead.company) == company and _same_person(name, lead.name):
            return lead
        if not company and normalize(lead.name) == normalize(name):
            return lead  # "add tom lee" with Tom Lee (at any company) on the board: asked
    return None


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def append_note(old: str | None, new: str, day: str | None = None) -> str:
    """The notes after adding `new`: a line `YYYY-MM-DD: new` below the old notes."""
    line = f"{day or today()}: {new.strip()}"
    return f"{old.rstrip()}\n{line}" if old and old.strip() else line


def money(value: Any) -> str:
    number = float(value)
    return f"${number:,.0f}" if number.is_integer() else f"${number:,.2f}"


def describe_lead(fields: dict[str, Any]) -> str:
    """ "'Aisha Bello' (Meridian Solar, $45,000, aisha@x.io)": the new lead as it would be."""
    extras = [str(fields[k]) for k in ("company", "email", "phone", "status") if fields.get(k)]
    if fields.get("value") not in (None, ""):
        extras.insert(1 if fields.get("company") else 0, money(fields["value"]))
    if fields.get("notes"):
        extras.append(f"notes '{fields['notes']}'")
    inside = f" ({', '.join(extras)})" if extras else ""
    return f"'{fields.get('name', '')}'{inside}"
