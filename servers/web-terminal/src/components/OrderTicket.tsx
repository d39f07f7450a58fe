import { Alert, Button, Group, NativeSelect, Paper, SegmentedControl, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { ApiError, describeError } from "../api/problem";
import type { Account, Order, OrderClass, OrderType, TimeInForce } from "../api/types";
import { formatMoney, formatQty } from "../lib/format";
import {
  buildOrder,
  estimatedFee,
  estimatedTotal,
  estimatedValue,
  initialTicket,
  ORDER_CLASSES,
  ORDER_TYPES,
  TIME_IN_FORCE,
  visibleFields,
  type MarketPrices,
  type TicketErrors,
  type TicketState,
} from "../trading/ticket";

interface Props {
  symbol: string;
  prices: MarketPrices;
  account: Account | undefined;
  placeOrder: (body: Record<string, unknown>) => Promise<Order>;
  /** a price picked on the book, copied into the limit price */
  pickedPrice?: string | null;
  /** the instrument's taker fee (basis points), when known */
  takerFeeBps?: number;
}

const TICKET_FIELDS = new Set([
  "qty",
  "notional",
  "limit_price",
  "stop_price",
  "trail_price",
  "trail_percent",
  "time_in_force",
  "type",
  "order_class",
  "take_profit.limit_price",
  "stop_loss.stop_price",
  "stop_loss.limit_price",
  "client_order_id",
]);

const ERROR_KEY: Partial<Record<keyof TicketState, string>> = {
  take_profit_limit: "take_profit.limit_price",
  stop_loss_stop: "stop_loss.stop_price",
  stop_loss_limit: "stop_loss.limit_price",
};

export function OrderTicket({ symbol, prices, account, placeOrder, pickedPrice, takerFeeBps }: Props) {
  const [state, setState] = useState<TicketState>(initialTicket);
  const [errors, setErrors] = useState<TicketErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [placed, setPlaced] = useState<Order | null>(null);
  const [busy, setBusy] = useState(false);
  const [lastPick, setLastPick] = useState<string | null>(null);

  if (pickedPrice && pickedPrice !== lastPick) {
    setLastPick(pickedPrice);
    setState((s) => ({ ...s, limit_price: pickedPrice }));
  }

  const fields = visibleFields(state);
  const estimate = estimatedValue(state, prices);
  const fee = estimatedFee(estimate, takerFeeBps);
  const total = estimatedTotal(state.side, estimate, fee);
  const holding = account?.holdings.find((h) => h.symbol === symbol);

  function set<K extends keyof TicketState>(key: K, value: TicketState[K]) {
    setState((s) => ({ ...s, [key]: value }));
    const errorKey = ERROR_KEY[key] ?? key;
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([field]) => field !== errorKey)));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setGeneral(null);
    setPlaced(null);
    const { body, errors: found } = buildOrder(symbol, state);
    setErrors(found);
    if (!body) return;
    setBusy(true);
    try {
      const order = await placeOrder(body);
      setPlaced(order);
      setState((s) => ({ ...s, qty: "", notional: "", client_order_id: "" }));
    } catch (caught) {
      if (caught instanceof ApiError) {
        const atFields = Object.fromEntries(Object.entries(caught.fields).filter(([field]) => TICKET_FIELDS.has(field)));
        setErrors(atFields);
        if (Object.keys(atFields).length === 0) setGeneral(describeError(caught));
      } else {
        setGeneral(describeError(caught));
      }
    } finally {
      setBusy(false);
    }
  }

  const input = (field: keyof TicketState, errorKey: string, label: string, extra: Partial<{ description: string; placeholder: string }> = {}) => (
    <TextInput
      label={label}
      inputMode="decimal"
      autoComplete="off"
      value={state[field]}
      onChange={(e) => set(field, e.currentTarget.value as never)}
      error={errors[errorKey]}
      {...extra}
    />
  );

  return (
    <Paper withBorder p="md" component="form" onSubmit={(e) => void submit(e)} aria-label="Order ticket">
      <Stack gap="sm">
        <Title order={4}>Trade {symbol}</Title>
        <SegmentedControl
          fullWidth
          aria-label="Side"
          value={state.side}
          color={state.side === "buy" ? "teal" : "red"}
          onChange={(v) => set("side", v as TicketState["side"])}
          data={[
            { value: "buy", label: "Buy" },
            { value: "sell", label: "Sell" },
          ]}
        />
        <SimpleGrid cols={2}>
          <NativeSelect label="Order type" value={state.type} onChange={(e) => set("type", e.currentTarget.value as OrderType)} data={ORDER_TYPES} error={errors.type} />
          <NativeSelect
            label="Time in force"
            value={state.time_in_force}
            onChange={(e) => set("time_in_force", e.currentTarget.value as TimeInForce)}
            data={TIME_IN_FORCE}
            error={errors.time_in_force}
          />
        </SimpleGrid>
        {fields.notionalAllowed && (
          <SegmentedControl
            aria-label="Size by"
            size="xs"
            value={state.sizing}
            onChange={(v) => set("sizing", v as TicketState["sizing"])}
            data={[
              { value: "qty", label: "Shares" },
              { value: "notional", label: "Dollars" },
            ]}
          />
        )}
        {fields.qty && input("qty", "qty", "Quantity", { placeholder: "Shares" })}
        {fields.notional && input("notional", "notional", "Amount (USD)", { placeholder: "e.g. 500.00" })}
        {fields.limit_price && input("limit_price", "limit_price", "Limit price")}
        {fields.stop_price && input("stop_price", "stop_price", "Stop price")}
        {fields.trail && (
          <>
            <SegmentedControl
              aria-label="Trail by"
              size="xs"
              value={state.trail}
              onChange={(v) => set("trail", v as TicketState["trail"])}
              data={[
                { value: "price", label: "Trail $" },
                { value: "percent", label: "Trail %" },
              ]}
            />
            {state.trail === "price"
              ? input("trail_price", "trail_price", "Trail amount ($)")
              : input("trail_percent", "trail_percent", "Trail percent (%)")}
          </>
        )}
        <NativeSelect
          label="Order class"
          value={state.order_class}
          onChange={(e) => set("order_class", e.currentTarget.value as OrderClass)}
          data={ORDER_CLASSES}
          error={errors.order_class}
        />
        {fields.take_profit && input("take_profit_limit", "take_profit.limit_price", "Take-profit limit price")}
        {fields.stop_loss && (
          <SimpleGrid cols={2}>
            {input("stop_loss_stop", "stop_loss.stop_price", "Stop-loss stop price")}
            {input("stop_loss_limit", "stop_loss.limit_price", "Stop-loss limit (optional)")}
          </SimpleGrid>
        )}
        <TextInput
          label="Client order id (optional)"
          value={state.client_order_id}
          onChange={(e) => set("client_order_id", e.currentTarget.value)}
          error={errors.client_order_id}
          autoComplete="off"
        />
        <Group justify="space-between">
          <Text size="sm">{state.side === "buy" ? "Estimated cost" : "Estimated proceeds"} (before fees)</Text>
          <Text size="sm" fw={600} data-testid="estimated-cost">
            {formatMoney(estimate)}
          </Text>
        </Group>
        {takerFeeBps !== undefined && (
          <>
            <Group justify="space-between">
              <Text size="sm">Estimated fee ({takerFeeBps} bps)</Text>
              <Text size="sm" fw={600} data-testid="estimated-fee">
                {formatMoney(fee)}
              </Text>
            </Group>
            <Group justify="space-between">
              <Text size="sm">{state.side === "buy" ? "Estimated total" : "Estimated net proceeds"}</Text>
              <Text size="sm" fw={600} data-testid="estimated-total">
                {formatMoney(total)}
              </Text>
            </Group>
          </>
        )}
        <Group justify="space-between">
          <Text size="sm">{state.side === "buy" ? "Buying power" : `${symbol} available`}</Text>
          <Text size="sm" fw={600} data-testid="buying-power">
            {state.side === "buy" ? formatMoney(account?.buying_power) : formatQty(holding?.available_qty ?? "0")}
          </Text>
        </Group>
        {general && (
          <Alert color="red" role="alert" title="Order not placed">
            {general}
          </Alert>
        )}
        {placed && (
          <Alert color="teal" title="Order sent" data-testid="order-sent">
            {placed.side} {placed.qty ? formatQty(placed.qty) : formatMoney(placed.notional)} {placed.symbol} ({placed.type}); follow it
            below and in Orders.
          </Alert>
        )}
        <Button type="submit" loading={busy} color={state.side === "buy" ? "teal" : "red"}>
          {state.side === "buy" ? "Buy" : "Sell"} {symbol}
        </Button>
      </Stack>
    </Paper>
  );
}
