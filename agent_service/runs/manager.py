"""Runs: each user message becomes a background run of the chat graph.

`submit` answers at once (202, status `queued`); a task per run waits for its thread's lock,
so the messages of one thread are processed one at a time, in order, and never interleave.
Progress is published as events (`status`, `step`, `result`, `error`) that any number of
listeners follow; the outcome is written to the run records.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from agent_service.errors import CrmError, InvalidInput, RunNotFound, ThreadNotFound
from agent_service.graph.agent import ChatAgent, as_crm_error
from agent_service.runs.checkpoints import Checkpoints
from agent_service.runs.records import Records
from agent_service.settings import Settings

log = logging.getLogger(__name__)

TERMINAL = {"succeeded", "failed"}
RESTART_MESSAGE = "The assistant restarted before this message was finished; please send it again."
KEEP_EVENTS_SECONDS = 120
STUCK = "This message was not finished; please send it again."


def public_run(run: dict[str, Any]) -> dict[str, Any]:
    """A run as the API shows it."""
    return {
        key: run.get(key) for key in ("run_id", "thread_id", "status", "step", "result", "error")
    }


class _Channel:
    """The events of one run, kept in order; listeners wait for new ones."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Condition()

    async def publish(self, event: str, data: dict[str, Any]) -> None:
        async with self._changed:
            self.events.append((event, data))
            self._changed.notify_all()

    async def follow(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        index = 0
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda seen=index: len(self.events) > seen)
                batch = self.events[index:]
            index += len(batch)
            for event in batch:
                yield event
                if event[0] in {"result", "error"}:
                    return


class RunManager:
    """Queues, executes and reports the runs of every thread of this process."""

    def __init__(
        self,
        agent: ChatAgent,
        records: Records,
        checkpoints: Checkpoints,
        settings: Settings,
        on_clear: Callable[[str, list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.agent = agent
        self.records = records
        self.checkpoints = checkpoints
        self.settings = settings
        self._on_clear = on_clear
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self._channels: dict[str, _Channel] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._active: dict[str, dict[str, Any]] = {}  # this process's unfinished runs
        # Graph runs (which wait on the model) get threads of their own, so the short database
        # calls of new messages, history and status never queue behind them.
        self._runs_pool = ThreadPoolExecutor(
            max_workers=settings.max_concurrent_runs, thread_name_prefix="run"
        )

    # -- submitting and executing ------------------------------------------------------------

    def validate_message(self, message: str) -> str:
        text = message.strip()
        if not text:
            raise InvalidInput("The message is empty.")
        if len(text) > self.settings.max_message_chars:
            raise InvalidInput(
                f"The message is too long ({len(text)} characters; at most "
                f"{self.settings.max_message_chars})."
            )
        return text

    async def submit(self, thread_id: str, user_id: str, message: str) -> dict[str, Any]:
        """Record a queued run for `message` and start it in the background."""
        text = self.validate_message(message)
        if not await asyncio.to_thread(self.records.claim_thread, thread_id, user_id):
            raise ThreadNotFound(thread_id)
        run_id = uuid.uuid4().hex
        run = await asyncio.to_thread(self.records.create_run, run_id, thread_id, user_id, text)
        channel = self._channels[run_id] = _Channel()
        self._active[run_id] = run
        await channel.publish("status", public_run(run))
        self._users[thread_id] = self._users.get(thread_id, 0) + 1
        lock = self._locks.setdefault(thread_id, asyncio.Lock())
        task = asyncio.create_task(self._execute(run, lock))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return public_run(run)

    async def _execute(self, run: dict[str, Any], lock: asyncio.Lock) -> None:
        run_id, thread_id = run["run_id"], run["thread_id"]
        channel = self._channels[run_id]
        try:
            async with lock:  # FIFO: this process's messages of the thread, in order
                # Several agent processes may share one PostgreSQL database: wait until no
                # other process has an earlier unfinished message of this thread.
                if not await asyncio.to_thread(
                    self.records.wait_turn, run_id, thread_id, self.settings.run_timeout_seconds
                ):
                    await self._fail(
                        run,
                        channel,
                        "timeout",
                        "An earlier message of this conversation is still being processed; "
                        "nothing was changed.",
                    )
                    return
                await self._set(run, channel, "status", status="running")
                loop = asyncio.get_running_loop()

                def on_step(node: str) -> None:
                    loop.call_soon_threadsafe(
                        lambda: asyncio.ensure_future(self._step(run, channel, node))
                    )

                cancel = threading.Event()
                work = asyncio.ensure_future(
                    loop.run_in_executor(
                        self._runs_pool,
                        functools.partial(
                            self.agent.send,
                            thread_id,
                            run["message"],
                            on_step,
                            prune=False,
                            cancel=cancel,
                        ),
                    )
                )
                try:
                    turn = await asyncio.wait_for(
                        asyncio.shield(work), self.settings.run_timeout_seconds
                    )
                except TimeoutError:
                    cancel.set()  # from now on the turn writes no lead
                    await self._fail(
                        run, channel, "timeout", "The assistant took too long to answer."
                    )
                    await asyncio.gather(work, return_exceptions=True)  # keep the thread's order
                except CrmError as exc:
                    await self._fail(run, channel, exc.type, exc.detail)
                except Exception:
                    log.exception("run %s failed", run_id)
                    await self._fail(
                        run, channel, "internal", "Internal error; nothing was changed."
                    )
                else:
                    await self._set(
                        run, channel, "result", status="succeeded", step=None, result=turn.public()
                    )
                    # After the reply is out: housekeeping off the user's clock.
                    await asyncio.to_thread(self._prune, thread_id)
                await asyncio.to_thread(self.records.touch_thread, thread_id)
        except Exception as exc:  # the run records themselves failed: still end the stream
            error = exc if isinstance(exc, CrmError) else CrmError()
            log.warning("run %s could not be recorded: %s", run_id, error.detail, exc_info=exc)
            run.update(status="failed", error={"type": error.type, "message": error.detail})
            try:  # a run must not stay "running" in the records when only its start failed
                await asyncio.to_thread(
                    self.records.update_run, run_id, status="failed", step=None, error=run["error"]
                )
            except Exception:
                log.warning("run %s stays unfinished in the records", run_id)
            await channel.publish("error", public_run(run))
        finally:
            self._active.pop(run_id, None)
            self._users[thread_id] -= 1
            if not self._users[thread_id]:
                del self._users[thread_id]
                self._locks.pop(thread_id, None)
            asyncio.get_running_loop().call_later(
                KEEP_EVENTS_SECONDS, self._channels.pop, run_id, None
            )

    def _prune(self, thread_id: str) -> None:
        try:
            self.agent.prune(thread_id)
        except Exception:  # an unpruned checkpoint costs space, never correctness
            log.exception("could not prune the checkpoints of thread %s", thread_id)

    async def _step(self, run: dict[str, Any], channel: _Channel, node: str) -> None:
        """The node running now: sent to listeners and shown by `get`, kept in memory only
        (a database write per node would cost more than the node itself)."""
        if run.get("status") in TERMINAL:
            return
        run["step"] = node
        await channel.publish("step", {"step": node})

    async def _set(self, run: dict[str, Any], channel: _Channel, event: str, **fields: Any) -> None:
        await asyncio.to_thread(self.records.update_run, run["run_id"], **fields)
        run.update(fields)
        await channel.publish(event, public_run(run))

    async def _fail(self, run: dict[str, Any], channel: _Channel, type_: str, message: str) -> None:
        await self._set(
            run,
            channel,
            "error",
            status="failed",
            step=None,
            error={"type": type_, "message": message},
        )

    # -- reading -------------------------------------------------------------------------------

    async def get(self, run_id: str, user_id: str) -> dict[str, Any]:
        run = self._active.get(run_id) or await asyncio.to_thread(self.records.get_run, run_id)
        if run is None or run["user_id"] != user_id:
            raise RunNotFound(run_id)
        return public_run(run)

    async def events(self, run_id: str, user_id: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """The run's events from the start; ends after `result` or `error`."""
        run = await self.get(run_id, user_id)
        channel = self._channels.get(run_id)
        if channel is not None:
            async for event in channel.follow():
                yield event
            return
        # Finished before (or run by another process): replay from the records.
        yield "status", run
        deadline = asyncio.get_running_loop().time() + self.settings.run_timeout_seconds + 30
        while run["status"] not in TERMINAL:
            if asyncio.get_running_loop().time() > deadline:  # its process is gone or stuck
                run = {**run, "status": "failed", "error": {"type": "timeout", "message": STUCK}}
                break
            await asyncio.sleep(0.25)
            run = await self.get(run_id, user_id)
            if run["step"]:
                yield "step", {"step": run["step"]}
        yield ("result" if run["status"] == "succeeded" else "error"), run

    async def history(self, thread_id: str, user_id: str) -> dict[str, Any]:
        """The current conversation of the thread (user and assistant messages, pending question)."""
        await self._check_owner(thread_id, user_id, missing_ok=False)
        runs = await asyncio.to_thread(self.records.thread_runs, thread_id)
        messages: list[dict[str, Any]] = []
        for run in runs:
            messages.append({"role": "user", "content": run["message"], "actions": []})
            if run["status"] == "succeeded" and run["result"]:
                result = run["result"]
                messages.append(
                    {
                        "role": "assistant",
                        "content": result["reply"],
                        "actions": result["actions"],
                        "needs": result.get("needs"),
                        "choices": result.get("choices", []),
                    }
                )
            elif run["status"] == "failed" and run["error"]:
                messages.append(
                    {
                        "role": "assistant",
                        "content": run["error"]["message"],
                        "actions": [],
                        "error": True,
                    }
                )
        try:
            pending = await asyncio.to_thread(self.agent.pending, thread_id)
        except Exception as exc:
            raise as_crm_error(exc) from exc
        return {"thread_id": thread_id, "messages": messages, "pending": pending}

    # -- clearing ------------------------------------------------------------------------------

    async def clear(self, thread_id: str, user_id: str | None) -> None:
        """Delete the thread's checkpoints and runs, after any active run of it finishes."""
        if user_id is not None and not await self._check_owner(thread_id, user_id, missing_ok=True):
            return
        self._users[thread_id] = self._users.get(thread_id, 0) + 1
        lock = self._locks.setdefault(thread_id, asyncio.Lock())
        try:
            async with lock:
                runs = await asyncio.to_thread(self.records.thread_runs, thread_id)
                if self._on_clear and runs:
                    try:
                        await asyncio.to_thread(self._on_clear, thread_id, runs)
                    except Exception:  # recording must never block clearing
                        log.exception("could not record thread %s", thread_id)
                try:
                    await asyncio.to_thread(self.checkpoints.delete, thread_id)
                except Exception as exc:
                    raise as_crm_error(exc) from exc
                # Only the runs seen here: a message sent meanwhile starts the new conversation.
                await asyncio.to_thread(
                    self.records.delete_thread, thread_id, [run["run_id"] for run in runs]
                )
        finally:
            self._users[thread_id] -= 1
            if not self._users[thread_id]:
                del self._users[thread_id]
                self._locks.pop(thread_id, None)

    async def expire_idle(self) -> int:
        """Clear threads idle for longer than the TTL; returns how many."""
        ttl = timedelta(hours=self.settings.thread_ttl_hours)
        idle = await asyncio.to_thread(self.records.idle_threads, ttl)
        expired = 0
        for thread_id in idle:
            if thread_id in self._users:
                continue
            await self.clear(thread_id, None)
            expired += 1
        return expired

    async def _check_owner(self, thread_id: str, user_id: str, *, missing_ok: bool) -> bool:
        owner = await asyncio.to_thread(self.records.owner, thread_id)
        if owner is None:
            if missing_ok:
                return False
            raise ThreadNotFound(thread_id)
        if owner != user_id:
            raise ThreadNotFound(thread_id)
        return True

    async def drain(self) -> None:
        """Wait for the runs in flight (shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def close(self) -> None:
        """Release the run threads (after `drain`, at shutdown)."""
        self._runs_pool.shutdown(wait=False)
