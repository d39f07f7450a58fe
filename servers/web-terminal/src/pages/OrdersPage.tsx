import { Button, Group, Paper, SegmentedControl, Stack, Table, Text, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { describeError } from "../api/problem";
import { OrdersTable } from "../components/OrdersTable";
import { formatDateTime, formatMoney, formatPrice, formatQty } from "../lib/format";
import { times } from "../lib/decimal";
import { useFills, useOrderActions, useOrders, type OrderFilter } from "../trading/orders";

function FillsTable() {
  const fills = useFills();
  const items = fills.data ?? [];
  if (items.length === 0) return <Text c="dimmed">No fills yet.</Text>;
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table aria-label="Fills" fz="sm" verticalSpacing={4}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            <Table.Th>Fill</Table.Th>
            <Table.Th ta="right">Price</Table.Th>
            <Table.Th ta="right">Value</Table.Th>
            <Table.Th ta="right">Fee</Table.Th>
            <Table.Th>Liquidity</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((fill) => (
            <Table.Tr key={fill.id} data-testid="fill-row">
              <Table.Td>{formatDateTime(fill.created_at)}</Table.Td>
              <Table.Td>
                <Text span c={fill.side === "buy" ? "teal" : "red"} fw={600} size="sm">
                  {fill.side}
                </Text>{" "}
                {formatQty(fill.qty)} {fill.symbol}
              </Table.Td>
              <Table.Td ta="right">{formatPrice(fill.price)}</Table.Td>
              <Table.Td ta="right">{formatMoney(times(fill.qty, fill.price))}</Table.Td>
              <Table.Td ta="right">{fill.fee ? formatMoney(fill.fee) : "—"}</Table.Td>
              <Table.Td>{fill.liquidity}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function OrdersPage() {
  const [filter, setFilter] = useState<OrderFilter>("open");
  const orders = useOrders(filter);
  const { cancelAll } = useOrderActions();
  return (
    <Stack>
      <Title order={2}>Orders</Title>
      <Paper withBorder p="sm">
        <Group justify="space-between" mb="sm" wrap="wrap">
          <SegmentedControl
            aria-label="Which orders"
            value={filter}
            onChange={(v) => setFilter(v as OrderFilter)}
            data={[
              { value: "open", label: "Open" },
              { value: "closed", label: "Closed" },
              { value: "all", label: "All" },
            ]}
          />
          <Button
            color="red"
            variant="light"
            disabled={filter === "closed" || (orders.data ?? []).length === 0}
            loading={cancelAll.isPending}
            onClick={() =>
              cancelAll.mutate(undefined, {
                onError: (error) => notifications.show({ color: "red", title: "Cancel all", message: describeError(error) }),
              })
            }
          >
            Cancel all open
          </Button>
        </Group>
        <OrdersTable orders={orders.data ?? []} />
      </Paper>
      <Paper withBorder p="sm">
        <Title order={4} mb="xs">
          Fills
        </Title>
        <FillsTable />
      </Paper>
    </Stack>
  );
}
