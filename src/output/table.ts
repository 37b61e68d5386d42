/** Renders rows as an aligned plain-text table (number columns right-aligned, text left). */
export function renderTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => cells.reduce((w, r) => Math.max(w, String(r[i] ?? '').length), 0));
  // Columns whose cells are all numbers (or '-') are right-aligned; text columns left-aligned.
  const numeric = header.map((_, i) => i > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (r: readonly (string | number)[]) =>
    r.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1);
}
