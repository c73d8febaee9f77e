// Must NOT compile (tests/test_generated_clients.py checks that tsc refuses it, on the line
// of `undated` and for its missing field): a timeline_shared event says when the employer
// will decide, so the generated types require its decision_expected_by.
import type { operations } from "./schema";

type NewEvent = operations["createEvent"]["requestBody"]["content"]["application/json"];

export const undated: NewEvent = { type: "timeline_shared", occurred_at: "2026-03-03T12:00:00-05:00" };
