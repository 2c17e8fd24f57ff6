"""Builds the chat graph: router → lead_matcher → action nodes → respond (→ ask).

Action nodes: create, update, change_status, delete, query, undo, history.

`graph` (compiled without a checkpointer) is what `langgraph.json` exposes to LangGraph
Studio, whose server brings its own persistence; the service compiles `build_graph()` with
its SQLite/Postgres checkpointer.
"""

from __future__ import annotations

from typing import Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent_service.graph.context import Context
from agent_service.graph.nodes.ask import ask
from agent_service.graph.nodes.change_status import change_status
from agent_service.graph.nodes.create import create
from agent_service.graph.nodes.delete import delete
from agent_service.graph.nodes.history import history
from agent_service.graph.nodes.lead_matcher import lead_matcher
from agent_service.graph.nodes.query import query
from agent_service.graph.nodes.respond import respond
from agent_service.graph.nodes.router import router
from agent_service.graph.nodes.undo import undo
from agent_service.graph.nodes.update import update as update_node
from agent_service.graph.state import InputState, State

ActionNode = Literal["create", "update", "change_status", "delete", "query", "undo", "history"]
NODE_FOR_TOOL: dict[str, ActionNode] = {
    "create_lead": "create",
    "update_lead": "update",
    "change_status": "change_status",
    "delete_lead": "delete",
    "find_leads": "query",
    "undo": "undo",
    "lead_history": "history",
}
# Tools whose `lead` argument is optional: resolved by the matcher only when given.
OPTIONAL_LEAD = {"find_leads", "lead_history"}
NEEDS_LEAD = {"update_lead", "change_status", "delete_lead"}


def next_operation(state: State) -> Literal["lead_matcher", "respond"]:
    """After the router or an action: the next queued operation, or the reply."""
    if state.get("pending") or not state.get("queue"):
        return "respond"
    return "lead_matcher"


def after_match(state: State) -> Literal["lead_matcher", "respond", ActionNode]:
    """After the matcher: the action node of the resolved operation, or match the next one."""
    if state.get("pending") or not state.get("queue"):
        return "respond"
    op = state["queue"][0]
    unresolved = not op.get("lead_id") and (
        op["tool"] in NEEDS_LEAD
        or (op["tool"] in OPTIONAL_LEAD and (op.get("args") or {}).get("lead"))
    )
    return "lead_matcher" if unresolved else NODE_FOR_TOOL[op["tool"]]


def after_respond(state: State) -> Literal["ask", "__end__"]:
    return "ask" if state.get("pending") else END


def build_graph() -> StateGraph:
    """The graph, not yet compiled."""
    builder = StateGraph(State, input_schema=InputState, context_schema=Context)
    builder.add_node("router", router)
    builder.add_node("lead_matcher", lead_matcher)
    builder.add_node("create", create)
    builder.add_node("update", update_node)
    builder.add_node("change_status", change_status)
    builder.add_node("delete", delete)
    builder.add_node("query", query)
    builder.add_node("undo", undo)
    builder.add_node("history", history)
    builder.add_node("respond", respond)
    builder.add_node("ask", ask)
    builder.add_edge(START, "router")
    builder.add_conditional_edges("router", next_operation)
    builder.add_conditional_edges("lead_matcher", after_match)
    for node in NODE_FOR_TOOL.values():
        builder.add_conditional_edges(node, next_operation)
    builder.add_conditional_edges("respond", after_respond)
    return builder


def compile_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    return build_graph().compile(checkpointer=checkpointer, name="crm_agent")


graph = compile_graph()
