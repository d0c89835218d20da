-- get by key
SELECT snap_authors.id, snap_authors.name, snap_authors.version, (SELECT count(*) FROM snap_books WHERE snap_authors.id = snap_books.author_id AND snap_books.id > ? AND snap_books.deleted_at IS NULL) AS recent FROM snap_authors WHERE snap_authors.id = ?
-- fixed arguments: [100 {}]

-- get by key, soft delete
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books WHERE snap_books.id = ?

-- get by key, alive only
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books WHERE snap_books.id = ? AND snap_books.deleted_at IS NULL

-- lazy one-to-many, ordered
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books WHERE ? = snap_books.author_id AND snap_books.deleted_at IS NULL ORDER BY snap_books.id DESC

-- selectin one-to-many, 3 owners
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books WHERE snap_books.author_id IN (?, ?, ?) AND snap_books.deleted_at IS NULL ORDER BY snap_books.id DESC

-- lazy many-to-one
SELECT snap_authors.id, snap_authors.name, snap_authors.version, (SELECT count(*) FROM snap_books WHERE snap_authors.id = snap_books.author_id AND snap_books.id > ? AND snap_books.deleted_at IS NULL) AS recent FROM snap_authors WHERE ? = snap_authors.id
-- fixed arguments: [100 {}]

-- lazy many-to-many, soft-deleted targets
SELECT snap_books.id, snap_books.title, snap_books.author_id, snap_books.deleted_at FROM snap_books, snap_book_shelves WHERE ? = snap_book_shelves.snap_shelf_id AND snap_books.id = snap_book_shelves.snap_book_id AND snap_books.deleted_at IS NULL

-- selectin many-to-many, 2 owners
SELECT snap_book_shelves.snap_book_id, snap_shelves.id, snap_shelves."order" FROM snap_shelves, snap_book_shelves WHERE snap_book_shelves.snap_book_id IN (?, ?) AND snap_shelves.id = snap_book_shelves.snap_shelf_id

-- many-to-one targets by key, 2
SELECT snap_authors.id, snap_authors.name, snap_authors.version, (SELECT count(*) FROM snap_books WHERE snap_authors.id = snap_books.author_id AND snap_books.id > ? AND snap_books.deleted_at IS NULL) AS recent FROM snap_authors WHERE snap_authors.id IN (?, ?)
-- fixed arguments: [100 {} {}]

-- foreign key after the parent's insert
UPDATE snap_books SET author_id = ? WHERE id = ?

-- association rows of an owner
DELETE FROM snap_book_shelves WHERE snap_book_shelves.snap_book_id = ?

-- one association row
DELETE FROM snap_book_shelves WHERE snap_book_shelves.snap_book_id = ? AND snap_book_shelves.snap_shelf_id = ?

-- association rows inserted, 2
INSERT INTO snap_book_shelves (snap_shelf_id, snap_book_id) VALUES (?, ?), (?, ?)

-- insert, 1 row
INSERT INTO snap_books (title, author_id, deleted_at) VALUES (?, ?, ?) RETURNING id

-- insert, 2 rows
INSERT INTO snap_books (title, author_id, deleted_at) VALUES (?, ?, ?), (?, ?, ?) RETURNING id

-- insert, default values
INSERT INTO snap_books DEFAULT VALUES RETURNING id

-- insert, 2 rows in key order
INSERT INTO snap_books (title, author_id, deleted_at) SELECT column1, column2, column3 FROM (VALUES (?, ?, ?, 0), (?, ?, ?, 1)) AS arc_rows ORDER BY column4 RETURNING id

-- insert, rows as arrays in key order
(not used: no dialect.ArrayRows)

-- update, versioned
UPDATE snap_authors SET name = ?, version = version + 1 WHERE id = ? AND version = ?

-- delete, versioned
DELETE FROM snap_authors WHERE id = ? AND version = ?

-- delete
DELETE FROM snap_shelves WHERE id = ?

-- every column
INSERT INTO snap_authors (id, name, version) VALUES (?, ?, ?)

