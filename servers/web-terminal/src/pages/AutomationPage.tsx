import { Alert as Notice, Badge, Button, Group, NativeSelect, Paper, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";
import { ApiError, describeError } from "../api/problem";
import { formatDateTime, formatPrice } from "../lib/format";
import { recurringBody, useAlerts, useAutomationActions, useRecurring, type RecurringForm } from "../trading/automation";

const fail = (title: string) => (error: unknown) => notifications.show({ color: "red", title, message: describeError(error) });

function fieldsOf(error: unknown): { fields: Record<string, string>; general: string | null } {
  if (error instanceof ApiError && Object.keys(error.fields).length) return { fields: error.fields, general: null };
  return { fields: {}, general: describeError(error) };
}

function RecurringSection() {
  const list = useRecurring();
  const actions = useAutomationActions();
  const [form, setForm] = useState<RecurringForm>({
    symbol: "",
    side: "buy",
    sizing: "notional",
    amount: "",
    mode: "frequency",
    frequency: "weekly",
    at: "10:00",
    day_of_week: "monday",
    day_of_month: "1",
    cron: "",
    timezone: "",
  });
  const [errors, setErrors] = useState<{ fields: Record<string, string>; general: string | null }>({ fields: {}, general: null });
  const set = (key: keyof RecurringForm) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setForm((f) => ({ ...f, [key]: value }));
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({ fields: {}, general: null });
    actions.createRecurring.mutate(recurringBody(form), {
      onSuccess: (created) => notifications.show({ color: "teal", message: `Recurring ${created.side} ${created.symbol} scheduled` }),
      onError: (error) => setErrors(fieldsOf(error)),
    });
  }

  const f = errors.fields;
  return (
    <Paper withBorder p="sm">
      <Title order={4} mb="xs">
        Recurring orders
      </Title>
      <Stack component="form" onSubmit={submit} gap="xs" aria-label="New recurring order">
        <Group align="flex-start" wrap="wrap">
          <TextInput label="Symbol" value={form.symbol} onChange={set("symbol")} error={f.symbol} required w={110} />
          <NativeSelect label="Side" value={form.side} onChange={set("side")} data={["buy", "sell"]} />
          <NativeSelect label="Size by" value={form.sizing} onChange={set("sizing")} data={[{ value: "notional", label: "Dollars" }, { value: "qty", label: "Shares" }]} />
          <TextInput label={form.sizing === "qty" ? "Shares" : "Amount (USD)"} inputMode="decimal" value={form.amount} onChange={set("amount")} error={f[form.sizing]} required w={130} />
        </Group>
        <Group align="flex-start" wrap="wrap">
          <NativeSelect label="Schedule" value={form.mode} onChange={set("mode")} data={[{ value: "frequency", label: "Every…" }, { value: "cron", label: "Cron expression" }]} />
          {form.mode === "cron" ? (
            <TextInput label="Cron" placeholder="*/5 * * * *" value={form.cron} onChange={set("cron")} error={f["schedule.cron"] ?? f.schedule} required />
          ) : (
            <>
              <NativeSelect label="Frequency" value={form.frequency} onChange={set("frequency")} data={["daily", "weekly", "biweekly", "monthly"]} error={f["schedule.frequency"]} />
              <TextInput label="At (HH:MM)" value={form.at} onChange={set("at")} error={f["schedule.at"]} w={110} />
              {(form.frequency === "weekly" || form.frequency === "biweekly") && (
                <NativeSelect
                  label="Day"
                  value={form.day_of_week}
                  onChange={set("day_of_week")}
                  data={["monday", "tuesday", "wednesday", "thursday", "friday"]}
                  error={f["schedule.day_of_week"]}
                />
              )}
              {form.frequency === "monthly" && (
                <TextInput label="Day of month (1-28)" value={form.day_of_month} onChange={set("day_of_month")} error={f["schedule.day_of_month"]} w={150} />
              )}
            </>
          )}
          <TextInput label="Time zone (optional)" placeholder="America/New_York" value={form.timezone} onChange={set("timezone")} error={f["schedule.timezone"]} />
        </Group>
        {errors.general && <Notice color="red" role="alert">{errors.general}</Notice>}
        <Group>
          <Button type="submit" loading={actions.createRecurring.isPending}>
            Schedule
          </Button>
        </Group>
      </Stack>
      <Table.ScrollContainer minWidth={600} mt="sm">
        <Table aria-label="Recurring orders" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Order</Table.Th>
              <Table.Th>Schedule</Table.Th>
              <Table.Th>Next run</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(list.data ?? []).map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  {r.side} {r.qty ? `${r.qty} sh` : `$${r.notional ?? ""}`} {r.symbol}
                </Table.Td>
                <Table.Td>
                  {Object.entries(r.schedule)
                    .filter(([, v]) => v !== null)
                    .map(([k, v]) => `${k} ${String(v)}`)
                    .join(", ")}
                </Table.Td>
                <Table.Td>{formatDateTime(r.next_run_at)}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={r.status === "active" ? "teal" : "gray"}>
                    {r.status}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    {r.status === "active" && (
                      <Button size="compact-xs" variant="default" onClick={() => actions.pause.mutate(r.id, { onError: fail("Pause") })}>
                        Pause
                      </Button>
                    )}
                    {r.status === "paused" && (
                      <Button size="compact-xs" variant="default" onClick={() => actions.resume.mutate(r.id, { onError: fail("Resume") })}>
                        Resume
                      </Button>
                    )}
                    <Button size="compact-xs" color="red" variant="light" onClick={() => actions.deleteRecurring.mutate(r.id, { onError: fail("Delete") })}>
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}

function AlertsSection() {
  const list = useAlerts();
  const actions = useAutomationActions();
  const [symbol, setSymbol] = useState("");
  const [condition, setCondition] = useState("above");
  const [price, setPrice] = useState("");
  const [errors, setErrors] = useState<{ fields: Record<string, string>; general: string | null }>({ fields: {}, general: null });

  function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({ fields: {}, general: null });
    actions.createAlert.mutate(
      { symbol: symbol.trim().toUpperCase(), condition, price: price.trim(), action: "notify" },
      {
        onSuccess: () => {
          setPrice("");
          notifications.show({ color: "teal", message: "Alert set" });
        },
        onError: (error) => setErrors(fieldsOf(error)),
      },
    );
  }

  return (
    <Paper withBorder p="sm">
      <Title order={4} mb="xs">
        Price alerts
      </Title>
      <Group component="form" onSubmit={submit} align="flex-start" wrap="wrap" aria-label="New price alert">
        <TextInput label="Symbol" value={symbol} onChange={(e) => setSymbol(e.currentTarget.value)} error={errors.fields.symbol} required w={110} />
        <NativeSelect
          label="When the price"
          value={condition}
          onChange={(e) => setCondition(e.currentTarget.value)}
          data={[
            { value: "above", label: "is above" },
            { value: "below", label: "is below" },
            { value: "crosses_above", label: "crosses above" },
            { value: "crosses_below", label: "crosses below" },
          ]}
        />
        <TextInput label="Price" inputMode="decimal" value={price} onChange={(e) => setPrice(e.currentTarget.value)} error={errors.fields.price} required w={120} />
        <Button type="submit" mt={25} loading={actions.createAlert.isPending}>
          Set alert
        </Button>
      </Group>
      {errors.general && <Notice color="red" role="alert" mt="xs">{errors.general}</Notice>}
      {(list.data ?? []).length === 0 ? (
        <Text c="dimmed" mt="sm">
          No alerts.
        </Text>
      ) : (
        <Table aria-label="Alerts" fz="sm" mt="sm">
          <Table.Tbody>
            {(list.data ?? []).map((a) => (
              <Table.Tr key={a.id}>
                <Table.Td>
                  {a.symbol} {a.condition.replace("_", " ")} {formatPrice(a.price)}
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={a.status === "active" ? "blue" : "gray"}>
                    {a.status}
                  </Badge>
                  {a.triggered_price && ` at ${formatPrice(a.triggered_price)}`}
                </Table.Td>
                <Table.Td ta="right">
                  <Button size="compact-xs" color="red" variant="light" onClick={() => actions.deleteAlert.mutate(a.id, { onError: fail("Delete alert") })}>
                    Delete
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}

export function AutomationPage() {
  return (
    <Stack>
      <Title order={2}>Recurring orders & alerts</Title>
      <RecurringSection />
      <AlertsSection />
    </Stack>
  );
}
