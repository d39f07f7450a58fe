import { expect, test, type Page } from "@playwright/test";
import Decimal from "decimal.js";
import { freshSymbol, goInApp, screenshot, shoot, signUp, submitAmount, uniqueEmail } from "./helpers";

/** Two people, two browser contexts: a seller transfers shares in and offers them with a
 * limit sell; a buyer deposits and buys through the ticket. Both see the trade on the chart
 * and the tape, the order filled, the position and cash change, all without a reload. */

async function markNoReload(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __noReload: boolean }).__noReload = true;
  });
}

async function expectNoReload(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
}

/** The cash the account should show: start + amount - the fee of the page user's fill
 * (read from the API with the session the page holds; 0 when the stack charges none). */
async function cashAfterFill(page: Page, start: string, amount: string): Promise<string> {
  const fees = await page.evaluate(async () => {
    const stored = JSON.parse(localStorage.getItem("bourse.session") ?? "{}") as { access?: string };
    const response = await fetch("/api/v1/fills", { headers: { Authorization: `Bearer ${stored.access ?? ""}` } });
    const body = (await response.json()) as { items: { fee?: string | null }[] };
    return body.items.map((fill) => fill.fee ?? "0");
  });
  expect(fees).toHaveLength(1);
  const cash = new Decimal(start).plus(amount).minus(fees[0] ?? "0");
  return `$${cash.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
}

async function ticket(page: Page) {
  return page.getByRole("form", { name: "Order ticket" });
}

test("two traders: limit sell, ticket buy, live fills everywhere, session survives reload", async ({ browser, request }) => {
  const symbol = await freshSymbol(request);
  const viewport = { width: 1280, height: 1000 };
  const seller = await (await browser.newContext({ viewport })).newPage();
  const buyer = await (await browser.newContext({ viewport })).newPage();

  // --- the seller: sign up, deposit, transfer shares in, offer 5 at 100.00
  await seller.goto("/login");
  await expect(seller.getByRole("heading", { name: "Sign in to Bourse" })).toBeVisible();
  await seller.screenshot({ path: screenshot("login") });
  await signUp(seller, uniqueEmail("seller"));
  await markNoReload(seller);
  await goInApp(seller, "Account & portfolio");
  await submitAmount(seller, "Deposit cash", { "Amount (USD)": "1000" });
  await expect(seller.getByTestId("cash")).toHaveText("$1,000.00");
  await submitAmount(seller, "Transfer shares in", { Symbol: symbol, Quantity: "10" });
  await expect(seller.getByTestId(`holding-${symbol}`).getByTestId("holding-qty")).toHaveText("10");

  await goInApp(seller, "Markets");
  await seller.getByLabel("Search").fill(symbol);
  await seller.getByRole("link", { name: symbol, exact: true }).click();
  const sellTicket = await ticket(seller);
  await sellTicket.locator("label", { hasText: /^Sell$/ }).click();
  await sellTicket.getByLabel("Order type").selectOption("limit");
  await sellTicket.getByLabel("Time in force").selectOption("gtc");
  await sellTicket.getByLabel("Quantity").fill("5");
  await sellTicket.getByLabel("Limit price").fill("100.00");
  await expect(sellTicket.getByTestId("estimated-cost")).toHaveText("$500.00");
  await sellTicket.getByLabel("Limit price").press("Enter");
  await expect(sellTicket.getByTestId("order-sent")).toContainText("sell 5");
  await expect(seller.getByTestId("book-ask").first()).toContainText("100.00");
  // a second offer further up stays resting after the trade
  await sellTicket.getByLabel("Quantity").fill("5");
  await sellTicket.getByLabel("Limit price").fill("101.00");
  await sellTicket.getByRole("button", { name: `Sell ${symbol}` }).click();
  await expect(seller.getByTestId("book-ask")).toHaveCount(2);

  // --- the buyer: sign up, deposit, see the offer live, try an off-tick price, then buy
  await signUp(buyer, uniqueEmail("buyer"));
  await markNoReload(buyer);
  await goInApp(buyer, "Account & portfolio");
  await submitAmount(buyer, "Deposit cash", { "Amount (USD)": "2000" });
  await expect(buyer.getByTestId("cash")).toHaveText("$2,000.00");
  await goInApp(buyer, "Markets");
  await buyer.getByLabel("Search").fill(symbol);
  await buyer.getByRole("link", { name: symbol, exact: true }).click();
  await expect(buyer.getByTestId("quote-ask")).toContainText("100.00");
  await expect(buyer.getByTestId("book-ask").last()).toContainText("100.00"); // best ask, nearest the spread

  const buyTicket = await ticket(buyer);
  await expect(buyTicket.getByTestId("buying-power")).toHaveText("$2,000.00");
  await buyTicket.getByLabel("Order type").selectOption("limit");
  await buyTicket.getByLabel("Quantity").fill("5");
  await buyTicket.getByLabel("Limit price").fill("100.005");
  await buyTicket.getByRole("button", { name: `Buy ${symbol}` }).click();
  // the API's own words (422 invalid_tick_size), at the limit price field
  const limitField = buyTicket.getByLabel("Limit price");
  await expect(limitField).toHaveAttribute("aria-invalid", "true");
  await expect(buyTicket.getByText(/limit_price 100\.005 is not a multiple of 0\.01/)).toBeVisible();
  await shoot(buyer, "ticket-error");

  await limitField.fill("100.00");
  await expect(buyTicket.getByTestId("estimated-cost")).toHaveText("$500.00");
  await limitField.press("Enter");

  // --- both see the trade: tape, chart, last price; no reload anywhere
  for (const page of [buyer, seller]) {
    await expect(page.getByTestId("tape-row").first()).toContainText("100.00");
    await expect(page.getByTestId("chart-last")).toContainText(/C 100(\.0+)? V 5/);
    await expect(page.getByTestId("quote-last")).toHaveText("100.00");
  }
  // the filled sell left the seller's open orders; the one at 101 rests, alone in the book
  const sellerOpen = seller.getByRole("table", { name: "Orders" }).locator("tbody tr");
  await expect(sellerOpen).toHaveCount(1);
  await expect(sellerOpen).toContainText("limit 101.00");
  for (const page of [buyer, seller]) await expect(page.getByTestId("book-ask")).toHaveCount(1);
  await shoot(buyer, "symbol-page");

  // the order turned filled, in the orders list
  for (const page of [seller, buyer]) {
    await goInApp(page, "Orders");
    await page.locator("label", { hasText: /^All$/ }).click();
    const row = page.getByRole("table", { name: "Orders" }).getByRole("row").filter({ hasText: "limit 100.00" });
    await expect(row.getByTestId("order-status")).toHaveText("filled");
    await expect(row).toContainText("5 @ 100.00");
    await expect(page.getByTestId("fill-row").first()).toContainText(symbol);
  }
  await shoot(buyer, "orders");

  // position and cash changed: each pays 500 for 5 at 100 plus the fee its fill carries
  await goInApp(buyer, "Account & portfolio");
  await expect(buyer.getByTestId(`position-${symbol}`).getByTestId("position-qty")).toHaveText("5");
  await expect(buyer.getByTestId("cash")).toHaveText(await cashAfterFill(buyer, "2000", "-500"));
  await goInApp(seller, "Account & portfolio");
  await expect(seller.getByTestId("cash")).toHaveText(await cashAfterFill(seller, "1000", "500"));
  await expect(seller.getByTestId(`holding-${symbol}`).getByTestId("holding-qty")).toHaveText("5"); // 10 - 5 sold
  await expectNoReload(seller);
  await expectNoReload(buyer);
  await shoot(buyer, "portfolio");

  // the session survives a reload (the refresh token is kept; the access token renewed)
  await buyer.reload();
  await expect(buyer.getByRole("heading", { name: "Account & portfolio" })).toBeVisible();
  await expect(buyer.getByTestId(`position-${symbol}`).getByTestId("position-qty")).toHaveText("5");
});

test("a phone-sized screen: the navigation folds into a menu", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signUp(page, uniqueEmail("phone"));
  await expect(page.getByRole("button", { name: "Toggle navigation" })).toBeVisible();
  await goInApp(page, "Orders");
  await expect(page.getByRole("heading", { name: "Orders" })).toBeVisible();
  await goInApp(page, "Markets");
  await expect(page.getByRole("heading", { name: "Markets" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Symbols" })).toBeVisible();
  await shoot(page, "markets-phone");
});
