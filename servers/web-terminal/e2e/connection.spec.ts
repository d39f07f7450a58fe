import { expect, test, type WebSocketRoute } from "@playwright/test";
import { signUp, uniqueEmail } from "./helpers";

/** The live feeds drop (the socket to the server is cut): a banner says so, the app
 * reconnects with backoff, and the banner says when the feeds are back. */
test("a lost connection shows a banner, then reconnects and says so", async ({ page }) => {
  const open: WebSocketRoute[] = [];
  let refuse = false;
  await page.routeWebSocket(/\/ws\/portfolio/, (ws) => {
    if (refuse) {
      void ws.close({ code: 1006 });
      return;
    }
    ws.connectToServer();
    open.push(ws);
  });
  await signUp(page, uniqueEmail("banner"));
  await expect.poll(() => open.length).toBeGreaterThan(0);
  await expect(page.getByText("Connection lost")).toHaveCount(0);

  refuse = true; // the next attempts fail too, for a while
  for (const ws of open) await ws.close({ code: 1012, reason: "server restarting" });
  await expect(page.getByText("Connection lost")).toBeVisible();
  await expect(page.getByText("Live data is paused; reconnecting…")).toBeVisible();

  refuse = false;
  const before = open.length;
  await expect.poll(() => open.length, { timeout: 30_000 }).toBeGreaterThan(before);
  await expect(page.getByText("Connection restored")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("Connection lost")).toHaveCount(0);
});
