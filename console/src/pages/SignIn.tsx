import { useState } from 'react';
import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { ApiProblem, checkKey } from '../api';

export function SignIn({
  onSignedIn,
  expired,
}: {
  onSignedIn: (key: string) => void;
  expired: boolean;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError('Enter your API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await checkKey(trimmed);
      onSignedIn(trimmed);
    } catch (err) {
      setError(
        err instanceof ApiProblem && err.status === 401
          ? 'This API key was not accepted. Check that you copied all of it.'
          : err instanceof ApiProblem
            ? err.readable()
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={420} maw="100%">
        <form onSubmit={submit} noValidate>
          <Stack>
            <Title order={1} size="h2">
              Sign in to Listflow
            </Title>
            <Text size="sm" c="gray.7">
              Enter your team's API key. It is kept in this browser tab only and forgotten when
              you close it.
            </Text>
            {expired && (
              <Alert color="yellow" title="Signed out">
                The API key stopped working. Sign in again.
              </Alert>
            )}
            <PasswordInput
              label="API key"
              value={key}
              onChange={(e) => setKey(e.currentTarget.value)}
              error={error}
              autoComplete="off"
              required
              data-autofocus
            />
            <Button type="submit" loading={busy}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
