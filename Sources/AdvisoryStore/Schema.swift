import GRDB

/// The advisory database's schema. Migrations never change once shipped; add new ones.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE advisory (
                    id TEXT PRIMARY KEY NOT NULL,
                    modified TEXT NOT NULL,
                    modified_epoch REAL NOT NULL,
                    published TEXT,
                    withdrawn TEXT,
                    summary TEXT,
                    source TEXT NOT NULL,
                    record TEXT NOT NULL
                );
                CREATE TABLE alias (
                    advisory_id TEXT NOT NULL,
                    alias TEXT NOT NULL,
                    kind TEXT NOT NULL
                );
                CREATE INDEX alias_by_alias ON alias(alias);
                CREATE INDEX alias_by_advisory ON alias(advisory_id);
                -- One row per affected[] entry of a record that is not withdrawn: what the matcher reads.
                CREATE TABLE affected (
                    advisory_id TEXT NOT NULL,
                    ecosystem TEXT NOT NULL,
                    family TEXT NOT NULL,
                    name TEXT NOT NULL,
                    purl TEXT,
                    versions TEXT NOT NULL,
                    ecosystem_specific TEXT,
                    database_specific TEXT
                );
                CREATE INDEX affected_by_package ON affected(family, name);
                CREATE INDEX affected_by_advisory ON affected(advisory_id);
                CREATE TABLE kev (
                    cve TEXT PRIMARY KEY NOT NULL,
                    vendor TEXT, product TEXT, name TEXT,
                    date_added TEXT NOT NULL, due_date TEXT,
                    ransomware TEXT, required_action TEXT, description TEXT, notes TEXT
                );
                CREATE TABLE epss (
                    cve TEXT PRIMARY KEY NOT NULL,
                    probability REAL NOT NULL,
                    percentile REAL NOT NULL
                );
                -- Where data came from: 'osv:<Ecosystem>', 'osv:<path>', 'kev', 'epss'.
                CREATE TABLE feed (
                    name TEXT PRIMARY KEY NOT NULL,
                    location TEXT NOT NULL,
                    records INTEGER NOT NULL,
                    updated_at TEXT NOT NULL,
                    version TEXT,
                    cursor TEXT
                );
                """)
        }
        return migrator
    }
}
