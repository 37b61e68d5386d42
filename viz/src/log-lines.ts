/** Parsing the log's lines (one JSON record per line) for the run model. */

/**
 * Parses complete, non-blank lines with one JSON.parse over the whole chunk (several times faster
 * than one per line); undefined when any line is not JSON (then parse line by line).
 */
export function parseChunk(lines: string[]): unknown[] | undefined {
  try {
    const all: unknown = JSON.parse(`[${lines.join(',')}]`);
    if (Array.isArray(all) && all.length === lines.length) return all;
  } catch {
    return undefined;
  }
  return undefined;
}

/** One line's JSON value; undefined when it is not JSON. */
export function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
