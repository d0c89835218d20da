package naming

import (
	"strings"
	"testing"
)

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"ID": "id", "UserID": "user_id", "HTTPServer": "http_server", "EmailAddress": "email_address",
		"Name": "name", "already_snake": "already_snake", "A1B": "a1_b", "PostKeyword": "post_keyword",
		"URL": "url", "CreatedAt": "created_at", "Version2": "version2", "": "",
		"UserIDs": "user_ids", "URLsByHost": "urls_by_host", "IDs": "ids", "ASet": "a_set", "GetAs": "get_as",
		"HTTPStatus": "http_status", "APIKey": "api_key",
	} {
		if got := Snake(in); got != want {
			t.Errorf("Snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTableName(t *testing.T) {
	for in, want := range map[string]string{
		"User": "users", "Address": "addresses", "BlogPost": "blog_posts", "Keyword": "keywords",
		"PostKeyword": "post_keywords", "Category": "categories", "Day": "days", "Box": "boxes",
		"Match": "matches", "Wish": "wishes", "Person": "people", "Child": "children", "Leaf": "leaves",
		"Knife": "knives", "News": "news", "Index": "indices", "Quiz": "quizes", "Datum": "data",
		"AllTypes": "all_types", "UserSettings": "user_settings", "Status": "statuses", "Alias": "aliases",
		"Bus": "buses", "Basis": "bases",
	} {
		if got := TableName(in); got != want {
			t.Errorf("TableName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConstraintNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{PrimaryKey("users"), "pk_users"},
		{Unique("keywords", []string{"keyword"}), "uq_keywords_keyword"},
		{Unique("t", []string{"a", "b"}), "uq_t_a_b"},
		{Index("users", []string{"name"}), "ix_users_name"},
		{Index("t", []string{"a", "b"}), "ix_t_a_b"},
		{ForeignKey("addresses", []string{"user_id"}, "users"), "fk_addresses_user_id_users"},
		{Check("t", "age"), "ck_t_age"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestLongNamesAreCutDeterministically(t *testing.T) {
	long := strings.Repeat("very_long_table_name_", 5)
	a := Index(long, []string{"first_column", "second_column"})
	b := Index(long, []string{"first_column", "second_column"})
	c := Index(long, []string{"first_column", "third_column"})
	if len(a) != MaxIdent {
		t.Errorf("len = %d, want %d: %s", len(a), MaxIdent, a)
	}
	if a != b {
		t.Errorf("not deterministic: %s vs %s", a, b)
	}
	if a == c {
		t.Errorf("different column lists got the same cut name %s", a)
	}
	if !strings.HasPrefix(a, "ix_very_long_table_name_") {
		t.Errorf("prefix lost: %s", a)
	}
	// The hash is fixed forever: migrations written today must match tomorrow.
	if want := "ix_very_long_table_name_very_long_table_name_very_long_09c5f00c"; a != want {
		t.Errorf("cut name = %s, want %s", a, want)
	}
}
