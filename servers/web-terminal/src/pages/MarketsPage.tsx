import { Alert, Button, Group, Loader, Pagination, Paper, SegmentedControl, Stack, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMemo, useState, type FormEvent } from "react";
import { describeError } from "../api/problem";
import { SymbolTable } from "../components/SymbolTable";
import { useInstruments, useSnapshots } from "../market/queries";
import { useWatchlistMutations, useWatchlists } from "../trading/watchlists";

const PAGE = 20; // live rows subscribe to trades and quotes: keep it well under the server's limit

export function MarketsPage() {
  const instruments = useInstruments();
  const watchlists = useWatchlists();
  const mutations = useWatchlistMutations();
  const [view, setView] = useState("all");
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const [newName, setNewName] = useState("");

  const lists = useMemo(() => watchlists.data ?? [], [watchlists.data]);
  const selected = lists.find((list) => list.id === view);
  const filtered = useMemo(() => {
    const all = instruments.data ?? [];
    const inView = selected ? all.filter((i) => selected.symbols.includes(i.symbol)) : all;
    const needle = search.trim().toUpperCase();
    return needle ? inView.filter((i) => i.symbol.includes(needle) || i.name.toUpperCase().includes(needle)) : inView;
  }, [instruments.data, selected, search]);
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
  const shown = filtered.slice((Math.min(page, pages) - 1) * PAGE, Math.min(page, pages) * PAGE);
  const snapshots = useSnapshots(shown.map((i) => i.symbol));

  const fail = (error: unknown) => notifications.show({ color: "red", title: "Watchlist", message: describeError(error) });

  function createList(event: FormEvent) {
    event.preventDefault();
    if (!newName.trim()) return;
    mutations.create.mutate(newName.trim(), {
      onSuccess: (list) => {
        setNewName("");
        setView(list.id);
      },
      onError: fail,
    });
  }

  return (
    <Stack>
      <Title order={2}>Markets</Title>
      <Group align="flex-end" wrap="wrap">
        <SegmentedControl
          aria-label="Watchlist"
          value={selected ? selected.id : "all"}
          onChange={(value) => {
            setView(value);
            setPage(1);
          }}
          data={[{ value: "all", label: "All symbols" }, ...lists.map((list) => ({ value: list.id, label: list.name }))]}
        />
        <TextInput
          label="Search"
          placeholder="Symbol or name"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
        />
      </Group>
      <Paper withBorder p="sm" component="form" onSubmit={createList}>
        <Group align="flex-end" wrap="wrap">
          <TextInput label="New watchlist" placeholder="Name" value={newName} onChange={(e) => setNewName(e.currentTarget.value)} />
          <Button type="submit" loading={mutations.create.isPending}>
            Create
          </Button>
          {selected && (
            <>
              <Button
                variant="default"
                onClick={() => {
                  const name = window.prompt("Rename watchlist", selected.name);
                  if (name?.trim()) mutations.rename.mutate({ ...selected, name: name.trim() }, { onError: fail });
                }}
              >
                Rename “{selected.name}”
              </Button>
              <Button
                color="red"
                variant="light"
                onClick={() => mutations.remove.mutate(selected.id, { onSuccess: () => setView("all"), onError: fail })}
              >
                Delete “{selected.name}”
              </Button>
            </>
          )}
        </Group>
      </Paper>
      {instruments.isError && <Alert color="red">{describeError(instruments.error)}</Alert>}
      {instruments.isLoading ? (
        <Loader />
      ) : shown.length === 0 ? (
        <Text c="dimmed">{selected ? "This watchlist is empty: add symbols with + from All symbols." : "No symbols."}</Text>
      ) : (
        <SymbolTable
          instruments={shown}
          snapshots={snapshots.data}
          watchlists={lists}
          onAdd={(id, symbol) =>
            mutations.addSymbol.mutate(
              { id, symbol },
              { onSuccess: (list) => notifications.show({ message: `${symbol} added to ${list.name}` }), onError: fail },
            )
          }
          onRemove={selected ? (symbol) => mutations.removeSymbol.mutate({ id: selected.id, symbol }, { onError: fail }) : undefined}
        />
      )}
      {pages > 1 && <Pagination total={pages} value={Math.min(page, pages)} onChange={setPage} />}
    </Stack>
  );
}
