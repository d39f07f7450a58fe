import { Alert, Button, Checkbox, Code, CopyButton, Group, Paper, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api/http";
import { ApiError, describeError } from "../api/problem";
import type { ApiKey, Page } from "../api/types";
import { formatDateTime } from "../lib/format";

export function ApiKeysPage() {
  const client = useQueryClient();
  const keys = useQuery({ queryKey: ["api-keys"], queryFn: () => api<Page<ApiKey>>("/api-keys").then((r) => r.items) });
  const refresh = () => void client.invalidateQueries({ queryKey: ["api-keys"] });
  const [name, setName] = useState("");
  const [trade, setTrade] = useState(false);
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const create = useMutation({
    mutationFn: () => api<ApiKey>("/api-keys", { method: "POST", body: { name: name.trim(), scopes: trade ? ["read", "trade"] : ["read"] } }),
    onSuccess: (key) => {
      setCreated(key);
      setName("");
      refresh();
    },
    onError: (caught) => setError({ field: caught instanceof ApiError ? caught.fields.name : undefined, message: describeError(caught) }),
  });
  const revoke = useMutation({ mutationFn: (id: string) => api(`/api-keys/${id}`, { method: "DELETE" }), onSuccess: refresh });

  function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setCreated(null);
    create.mutate();
  }

  return (
    <Stack>
      <Title order={2}>API keys</Title>
      <Text size="sm" c="dimmed">
        For bots: send the headers X-Bourse-Key-Id and X-Bourse-Key-Secret instead of a bearer token.
      </Text>
      <Paper withBorder p="sm" component="form" onSubmit={submit} aria-label="New API key">
        <Group align="flex-end" wrap="wrap">
          <TextInput label="Key name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={error?.field} required />
          <Checkbox label="Allow trading (scope trade)" checked={trade} onChange={(e) => setTrade(e.currentTarget.checked)} mb={8} />
          <Button type="submit" loading={create.isPending}>
            Create key
          </Button>
        </Group>
        {error && !error.field && (
          <Alert color="red" mt="sm" role="alert">
            {error.message}
          </Alert>
        )}
      </Paper>
      {created?.secret && (
        <Alert color="yellow" title="Copy the secret now: it is shown only once" role="status">
          <Stack gap={4}>
            <Text size="sm">
              Key id: <Code>{created.key_id}</Code>
            </Text>
            <Text size="sm">
              Secret: <Code data-testid="api-key-secret">{created.secret}</Code>
            </Text>
            <CopyButton value={created.secret}>
              {({ copied, copy }) => (
                <Button size="compact-sm" variant="light" onClick={copy} w="fit-content">
                  {copied ? "Copied" : "Copy secret"}
                </Button>
              )}
            </CopyButton>
          </Stack>
        </Alert>
      )}
      <Paper withBorder p="sm">
        {(keys.data ?? []).length === 0 ? (
          <Text c="dimmed">No API keys.</Text>
        ) : (
          <Table.ScrollContainer minWidth={480}>
            <Table aria-label="API keys" fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Key id</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(keys.data ?? []).map((key) => (
                  <Table.Tr key={key.id}>
                    <Table.Td>{key.name}</Table.Td>
                    <Table.Td>
                      <Code>{key.key_id}</Code>
                    </Table.Td>
                    <Table.Td>{key.scopes.join(", ")}</Table.Td>
                    <Table.Td>{formatDateTime(key.created_at)}</Table.Td>
                    <Table.Td>
                      <Button size="compact-xs" color="red" variant="light" onClick={() => revoke.mutate(key.id)}>
                        Revoke
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
    </Stack>
  );
}
