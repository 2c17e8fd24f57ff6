"""A minus sign is never dropped: every way of typing a negative amount, in an update or in a
create, is refused and changes nothing (issue 11: "set novak's value to -5000" stored 5000;
this session's sweep found "actually make it -5000", "set olga's deal to -1.5 mil", a
bare "-1.5 mil" piece of a create and "to - 5k" still stored the amount without its sign,
and "−5000 for olga" (a Unicode minus) hung the card reader)."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest

from agent_service.graph.agent import ChatAgent
from agent_service.graph.models.offline import OfflineChatModel
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import Settings

UPDATES = [
    "set olga's deal to {a}",
    "{a} for olga",
    "put {a} on olga",
    "olga's value is {a}",
    "change olga's deal value to {a}",
    "update olga: value {a}",
    "olga is now worth {a}",
    "olga's deal is {a} now",
    "bump olga to {a}",
    "make olga's deal {a}",
    "set the value for olga to {a}",
]
CREATES = [
    "add new lead Ben Ode from Ode Ltd worth {a}",
    "new lead: Ana Ruiz, Ruiz SA, {a}",
    "add Ben Ode, Ode Ltd, deal {a}",
    "new lead Kim Park from Park Co, value {a}, kim@park.co",
    "{a} deal, new lead Ivo Ilic from Ilic GmbH",
]
NEGATIVE = ["-5000", "-5k", "-$5,000", "minus 5k", "−5000", "-1.5 mil", "-2m", "negative 5000"]
NEGATIVE += ["-5 grand"]


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory):
    settings = Settings()
    path = Path(tmp_path_factory.mktemp("neg")) / "crm.db"
    store = SqliteLeadStore(path, Pipeline(settings.crm_pipeline))
    store.migrate()
    olga = store.create({"name": "Olga Brandt", "company": "TU", "status": "Proposal sent"})
    return ChatAgent(store, OfflineChatModel(), settings), store, olga.id


def _reset(store: SqliteLeadStore, olga: str) -> None:
    for lead in store.list():
        if lead.id != olga:
            store.delete(lead.id)
    store.update(olga, {"value": 100000.0})


@pytest.mark.parametrize("template", UPDATES + CREATES)
def test_a_negative_amount_is_refused_in_every_phrasing(board, template: str) -> None:
    chat, store, olga = board
    dashed = ["- 5k"] if " to {a}" in template or " is {a}" in template else []
    for amount in NEGATIVE + dashed:  # "to - 5k": a dash after "to" is a minus
        _reset(store, olga)
        message = template.format(a=amount)
        reply = chat.send(uuid.uuid4().hex, message, user_id="eval")
        values = {lead.name: lead.value for lead in store.list()}
        assert values == {"Olga Brandt": 100000.0}, (message, values, reply.reply)


@pytest.mark.parametrize(
    ("template", "amount"), list(itertools.product(UPDATES[:6], ["5k", "$5,000"]))
)
def test_the_same_phrasings_write_a_positive_amount(board, template: str, amount: str) -> None:
    chat, store, olga = board
    _reset(store, olga)
    chat.send(uuid.uuid4().hex, template.format(a=amount), user_id="eval")
    assert store.get(olga).value == 5000
