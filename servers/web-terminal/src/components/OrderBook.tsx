import { Table, Text } from "@mantine/core";
import type { Level } from "../api/types";
import { formatPrice, formatQty } from "../lib/format";
import { sortedLevels, type BookState } from "../market/book";

interface Props {
  book: BookState | null;
  depth?: number;
  onPickPrice?: (price: string) => void;
}

function Rows({ levels, side, onPickPrice }: { levels: Level[]; side: "bid" | "ask"; onPickPrice?: (price: string) => void }) {
  return (
    <>
      {levels.map(([price, qty]) => (
        <Table.Tr key={`${side}-${price}`} data-testid={`book-${side}`}>
          <Table.Td c={side === "bid" ? "teal" : "red"} ta="right">
            {onPickPrice ? (
              <Text
                span
                inherit
                style={{ cursor: "pointer" }}
                role="button"
                tabIndex={0}
                aria-label={`Use price ${price}`}
                onClick={() => onPickPrice(price)}
                onKeyDown={(e) => e.key === "Enter" && onPickPrice(price)}
              >
                {formatPrice(price)}
              </Text>
            ) : (
              formatPrice(price)
            )}
          </Table.Td>
          <Table.Td ta="right">{formatQty(qty)}</Table.Td>
        </Table.Tr>
      ))}
    </>
  );
}

/** Asks above (best at the bottom), bids below (best on top), as a ladder reads. */
export function OrderBook({ book, depth = 10, onPickPrice }: Props) {
  const { bids, asks } = sortedLevels(book, depth);
  if (!book) return <Text c="dimmed">Loading the book…</Text>;
  return (
    <Table aria-label="Order book" verticalSpacing={2} fz="sm">
      <Table.Thead>
        <Table.Tr>
          <Table.Th ta="right">Price</Table.Th>
          <Table.Th ta="right">Qty</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        <Rows levels={[...asks].reverse()} side="ask" onPickPrice={onPickPrice} />
        <Table.Tr>
          <Table.Td colSpan={2} ta="center">
            <Text size="xs" c="dimmed">
              {bids.length || asks.length ? "— spread —" : "The book is empty"}
            </Text>
          </Table.Td>
        </Table.Tr>
        <Rows levels={bids} side="bid" onPickPrice={onPickPrice} />
      </Table.Tbody>
    </Table>
  );
}
