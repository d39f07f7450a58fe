import { Badge, Button, Group, Paper, SegmentedControl, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../api/http";
import type { Notification, NotificationPage } from "../api/types";
import { formatDateTime } from "../lib/format";

export function NotificationsPage() {
  const [which, setWhich] = useState<"all" | "unread">("all");
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ["notifications", which],
    queryFn: () => api<NotificationPage>("/notifications", { query: { unread: which === "unread" ? true : undefined, limit: 100 } }),
  });
  const refresh = () => void client.invalidateQueries({ queryKey: ["notifications"] });
  const markRead = useMutation({
    mutationFn: (id: string) => api<Notification>(`/notifications/${id}/read`, { method: "POST" }),
    onSuccess: refresh,
  });
  const markAll = useMutation({ mutationFn: () => api("/notifications/read-all", { method: "POST" }), onSuccess: refresh });

  const items = list.data?.items ?? [];
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>Notifications</Title>
        <Group>
          <SegmentedControl
            aria-label="Which notifications"
            value={which}
            onChange={(v) => setWhich(v as "all" | "unread")}
            data={[
              { value: "all", label: "All" },
              { value: "unread", label: `Unread (${list.data?.unread_count ?? 0})` },
            ]}
          />
          <Button variant="default" onClick={() => markAll.mutate()} loading={markAll.isPending} disabled={!list.data?.unread_count}>
            Mark all read
          </Button>
        </Group>
      </Group>
      {items.length === 0 && <Text c="dimmed">Nothing here yet.</Text>}
      {items.map((n) => (
        <Paper key={n.id} withBorder p="sm" data-testid="notification">
          <Group justify="space-between" wrap="nowrap" align="flex-start">
            <div>
              <Group gap="xs">
                <Text fw={n.read_at ? 400 : 700}>{n.title}</Text>
                <Badge size="xs" variant="light">
                  {n.type}
                </Badge>
              </Group>
              <Text size="sm">{n.body}</Text>
              <Text size="xs" c="dimmed">
                {formatDateTime(n.created_at)}
              </Text>
            </div>
            {!n.read_at && (
              <Button size="compact-xs" variant="subtle" onClick={() => markRead.mutate(n.id)}>
                Mark read
              </Button>
            )}
          </Group>
        </Paper>
      ))}
    </Stack>
  );
}
