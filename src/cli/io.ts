// What every command is given to talk to the world (so tests can run a command
// in-process with their own streams), and the exit codes of DESIGN.md §4. Its own
// module: the commands import it, main.ts imports the commands.
export const EXIT_OK = 0;
/** Usage or configuration error. */
export const EXIT_USAGE = 1;
/** Input unreadable (or, with --strict, input with rejected records). */
export const EXIT_INPUT = 2;

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
}
