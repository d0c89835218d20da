package meta_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/arcerr"
	"github.com/arcorm/arc/meta"
	"github.com/arcorm/arc/relations"
)

type SyArticle struct {
	Code string                `arc:"pk;size:12"`
	Tags relations.Many[SyTag] `arc:"secondary:sy_article_tags;back_populates:Articles"`
}

type SyTag struct {
	ID       int64
	Articles relations.Many[SyArticle] `arc:"secondary:sy_article_tags;back_populates:Tags"`
}

// SyArticleTag maps the synthesized table with one more column.
type SyArticleTag struct {
	SyArticleCode string `arc:"pk;size:12;fk:sy_articles.code"`
	SyTagID       int64  `arc:"pk;fk:sy_tags.id"`
	Weight        int    `arc:"default:1"`
}

func (SyArticleTag) TableName() string { return "sy_article_tags" }

// SyWrongTag has the owner column with the wrong type.
type SyWrongTag struct {
	SyArticleCode int64 `arc:"pk"`
	SyTagID       int64 `arc:"pk"`
}

func (SyWrongTag) TableName() string { return "sy_article_tags" }

// SyPerson follows other people; the two columns are named on each side.
type SyPerson struct {
	ID        int64
	Followers relations.Many[SyPerson] `arc:"secondary:sy_follows;fk:followee_id;back_populates:Following"`
	Following relations.Many[SyPerson] `arc:"secondary:sy_follows;fk:follower_id;back_populates:Followers"`
}

// SyLoner's self-referential many-to-many names no columns.
type SyLoner struct {
	ID      int64
	Friends relations.Many[SyLoner] `arc:"secondary:sy_friends"`
}

type SyBadFK struct {
	ID   int64
	Tags relations.Many[SyTag] `arc:"secondary:sy_bad;fk:a,b,c"`
}

// The association-object pattern: the association model is reachable from
// the owner through a relationship field, so it is the secondary.
type SyOrder struct {
	ID    int64
	Lines relations.Many[SyLine]    `arc:"back_populates:Order"`
	Items relations.Many[SyProduct] `arc:"secondary:sy_lines"`
}

type SyLine struct {
	OrderID   int64 `arc:"pk;fk:sy_orders.id"`
	ProductID int64 `arc:"pk;fk:sy_products.id"`
	Qty       int
	Order     relations.One[SyOrder] `arc:"back_populates:Lines"`
}

type SyProduct struct{ ID int64 }

func TestSecondarySynthesized(t *testing.T) {
	at := meta.MustOf[SyArticle]()
	r, err := meta.Resolve(at.Relation("Tags"))
	require.NoError(t, err)
	st := r.Secondary
	require.NotNil(t, st)
	assert.True(t, st.Synthesized())
	assert.Equal(t, "sy_article_tags", st.Name)
	assert.Equal(t, []string{"sy_article_code", "sy_tag_id"}, meta.ColumnNames(st.PrimaryKey))
	assert.Equal(t, []string{"sy_article_code"}, meta.ColumnNames(r.SecOwner))
	assert.Equal(t, []string{"sy_tag_id"}, meta.ColumnNames(r.SecTarget))
	code := st.ColumnByName("sy_article_code")
	assert.Equal(t, meta.KindString, code.Kind)
	assert.Equal(t, 12, code.Size, "typed like the key it refers to")
	assert.False(t, code.Nullable)
	assert.Equal(t, meta.KindBigInt, st.ColumnByName("sy_tag_id").Kind)
	require.Len(t, st.ForeignKeys, 2)
	for _, fk := range st.ForeignKeys {
		assert.Equal(t, "CASCADE", fk.OnDelete)
	}
	assert.Equal(t, "sy_articles", st.ForeignKeys[0].RefTable)
	assert.Equal(t, "sy_tags", st.ForeignKeys[1].RefTable)

	// The inverse side shares the table, with the sides swapped.
	back, err := meta.Resolve(meta.MustOf[SyTag]().Relation("Articles"))
	require.NoError(t, err)
	assert.Same(t, st, back.Secondary)
	assert.Equal(t, r.SecOwner, back.SecTarget)
	assert.Equal(t, r.SecTarget, back.SecOwner)

	// A registry of the owner alone holds the association table.
	md, err := meta.NewMetaData(SyArticle{})
	require.NoError(t, err)
	assert.Same(t, st, md.Table("sy_article_tags"))
	assert.Equal(t, "MetaData(sy_articles, sy_tags, sy_article_tags)", md.String())
}

func TestSecondaryModelInSameRegistry(t *testing.T) {
	for _, order := range [][]any{{SyArticle{}, SyArticleTag{}}, {SyArticleTag{}, SyArticle{}}} {
		md, err := meta.NewMetaData(order...)
		require.NoError(t, err)
		m := md.Table("sy_article_tags")
		require.NotNil(t, m)
		assert.False(t, m.Synthesized(), "the model's DDL is used")
		assert.NotNil(t, m.ColumnByName("weight"))
		assert.Len(t, md.Tables(), 3)
	}
	// Added later to the same registry.
	md, err := meta.NewMetaData(SyArticle{})
	require.NoError(t, err)
	require.NoError(t, md.Add(SyArticleTag{}))
	assert.False(t, md.Table("sy_article_tags").Synthesized())
	assert.Len(t, md.Tables(), 3)

	_, err = meta.NewMetaData(SyArticle{}, SyWrongTag{})
	require.ErrorIs(t, err, arcerr.ErrInvalidModel)
	assert.Contains(t, err.Error(), "SyArticle, field Tags")
	assert.Contains(t, err.Error(), "SyWrongTag")
	assert.Contains(t, err.Error(), "sy_article_code")
}

func TestSecondaryColumnsNamed(t *testing.T) {
	p := meta.MustOf[SyPerson]()
	followers, err := meta.Resolve(p.Relation("Followers"))
	require.NoError(t, err)
	following, err := meta.Resolve(p.Relation("Following"))
	require.NoError(t, err)
	assert.Same(t, followers.Secondary, following.Secondary)
	assert.Equal(t, []string{"followee_id"}, meta.ColumnNames(followers.SecOwner))
	assert.Equal(t, []string{"follower_id"}, meta.ColumnNames(followers.SecTarget))
	assert.Equal(t, []string{"follower_id"}, meta.ColumnNames(following.SecOwner))

	_, err = meta.Resolve(meta.MustOf[SyLoner]().Relation("Friends"))
	require.ErrorIs(t, err, arcerr.ErrInvalidModel)
	assert.Contains(t, err.Error(), "for both sides")

	_, err = meta.Resolve(meta.MustOf[SyBadFK]().Relation("Tags"))
	require.ErrorIs(t, err, arcerr.ErrInvalidModel)
	assert.Contains(t, err.Error(), "fk: names 3 columns")
}

func TestSecondaryReachableModel(t *testing.T) {
	r, err := meta.Resolve(meta.MustOf[SyOrder]().Relation("Items"))
	require.NoError(t, err)
	assert.Same(t, meta.MustOf[SyLine](), r.Secondary)
	assert.Equal(t, []string{"order_id"}, meta.ColumnNames(r.SecOwner))
	assert.Equal(t, []string{"product_id"}, meta.ColumnNames(r.SecTarget))
}
