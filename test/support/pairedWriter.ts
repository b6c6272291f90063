/**
 * A process that writes to a lockgw database without pause, for the online-backup test: each
 * transaction adds one row to pair_a and the same row to pair_b, so any consistent copy has as
 * many rows in one as in the other. Prints `writing` after its first commit; runs until killed.
 *   node --import tsx test/support/pairedWriter.ts DB
 */
import { openDatabase } from '../../src/store/database.js';

const db = openDatabase(process.argv[2]!);
db.exec('CREATE TABLE IF NOT EXISTS pair_a (n INTEGER PRIMARY KEY, pad TEXT); CREATE TABLE IF NOT EXISTS pair_b (n INTEGER PRIMARY KEY, pad TEXT)');
const a = db.prepare('INSERT INTO pair_a (pad) VALUES (?)');
const b = db.prepare('INSERT INTO pair_b (n, pad) VALUES (?, ?)');
const pad = 'x'.repeat(400);
const write = db.transaction(() => {
  const n = a.run(pad).lastInsertRowid;
  b.run(n, pad);
});
let first = true;
const loop = (): void => {
  for (let i = 0; i < 20; i++) write();
  if (first) process.stdout.write('writing\n');
  first = false;
  setImmediate(loop);
};
process.on('SIGTERM', () => {
  db.close();
  process.exit(0);
});
loop();
