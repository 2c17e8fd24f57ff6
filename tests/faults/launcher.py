"""Fork server for the fault suite: imports the agent service once, then on each `start` line
on stdin forks a child that serves it (`python -m agent_service` in all but the import) and
prints the child's pid. Restarting a killed agent then costs its start-up, not the 5+ s CPU of
importing LangGraph again; the child is a real, separate process for kill -9."""

from __future__ import annotations

import os
import sys

from agent_service.__main__ import main  # the imports happen here, once

if __name__ == "__main__":
    for line in sys.stdin:
        if line.strip() != "start":
            continue
        pid = os.fork()
        if pid == 0:  # the child: the agent service
            sys.stdin.close()
            os.dup2(2, 1)  # the pid pipe is the launcher's alone: logs go to its log file
            main()
            os._exit(0)
        print(pid, flush=True)
        # Reap children that have exited (killed) so they do not linger as zombies.
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
