import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { ApiError, describeError } from "../api/problem";
import { login, register, useSignedIn } from "../auth/useAuth";

export function AuthPage({ mode }: { mode: "login" | "signup" }) {
  const signedIn = useSignedIn();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const from = (location.state as { from?: string } | null)?.from ?? "/";

  if (signedIn) return <Navigate to={from} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFields({});
    try {
      if (mode === "signup") await register(email, password, name);
      await login(email, password);
      void navigate(from, { replace: true });
    } catch (caught) {
      setError(describeError(caught));
      if (caught instanceof ApiError) setFields(caught.fields);
    } finally {
      setBusy(false);
    }
  }

  const signup = mode === "signup";
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420} component="form" onSubmit={(e) => void submit(e)}>
        <Stack>
          <Title order={2}>{signup ? "Create your Bourse account" : "Sign in to Bourse"}</Title>
          {error && (
            <Alert color="red" role="alert" title={signup ? "Could not sign up" : "Could not sign in"}>
              {error}
            </Alert>
          )}
          {signup && <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} autoComplete="name" />}
          <TextInput
            label="Email"
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={fields.email}
            autoComplete="email"
            data-autofocus
          />
          <PasswordInput
            label="Password"
            required
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={fields.password}
            description={signup ? "At least 10 characters" : undefined}
            autoComplete={signup ? "new-password" : "current-password"}
          />
          <Button type="submit" loading={busy}>
            {signup ? "Sign up" : "Sign in"}
          </Button>
          <Text size="sm">
            {signup ? "Already have an account? " : "New to Bourse? "}
            <Anchor component={Link} to={signup ? "/login" : "/signup"} state={location.state}>
              {signup ? "Sign in" : "Create an account"}
            </Anchor>
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}
