"""The service's full application (`app.main.create_app()`: error handlers, idempotency
middleware, metrics, API-key authentication) with one trivial authenticated route added,
for P5: the cost of the stack itself. Bench only; never served in production."""

from __future__ import annotations

from app.auth.dependencies import CurrentUser
from app.main import create_app

app = create_app()


@app.get("/bench/trivial", include_in_schema=False)
def trivial(user: CurrentUser) -> dict[str, str]:
    return {"status": "ok"}
