import { Anchor, Grid, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api } from "../api/http";
import { AmountForm } from "../components/AmountForm";
import { EquityChart } from "../components/EquityChart";
import { dec } from "../lib/decimal";
import { formatMoney, formatPrice, formatQty, formatSigned, trendColor } from "../lib/format";
import { useAccount } from "../market/queries";
import { usePortfolio } from "../trading/usePortfolio";

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="lg" data-testid={testId}>
        {value}
      </Text>
    </Paper>
  );
}

export function AccountPage() {
  const account = useAccount();
  const portfolio = usePortfolio();
  const client = useQueryClient();
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ["account"] });
    void client.invalidateQueries({ queryKey: ["portfolio"] });
  };
  const positions = portfolio.data?.positions ?? [];
  const holdings = account.data?.holdings ?? [];

  return (
    <Stack>
      <Title order={2}>Account & portfolio</Title>
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Figure label="Equity" value={formatMoney(portfolio.data?.equity)} testId="equity" />
        <Figure label="Cash" value={formatMoney(account.data?.cash)} testId="cash" />
        <Figure label="Reserved cash" value={formatMoney(account.data?.reserved_cash)} testId="reserved-cash" />
        <Figure label="Buying power" value={formatMoney(account.data?.buying_power)} testId="account-buying-power" />
      </SimpleGrid>
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <AmountForm
            title="Deposit cash"
            fields={[{ name: "amount", label: "Amount (USD)", placeholder: "1000.00", decimal: true }]}
            submitLabel="Deposit"
            onSubmit={(v) => api("/account/deposits", { method: "POST", body: v, idempotent: true }).then(refresh)}
            success={(v) => `Deposited ${formatMoney(v.amount)}`}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <AmountForm
            title="Withdraw cash"
            fields={[{ name: "amount", label: "Amount (USD)", placeholder: "100.00", decimal: true }]}
            submitLabel="Withdraw"
            onSubmit={(v) => api("/account/withdrawals", { method: "POST", body: v, idempotent: true }).then(refresh)}
            success={(v) => `Withdrew ${formatMoney(v.amount)}`}
          />
        </Grid.Col>
        <Grid.Col span={12}>
          <AmountForm
            title="Transfer shares in"
            fields={[
              { name: "symbol", label: "Symbol", placeholder: "ACME" },
              { name: "qty", label: "Quantity", placeholder: "10", decimal: true },
            ]}
            submitLabel="Transfer in"
            onSubmit={(v) =>
              api("/account/securities-deposits", { method: "POST", body: { symbol: v.symbol?.toUpperCase(), qty: v.qty }, idempotent: true }).then(refresh)
            }
            success={(v) => `Transferred in ${v.qty} ${v.symbol?.toUpperCase()}`}
          />
        </Grid.Col>
      </Grid>
      <Paper withBorder p="sm">
        <Title order={4} mb="xs">
          Positions (live)
        </Title>
        {positions.length === 0 ? (
          <Text c="dimmed">No positions.</Text>
        ) : (
          <Table.ScrollContainer minWidth={600}>
            <Table aria-label="Positions" fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Symbol</Table.Th>
                  <Table.Th ta="right">Qty</Table.Th>
                  <Table.Th ta="right">Avg cost</Table.Th>
                  <Table.Th ta="right">Price</Table.Th>
                  <Table.Th ta="right">Value</Table.Th>
                  <Table.Th ta="right">Unrealized P&L</Table.Th>
                  <Table.Th ta="right">Realized P&L</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {positions.map((p) => (
                  <Table.Tr key={p.symbol} data-testid={`position-${p.symbol}`}>
                    <Table.Td>
                      <Anchor component={Link} to={`/symbols/${p.symbol}`}>
                        {p.symbol}
                      </Anchor>
                    </Table.Td>
                    <Table.Td ta="right" data-testid="position-qty">
                      {formatQty(p.qty)}
                    </Table.Td>
                    <Table.Td ta="right">{formatPrice(p.avg_cost)}</Table.Td>
                    <Table.Td ta="right">{formatPrice(p.market_price)}</Table.Td>
                    <Table.Td ta="right">{formatMoney(p.market_value)}</Table.Td>
                    <Table.Td ta="right" c={trendColor(dec(p.unrealized_pl))}>
                      {formatSigned(dec(p.unrealized_pl))}
                    </Table.Td>
                    <Table.Td ta="right" c={trendColor(dec(p.realized_pl))}>
                      {formatSigned(dec(p.realized_pl))}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
      <Paper withBorder p="sm">
        <Title order={4} mb="xs">
          Holdings (settlement)
        </Title>
        {holdings.length === 0 ? (
          <Text c="dimmed">No shares held.</Text>
        ) : (
          <Table aria-label="Holdings" fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Symbol</Table.Th>
                <Table.Th ta="right">Qty</Table.Th>
                <Table.Th ta="right">Reserved</Table.Th>
                <Table.Th ta="right">Available</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {holdings.map((h) => (
                <Table.Tr key={h.symbol} data-testid={`holding-${h.symbol}`}>
                  <Table.Td>{h.symbol}</Table.Td>
                  <Table.Td ta="right" data-testid="holding-qty">
                    {formatQty(h.qty)}
                  </Table.Td>
                  <Table.Td ta="right">{formatQty(h.reserved_qty)}</Table.Td>
                  <Table.Td ta="right">{formatQty(h.available_qty)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Paper>
      <Paper withBorder p="sm">
        <Title order={4} mb="xs">
          Equity history
        </Title>
        <EquityChart equityNow={portfolio.data?.equity} />
      </Paper>
    </Stack>
  );
}
