"""`python -m agent_service.seed`: put demo leads in an empty store (idempotent)."""

from __future__ import annotations

from agent_service.leads.factory import open_store
from agent_service.settings import get_settings

DEMO_LEADS = [
    {
        "name": "John Smith",
        "company": "Acme",
        "email": "john@acme.com",
        "status": "Contacted",
        "value": 12000,
    },
    {
        "name": "Sarah Lee",
        "company": "TechCorp",
        "email": "sarah@techcorp.io",
        "status": "New",
        "value": 8000,
    },
    {
        "name": "John Doe",
        "company": "Globex",
        "email": "jdoe@globex.com",
        "status": "New",
        "value": 5000,
    },
    {
        "name": "Maria Garcia",
        "company": "Initech",
        "phone": "555-0142",
        "status": "Meeting booked",
        "value": 20000,
    },
    {
        "name": "François Dupré",
        "company": "Paris Conseil",
        "status": "Proposal sent",
        "value": 15000,
    },
    {
        "name": "Michael Brown",
        "company": "Umbrella",
        "email": "mbrown@umbrella.com",
        "status": "Won",
        "value": 30000,
    },
    {"name": "Aisha Khan", "company": "Stark Industries", "status": "Contacted", "value": 45000},
    {
        "name": "Tom Baker",
        "company": "Hooli",
        "email": "tom@hooli.xyz",
        "status": "Lost",
        "value": 3000,
    },
]


def seed() -> int:
    """Insert the demo leads when the store has none; returns how many were added."""
    store = open_store(get_settings())
    try:
        store.migrate()
        if store.count():
            return 0
        for lead in DEMO_LEADS:
            store.create(lead)
        return len(DEMO_LEADS)
    finally:
        store.close()


if __name__ == "__main__":
    added = seed()
    print(f"Seeded {added} demo leads." if added else "Leads already present; nothing seeded.")
