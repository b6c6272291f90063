/**
 * Numbered, forward-only schema migrations. People and credentials are WITHOUT ROWID tables,
 * clustered by id, so the index compiler's id-ordered scan reads them sequentially. A migration is never edited once released: a
 * change is a new entry. `user_version` records the last one applied.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * The migration rebuilds a table (create the new one, copy, drop the old, rename): it runs with
   * foreign keys off, so dropping the old table does not cascade into its children, and
   * `foreign_key_check` must find nothing before it commits (sqlite.org/lang_altertable.html).
   */
  rebuildsTables?: boolean;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'access model and event journal',
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE doors (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        place        TEXT NOT NULL DEFAULT '',
        card_and_pin INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      CREATE TABLE holidays (
        date TEXT PRIMARY KEY,
        type INTEGER NOT NULL CHECK (type BETWEEN 1 AND 3),
        name TEXT NOT NULL DEFAULT ''
      ) STRICT;

      CREATE TABLE schedules (
        id        TEXT PRIMARY KEY,
        name      TEXT NOT NULL,
        intervals TEXT NOT NULL
      ) STRICT;

      CREATE TABLE keys (
        id        TEXT PRIMARY KEY,
        name      TEXT NOT NULL,
        may_share INTEGER NOT NULL DEFAULT 0,
        system    INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      CREATE TABLE key_doors (
        key_id       TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
        door_id      TEXT NOT NULL REFERENCES doors(id) ON DELETE CASCADE,
        position     INTEGER NOT NULL,
        schedule_ids TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (key_id, door_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX key_doors_by_door ON key_doors(door_id);

      CREATE TABLE people (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
        kind            TEXT NOT NULL,
        host_id         TEXT,
        extended_unlock INTEGER NOT NULL DEFAULT 0
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX people_by_host ON people(host_id) WHERE host_id IS NOT NULL;

      CREATE TABLE holdings (
        person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        key_id      TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
        valid_from  INTEGER,
        valid_until INTEGER,
        PRIMARY KEY (person_id, key_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX holdings_by_key ON holdings(key_id);

      CREATE TABLE credentials (
        id          TEXT PRIMARY KEY,
        person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL CHECK (kind IN ('pin', 'card', 'fingerprint', 'mobile')),
        value       TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'lost')),
        valid_from  INTEGER,
        valid_until INTEGER,
        use_limit   INTEGER,
        duress      INTEGER NOT NULL DEFAULT 0,
        label       TEXT,
        public_key  TEXT,
        UNIQUE (kind, value)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX credentials_by_person ON credentials(person_id);

      CREATE TABLE credential_uses (
        credential_id TEXT PRIMARY KEY REFERENCES credentials(id) ON DELETE CASCADE,
        uses          INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE door_modes (
        door_id     TEXT PRIMARY KEY REFERENCES doors(id) ON DELETE CASCADE,
        locked_down INTEGER NOT NULL DEFAULT 0
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE journal (
        seq           INTEGER PRIMARY KEY,
        at            INTEGER NOT NULL,
        type          TEXT NOT NULL,
        door_id       TEXT,
        grant         INTEGER,
        reason        TEXT,
        person_id     TEXT,
        credential_id TEXT,
        key_id        TEXT,
        data          TEXT
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'PIN lockout state per keypad',
    sql: `
      CREATE TABLE pin_lockouts (
        door_id      TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL DEFAULT 0,
        level        INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER NOT NULL DEFAULT 0
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'credential values unique through a named index',
    rebuildsTables: true,
    // the same table without its inline UNIQUE (an automatic index, which cannot be dropped): a
    // snapshot drops the secondary indexes, loads the emptied tables and builds them again
    // (accessStore.ts), faster than keeping a large index up to date row by row (the figures:
    // bench/README.md, "Measurements behind design choices")
    sql: `
      CREATE TABLE credentials_v3 (
        id          TEXT PRIMARY KEY,
        person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL CHECK (kind IN ('pin', 'card', 'fingerprint', 'mobile')),
        value       TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'lost')),
        valid_from  INTEGER,
        valid_until INTEGER,
        use_limit   INTEGER,
        duress      INTEGER NOT NULL DEFAULT 0,
        label       TEXT,
        public_key  TEXT
      ) STRICT, WITHOUT ROWID;
      INSERT INTO credentials_v3 SELECT id, person_id, kind, value, status, valid_from, valid_until, use_limit, duress, label, public_key FROM credentials;
      DROP TABLE credentials;
      ALTER TABLE credentials_v3 RENAME TO credentials;
      CREATE UNIQUE INDEX credentials_by_value ON credentials(kind, value);
      CREATE INDEX credentials_by_person ON credentials(person_id);
    `,
  },
  {
    version: 4,
    name: 'commands remembered against replays',
    // rowid order is the order they were remembered in (INSERT OR REPLACE gives a replaced key a
    // new rowid): the bound drops the lowest rowids first. See commandReplayStore.ts.
    sql: `
      CREATE TABLE command_replays (
        key        TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 300),
        value      TEXT NOT NULL CHECK (length(value) BETWEEN 1 AND 40),
        expires_at INTEGER NOT NULL CHECK (expires_at > 0)
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'single-use offline doorcodes that were used',
    // a code is named by its id (offlineCode.ts codeId), never by its digits; a row is kept
    // until the code's window cannot be open any more (offlineCodeUseStore.ts)
    sql: `
      CREATE TABLE offline_code_uses (
        code_id    TEXT PRIMARY KEY CHECK (length(code_id) BETWEEN 1 AND 64),
        door_id    TEXT NOT NULL,
        used_at    INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: 'journal kept as local history, queried by time, door, person and kind',
    // Acknowledged rows stay (journal.ackedSeq marks the end of the history; journal/journalTable.ts).
    // Time and kind are indexed on the table: its inserts land at the end of both, so the door's
    // append path barely pays for them. Door and person are looked up through two tables the
    // journal fills behind the appends in bounded batches (journal/historyUpkeep.ts): an index on
    // them would put a random page write per event into every flush.
    sql: `
      CREATE INDEX journal_by_at ON journal(at);
      CREATE INDEX journal_by_kind ON journal(type, at) WHERE type <> 'access';
      CREATE TABLE journal_by_door (
        door_id TEXT NOT NULL,
        at      INTEGER NOT NULL,
        seq     INTEGER NOT NULL,
        PRIMARY KEY (door_id, at, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE journal_by_person (
        person_id TEXT NOT NULL,
        at        INTEGER NOT NULL,
        seq       INTEGER NOT NULL,
        PRIMARY KEY (person_id, at, seq)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'local operators and their roles',
    // who may administer the gateway locally (docs/standalone.md); the access tables do not refer to it
    sql: `
      CREATE TABLE operators (
        uid            INTEGER PRIMARY KEY CHECK (uid >= 0),
        user           TEXT,
        role           TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'team', 'installer', 'housekeeping')),
        key_management TEXT NOT NULL CHECK (key_management IN ('full', 'limited', 'specific')),
        key_ids        TEXT NOT NULL DEFAULT '[]',
        added_at       INTEGER NOT NULL,
        added_by       INTEGER
      ) STRICT;
    `,
  },
  {
    version: 8,
    name: "a person's unit and place",
    // the bulk-user CSV's unit and place, kept as fields instead of folded into the name
    sql: `
      ALTER TABLE people ADD COLUMN unit TEXT;
      ALTER TABLE people ADD COLUMN place TEXT;
    `,
  },
  {
    version: 9,
    name: 'the PIN policy and the keycard stock',
    // local allocation (docs/standalone.md, "Allocation"): not part of the model the cloud sends,
    // so outside the content hash; the access tables do not refer to them. A stock card names
    // the credential it was assigned to by id (no foreign key: the cloud may delete it, and
    // then the card reads as used)
    sql: `
      CREATE TABLE pin_policy (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        min_length INTEGER NOT NULL CHECK (min_length BETWEEN 4 AND 8),
        max_length INTEGER NOT NULL CHECK (max_length BETWEEN min_length AND 8),
        code_space TEXT NOT NULL CHECK (code_space IN ('warn', 'refuse')),
        changed_at INTEGER NOT NULL,
        changed_by INTEGER
      ) STRICT;
      CREATE TABLE card_stock (
        card          TEXT PRIMARY KEY CHECK (length(card) BETWEEN 1 AND 100),
        state         TEXT NOT NULL CHECK (state IN ('available', 'assigned', 'lost', 'retired')),
        credential_id TEXT,
        person_id     TEXT,
        since         INTEGER NOT NULL,
        added_at      INTEGER NOT NULL,
        added_by      INTEGER,
        CHECK (state <> 'assigned' OR credential_id IS NOT NULL)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX card_stock_by_state ON card_stock(state, card);
    `,
  },
  {
    version: 10,
    name: 'what the state sync applied per revision',
    // the hash and, for a delta, the keyed digest of its content, for the newest revisions
    // (store/appliedRevisionStore.ts): an old delta replayed after a restart is still judged
    sql: `
      CREATE TABLE applied_revisions (
        revision     INTEGER PRIMARY KEY CHECK (revision > 0),
        hash         TEXT NOT NULL,
        from_version INTEGER,
        digest       TEXT
      ) STRICT;
    `,
  },
];
