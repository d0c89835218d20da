-- predicate: eq
SELECT users.name FROM users WHERE users.name = ? ORDER BY users.id
-- args: [ed]

-- predicate: ne
SELECT users.name FROM users WHERE users.name != ? ORDER BY users.id
-- args: [ed]

-- predicate: like
SELECT users.name FROM users WHERE users.name LIKE ? ORDER BY users.id
-- args: [%ed%]

-- predicate: not like
SELECT users.name FROM users WHERE users.name NOT LIKE ? ORDER BY users.id
-- args: [%ed%]

-- predicate: ilike
SELECT users.name FROM users WHERE lower(users.name) LIKE lower(?) ORDER BY users.id
-- args: [%ED%]

-- predicate: not ilike
SELECT users.name FROM users WHERE lower(users.name) NOT LIKE lower(?) ORDER BY users.id
-- args: [%ED%]

-- predicate: in
SELECT users.name FROM users WHERE users.name IN (?, ?, ?) ORDER BY users.id
-- args: [ed wendy jack]

-- predicate: in subquery
SELECT users.name FROM users WHERE users.name IN (SELECT users.name FROM users WHERE users.name LIKE ?) ORDER BY users.id
-- args: [%ed%]

-- predicate: tuple in
SELECT users.name FROM users WHERE (users.name, users.nickname) IN ((?, ?), (?, ?)) ORDER BY users.id
-- args: [ed edsnickname wendy windy]

-- predicate: not in
SELECT users.name FROM users WHERE (users.name NOT IN (?, ?, ?)) ORDER BY users.id
-- args: [ed wendy jack]

-- predicate: not(in)
SELECT users.name FROM users WHERE (users.name NOT IN (?, ?)) ORDER BY users.id
-- args: [ed wendy]

-- predicate: empty in is false
SELECT users.name FROM users WHERE 1 != 1 ORDER BY users.id

-- predicate: empty not in is true
SELECT users.name FROM users WHERE 1 = 1 ORDER BY users.id

-- predicate: empty tuple in is false
SELECT users.name FROM users WHERE 1 != 1 ORDER BY users.id

-- predicate: untyped empty in
SELECT users.name FROM users WHERE 1 != 1 ORDER BY users.id

-- predicate: eq nil is IS NULL
SELECT users.name FROM users WHERE users.nickname IS NULL ORDER BY users.id

-- predicate: ne nil is IS NOT NULL
SELECT users.name FROM users WHERE users.nickname IS NOT NULL ORDER BY users.id

-- predicate: is null
SELECT users.name FROM users WHERE users.nickname IS NULL ORDER BY users.id

-- predicate: is not null
SELECT users.name FROM users WHERE users.nickname IS NOT NULL ORDER BY users.id

-- predicate: not(is null)
SELECT users.name FROM users WHERE users.nickname IS NOT NULL ORDER BY users.id

-- predicate: nullable eq pointer
SELECT users.name FROM users WHERE users.nickname = ? ORDER BY users.id
-- args: [&windy]

-- predicate: EqN: pointer field, plain value
SELECT users.name FROM users WHERE users.nickname = ? ORDER BY users.id
-- args: [windy]

-- predicate: NeN
SELECT users.name FROM users WHERE users.nickname != ? ORDER BY users.id
-- args: [windy]

-- predicate: nullable eq plain value
SELECT users.name FROM users WHERE users.nickname = ? ORDER BY users.id
-- args: [windy]

-- predicate: untyped eq nil
SELECT users.name FROM users WHERE nickname IS NULL ORDER BY users.id

-- predicate: by name
SELECT users.name FROM users WHERE users.name = ? ORDER BY users.id
-- args: [mary]

-- predicate: and
SELECT users.name FROM users WHERE users.name = ? AND users.fullname = ? ORDER BY users.id
-- args: [ed Ed Jones]

-- predicate: or
SELECT users.name FROM users WHERE users.name = ? OR users.name = ? ORDER BY users.id
-- args: [ed wendy]

-- predicate: not(or)
SELECT users.name FROM users WHERE NOT (users.name = ? OR users.name = ?) ORDER BY users.id
-- args: [ed wendy]

-- predicate: and of or
SELECT users.name FROM users WHERE (users.name = ? OR users.name = ?) AND users.age > ? ORDER BY users.id
-- args: [ed wendy 26]

-- predicate: not not
SELECT users.name FROM users WHERE users.name = ? ORDER BY users.id
-- args: [ed]

-- predicate: empty and/or
SELECT users.name FROM users WHERE 1 = 1 OR 1 != 1 ORDER BY users.id

-- predicate: match
SELECT users.name FROM users WHERE users.name MATCH ? ORDER BY users.id
-- args: [wendy]

-- predicate: lt
SELECT users.name FROM users WHERE users.age < ? ORDER BY users.id
-- args: [30]

-- predicate: le
SELECT users.name FROM users WHERE users.age <= ? ORDER BY users.id
-- args: [30]

-- predicate: gt
SELECT users.name FROM users WHERE users.age > ? ORDER BY users.id
-- args: [30]

-- predicate: ge
SELECT users.name FROM users WHERE users.age >= ? ORDER BY users.id
-- args: [35]

-- predicate: between
SELECT users.name FROM users WHERE users.age BETWEEN ? AND ? ORDER BY users.id
-- args: [25 30]

-- predicate: column to column
SELECT users.name FROM users WHERE users.name = users.nickname ORDER BY users.id

-- predicate: column method with column
SELECT users.name FROM users WHERE users.name != users.nickname ORDER BY users.id

-- predicate: arithmetic add
SELECT users.name FROM users WHERE (users.age + ?) > ? ORDER BY users.id
-- args: [5 40]

-- predicate: arithmetic mul sub
SELECT users.name FROM users WHERE ((users.age * ?) - ?) >= ? ORDER BY users.id
-- args: [2 10 60]

-- predicate: arithmetic div
SELECT users.name FROM users WHERE (users.age / ?) = ? ORDER BY users.id
-- args: [5 6]

-- predicate: arith column op column
SELECT users.name FROM users WHERE (users.age - users.id) = ? ORDER BY users.id
-- args: [29]

-- predicate: function
SELECT users.name FROM users WHERE lower(users.fullname) = ? ORDER BY users.id
-- args: [ed jones]

-- predicate: function with bound arg
SELECT users.name FROM users WHERE coalesce(users.nickname, ?) = ? ORDER BY users.id
-- args: [none none]

-- predicate: text
SELECT users.name FROM users WHERE age > ? AND name != ? ORDER BY users.id
-- args: [26 mary]

-- predicate: text keeps its precedence
SELECT users.name FROM users WHERE (name = ? OR name = ?) AND users.age > ? ORDER BY users.id
-- args: [ed mary 35]

-- predicate: exists correlated
SELECT users.name FROM users WHERE EXISTS (SELECT 1 FROM addresses WHERE addresses.user_id = users.id) ORDER BY users.id

-- predicate: not exists
SELECT users.name FROM users WHERE NOT (EXISTS (SELECT 1 FROM addresses WHERE addresses.user_id = users.id AND addresses.email_address LIKE ?)) ORDER BY users.id
-- args: [%b.com]

-- predicate: scalar subquery
SELECT users.name FROM users WHERE (SELECT count(*) FROM addresses WHERE addresses.user_id = users.id) >= ? ORDER BY users.id
-- args: [2]

-- predicate: injection as data
SELECT users.name FROM users WHERE users.name = ? ORDER BY users.id
-- args: [x' OR '1'='1]

-- predicate: comment as data
SELECT users.name FROM users WHERE users.name IN (?, ?) ORDER BY users.id
-- args: [ed'; DROP TABLE users; -- /* mary */]

-- columns label order desc
SELECT users.name, upper(users.name) AS up FROM users ORDER BY users.age DESC

-- order asc, two keys, label ref
SELECT (users.age % ?) AS m, users.name FROM users ORDER BY m, users.name
-- args: [10]

-- star
SELECT users.* FROM users WHERE users.id = ?
-- args: [4]

-- EqNull: sql.Null field, plain value
SELECT addresses.email_address FROM addresses WHERE addresses.note = ?
-- args: [work]

-- NeNull
SELECT addresses.email_address FROM addresses WHERE addresses.note != ?
-- args: [work]

-- count(*) literal
SELECT count(*) FROM users

-- count(col) label
SELECT count(users.nickname) AS n FROM users

-- count distinct
SELECT count(DISTINCT addresses.user_id) FROM addresses

-- group by having
SELECT addresses.user_id, count(addresses.id) AS n FROM addresses GROUP BY addresses.user_id HAVING count(addresses.id) > ? ORDER BY addresses.user_id
-- args: [1]

-- distinct
SELECT DISTINCT addresses.user_id FROM addresses ORDER BY addresses.user_id

-- limit offset
SELECT users.name FROM users ORDER BY users.id LIMIT ? OFFSET ?
-- args: [2 1]

-- limit only
SELECT users.name FROM users ORDER BY users.id LIMIT ?
-- args: [1]

-- offset only
SELECT users.name FROM users ORDER BY users.id LIMIT 18446744073709551615 OFFSET ?
-- args: [2]

-- join
SELECT users.name, addresses.email_address FROM users JOIN addresses ON addresses.user_id = users.id ORDER BY addresses.id

-- outer join
SELECT users.name, addresses.email_address FROM users LEFT OUTER JOIN addresses ON addresses.user_id = users.id WHERE users.age > ? ORDER BY users.id
-- args: [30]

-- anonymous aliases
SELECT users.name, addresses_1.email_address, addresses_2.email_address FROM users JOIN addresses AS addresses_1 ON addresses_1.user_id = users.id JOIN addresses AS addresses_2 ON addresses_2.user_id = users.id WHERE addresses_1.email_address = ? AND addresses_2.email_address = ?
-- args: [ed@a.com ed@b.com]

-- named alias
SELECT adr.email_address FROM addresses AS adr WHERE adr.id = ?
-- args: [3]

-- subquery
SELECT users.name, anon_1.n FROM users LEFT OUTER JOIN (SELECT addresses.user_id, count(*) AS n FROM addresses GROUP BY addresses.user_id) AS anon_1 ON users.id = anon_1.user_id ORDER BY users.id

-- text statement
SELECT name FROM users WHERE name = ? OR fullname = ? ORDER BY id
-- args: [ed ed]

-- text skips quotes and escapes
SELECT ':x' AS a, '\:y' AS b, 'it''s :z' AS c, ? AS d, "name" FROM users WHERE id = ?
-- args: [val 1]

-- text skips comments
SELECT name -- :not a param
FROM users /* :nor
:this */ WHERE id = ?
-- args: [2]

-- text backslash colon
SELECT 'a' || '\:' AS x WHERE 1 = ?
-- args: [1]

-- text pg cast
SELECT ?::text || 'x', 1 WHERE 2 > :w
-- args: [a]

-- text pg cast run
SELECT CAST(? AS text)::varchar(3) AS s
-- args: [abcdef]

-- text pg escape string
SELECT E'it\'s :x' || e'\\' AS s, ? AS v
-- args: [val]

-- text pg dollar quotes
SELECT $$ :x 'y $$ || $q$:z$$q$ AS s, ? AS v
-- args: [val]

-- slots: a statement rendered once, values supplied per run
SELECT users.name FROM users WHERE users.id IN (?, ?, ?) AND users.age > ?
-- args: [{} {} {} {}]

-- insert from a VALUES table with casts, ordered
error: arc: invalid request: INSERT INTO users ... RETURNING: this mysql server has no RETURNING for the statement

-- an expression adapted to an alias
SELECT users_1.id, (users_1.age + ?) AS next_age FROM users AS users_1
-- args: [1]

-- quoted identifiers
SELECT users.name AS `order`, users.age AS `Mixed Case` FROM users

-- insert default values
error: arc: invalid request: INSERT INTO addresses ... RETURNING: this mysql server has no RETURNING for the statement

-- update returning
error: arc: invalid request: UPDATE users ... RETURNING: this mysql server has no RETURNING for the statement

-- delete returning
error: arc: invalid request: DELETE FROM users ... RETURNING: this mysql server has no RETURNING for the statement

-- offset without limit
SELECT users.id FROM users LIMIT 18446744073709551615 OFFSET ?
-- args: [2]

-- nulls last, for update
SELECT users.id FROM users ORDER BY users.nickname IS NULL, users.nickname FOR UPDATE

