"""Where the time of a request goes: py-spy samples `followup serve` (every thread, from
outside the process) while wrk loads one route, and this prints the functions that hold
the largest share of the samples, inclusive of what they call.

    python -m bench.spy [--seconds 8] [--path next-action|agenda|events]

Needs ptrace permission (root, or kernel.yama.ptrace_scope = 0).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.run import BIN, ROOT, Wrk, ensure_wrk, event_create_body, free_port, lua_script, seed, server


def summarize(raw: str, top: int = 45) -> str:
    """Inclusive sample share of each frame in py-spy's collapsed stacks (`a;b;c count`)."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] += int(count)
    rows = [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return f"{total} samples\n" + "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--path", choices=["next-action", "agenda", "events"], default="next-action")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="followup-profile-"))
    url = f"sqlite:///{workdir / 'profile.db'}"
    port = free_port()
    env = os.environ | {"DATABASE_URL": url, "FOLLOWUP_PORT": str(port), "FOLLOWUP_LOG_LEVEL": "warning"}
    env["FOLLOWUP_EMBEDDED_WORKER"] = "false"
    env["FOLLOWUP_RATE_LIMIT_PER_MINUTE"] = "1000000000"  # on, never refusing (one key for every connection)
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    seeded = seed(url, big_count=1_000)
    headers = {"Authorization": f"Bearer {seeded.key_small}"}
    if args.path == "events":
        paths = [f"/v1/interviews/{target}/events" for target in seeded.event_targets]
        path = f"POST /v1/interviews/{{id}}/events ({len(paths)} interviews)"
        body = json.dumps(event_create_body(datetime.now(UTC)))
        script = lua_script(
            headers=headers | {"Content-Type": "application/json"}, method="POST", body=body, paths=paths
        )
    else:
        path = f"/v1/interviews/{seeded.interview_id}/next-action" if args.path == "next-action" else "/v1/follow-ups"
        script = lua_script(headers=headers, paths=[path])
    with server([str(BIN / "followup"), "serve"], env, f"http://127.0.0.1:{port}/healthz") as api:
        spy = subprocess.Popen(
            [
                str(BIN / "py-spy"),
                "record",
                "--pid",
                str(api.pid),
                "--duration",
                str(args.seconds),
                "--rate",
                "200",
                "--format",
                "raw",
                "--threads",
                "--nonblocking",
                "-o",
                str(workdir / "stacks.txt"),
            ],
            stdout=subprocess.DEVNULL,
        )
        result = Wrk(ensure_wrk(), workdir, args.seconds + 1).run(f"http://127.0.0.1:{port}", script)
        spy.wait()
    print(f"{path}: {result.requests_per_second:.0f} req/s under py-spy")
    raw = (workdir / "stacks.txt").read_text()
    print(f"py-spy's stacks, by thread: {workdir / 'stacks.txt'}")
    # --threads prefixes each stack with its thread; drop it so that threads add up.
    raw = "\n".join(line.split(";", 1)[-1] if line.startswith("thread") else line for line in raw.splitlines())
    print(summarize(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
