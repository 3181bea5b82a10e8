/** The bench scripts' command line: `--name value` options and bare `--flag`s. */
const args = process.argv.slice(2);

export const flag = (name: string): boolean => args.includes(name);

/** The value after `--name`, or undefined when the option is absent. */
export function optionText(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export const textOption = (name: string, fallback: string): string => optionText(name) ?? fallback;

export function numberOption(name: string, fallback: number): number {
  const text = optionText(name);
  return text === undefined ? fallback : Number(text);
}

/** Every value given after a repeatable option (`--app-dir a --app-dir b` -> [a, b]). */
export const repeatedOption = (name: string): string[] =>
  args.flatMap((arg, i) => (args[i - 1] === name ? [arg] : []));
