-- The schema of a new store, version 7: the one source of truth for new files.
-- Older stores reach the same schema through store/migrations.py, and
-- tests/test_migrations.py checks that both give the same tables, columns
-- and indexes. docs/store.md explains every column.

CREATE TABLE "meta" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
);

-- The files and folders given to `flashcards sync`, synced again before each review.
CREATE TABLE "roots" (
   "path" TEXT PRIMARY KEY
);

-- Each deck file as last synced; an unchanged hash means the file is skipped.
CREATE TABLE "sources" (
   "path" TEXT PRIMARY KEY,
   "root" TEXT,
   "hash" TEXT
);

CREATE TABLE "decks" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT,
   "description" TEXT
);
CREATE UNIQUE INDEX "idx_decks_name" ON "decks" ("name");

-- One row per `##` section ever synced; never deleted, orphaned instead.
CREATE TABLE "notes" (
   "id" INTEGER PRIMARY KEY,
   "guid" TEXT NOT NULL,
   "explicit_id" TEXT,
   "kind" TEXT NOT NULL,
   "deck_id" INTEGER NOT NULL REFERENCES "decks"("id"),
   "path" TEXT,
   "line" INTEGER,
   "question" TEXT NOT NULL,
   "answer" TEXT NOT NULL,
   "tags" TEXT,
   "question_hash" TEXT,
   "answer_hash" TEXT,
   "content_hash" TEXT,
   "modified" INTEGER NOT NULL,
   "orphaned" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "idx_notes_guid" ON "notes" ("guid");
CREATE UNIQUE INDEX "idx_notes_explicit_id" ON "notes" ("explicit_id");
CREATE INDEX "idx_notes_path" ON "notes" ("path");
-- A deck's notes, for `review --deck` on a small deck (version 7).
CREATE INDEX "idx_notes_deck_id" ON "notes" ("deck_id");

-- One row per card of a note, with its SM-2 schedule.
CREATE TABLE "cards" (
   "id" INTEGER PRIMARY KEY,
   "note_id" INTEGER NOT NULL REFERENCES "notes"("id"),
   "ord" INTEGER NOT NULL,
   "suspended" INTEGER NOT NULL DEFAULT 0,
   "orphaned" INTEGER NOT NULL DEFAULT 0,
   "repetitions" INTEGER NOT NULL DEFAULT 0,
   "easiness" REAL NOT NULL DEFAULT 2.5,
   "interval" INTEGER NOT NULL DEFAULT 0,
   "due" TEXT,
   "lapses" INTEGER NOT NULL DEFAULT 0,
   -- Flagged in a review (`f`) to be fixed after the session (version 5).
   "flagged" INTEGER NOT NULL DEFAULT 0,
   -- FSRS's state, NULL under SM-2 (version 6): phase (1 learning, 2 review,
   -- 3 relearning), step, memory, the study day of the last answer, and the
   -- UTC moment a card in a step of minutes is due.
   "fsrs_phase" INTEGER,
   "fsrs_step" INTEGER,
   "stability" REAL,
   "difficulty" REAL,
   "last_review" TEXT,
   "due_at" TEXT
);
CREATE UNIQUE INDEX "idx_cards_note_id_ord" ON "cards" ("note_id", "ord");
CREATE INDEX "idx_cards_orphaned_suspended_due" ON "cards" ("orphaned", "suspended", "due");
-- The few cards on an FSRS step of minutes, found without reading the others (version 6).
CREATE INDEX "idx_cards_due_at" ON "cards" ("due_at") WHERE "due_at" IS NOT NULL;

-- Every answer ever given, with the schedule before and after it.
CREATE TABLE "reviews" (
   "id" INTEGER PRIMARY KEY,
   "card_id" INTEGER NOT NULL REFERENCES "cards"("id"),
   "reviewed_at" TEXT NOT NULL,
   "grade" INTEGER NOT NULL,
   "duration_ms" INTEGER,
   "scheduled" INTEGER NOT NULL,
   "repetitions_before" INTEGER,
   "easiness_before" REAL,
   "interval_before" INTEGER,
   "due_before" TEXT,
   "repetitions_after" INTEGER,
   "easiness_after" REAL,
   "interval_after" INTEGER,
   "due_after" TEXT,
   "button" INTEGER,
   "utc_offset_minutes" INTEGER,
   "day_start_hour" INTEGER,
   "event_id" TEXT
);
CREATE INDEX "idx_reviews_card_id" ON "reviews" ("card_id");
CREATE UNIQUE INDEX "idx_reviews_event_id" ON "reviews" ("event_id");
CREATE INDEX "idx_reviews_reviewed_at" ON "reviews" ("reviewed_at");

-- Rendered card HTML by content key, so an export renders only what changed.
CREATE TABLE "rendered" (
   "key" TEXT PRIMARY KEY,
   "html" TEXT NOT NULL
);

-- Version 7 also adds the table "review_hours" (the reviews totalled per UTC hour
-- for `flashcards stats`: docs/store.md) and two triggers that mark it out of date
-- when a review is deleted or changed: store/migrations.py (review_hours_statements)
-- holds their text, for new and upgraded stores alike.
