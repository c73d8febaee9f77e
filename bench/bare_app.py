"""The bare endpoint every figure is divided by: FastAPI answering a small JSON document,
with no middleware, no database and no authentication, served by uvicorn exactly like
the service (same worker count, same thread pool model: sync route functions)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/bare")
def bare_post(body: dict[str, Any]) -> dict[str, int]:
    return {"fields": len(body)}
