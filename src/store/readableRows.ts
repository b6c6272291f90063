/**
 * Rows read back from one of the gateway's own tables: those `readable` can make sense of, and
 * how many it could not (a row written by a newer or broken build is left out and counted, so
 * the caller can say so, rather than failing the whole load).
 */
export function readableRows<Row, T>(rows: readonly Row[], readable: (row: Row) => T | null): { items: T[]; skipped: number } {
  const items: T[] = [];
  let skipped = 0;
  for (const row of rows) {
    const item = readable(row);
    if (item === null) skipped++;
    else items.push(item);
  }
  return { items, skipped };
}
