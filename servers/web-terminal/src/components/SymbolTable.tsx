import { ActionIcon, Anchor, Menu, Table, Text } from "@mantine/core";
import { Link } from "react-router";
import type { Instrument, Snapshot, Watchlist } from "../api/types";
import { change } from "../lib/decimal";
import { formatPercent, formatPrice, formatSigned, trendColor } from "../lib/format";
import { useLiveTop } from "../market/live";

interface RowProps {
  instrument: Instrument;
  snapshot: Snapshot | undefined;
  watchlists: Watchlist[];
  onAdd: (watchlistId: string, symbol: string) => void;
  onRemove?: (symbol: string) => void;
}

function SymbolRow({ instrument, snapshot, watchlists, onAdd, onRemove }: RowProps) {
  const quote = snapshot?.latest_quote;
  const top = useLiveTop(instrument.symbol, {
    last: snapshot?.latest_trade?.price ?? instrument.last_price,
    bid: quote?.bid ?? null,
    ask: quote?.ask ?? null,
    bidSize: quote?.bid_size ?? null,
    askSize: quote?.ask_size ?? null,
  });
  const reference = snapshot?.prev_daily_bar?.close ?? snapshot?.daily_bar?.open ?? null;
  const moved = change(top.last, reference);
  return (
    <Table.Tr data-testid={`row-${instrument.symbol}`}>
      <Table.Td>
        <Anchor component={Link} to={`/symbols/${instrument.symbol}`} fw={600}>
          {instrument.symbol}
        </Anchor>
        <Text size="xs" c="dimmed" visibleFrom="sm">
          {instrument.name}
        </Text>
      </Table.Td>
      <Table.Td ta="right" data-testid="last">
        {formatPrice(top.last)}
      </Table.Td>
      <Table.Td ta="right" c={trendColor(moved?.amount ?? null)}>
        {formatSigned(moved?.amount ?? null)} <Text span size="xs">({formatPercent(moved?.percent ?? null)})</Text>
      </Table.Td>
      <Table.Td ta="right" visibleFrom="sm">
        {formatPrice(top.bid)}
      </Table.Td>
      <Table.Td ta="right" visibleFrom="sm">
        {formatPrice(top.ask)}
      </Table.Td>
      <Table.Td ta="right">
        {onRemove ? (
          <ActionIcon variant="subtle" color="red" aria-label={`Remove ${instrument.symbol} from watchlist`} onClick={() => onRemove(instrument.symbol)}>
            ×
          </ActionIcon>
        ) : (
          <Menu>
            <Menu.Target>
              <ActionIcon variant="subtle" aria-label={`Add ${instrument.symbol} to a watchlist`} disabled={watchlists.length === 0}>
                +
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              {watchlists.map((list) => (
                <Menu.Item key={list.id} onClick={() => onAdd(list.id, instrument.symbol)}>
                  {list.name}
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

interface TableProps {
  instruments: Instrument[];
  snapshots: Record<string, Snapshot> | undefined;
  watchlists: Watchlist[];
  onAdd: (watchlistId: string, symbol: string) => void;
  onRemove?: (symbol: string) => void;
}

export function SymbolTable({ instruments, snapshots, watchlists, onAdd, onRemove }: TableProps) {
  return (
    <Table striped highlightOnHover aria-label="Symbols">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Symbol</Table.Th>
          <Table.Th ta="right">Last</Table.Th>
          <Table.Th ta="right">Change</Table.Th>
          <Table.Th ta="right" visibleFrom="sm">
            Bid
          </Table.Th>
          <Table.Th ta="right" visibleFrom="sm">
            Ask
          </Table.Th>
          <Table.Th />
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {instruments.map((instrument) => (
          <SymbolRow
            key={instrument.symbol}
            instrument={instrument}
            snapshot={snapshots?.[instrument.symbol]}
            watchlists={watchlists}
            onAdd={onAdd}
            onRemove={onRemove}
          />
        ))}
      </Table.Tbody>
    </Table>
  );
}
