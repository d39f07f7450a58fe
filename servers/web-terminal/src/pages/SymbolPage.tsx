import { Alert, Grid, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useState } from "react";
import { useParams } from "react-router";
import { describeError } from "../api/problem";
import { OrderBook } from "../components/OrderBook";
import { OrdersTable } from "../components/OrdersTable";
import { OrderTicket } from "../components/OrderTicket";
import { PriceChart } from "../components/PriceChart";
import { TradeTape } from "../components/TradeTape";
import { formatPrice, formatQty } from "../lib/format";
import { useLiveBook, useLiveTop, useLiveTrades } from "../market/live";
import { useAccount, useInstrument, useQuoteQuery, useTradesQuery } from "../market/queries";
import { useOrders, usePlaceOrder } from "../trading/orders";

export function SymbolPage() {
  const symbol = (useParams().symbol ?? "").toUpperCase();
  return <SymbolView key={symbol} symbol={symbol} />;
}

function SymbolView({ symbol }: { symbol: string }) {
  const instrument = useInstrument(symbol);
  const quote = useQuoteQuery(symbol);
  const trades = useTradesQuery(symbol);
  const account = useAccount();
  const orders = useOrders("open", symbol);
  const placeOrder = usePlaceOrder();
  const { book } = useLiveBook(symbol);
  const tape = useLiveTrades(symbol, trades.data);
  const [picked, setPicked] = useState<string | null>(null);
  const top = useLiveTop(symbol, {
    last: quote.data?.last ?? instrument.data?.last_price ?? null,
    bid: quote.data?.bid ?? null,
    ask: quote.data?.ask ?? null,
    bidSize: quote.data?.bid_size ?? null,
    askSize: quote.data?.ask_size ?? null,
  });

  if (instrument.isError) return <Alert color="red">{describeError(instrument.error)}</Alert>;

  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <div>
          <Title order={2}>{symbol}</Title>
          <Text c="dimmed" size="sm">
            {instrument.data?.name} · tick {instrument.data?.tick_size} · lot {instrument.data?.lot_size}
            {instrument.data && instrument.data.status !== "trading" && ` · ${instrument.data.status}`}
          </Text>
        </div>
        <Group gap="lg" aria-label="Quote">
          <div>
            <Text size="xs" c="dimmed">
              Last
            </Text>
            <Text fw={700} size="xl" data-testid="quote-last">
              {formatPrice(top.last)}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              Bid
            </Text>
            <Text c="teal" data-testid="quote-bid">
              {formatPrice(top.bid)} × {formatQty(top.bidSize)}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              Ask
            </Text>
            <Text c="red" data-testid="quote-ask">
              {formatPrice(top.ask)} × {formatQty(top.askSize)}
            </Text>
          </div>
        </Group>
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Stack>
            <Paper withBorder p="sm">
              <PriceChart symbol={symbol} />
            </Paper>
            <Grid>
              <Grid.Col span={{ base: 12, sm: 6 }}>
                <Paper withBorder p="sm">
                  <Title order={5}>Order book</Title>
                  <OrderBook book={book} onPickPrice={setPicked} />
                </Paper>
              </Grid.Col>
              <Grid.Col span={{ base: 12, sm: 6 }}>
                <Paper withBorder p="sm" data-testid="tape">
                  <Title order={5}>Trades</Title>
                  <TradeTape trades={tape} />
                </Paper>
              </Grid.Col>
            </Grid>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Stack>
            <OrderTicket
              symbol={symbol}
              prices={{ bid: top.bid, ask: top.ask, last: top.last }}
              account={account.data}
              placeOrder={placeOrder}
              pickedPrice={picked}
              takerFeeBps={instrument.data?.taker_fee_bps}
            />
            <Paper withBorder p="sm">
              <Title order={5}>Your open {symbol} orders</Title>
              <OrdersTable orders={orders.data ?? []} compact />
            </Paper>
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
