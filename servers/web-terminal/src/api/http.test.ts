import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { session } from "../auth/session";
import { api } from "./http";
import { ApiError } from "./problem";

function json(status: number, body: unknown, type = "application/json"): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
}

describe("api client and session", () => {
  beforeEach(() => {
    session.set({ access_token: "old-access", refresh_token: "refresh-1", expires_in: 900 });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    session.clear();
  });

  it("refreshes once on a 401 and retries with the new token", async () => {
    const calls: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit) => {
        const auth = (init.headers as Record<string, string> | undefined)?.Authorization ?? "";
        calls.push(`${url} ${auth}`);
        if (url === "/api/v1/auth/refresh") {
          await new Promise((resolve) => setTimeout(resolve, 10));
          return json(200, { access_token: "new-access", refresh_token: "refresh-2", expires_in: 900, token_type: "bearer" });
        }
        return auth === "Bearer new-access" ? json(200, { ok: true }) : json(401, { status: 401, code: "unauthorized", detail: "expired" });
      }),
    );
    // two calls fail at once: a single refresh serves both (a spent refresh token would revoke the family)
    const [a, b] = await Promise.all([api<{ ok: boolean }>("/account"), api<{ ok: boolean }>("/portfolio")]);
    expect(a.ok && b.ok).toBe(true);
    expect(calls.filter((c) => c.startsWith("/api/v1/auth/refresh"))).toHaveLength(1);
    expect(session.refreshToken).toBe("refresh-2");
  });

  it("ends the session when the refresh token is refused", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => json(401, { status: 401, code: "unauthorized", detail: "token family revoked" })),
    );
    await expect(api("/account")).rejects.toBeInstanceOf(ApiError);
    expect(session.signedIn).toBe(false);
  });

  it("throws problem+json as ApiError with its detail and code", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => json(422, { status: 422, code: "insufficient_funds", detail: "not enough cash", title: "Unprocessable" }, "application/problem+json")),
    );
    const error = await api("/account/withdrawals", { method: "POST", body: { amount: "5" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).problem).toMatchObject({ code: "insufficient_funds", detail: "not enough cash", status: 422 });
  });
});
