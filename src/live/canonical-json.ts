/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, arrays in order. Two values
 * that are equal as JSON data give the same string, so it is what manifests are signed over and
 * what submission fingerprints hash. Pure. Throws on values JSON cannot carry exactly
 * (non-finite numbers, undefined inside arrays, functions, bigint, symbols).
 */
export function canonicalJson(value: unknown, path = '$'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`${path}: non-finite number cannot be canonical JSON`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => {
          if (v === undefined) throw new Error(`${path}[${i}]: undefined cannot be canonical JSON`);
          return canonicalJson(v, `${path}[${i}]`);
        }).join(',')}]`;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k], `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new Error(`${path}: ${typeof value} cannot be canonical JSON`);
  }
}
