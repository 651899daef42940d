import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layer rules of docs/architecture.md are enforced by `npm run lint`: an import pointing the
 * wrong way fails it, naming the rule. Each probe is linted as if it were a file at that path.
 */
const ROOT = join(__dirname, '..');
const ESLINT = join(ROOT, 'node_modules', '.bin', 'eslint');

const lintAs = (path: string, source: string) => {
  const run = spawnSync(ESLINT, ['--stdin', '--stdin-filename', path, '--format', 'json'], { cwd: ROOT, input: source, encoding: 'utf8' });
  const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return result.messages.filter((message) => message.ruleId === 'boundaries/dependencies').map((message) => message.message);
};

describe('layer boundaries', () => {
  it.each([
    [
      'the domain importing another library',
      'libs/domain/src/shared/probe.ts',
      "import { InMemoryEventStore } from '@lib/event-store';\nexport const probe = InMemoryEventStore;\n",
    ],
    [
      'a library importing an app',
      'libs/read-models/src/queries/probe.ts',
      "import { APP_CONFIG } from '../../../../apps/api/src/config/app-config';\nexport const probe = APP_CONFIG;\n",
    ],
    [
      'the service importing the CLI',
      'apps/api/src/probe.ts',
      "import { tokenCommand } from '../../cli/src/token.command';\nexport const probe = tokenCommand;\n",
    ],
    [
      'the CLI importing the service',
      'apps/cli/src/probe.ts',
      "import { createApp } from '../../api/src/app.factory';\nexport const probe = createApp;\n",
    ],
  ])('refuses %s', (_what, path, source) => {
    expect(lintAs(path, source)).toEqual([expect.stringMatching(/^Layer boundary: .+ may not import .+/)]);
  });

  it('lets an app use the libraries, and the application layer use the domain', () => {
    expect(lintAs('apps/api/src/probe.ts', "import { loadConfig } from '@lib/platform';\nexport const probe = loadConfig;\n")).toEqual([]);
    expect(
      lintAs('libs/conversation-lifecycle/src/probe.ts', "import { decide } from '@lib/domain';\nexport const probe = decide;\n"),
    ).toEqual([]);
  });
});
