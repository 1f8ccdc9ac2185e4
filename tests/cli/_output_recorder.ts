/** `write` and `warn` for a command's io that keep what the command printed, for assertions. */
export function outputRecorder(): {
  write: (text: string) => Promise<void>;
  warn: (line: string) => void;
  stdout: () => string;
  stderr: () => string;
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    write: (text) => Promise.resolve(void out.push(text)),
    warn: (line) => void err.push(line),
    stdout: () => out.join(""),
    stderr: () => err.join("\n"),
  };
}
