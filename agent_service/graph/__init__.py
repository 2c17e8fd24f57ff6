"""The chat agent: a LangGraph graph of router → lead_matcher → action nodes → respond."""
