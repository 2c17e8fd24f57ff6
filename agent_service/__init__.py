"""CRM chat agent service: lead store, LangGraph chat agent and its HTTP API."""
