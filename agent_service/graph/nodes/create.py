"""create: adds the lead described by a `create_lead` call.

Reads: `queue[0].args` (`confirm_first`), `queue[0].confirmed`. Writes: the new lead to the
store, an outcome with a `create_lead` action, the new lead into `focus`, an undo entry.
Invalid fields (a negative value…) change nothing. Before writing, a `pending` confirmation
when the model was unsure (`confirm_first`) or the lead looks like one already stored.
A create without a name never writes: the lead as it would be is shown and its name asked
for ("Create a lead at Stripe (billing@stripe.com) — what is the contact's name?"); the
answer is read by the ask node (`name_answer`), which comes back here with the name.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import InvalidInput
from agent_service.graph.context import Context, get_context
from agent_service.graph.nodes.common import action, diff, finish, head
from agent_service.graph.nodes.guards import describe_lead, find_duplicate, invalid_value, money
from agent_service.graph.state import State

FLAGS = ("confirm_first",)
NAME_QUESTION = "What is the new lead's name? Nothing is saved until you tell me (or say 'cancel')."


def _ask(
    state: State, question: str, focus: list[str] | None = None, needs: str = "confirmation"
) -> dict[str, Any]:
    op = head(state)
    update: dict[str, Any] = {
        "pending": {
            "needs": needs,
            "question": question,
            "choices": [],
            "call_id": op["call_id"],
        }
    }
    if focus:  # "update her" answers the duplicate question about her
        update["focus"] = [*focus, *[i for i in state.get("focus", []) if i not in focus]][:10]
        update["focus_group"] = 1
    return update


def ask_name_question(fields: dict[str, Any]) -> str:
    """ "Create a lead at Stripe (billing@stripe.com) — what is the contact's name?" """
    where = f" at {fields['company']}" if fields.get("company") else ""
    extras = [str(fields[k]) for k in ("email", "phone") if fields.get(k)]
    if fields.get("value") not in (None, ""):
        extras.append(money(fields["value"]))
    if fields.get("status"):
        extras.append(f"in {fields['status']}")
    inside = f" ({', '.join(extras)})" if extras else ""
    return (
        f"Create a lead{where}{inside} — what is the contact's name? "
        "Nothing is saved until you tell me (or say 'cancel')."
    )


def create(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Create the lead of `queue[0]`, or ask first."""
    op = head(state)
    store = get_context(runtime).store
    fields = {k: v for k, v in op["args"].items() if v not in (None, "") and k not in FLAGS}
    name = str(fields.get("name", "")).strip()
    problem = invalid_value(fields)
    if problem:
        who = f"lead '{name}'" if name else "the lead"
        return finish(state, op, f"I couldn't create {who}: {problem}. Nothing was saved.")
    if not name and not fields:  # "new lead pls": nothing to show yet, only a question
        return _ask(state, NAME_QUESTION, needs="clarification")
    if not name:  # never written without a name, even when confirmed: ask for it
        return _ask(state, ask_name_question(fields))
    if not op.get("confirmed"):
        twin = find_duplicate(store, fields)
        if twin is not None:
            where = f" at {twin.company}" if twin.company else ""
            return _ask(
                state,
                f"There is already {twin.name}{where} — add another lead '{name}', or update "
                f"{twin.name}? Reply 'add another', or tell me what to change.",
                focus=[twin.id],
            )
        if op["args"].get("confirm_first"):
            return _ask(state, f"Create lead {describe_lead(fields)}? Reply yes or correct me.")
    try:
        lead = store.create(fields, actor=get_context(runtime).actor)
    except InvalidInput as exc:
        return finish(state, op, f"I couldn't create lead '{name}': {exc.detail}")
    changes = diff(None, lead)
    line = f"Lead '{lead.name}' created in '{lead.status}'."
    return finish(
        state,
        op,
        line,
        action=action("create_lead", lead, changes),
        focus=[lead.id],
    )
