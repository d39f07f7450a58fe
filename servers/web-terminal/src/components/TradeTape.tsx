import { ScrollArea, Table, Text } from "@mantine/core";
import type { Trade } from "../api/types";
import { formatPrice, formatQty, formatTime } from "../lib/format";

export function TradeTape({ trades }: { trades: Trade[] }) {
  if (trades.length === 0) return <Text c="dimmed">No trades yet.</Text>;
  return (
    <ScrollArea h={260}>
      <Table aria-label="Trades" verticalSpacing={2} fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            <Table.Th ta="right">Price</Table.Th>
            <Table.Th ta="right">Qty</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {trades.map((trade) => (
            <Table.Tr key={trade.seq} data-testid="tape-row">
              <Table.Td>{formatTime(trade.ts)}</Table.Td>
              <Table.Td ta="right" c={trade.taker_side === "buy" ? "teal" : "red"}>
                {formatPrice(trade.price)}
              </Table.Td>
              <Table.Td ta="right">{formatQty(trade.qty)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollArea>
  );
}
