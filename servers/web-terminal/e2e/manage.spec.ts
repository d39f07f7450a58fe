import { expect, test } from "@playwright/test";
import { freshSymbol, goInApp, shoot, signUp, uniqueEmail } from "./helpers";

/** The management screens, through the UI: a watchlist (create, add, remove, delete), an
 * API key (secret shown once, listed, revoked), a price alert and its notification list. */
test("watchlists, API keys and alerts", async ({ page, request }) => {
  const symbol = await freshSymbol(request);
  await signUp(page, uniqueEmail("manager"));

  // watchlist: create, add the symbol from All symbols, see it listed, remove it, delete the list
  await page.getByLabel("New watchlist").fill("Tech");
  await page.getByLabel("New watchlist").press("Enter");
  await expect(page.getByText("This watchlist is empty", { exact: false })).toBeVisible();
  await page.locator("label", { hasText: /^All symbols$/ }).click();
  await page.getByLabel("Search").fill(symbol);
  await page.getByRole("button", { name: `Add ${symbol} to a watchlist` }).click();
  await page.getByRole("menuitem", { name: "Tech" }).click();
  await page.getByLabel("Search").fill("");
  await page.locator("label", { hasText: /^Tech$/ }).click();
  await expect(page.getByTestId(`row-${symbol}`)).toBeVisible();
  await expect(page.getByRole("table", { name: "Symbols" }).locator("tbody tr")).toHaveCount(1);
  await page.getByRole("button", { name: `Remove ${symbol} from watchlist` }).click();
  await expect(page.getByText("This watchlist is empty", { exact: false })).toBeVisible();
  await page.getByRole("button", { name: "Delete “Tech”" }).click();
  await expect(page.locator("label", { hasText: /^Tech$/ })).toHaveCount(0);

  // API key: the secret once, then only the key id in the list; revoke removes it
  await goInApp(page, "API keys");
  await page.getByLabel("Key name").fill("my bot");
  await page.getByLabel("Key name").press("Enter");
  await expect(page.getByTestId("api-key-secret")).not.toBeEmpty();
  const keys = page.getByRole("table", { name: "API keys" });
  await expect(keys.getByRole("row", { name: /my bot/ })).toBeVisible();
  await shoot(page, "api-keys");
  await keys.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByText("No API keys.")).toBeVisible();

  // a price alert, and a bad one: the API's message at the price field
  await goInApp(page, "Recurring & alerts");
  const alertForm = page.getByRole("form", { name: "New price alert" });
  await alertForm.getByLabel("Symbol").fill(symbol);
  await alertForm.getByRole("textbox", { name: "Price" }).fill("-1");
  await alertForm.getByRole("textbox", { name: "Price" }).press("Enter");
  await expect(alertForm.getByRole("textbox", { name: "Price" })).toHaveAttribute("aria-invalid", "true");
  await alertForm.getByRole("textbox", { name: "Price" }).fill("150.00");
  await alertForm.getByRole("textbox", { name: "Price" }).press("Enter");
  await expect(page.getByRole("table", { name: "Alerts" })).toContainText(`${symbol} above 150.00`);

  // a recurring order: every week, in dollars
  const recurring = page.getByRole("form", { name: "New recurring order" });
  await recurring.getByLabel("Symbol").fill(symbol);
  await recurring.getByLabel("Amount (USD)").fill("25");
  await recurring.getByRole("button", { name: "Schedule" }).click();
  const rows = page.getByRole("table", { name: "Recurring orders" }).locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText("active");
  await rows.getByRole("button", { name: "Pause" }).click();
  await expect(rows).toContainText("paused");
  await shoot(page, "automation");
});
