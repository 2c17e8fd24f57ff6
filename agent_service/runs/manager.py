"""Runs: each user message becomes a background run of the chat graph.

`submit` answers at once (202, status `queued`); a task per run waits for its thread's lock,
so the messages of one thread are processed one at a time, in order, and never interleave.
Progress is published as events (`status`, `step`, `result`, `error`) that any number of
listeners follow; the outcome is written to the run records.

Exactly once, truthfully: a repeated `client_message_id` on a thread returns the run it started
(never a second one); a run whose ending was lost (a restart, an outage, a timeout) is finished
from the lead change log (`runs/recovery.py`): `succeeded` with what it did, or `failed` when it
changed nothing. While the log cannot be read, the run stays unfinished and `settle()` retries.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from agent_service.errors import CrmError, InvalidInput, RunNotFound, ThreadNotFound
from agent_service.graph.agent import ChatAgent, as_crm_error
from agent_service.runs import recovery
from agent_service.runs.checkpoints import Checkpoints
from agent_service.runs.records import Records
from agent_service.settings import Settings

log = logging.getLogger(__name__)

TERMINAL = {"succeeded", "failed"}
RESTART_MESSAGE = "The assistant restarted before this message was finished; please send it again."
STALE_MESSAGE = "This message was not finished in time; nothing was changed. Please send it again."
CANCEL_WAIT_SECONDS = 5
STALE_GRACE_SECONDS = 30  # beyond the run timeout, before a silent run counts as stuck
KEEP_EVENTS_SECONDS = 120
STUCK = "This message was not finished; please send it again."


def _unknown_outcome(message: str) -> str:
    """An error message for a run whose effect cannot be checked now: no "nothing was
    changed" (not known), and what to do."""
    text = message.replace("; nothing was changed.", ".").replace(" Nothing else was changed.", "")
    return f"{text} Please check the board before sending it again."


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
        # Threads with checkpoints written since the last sweep: pruned there in one batch, off
        # every turn's clock (the bench showed per-turn pruning cost more than the turn on
        # PostgreSQL, and tuned stock checkpointing without it was as fast as ours).
        self._unpruned: set[str] = set()
        # Runs of this process whose ending could not be settled yet (the log was unreadable):
        # run_id -> (run, prefix of the reply, error type and message if nothing was changed).
        self._unsettled: dict[str, tuple[dict[str, Any], str, str, str]] = {}
        self.store = agent.store
        # The graph records who made a change when its `send` takes the actor's fields.
        self._send_takes_actor = "run_id" in inspect.signature(agent.send).parameters
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

    async def submit(
        self,
        thread_id: str,
        user_id: str,
        message: str,
        client_message_id: str | None = None,
        user_name: str | None = None,
    ) -> dict[str, Any]:
        """Record a queued run for `message` and start it in the background; with a
        `client_message_id` already used on the thread, return that run instead."""
        text = self.validate_message(message)
        run_id = uuid.uuid4().hex

        def claim_and_create() -> dict[str, Any] | None:
            # One hop to the run records' thread for both writes.
            if not self.records.claim_thread(thread_id, user_id):
                return None
            return self.records.create_run(
                run_id, thread_id, user_id, text, client_message_id=client_message_id
            )

        run = await asyncio.to_thread(claim_and_create)
        if run is None:
            raise ThreadNotFound(thread_id)
        if run.get("run_id") != run_id:  # a repeated message: the run it started
            return public_run(self._active.get(run["run_id"], run))
        run["user_name"] = user_name
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
                actor: dict[str, Any] = {}
                if self._send_takes_actor:
                    actor = {
                        "user_id": run["user_id"],
                        "user_name": run.get("user_name"),
                        "run_id": run_id,
                    }
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
                            **actor,
                        ),
                    )
                )
                try:
                    turn = await asyncio.wait_for(
                        asyncio.shield(work), self.settings.run_timeout_seconds
                    )
                except TimeoutError:
                    cancel.set()  # from now on the turn writes no lead
                    # A write already under way commits (or not) within moments: wait for it
                    # briefly, so the log read below sees everything the run did.
                    await asyncio.wait([work], timeout=CANCEL_WAIT_SECONDS)
                    await self._end_failed(
                        run,
                        recovery.TIMEOUT_PREFIX,
                        "timeout",
                        "The assistant took too long to answer.",
                    )
                    await asyncio.gather(work, return_exceptions=True)  # keep the thread's order
                except Exception as exc:
                    error = as_crm_error(exc)  # a checkpoint read failing is an outage too
                    if not isinstance(exc, CrmError):
                        log.warning("run %s failed: %s", run_id, error.detail, exc_info=exc)
                    await self._end_failed(run, recovery.ERROR_PREFIX, error.type, error.detail)
                else:
                    await self._set(
                        run, channel, "result", status="succeeded", step=None, result=turn.public()
                    )
                self._unpruned.add(thread_id)
                await asyncio.to_thread(self.records.touch_thread, thread_id)
        except Exception as exc:  # the run records themselves failed: settle it later
            error = as_crm_error(exc)
            log.warning("run %s could not be recorded: %s", run_id, error.detail, exc_info=exc)
            self._unsettled[run_id] = (run, recovery.ERROR_PREFIX, error.type, error.detail)
            await self._settle_one(run_id)
        finally:
            if run_id not in self._unsettled:
                self._active.pop(run_id, None)
            self._users[thread_id] -= 1
            if not self._users[thread_id]:
                del self._users[thread_id]
                self._locks.pop(thread_id, None)
            asyncio.get_running_loop().call_later(
                KEEP_EVENTS_SECONDS, self._channels.pop, run_id, None
            )

    async def prune_checkpoints(self) -> int:
        """Keep only the latest checkpoint of every thread that had turns since the last call
        (one batch, in the background sweep); returns how many threads were pruned."""
        threads, self._unpruned = self._unpruned, set()
        if not threads:
            return 0
        try:
            await asyncio.to_thread(self.checkpoints.prune_many, sorted(threads))
        except Exception:  # an unpruned checkpoint costs space, never correctness
            log.exception("could not prune the checkpoints of %d thread(s)", len(threads))
            self._unpruned |= threads
            return 0
        return len(threads)

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

    async def _end_failed(self, run: dict[str, Any], prefix: str, type_: str, message: str) -> None:
        """End a run whose turn failed: from the change log, `succeeded` with what it did, or
        `failed` when it changed nothing; left for `settle()` while the log is unreadable."""
        self._unsettled[run["run_id"]] = (run, prefix, type_, message)
        await self._settle_one(run["run_id"])

    async def _settle_one(self, run_id: str) -> bool:
        """Try to finish one unsettled run of this process; True once it is settled.

        While the change log cannot be read, the run is reported failed at once (a user must
        not wait on "Thinking…" through an outage) but marked `unverified`, without claiming
        that nothing was changed; once the log can be read, a run that did change something
        is amended to `succeeded` (`records.amend_run`), also after a restart (`recover`)."""
        run, prefix, type_, message = self._unsettled[run_id]
        channel = self._channels.get(run_id)
        try:
            changes = await asyncio.to_thread(recovery.run_changes, self.store, run_id)
        except Exception:
            if run.get("status") == "failed":
                return False  # reported already; verified on a later round
            error = {"type": type_, "message": _unknown_outcome(message), "unverified": True}
            try:
                await asyncio.to_thread(
                    self.records.update_run, run_id, status="failed", step=None, error=error
                )
            except Exception:
                log.warning("run %s: records and log unavailable; settled later", run_id)
                return False
            run.update(status="failed", step=None, error=error)
            self._active.pop(run_id, None)
            if channel is not None:
                await channel.publish("error", public_run(run))
            return False
        result = recovery.result_from_changes(changes, prefix) if changes else None
        try:
            if run.get("status") == "failed":  # reported unverified before: settle the mark
                await asyncio.to_thread(self.records.amend_run, run_id, result)
                self._unsettled.pop(run_id, None)
                return True
            if result is not None:
                fields: dict[str, Any] = {"status": "succeeded", "step": None, "result": result}
            else:
                error = {"type": type_, "message": message}
                fields = {"status": "failed", "step": None, "error": error}
            written = await asyncio.to_thread(self.records.update_run, run_id, **fields)
        except Exception:
            log.warning("run %s: the run records are unavailable; settled later", run_id)
            return False
        self._unsettled.pop(run_id, None)
        self._active.pop(run_id, None)
        if not written:  # finished meanwhile (by another process's sweep): report that
            stored = await asyncio.to_thread(self.records.get_run, run_id)
            if stored:
                fields = {k: stored[k] for k in ("status", "step", "result", "error")}
        run.update(fields)
        if channel is not None:
            event = "result" if run["status"] == "succeeded" else "error"
            await channel.publish(event, public_run(run))
        return True

    async def recover(self, *, startup: bool = False) -> int:
        """Finish the unfinished runs that no live process works on (from the change log) and
        retry this process's unsettled ones; returns how many were finished. At start-up that
        is every run its dead process left; later, also runs silent past the run timeout."""
        finished = 0
        for run_id in list(self._unsettled):
            finished += await self._settle_one(run_id)
        stale = None
        if not startup:
            timeout = self.settings.run_timeout_seconds
            stale = timedelta(seconds=timeout + min(STALE_GRACE_SECONDS, timeout))
        for run in await asyncio.to_thread(self.records.unverified_runs):
            if run["run_id"] in self._unsettled:
                continue
            try:
                changes = await asyncio.to_thread(recovery.run_changes, self.store, run["run_id"])
            except Exception:
                continue  # still unreadable: next round
            result = (
                recovery.result_from_changes(changes, recovery.ERROR_PREFIX) if changes else None
            )
            finished += await asyncio.to_thread(self.records.amend_run, run["run_id"], result)
        runs = await asyncio.to_thread(self.records.unfinished_runs, stale_after=stale)
        for run in runs:
            if run["run_id"] in self._active:
                continue  # this process's own: its task ends it
            try:
                changes = await asyncio.to_thread(recovery.run_changes, self.store, run["run_id"])
            except Exception:
                log.warning("change log unreadable; run %s is finished later", run["run_id"])
                continue
            message = RESTART_MESSAGE if startup or stale is None else STALE_MESSAGE
            if changes:
                fields: dict[str, Any] = {
                    "status": "succeeded",
                    "step": None,
                    "result": recovery.result_from_changes(changes),
                }
            else:
                fields = {
                    "status": "failed",
                    "step": None,
                    "error": {"type": "internal", "message": message},
                }
            if await asyncio.to_thread(self.records.update_run, run["run_id"], **fields):
                finished += 1
        return finished

    async def housekeeping(self) -> None:
        """Off the user's clock: prune older checkpoints, finished runs, old change-log rows."""
        await self.prune_checkpoints()
        await asyncio.to_thread(
            self.records.prune_runs, timedelta(days=self.settings.run_retention_days)
        )
        prune = getattr(self.store, "prune_changes", None)
        if callable(prune):
            from datetime import UTC, datetime

            cutoff = datetime.now(UTC) - timedelta(days=self.settings.change_log_retention_days)
            await asyncio.to_thread(prune, cutoff)

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
