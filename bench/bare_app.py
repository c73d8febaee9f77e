"""The bare endpoints every figure is divided by: FastAPI answering a small JSON document,
with no middleware, no database and no authentication, served by uvicorn exactly like
the service (same worker count).

`/bare` is FastAPI's fastest plain endpoint, an `async def` route run on the event loop:
the reference of every ratio and goal. `/bare/sync` is the same endpoint as a `def` route,
run in the thread pool: an extra column of the report, so that its figures can be set
beside those of reports that divided by it.

Both POSTs parse the JSON body into `dict[str, Any]`, so that the only difference between
the two references is where the route function runs."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/bare")
async def bare_post(body: dict[str, Any]) -> dict[str, int]:
    return {"fields": len(body)}


@app.get("/bare/sync")
def bare_sync() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/bare/sync")
def bare_sync_post(body: dict[str, Any]) -> dict[str, int]:
    return {"fields": len(body)}
