"""The service's full application (`app.main.create_app()`: error handlers, request ids,
metrics, the body limit, the idempotency middleware, API-key authentication and the rate
limit) with one trivial authenticated route added, for P5: the cost of the stack itself.
Bench only; never served in production.

The trivial route is an `async def`, like the bare reference's (`bench.bare_app`), and is put
first in the route table, where the bare app's reference route is: P5 compares the
middleware and authentication, not sync against async route functions nor how deep a
route sits in the table (the service's own busy routes come first too, see app.main)."""

from __future__ import annotations

from app.auth.dependencies import CurrentUser
from app.main import create_app

app = create_app()


@app.get("/bench/trivial", include_in_schema=False)
async def trivial(user: CurrentUser) -> dict[str, str]:
    return {"status": "ok"}


app.router.routes.insert(0, app.router.routes.pop())
