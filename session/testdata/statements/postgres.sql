-- get by key
SELECT snap_authors.id, snap_authors.name, snap_authors.version, (SELECT count(*) FROM snap_books WHERE snap_authors.id = snap_books.author_id AND snap_books.id > $1 AND snap_books.deleted_at IS NULL) AS recent FROM snap_authors WHERE snap_authors.id = $2
-- fixed arguments: [100 {}]

-- get by key, soft delete
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books WHERE snap_books.id = $1

-- get by key, alive only
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books WHERE snap_books.id = $1 AND snap_books.deleted_at IS NULL

-- lazy one-to-many, ordered
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books WHERE $1 = snap_books.author_id AND snap_books.deleted_at IS NULL ORDER BY snap_books.id DESC

-- selectin one-to-many, 3 owners
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books WHERE snap_books.author_id IN ($1, $2, $3) AND snap_books.deleted_at IS NULL ORDER BY snap_books.id DESC

-- lazy many-to-one
SELECT snap_authors.id, snap_authors.name, snap_authors.version, (SELECT count(*) FROM snap_books WHERE snap_authors.id = snap_books.author_id AND snap_books.id > $1 AND snap_books.deleted_at IS NULL) AS recent FROM snap_authors WHERE $2 = snap_authors.id
-- fixed arguments: [100 {}]

-- lazy many-to-many, soft-deleted targets
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books, snap_book_shelves WHERE $1 = snap_book_shelves.snap_shelf_id AND snap_books.id = snap_book_shelves.snap_book_id AND snap_books.deleted_at IS NULL

-- selectin many-to-many, 2 owners
SELECT snap_book_shelves.snap_book_id, snap_shelves.id, snap_shelves."order" FROM snap_shelves, snap_book_shelves WHERE snap_book_shelves.snap_book_id IN ($1, $2) AND snap_shelves.id = snap_book_shelves.snap_shelf_id

-- many-to-one targets by key, 2
SELECT snap_authors.id, snap_authors.name, snap_authors.version, (SELECT count(*) FROM snap_books WHERE snap_authors.id = snap_books.author_id AND snap_books.id > $1 AND snap_books.deleted_at IS NULL) AS recent FROM snap_authors WHERE snap_authors.id IN ($2, $3)
-- fixed arguments: [100 {} {}]

-- foreign key after the parent's insert
UPDATE snap_books SET author_id = $1 WHERE id = $2

-- association rows of an owner
DELETE FROM snap_book_shelves WHERE snap_book_shelves.snap_book_id = $1

-- one association row
DELETE FROM snap_book_shelves WHERE snap_book_shelves.snap_book_id = $1 AND snap_book_shelves.snap_shelf_id = $2

-- association rows inserted, 2
INSERT INTO snap_book_shelves (snap_shelf_id, snap_book_id) VALUES ($1, $2), ($3, $4)

-- insert, 1 row
INSERT INTO snap_books (title, author_id, deleted_at) VALUES ($1, $2, $3) RETURNING id

-- insert, 2 rows
INSERT INTO snap_books (title, author_id, deleted_at) VALUES ($1, $2, $3), ($4, $5, $6) RETURNING id

-- insert, default values
INSERT INTO snap_books DEFAULT VALUES RETURNING id

-- insert, 2 rows in key order
INSERT INTO snap_books (title, author_id, deleted_at) SELECT column1, column2, column3 FROM (VALUES (CAST($1 AS VARCHAR), CAST($2 AS BIGINT), CAST($3 AS TIMESTAMP WITH TIME ZONE), 0), ($4, $5, $6, 1)) AS arc_rows ORDER BY column4 RETURNING id

-- insert, rows as arrays in key order
INSERT INTO snap_books (title, author_id, deleted_at) SELECT arc_c1, arc_c2, arc_c3 FROM unnest(CAST($1 AS VARCHAR[]), CAST($2 AS BIGINT[]), CAST($3 AS TIMESTAMP WITH TIME ZONE[])) WITH ORDINALITY AS arc_rows(arc_c1, arc_c2, arc_c3, arc_ord) ORDER BY arc_ord RETURNING id

-- update, versioned
UPDATE snap_authors SET name = $1, version = version + 1 WHERE id = $2 AND version = $3

-- delete, versioned
DELETE FROM snap_authors WHERE id = $1 AND version = $2

-- delete
DELETE FROM snap_shelves WHERE id = $1

-- every column
INSERT INTO snap_authors (id, name, version) VALUES ($1, $2, $3)

