// `shoebox <command>`: parses the command line, runs the command, maps failures to exit codes
// (0 success, 1 the work failed, 2 bad usage), each failure with one line on stderr.
import { parseArgs } from 'node:util';
import { defaultLibraryDir, Library } from '../engine/library.ts';
import { recoveryMessage } from '../engine/catalog/recovery.ts';
import { commands } from './commands.ts';
import { UsageError, WorkError } from './errors.ts';
import { createOutput } from './output.ts';

const GLOBAL_OPTIONS = {
  library: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function helpText(): string {
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length));
  return [
    'Usage: shoebox <command> [options]',
    '',
    'Commands:',
    ...Object.values(commands).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Options for every command:',
    '  --library <dir>  the folder holding the catalog, thumbnails and settings',
    `                   (default: ${defaultLibraryDir()})`,
    '  --json           print one JSON document on stdout',
    '  --help           this help',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(helpText() + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  const json = rest.includes('--json');
  const output = createOutput(json);
  try {
    if (!command)
      throw new UsageError(`unknown command "${name}"; run \`shoebox --help\` for the list.`);
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...GLOBAL_OPTIONS, ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw new UsageError(
        `${(error as Error).message.split('\n')[0]} (usage: shoebox ${command.usage})`,
      );
    }
    if (parsed.values.help) {
      process.stdout.write(`Usage: shoebox ${command.usage}\n${command.summary}\n`);
      return 0;
    }
    const libraryDir = (parsed.values.library as string | undefined) ?? defaultLibraryDir();
    await command.run({
      args: parsed.positionals,
      libraryDir,
      options: parsed.values as Record<string, string | boolean | undefined>,
      output,
      openLibrary: async (options) => {
        const library = await Library.open(libraryDir, options);
        // A damaged catalog was set aside and is being rebuilt: say so, on stderr.
        if (library.recovery) output.log(`shoebox: ${recoveryMessage(library.recovery)}`);
        return library;
      },
    });
    return 0;
  } catch (error) {
    output.endProgress();
    if (error instanceof UsageError) {
      process.stderr.write(`shoebox: ${error.message}\n`);
      return 2;
    }
    if (error instanceof WorkError) {
      process.stderr.write(`shoebox: ${error.message}\n`);
      return 1;
    }
    // Unexpected: still one line for the user; the stack only when asked for.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`shoebox: ${message.split('\n')[0]}\n`);
    if (process.env.SHOEBOX_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  }
}
