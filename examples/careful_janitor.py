"""Human in the loop: a sword that waits for a person's approval before it runs.

    python examples/careful_janitor.py ["what to clean up"]

`@sword(needs_approval=...)` makes the run stop before the call with `result.interruptions`
instead of running it. Someone approves or rejects each one on the saved state
(`result.to_state()`), and `Runner.run(agent, state)` continues where the run stopped. Here
deleting asks for approval only outside the scratch folder. At a terminal you are asked; with
no terminal (or offline, under `drusilla demo`) every call is approved, and the example says so.
"""

import os
import sys
from typing import Any

from drusilla import Agent, RunContextWrapper, Runner, SwordApprovalItem, sword
from drusilla.testing import call

FILES = {"/scratch/old.log": 120, "/home/ada/notes.txt": 4, "/scratch/cache.bin": 900}


def outside_scratch(ctx: RunContextWrapper[Any], arguments: dict[str, Any]) -> bool:
    return not str(arguments.get("path", "")).startswith("/scratch/")


@sword
def list_files() -> dict[str, int]:
    """The files on the disk, with their sizes in KB."""
    return FILES


@sword(needs_approval=outside_scratch)
def delete_file(path: str) -> str:
    """Delete one file.

    Args:
        path: The file's full path.
    """
    if FILES.pop(path, None) is None:
        return f"{path} does not exist"
    return f"deleted {path}"


agent = Agent(
    name="Careful Janitor",
    instructions="You free disk space. List the files, delete the ones the user asks about "
    "(all in one turn), then say what you deleted.",
    swords=[list_files, delete_file],
)

REQUEST = "Delete old.log in /scratch and my notes.txt."


def decide(interruption: SwordApprovalItem) -> bool:
    """Ask the person at the terminal; without one, approve and say so."""
    question = f"Allow {interruption.sword_name}({interruption.arguments})?"
    offline = os.environ.get("DRUSILLA_MODEL") == "offline-replay"
    if offline or not sys.stdin.isatty():
        why = "offline demo" if offline else "no terminal to ask"
        print(f"{question} approved automatically ({why})")
        return True
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def main(request: str = REQUEST) -> None:
    result = Runner.run_sync(agent, request)
    while result.interruptions:
        state = result.to_state()
        for interruption in result.interruptions:
            if decide(interruption):
                state.approve(interruption)
            else:
                state.reject(interruption, "The user said no; leave this file alone.")
        result = Runner.run_sync(agent, state)
    print(result.final_output)


OFFLINE_REPLAY = [
    call("list_files"),
    [
        call("delete_file", path="/scratch/old.log"),
        call("delete_file", path="/home/ada/notes.txt"),
    ],
    "Deleted /scratch/old.log and /home/ada/notes.txt.",
]

if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or REQUEST)
