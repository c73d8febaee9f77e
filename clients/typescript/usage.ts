// Compiled by tests/test_generated_clients.py against types generated from
// openapi/openapi.json (`npm run generate`): if the schema changes incompatibly, this file
// stops compiling.
import type { components, operations, paths } from "./schema";

type Schemas = components["schemas"];
type Action = Schemas["NextActionPublic"]["action"];
type NextAction = operations["getNextAction"]["responses"][200]["content"]["application/json"];
type NewInterview = paths["/v1/interviews"]["post"]["requestBody"]["content"]["application/json"];
type NewEvent = operations["createEvent"]["requestBody"]["content"]["application/json"];
type RecordedEvent = operations["createEvent"]["responses"][201]["content"]["application/json"];
type NewIntegration = operations["createIntegration"]["requestBody"]["content"]["application/json"];
type Problem = operations["getNextAction"]["responses"][404]["content"]["application/problem+json"];

// The five actions of API.md, exactly: a sixth, or one missing, fails both ways.
type FiveActions = "send_thank_you" | "send_status_check" | "escalate_to_hiring_manager" | "move_on" | "none";
const fromSchema: FiveActions = "none" as Action;
const toSchema: Action = "move_on" as FiveActions;
const everyAction: Record<Action, string> = {
  send_thank_you: "Send a thank-you note",
  send_status_check: "Ask where things stand",
  escalate_to_hiring_manager: "Write to the hiring manager",
  move_on: "Move on",
  none: "Nothing to do",
};
// @ts-expect-error: not an action of the API
const notAnAction: Action = "send_flowers";

const interview: NewInterview = {
  company: "Acme",
  role_title: "Backend Engineer",
  role_family: "engineering",
  interview_at: "2026-03-02T10:00:00-05:00",
  timezone: "America/New_York",
  contacts: [{ name: "Ana", email: "ana@example.com", role: "recruiter", is_primary: true }],
};
const timeline: NewEvent = {
  type: "timeline_shared",
  occurred_at: "2026-03-03T12:00:00-05:00",
  decision_expected_by: "2026-03-06",
};
// @ts-expect-error: an unknown role family
const badFamily: NewInterview["role_family"] = "astronaut";
// @ts-expect-error: only a round_scheduled event carries interview_at
const noteWithRound: NewEvent = { type: "note", occurred_at: "2026-03-03T12:00:00-05:00", interview_at: "x" };
const rescheduled: Schemas["RoundScheduledEventCreate"] = {
  type: "round_scheduled",
  occurred_at: "2026-03-10T12:00:00-04:00",
  interview_at: "2026-03-17T14:00:00-04:00",
  duration_minutes: 45,
  invite_uid: "round2-acme@calendar.example.com",
};

const greenhouse: NewIntegration = { provider: "greenhouse", company: "Acme", secret: "3f9c1b7e2d4a6f8091b2c3d4e5f60718" };
const standard: NewIntegration = { provider: "standard", company: "Acme" };
// @ts-expect-error: Greenhouse signs with the secret key set there, which the integration needs
const greenhouseWithoutSecret: NewIntegration = { provider: "greenhouse", company: "Acme" };

// The answer is the event of its type: narrowing on `type` reaches that type's fields.
function deadline(event: RecordedEvent): string | null {
  return event.type === "timeline_shared" ? event.decision_expected_by : null;
}

async function call<T>(base: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) {
    const problem = (await response.json()) as Problem;
    throw new Error(`${problem.status} ${problem.title}: ${problem.detail ?? ""}`);
  }
  return (await response.json()) as T;
}

export async function nextStep(base: string, key: string): Promise<string> {
  const created = await call<Schemas["InterviewPublic"]>(base, key, "POST", "/v1/interviews", interview);
  const recorded = await call<RecordedEvent>(base, key, "POST", `/v1/interviews/${created.id}/events`, timeline);
  const next = await call<NextAction>(base, key, "GET", `/v1/interviews/${created.id}/next-action`);
  const who: string = next.contact?.name ?? "nobody";
  const when: string | null = next.earliest_allowed_at;
  return `${everyAction[next.action]} (${who}, ${when ?? "no date"}, decision by ${deadline(recorded) ?? "?"})`;
}

export const checks = {
  fromSchema,
  toSchema,
  notAnAction,
  badFamily,
  noteWithRound,
  rescheduled,
  greenhouse,
  standard,
  greenhouseWithoutSecret,
};
