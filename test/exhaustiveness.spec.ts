import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Type-level test: every table keyed by a command or event type is a `Record` over the union
 * (or an exhaustive switch), so adding one fails to compile until each place has decided. The
 * test compiles the production code with one more command (or event) added to the union, in
 * memory, and checks the compiler names every place that must handle it, and nothing compiles
 * silently past one of them.
 */

const ROOT = path.resolve(__dirname, '..');
const COMMANDS = path.join(ROOT, 'libs/domain/src/conversation/conversation.commands.ts');
const EVENTS = path.join(ROOT, 'libs/domain/src/conversation/conversation.events.ts');

const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, ROOT);
const productionFiles = config.fileNames.filter(
  (file) => !/\.(spec|int-spec|e2e-spec)\.ts$/.test(file) && !/^(test|bench)[/\\]/.test(path.relative(ROOT, file)),
);

let previous: ts.Program | undefined;

/** The files (relative to the repository) in which the compiler reports an error once `file` is changed by `edit`. */
const filesFailingWith = (file: string, edit: (text: string) => string): string[] => {
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, onError, shouldCreate) => {
    if (path.resolve(fileName) !== file) return getSourceFile(fileName, language, onError, shouldCreate);
    const edited = edit(ts.sys.readFile(fileName) as string);
    return ts.createSourceFile(fileName, edited, language);
  };
  const program = ts.createProgram({
    rootNames: productionFiles,
    options: { ...config.options, noEmit: true },
    host,
    oldProgram: previous,
  });
  previous = program;
  const failing = new Set<string>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    failing.add(diagnostic.file ? path.relative(ROOT, diagnostic.file.fileName).split(path.sep).join('/') : '(global)');
  }
  return [...failing].sort();
};

const inserting = (anchor: string, addition: string) => (text: string) => {
  if (!text.includes(anchor)) throw new Error(`"${anchor.trim()}" is no longer in the file: update this test`);
  return text.replace(anchor, `${addition}${anchor}`);
};

describe('adding to a union does not compile until every place has decided', () => {
  it('compiles as it is', () => {
    expect(filesFailingWith(COMMANDS, (text) => text)).toEqual([]);
  });

  it('a new conversation command: validation, decision, the acting agent, its action name, capacity and permissions', () => {
    const failing = filesFailingWith(COMMANDS, (text) =>
      inserting(
        'export type ConversationCommand =\n',
        "export type ScratchCommand = Command<'ScratchCommand', { agentId: string }>;\n",
      )(text).replace('export type ConversationCommand =\n', 'export type ConversationCommand =\n  | ScratchCommand\n'),
    );
    expect(failing).toEqual([
      'apps/api/src/auth/permissions.ts',
      'libs/conversation-lifecycle/src/capacity/capacity-coordinator.ts',
      'libs/domain/src/conversation/conversation.actions.ts',
      'libs/domain/src/conversation/conversation.decide.ts',
      'libs/domain/src/conversation/conversation.validation.ts',
    ]);
  });

  it('a new conversation event: its type registry, evolve, corrections, routing triggers and report measures', () => {
    const failing = filesFailingWith(EVENTS, (text) =>
      inserting(
        'export type ConversationEvent =\n',
        "export type ScratchHappened = Event<'ScratchHappened', { agentId: string }>;\n",
      )(text).replace('export type ConversationEvent =\n', 'export type ConversationEvent =\n  | ScratchHappened\n'),
    );
    expect(failing).toEqual([
      'libs/conversation-lifecycle/src/routing/push-routing.process-manager.ts',
      'libs/domain/src/conversation/conversation.events.ts',
      'libs/domain/src/conversation/conversation.state.ts',
      'libs/domain/src/corrections/stored-event-upcasters.ts',
      'libs/reporting/src/report-builder.ts',
    ]);
  });
});
