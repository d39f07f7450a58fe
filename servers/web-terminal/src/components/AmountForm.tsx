import { Button, Group, Paper, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";
import { ApiError, describeError } from "../api/problem";

interface Field {
  name: string;
  label: string;
  placeholder?: string;
  decimal?: boolean;
}

interface Props {
  title: string;
  fields: Field[];
  submitLabel: string;
  onSubmit: (values: Record<string, string>) => Promise<unknown>;
  success: (values: Record<string, string>) => string;
}

/** A small form whose API errors land next to the field they name (422 problem+json). */
export function AmountForm({ title, fields, submitLabel, onSubmit, success }: Props) {
  const empty = Object.fromEntries(fields.map((f) => [f.name, ""]));
  const [values, setValues] = useState<Record<string, string>>(empty);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setBusy(true);
    try {
      const trimmed = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.trim()]));
      await onSubmit(trimmed);
      notifications.show({ color: "teal", message: success(trimmed) });
      setValues(empty);
    } catch (caught) {
      const mine = caught instanceof ApiError ? Object.fromEntries(Object.entries(caught.fields).filter(([k]) => k in empty)) : {};
      if (Object.keys(mine).length) setErrors(mine);
      else setErrors({ [fields[fields.length - 1]?.name ?? "_"]: describeError(caught) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="sm" component="form" onSubmit={(e) => void submit(e)} aria-label={title}>
      <Title order={5} mb="xs">
        {title}
      </Title>
      <Group align="flex-start" wrap="wrap">
        {fields.map((field) => (
          <TextInput
            key={field.name}
            label={field.label}
            placeholder={field.placeholder}
            inputMode={field.decimal ? "decimal" : undefined}
            value={values[field.name] ?? ""}
            onChange={(e) => {
              const value = e.currentTarget.value;
              setValues((v) => ({ ...v, [field.name]: value }));
            }}
            error={errors[field.name]}
            required
          />
        ))}
        <Button type="submit" mt={25} loading={busy}>
          {submitLabel}
        </Button>
      </Group>
    </Paper>
  );
}
