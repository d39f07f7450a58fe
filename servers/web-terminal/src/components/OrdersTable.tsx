import { Badge, Button, Group, Modal, Stack, Table, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";
import { ApiError, describeError } from "../api/problem";
import type { Order } from "../api/types";
import { formatDateTime, formatPrice, formatQty } from "../lib/format";
import { isOpen, useOrderActions } from "../trading/orders";

const STATUS_COLOR: Record<string, string> = {
  filled: "teal",
  partially_filled: "cyan",
  new: "blue",
  pending_new: "gray",
  canceled: "gray",
  pending_cancel: "gray",
  rejected: "red",
  expired: "gray",
  replaced: "gray",
};

function describePrice(order: Order): string {
  const parts = [];
  if (order.limit_price) parts.push(`limit ${formatPrice(order.limit_price)}`);
  if (order.stop_price) parts.push(`stop ${formatPrice(order.stop_price)}`);
  if (order.trail_price) parts.push(`trail $${order.trail_price}`);
  if (order.trail_percent) parts.push(`trail ${order.trail_percent}%`);
  return parts.join(", ") || "market";
}

function ModifyDialog({ order, onClose }: { order: Order; onClose: () => void }) {
  const { replace } = useOrderActions();
  const [qty, setQty] = useState(order.qty ?? "");
  const [limit, setLimit] = useState(order.limit_price ?? "");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setGeneral(null);
    replace.mutate(
      { id: order.id, qty: qty !== order.qty ? qty : undefined, limit_price: limit !== order.limit_price ? limit : undefined },
      {
        onSuccess: () => {
          notifications.show({ message: `Order ${order.symbol} modified` });
          onClose();
        },
        onError: (error) => {
          if (error instanceof ApiError && Object.keys(error.fields).length) setErrors(error.fields);
          else setGeneral(describeError(error));
        },
      },
    );
  }

  return (
    <Modal opened onClose={onClose} title={`Modify ${order.side} ${order.symbol}`}>
      <Stack component="form" onSubmit={submit}>
        <TextInput label="Quantity" inputMode="decimal" value={qty} onChange={(e) => setQty(e.currentTarget.value)} error={errors.qty} data-autofocus />
        {order.limit_price !== null && (
          <TextInput label="Limit price" inputMode="decimal" value={limit} onChange={(e) => setLimit(e.currentTarget.value)} error={errors.limit_price} />
        )}
        {general && <Text c="red" role="alert">{general}</Text>}
        <Button type="submit" loading={replace.isPending}>
          Replace order
        </Button>
      </Stack>
    </Modal>
  );
}

export function OrdersTable({ orders, compact = false }: { orders: Order[]; compact?: boolean }) {
  const { cancel } = useOrderActions();
  const [editing, setEditing] = useState<Order | null>(null);
  if (orders.length === 0) return <Text c="dimmed">No orders.</Text>;
  return (
    <>
      <Table.ScrollContainer minWidth={compact ? 360 : 640}>
        <Table aria-label="Orders" fz="sm" verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr>
              {!compact && <Table.Th>Placed</Table.Th>}
              <Table.Th>Order</Table.Th>
              <Table.Th>Price</Table.Th>
              <Table.Th ta="right">Filled</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {orders.map((order) => (
              <Table.Tr key={order.id} data-testid={`order-${order.id}`}>
                {!compact && <Table.Td>{formatDateTime(order.created_at)}</Table.Td>}
                <Table.Td>
                  <Text span c={order.side === "buy" ? "teal" : "red"} fw={600} size="sm">
                    {order.side}
                  </Text>{" "}
                  {order.qty ? formatQty(order.qty) : `$${order.notional ?? ""}`} {order.symbol}{" "}
                  <Text span size="xs" c="dimmed">
                    {order.type} · {order.time_in_force}
                    {order.order_class && order.order_class !== "simple" ? ` · ${order.order_class}` : ""}
                  </Text>
                </Table.Td>
                <Table.Td>{describePrice(order)}</Table.Td>
                <Table.Td ta="right">
                  {formatQty(order.filled_qty)}
                  {order.filled_avg_price && ` @ ${formatPrice(order.filled_avg_price)}`}
                </Table.Td>
                <Table.Td>
                  <Badge color={STATUS_COLOR[order.status] ?? "gray"} variant="light" data-testid="order-status">
                    {order.status}
                  </Badge>
                  {order.reject_reason && (
                    <Text size="xs" c="red">
                      {order.reject_reason.replace(/_/g, " ")}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {isOpen(order) && order.status !== "pending_cancel" && (
                    <Group gap={4} wrap="nowrap">
                      <Button size="compact-xs" variant="default" onClick={() => setEditing(order)}>
                        Modify
                      </Button>
                      <Button
                        size="compact-xs"
                        color="red"
                        variant="light"
                        onClick={() =>
                          cancel.mutate(order.id, {
                            onError: (error) => notifications.show({ color: "red", title: "Cancel failed", message: describeError(error) }),
                          })
                        }
                      >
                        Cancel
                      </Button>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {editing && <ModifyDialog order={editing} onClose={() => setEditing(null)} />}
    </>
  );
}
