/** application/problem+json, as every service answers errors (API.md conventions). */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail: string;
  code: string;
  errors?: { loc: (string | number)[]; msg: string; type?: string }[];
}

/** The request fields a problem points at, so a form can show it next to the field. */
export type FieldErrors = Record<string, string>;

const BODY_ROOTS = new Set(["body", "query", "path"]);

/** Field names a domain error's detail may start with ("limit_price 1.005 is not a multiple
 * of 0.01"): the services name the field first in their 422 details. */
const KNOWN_FIELDS = [
  "take_profit.limit_price",
  "stop_loss.stop_price",
  "stop_loss.limit_price",
  "limit_price",
  "stop_price",
  "trail_price",
  "trail_percent",
  "notional",
  "qty",
  "amount",
  "symbol",
  "email",
  "password",
  "price",
  "time_in_force",
  "name",
];

function locToField(loc: (string | number)[]): string {
  const parts = loc.filter((part, index) => !(index === 0 && BODY_ROOTS.has(String(part))));
  return parts.map(String).join(".") || "_";
}

export function fieldErrors(problem: Problem): FieldErrors {
  const fields: FieldErrors = {};
  for (const error of problem.errors ?? []) {
    const field = locToField(error.loc);
    fields[field] ??= error.msg.replace(/^Value error, /, "");
  }
  if (problem.status === 422 && !problem.errors?.length) {
    const detail = problem.detail.trim();
    const field = KNOWN_FIELDS.find((name) => detail.startsWith(`${name} `) || detail.startsWith(`${name}:`));
    if (field) fields[field] = detail;
  }
  return fields;
}

export function parseProblem(status: number, body: unknown, statusText = ""): Problem {
  if (body && typeof body === "object") {
    const raw = body as Record<string, unknown>;
    const detail = typeof raw.detail === "string" ? raw.detail : undefined;
    const code = typeof raw.code === "string" ? raw.code : undefined;
    if (detail !== undefined || code !== undefined) {
      return {
        type: typeof raw.type === "string" ? raw.type : undefined,
        title: typeof raw.title === "string" ? raw.title : undefined,
        status,
        detail: detail ?? (code ?? "error").replace(/_/g, " "),
        code: code ?? "error",
        errors: Array.isArray(raw.errors) ? (raw.errors as Problem["errors"]) : undefined,
      };
    }
  }
  return { status, detail: statusText || `request failed (${status})`, code: "http_error" };
}

export class ApiError extends Error {
  readonly problem: Problem;
  readonly fields: FieldErrors;

  constructor(problem: Problem) {
    super(problem.detail);
    this.name = "ApiError";
    this.problem = problem;
    this.fields = fieldErrors(problem);
  }

  get status(): number {
    return this.problem.status;
  }
}

/** A message for a person: the problem's detail, per-field errors spelled out. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = Object.entries(error.fields);
    if (error.problem.errors?.length && fields.length) {
      return fields.map(([field, message]) => `${field}: ${message}`).join("; ");
    }
    return error.problem.detail;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
