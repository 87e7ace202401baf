// Reads a config file and validates it (schema.ts). The only file I/O of the config layer.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatIssue, type ConfigIssue, type GatewayConfig } from './types.ts';
import { ROOT_PATH } from './reader.ts';
import { parseConfig } from './schema.ts';

export interface LoadResult {
  config: GatewayConfig | null; // null when any issue is an error
  issues: ConfigIssue[];
}

export async function loadConfigFile(file: string, env: Record<string, string | undefined> = process.env): Promise<LoadResult> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory, not a file' : e.message;
    return {
      config: null,
      issues: [{ file: abs, line: 1, col: 1, path: ROOT_PATH, message: `cannot read the config file: ${why}${e.code ? ` (${e.code})` : ''}`, severity: 'error' }],
    };
  }
  // A UTF-8 BOM (Windows editors) would otherwise shift every column on line 1.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseConfig(text, { file: abs, env });
}

/** One `FILE:LINE:COL: path: message` line per issue, errors and warnings in file order. */
export function formatIssues(issues: readonly ConfigIssue[]): string[] {
  return issues.map(formatIssue);
}
