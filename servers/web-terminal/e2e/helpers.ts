import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Set-up through the public API only, as tests/e2e/helpers.py does: an admin (the stack's
 * seeded admin e-mail, BOURSE_ADMIN_EMAIL / BOURSE_ADMIN_PASSWORD, or a ready token in
 * BOURSE_ADMIN_TOKEN) lists a fresh instrument so no other test's orders rest on it. */
const ADMIN_EMAIL = process.env.BOURSE_ADMIN_EMAIL ?? "admin@bourse.dev";
const ADMIN_PASSWORD = process.env.BOURSE_ADMIN_PASSWORD ?? "admin-password-e2e";

/** Where the screenshots go: test-results/ (ignored by git) unless BOURSE_SCREENSHOTS_DIR
 * names another place; README's pictures are refreshed by pointing it at docs/screenshots. */
export const SCREENSHOTS =
  process.env.BOURSE_SCREENSHOTS_DIR ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../test-results/screenshots");

export function screenshot(name: string): string {
  return path.join(SCREENSHOTS, `${name}.png`);
}

/** A screenshot of what the screen shows, once the toasts have closed themselves. */
export async function shoot(page: Page, name: string): Promise<void> {
  await expect(page.locator(".mantine-Notification-root")).toHaveCount(0, { timeout: 15_000 });
  await page.screenshot({ path: screenshot(name) });
}

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 10)}@example.com`;
}

async function token(request: APIRequestContext, email: string, password: string): Promise<string> {
  const registered = await request.post("/api/v1/auth/register", { data: { email, password } });
  expect([201, 409]).toContain(registered.status());
  const login = await request.post("/api/v1/auth/login", { data: { email, password } });
  expect(login.status(), `login of ${email}: ${await login.text()} (for the admin: set BOURSE_ADMIN_PASSWORD or BOURSE_ADMIN_TOKEN)`).toBe(200);
  return ((await login.json()) as { access_token: string }).access_token;
}

async function adminToken(request: APIRequestContext): Promise<string> {
  return process.env.BOURSE_ADMIN_TOKEN ?? token(request, ADMIN_EMAIL, ADMIN_PASSWORD);
}

/** A new instrument (tick 0.01, lot 1), once every service trades it. */
export async function freshSymbol(request: APIRequestContext): Promise<string> {
  const admin = await adminToken(request);
  const symbol = `W${randomUUID().replace(/-/g, "").slice(0, 6).toUpperCase().replace(/0/g, "A")}`;
  const created = await request.post("/api/v1/stocks", {
    headers: { Authorization: `Bearer ${admin}` },
    data: { symbol, name: `Web ${symbol}`, tick_size: "0.01", lot_size: "1" },
  });
  expect(created.status(), await created.text()).toBe(201);
  const probe = await token(request, uniqueEmail("probe"), "probe-password-1");
  await expect
    .poll(
      async () =>
        (
          await request.post("/api/v1/account/securities-deposits", {
            headers: { Authorization: `Bearer ${probe}` },
            data: { symbol, qty: "1" },
          })
        ).status(),
      { timeout: 30_000 },
    )
    .toBe(201);
  return symbol;
}

export async function signUp(page: Page, email: string, password = "web-password-1"): Promise<void> {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(password);
  await page.getByRole("textbox", { name: "Password", exact: true }).press("Enter");
  await expect(page.getByRole("heading", { name: "Markets" })).toBeVisible();
}

/** Navigate inside the app (a client-side route change, never a page load). */
export async function goInApp(page: Page, link: string): Promise<void> {
  const burger = page.getByRole("button", { name: "Toggle navigation" });
  if (await burger.isVisible()) await burger.click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link }).click();
}

export async function submitAmount(page: Page, form: string, values: Record<string, string>): Promise<void> {
  const scope = page.getByRole("form", { name: form });
  for (const [label, value] of Object.entries(values)) await scope.getByLabel(label).fill(value);
  await scope.getByRole("button").click();
}
